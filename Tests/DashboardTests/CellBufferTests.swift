import Testing
@testable import Dashboard

@Suite struct CellBufferTests {
    @Test func putClipsToWidthAndBuffer() {
        var b = CellBuffer(width: 6, height: 2)
        let end = b.put("abcdefgh", x: 2, y: 0)
        #expect(end == 6)
        b.put("xyz", x: 0, y: 1, width: 2)
        #expect(b.text() == "  abcd\nxy    \n")
    }

    @Test func writesOutsideAreDropped() {
        var b = CellBuffer(width: 3, height: 1)
        b.set(-1, 0, "a", .plain); b.set(3, 0, "b", .plain); b.set(0, 1, "c", .plain)
        #expect(b.text() == "   \n")
    }

    /// Control characters become "?"; a CJK character takes two columns (its right half is a
    /// `wideTail` cell the terminal never writes); a decomposed "é" is composed into one cell.
    @Test func wideCombiningAndControlCharacters() {
        var b = CellBuffer(width: 9, height: 1)
        let end = b.put("a\u{7}漢cafe\u{301}▀", x: 0, y: 0)
        #expect(end == 9)
        #expect(b[2, 0].character == "漢" && b[3, 0].character == Cell.wideTail)
        #expect(b[7, 0].character.unicodeScalars.map(\.value) == [0xE9])
        #expect(b.text() == "a?漢café▀\n")
        // A wide character that would straddle the limit is left out, not cut in half.
        var c = CellBuffer(width: 4, height: 1)
        #expect(c.put("日本語", x: 0, y: 0, width: 3) == 2)
        #expect(c.text() == "日  \n")
        // Writing over half of a wide character blanks the other half.
        c.set(1, 0, "x", .plain)
        #expect(c.text() == " x  \n")
    }

    @Test func displayWidthAndFit() {
        #expect(CellBuffer.displayWidth("日本語") == 6 && CellBuffer.displayWidth("café") == 4)
        #expect(fit("日本語ドラム", 7, .unicode) == "日本語…")       // 6 columns + the ellipsis
        #expect(fit("café", 4, .unicode) == "café")
    }

    @Test func styleTextListsRuns() {
        var b = CellBuffer(width: 4, height: 1)
        b.set(1, 0, "x", CellStyle(fg: .rgb(255, 0, 16), bg: .indexed(3), attributes: [.bold, .reverse]))
        b.set(2, 0, "y", CellStyle(fg: .rgb(255, 0, 16), bg: .indexed(3), attributes: [.bold, .reverse]))
        #expect(b.styleText() == "00: 0+1 -/-; 1+2 #ff0010/@3 br; 3+1 -/-\n")
    }

    @Test func rectSplits() {
        let r = Rect(x: 1, y: 2, width: 10, height: 5)
        let (top, rest) = r.splitTop(2)
        #expect(top == Rect(x: 1, y: 2, width: 10, height: 2))
        #expect(rest == Rect(x: 1, y: 4, width: 10, height: 3))
        let (left, right) = r.splitLeft(20)
        #expect(left.width == 10 && right.width == 0)
        #expect(r.inset(1) == Rect(x: 2, y: 3, width: 8, height: 3))
    }

    @Test func onlyChangedCellsAreRewritten() {
        var a = CellBuffer(width: 4, height: 2)
        a.put("abcd", x: 0, y: 0)
        var b = a
        b.set(2, 1, "x", .plain)
        b.setStyle(0, 0, CellStyle(attributes: [.bold]))          // same character, new style
        #expect(b.changedIndices(since: a) == [0, 6])
        #expect(b.changedIndices(since: b) == [])
        #expect(b.changedIndices(since: nil).count == 8)           // first frame: everything
        #expect(b.changedIndices(since: CellBuffer(width: 5, height: 2)).count == 8)   // resized: everything
    }
}
