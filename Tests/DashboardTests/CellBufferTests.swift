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

    @Test func wideAndControlCharactersBecomeQuestionMarks() {
        var b = CellBuffer(width: 5, height: 1)
        b.put("a\u{7}漢é▀", x: 0, y: 0)
        // Control and double-width characters would shift the row; accented letters and blocks are one column.
        #expect(b.text() == "a??é▀\n")
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
