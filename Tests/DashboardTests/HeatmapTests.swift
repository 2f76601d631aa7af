import Testing
@testable import Dashboard
import GAN

@Suite struct HeatmapTests {
    /// 4 bands x 4 frames with energy only in the lowest band (row 0).
    static let lowBand = GeneratedSpectrogram(classIndex: 0, nMels: 4, frames: 4,
                                              logMel: [5, 5, 5, 5] + [Float](repeating: -5, count: 12))

    @Test func lowFrequenciesAtTheBottom() {
        var b = CellBuffer(width: 4, height: 2)
        Heatmap.render(Self.lowBand, area: b.area, capabilities: .truecolor, into: &b)
        // 2 rows of half-blocks = 4 pixel rows, one per band. The lowest band is the lower
        // pixel of the bottom row: viridis' top colour (253, 231, 37); everything else its
        // bottom colour (68, 1, 84). Values from matplotlib's table, not from the code.
        let yellow = CellColor.rgb(253, 231, 37), purple = CellColor.rgb(68, 1, 84)
        for x in 0 ..< 4 {
            #expect(b[x, 1] == Cell(character: "▀", style: CellStyle(fg: purple, bg: yellow)))
            #expect(b[x, 0] == Cell(character: "▀", style: CellStyle(fg: purple, bg: purple)))
        }
    }

    @Test func monochromeUsesTheShadingRamp() {
        var b = CellBuffer(width: 4, height: 4)
        Heatmap.render(Self.lowBand, area: b.area, capabilities: DisplayCapabilities(colorMode: .monochrome, unicode: true), into: &b)
        #expect(b.text() == "    \n    \n    \n████\n")
        #expect(b.cells.allSatisfy { $0.style == .plain })
    }

    @Test func asciiWithColourUsesBackgroundCells() {
        var b = CellBuffer(width: 2, height: 4)
        Heatmap.render(Self.lowBand, area: b.area, capabilities: DisplayCapabilities(colorMode: .palette256, unicode: false), into: &b)
        #expect(b.text() == "  \n  \n  \n  \n")
        #expect(b[0, 3].style.bg == .rgb(253, 231, 37))
        #expect(b[0, 0].style.bg == .rgb(68, 1, 84))
    }

    @Test func pixelGridAveragesWhenShrinking() {
        // 2 bands x 4 frames -> 1 row x 2 columns: means of [0,1 | 4,5] and [2,3 | 6,7], scaled by min 0, max 7.
        let s = GeneratedSpectrogram(classIndex: 0, nMels: 2, frames: 4, logMel: [0, 1, 2, 3, 4, 5, 6, 7])
        let g = Heatmap.pixelGrid(s, columns: 2, rows: 1)
        #expect(g == [2.5 / 7, 4.5 / 7])
    }

    @Test func pixelGridRepeatsWhenEnlarging() {
        let s = GeneratedSpectrogram(classIndex: 0, nMels: 2, frames: 1, logMel: [0, 1])
        // 4 rows from 2 bands, top first: the upper band (1) twice, then the lower (0) twice.
        #expect(Heatmap.pixelGrid(s, columns: 1, rows: 4) == [1, 1, 0, 0])
    }
}
