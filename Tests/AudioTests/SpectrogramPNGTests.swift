import Foundation
import Testing
@testable import Audio
import Support

@Suite struct SpectrogramPNGTests {
    func rgb(_ p: [UInt8], _ width: Int, _ x: Int, _ y: Int) -> [UInt8] {
        let o = (y * width + x) * 3
        return Array(p[o ..< o + 3])
    }

    func viridis(_ t: Float) -> [UInt8] { let c = Viridis.rgb(t); return [c.r, c.g, c.b] }

    @Test func heatmapIsViridisWithLowBandsAtTheBottom() throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        // 3 bands x 4 frames: band 0 (lowest) = 4 (the max), band 1 = 2, band 2 = 0.
        let logMel: [Float] = [4, 4, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0]
        let url = dir.appendingPathComponent("s.png")
        try SpectrogramPNG.write(logMel: logMel, nMels: 3, frames: 4, to: url)
        let (p, w, h) = try PNGWriter.readRGB(url)
        #expect(w == 4 && h == 3)
        for x in 0 ..< 4 {
            #expect(rgb(p, w, x, 2) == viridis(1))     // bottom row: band 0, the largest value
            #expect(rgb(p, w, x, 1) == viridis(0.5))
            #expect(rgb(p, w, x, 0) == viridis(0))     // top row: band 2
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["s.png"])
    }

    @Test func gridHasTitledPanelsOnOneScale() throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = [Float](repeating: 1, count: 8 * 20), b = [Float](repeating: 2, count: 8 * 20)
        let url = dir.appendingPathComponent("g.png")
        try SpectrogramPNG.writeGrid(panels: [("kick, epoch 3", a), ("snare", b), ("hat", a)], nMels: 8, frames: 20, to: url)
        let (p, w, h) = try PNGWriter.readRGB(url)
        // "kick, epoch 3" is 13 glyphs = 77 px, wider than 20 frames: panels are magnified 4x
        // (80 x 32 px) so it fits. Up to four panels per row; each: 8 px gap, 7 px title (too
        // long to double) + 8 px padding, image.
        #expect(w == 3 * (80 + 8) + 8)
        #expect(h == 8 + 7 + 8 + 32 + 8)
        let imageTop = 8 + 15
        // Shared colour scale: panel a at half of panel b's colour, over the whole 4x4 block.
        #expect(rgb(p, w, 8, imageTop) == viridis(0.5))
        #expect(rgb(p, w, 8 + 79, imageTop + 31) == viridis(0.5))
        #expect(rgb(p, w, 8 + 88, imageTop) == viridis(1))
        // The whole title is drawn: the last glyph "3" ends inside the panel, not cut.
        #expect((0 ..< 7).contains { rgb(p, w, 8 + 72 + 4, 8 + 4 + $0) == [235, 235, 235] })
        // The title is drawn: the top-left pixel of "K" (column 0 of its glyph is set on every row).
        #expect(rgb(p, w, 8, 8 + 4) == [235, 235, 235])
        #expect(rgb(p, w, 8, 8 + 4 + 6) == [235, 235, 235])
        // ...and the background below the glyph rows is untouched.
        #expect(rgb(p, w, 8, 8 + 4 + 7) == [24, 24, 24])
    }

    @Test func shortTitlesAreDoubled() throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("g.png")
        try SpectrogramPNG.writeGrid(panels: [("kick", [Float](repeating: 1, count: 8 * 64))], nMels: 8, frames: 64, to: url)
        let (p, w, h) = try PNGWriter.readRGB(url)
        #expect(w == 64 + 16 && h == 8 + 14 + 8 + 8 + 8)
        #expect(rgb(p, w, 8, 8 + 4 + 13) == [235, 235, 235])    // last row of "K", doubled
    }

    @Test func fontCoversTitleCharacters() {
        for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;-_+=/()[]%'!?#*<> " {
            #expect(BitmapFont.glyphs[Character(c.uppercased())] != nil, "\(c)")
        }
        for (c, rows) in BitmapFont.glyphs {
            #expect(rows.count == 7 && rows.allSatisfy { $0.count == 5 && $0.allSatisfy { $0 == "#" || $0 == "." } }, "\(c)")
        }
    }

    /// Titles the font cannot draw are romanised (ICU's Any-Latin; Latin-ASCII), not boxes;
    /// titles it can draw are left alone; "ß" (two letters upper-cased) does not trap.
    @Test func titlesInOtherScriptsAreRomanised() {
        #expect(BitmapFont.drawable("kick - epoch 3") == "kick - epoch 3")
        #expect(BitmapFont.drawable("日本語 - epoch 3") == "ri ben yu - epoch 3")
        #expect(BitmapFont.drawable("café") == "cafe")
        #expect(BitmapFont.drawable("Straße") == "Strasse")
        #expect(BitmapFont.glyph("ß") == nil && BitmapFont.pixel("ß", 0, 0) == BitmapFont.pixel("\u{25A1}", 0, 0))
    }

    @Test func wrongShapesAndUnwritablePathsAreErrors() throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: UserError.self) { try SpectrogramPNG.write(logMel: [1, 2, 3], nMels: 2, frames: 2, to: dir.appendingPathComponent("x.png")) }
        #expect(throws: UserError.self) { try SpectrogramPNG.write(logMel: [1, 2, 3, 4], nMels: 2, frames: 2, to: dir.appendingPathComponent("no/x.png")) }
        #expect(throws: UserError.self) { try SpectrogramPNG.writeGrid(panels: [], nMels: 2, frames: 2, to: dir.appendingPathComponent("x.png")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
