import Testing
@testable import Dashboard

@Suite struct SparklineTests {
    func draw(_ values: [Float], width: Int, height: Int, glyphs: Glyphs = .unicode) -> String {
        var b = CellBuffer(width: width, height: height)
        Sparkline.render(values, area: b.area, style: .plain, glyphs: glyphs, into: &b)
        return b.text()
    }

    @Test func eightLevelsInOneRow() {
        #expect(draw([0, 1, 2, 3, 4, 5, 6, 7], width: 8, height: 1) == "▁▂▃▄▅▆▇█\n")
    }

    @Test func scaleIsTheSeriesOwnRange() {
        // Losses around 0.69 with small wiggles still use the whole height.
        #expect(draw([0.690, 0.695, 0.700], width: 3, height: 1) == "▁▅█\n")
    }

    @Test func stacksOverRows() {
        // Two rows = 16 levels: min -> level 1 (bottom row ▁), max -> level 16 (both rows full).
        #expect(draw([0, 1], width: 2, height: 2) == " █\n▁█\n")
    }

    @Test func flatSeriesSitsInTheMiddle() {
        #expect(draw([2, 2, 2], width: 3, height: 1) == "▅▅▅\n")
    }

    @Test func longSeriesIsAveragedToTheWidth() {
        // 8 values into 4 columns: pair means 0.5, 2.5, 4.5, 6.5, i.e. t = 0, 1/3, 2/3, 1 of
        // their range -> levels 1 + round(7t) = 1, 3, 6, 8.
        #expect(draw([0, 1, 2, 3, 4, 5, 6, 7], width: 4, height: 1) == "▁▃▆█\n")
    }

    @Test func asciiFallback() {
        #expect(draw([0, 1, 2, 3, 4, 5, 6, 7], width: 8, height: 1, glyphs: .ascii) == "_.-~=+*#\n")
    }
}
