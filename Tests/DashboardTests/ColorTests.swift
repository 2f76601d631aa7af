import Testing
@testable import Dashboard

@Suite struct ColorTests {
    @Test func modeDetection() {
        #expect(ColorMode.detect(environment: ["COLORTERM": "truecolor"], terminalColors: 256) == .truecolor)
        #expect(ColorMode.detect(environment: ["COLORTERM": "24bit"], terminalColors: 256) == .truecolor)
        #expect(ColorMode.detect(environment: [:], terminalColors: 256) == .palette256)
        #expect(ColorMode.detect(environment: [:], terminalColors: 8) == .eight)
        #expect(ColorMode.detect(environment: [:], terminalColors: 0) == .monochrome)
        // NO_COLOR wins over everything when set to a non-empty value (no-color.org).
        #expect(ColorMode.detect(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"], terminalColors: 256) == .monochrome)
        #expect(ColorMode.detect(environment: ["NO_COLOR": ""], terminalColors: 256) == .palette256)
    }

    @Test func nearest256() {
        // Indices from the xterm palette definition: cube 16 + 36r + 6g + b, greys 232-255 = 8 + 10i.
        #expect(Palette256.nearest(0, 0, 0) == 16)
        #expect(Palette256.nearest(255, 0, 0) == 196)
        #expect(Palette256.nearest(255, 255, 255) == 231)
        #expect(Palette256.nearest(128, 128, 128) == 244)
        #expect(Palette256.nearest(253, 231, 37) == 220)    // viridis' yellow -> (255, 215, 0)
        #expect(Palette256.nearest(68, 1, 84) == 53)         // viridis' purple -> (95, 0, 95)
    }

    @Test func nearestANSI() {
        #expect(Palette256.nearestANSI(250, 10, 10) == 1)
        #expect(Palette256.nearestANSI(20, 20, 20) == 0)
        #expect(Palette256.nearestANSI(240, 240, 240) == 7)
    }

    @Test func themeFollowsMode() {
        #expect(Theme(mode: .monochrome).lossD.fg == .terminalDefault)
        #expect(Theme(mode: .eight).lossD.fg == .indexed(3))
        #expect(Theme(mode: .truecolor).lossD.fg == .rgb(253, 231, 37))
    }
}
