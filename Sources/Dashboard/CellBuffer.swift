import Foundation

/// The in-memory screen every widget draws into (ratatui's `Buffer`): a grid of cells, each a
/// character with colours and attributes. Widgets never touch the terminal; the ncurses
/// terminal copies the cells that changed since the previous frame.

/// A cell colour. `rgb` is what widgets use in colour modes; the terminal maps it to the
/// nearest palette entry when the terminal has no direct colour. `indexed` names one of the
/// terminal's own palette entries (0-7 for the 8-colour theme).
public enum CellColor: Hashable, Sendable {
    case terminalDefault
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

public struct CellAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = CellAttributes(rawValue: 1)
    public static let reverse = CellAttributes(rawValue: 2)
    public static let dim = CellAttributes(rawValue: 4)
}

public struct CellStyle: Hashable, Sendable {
    public var fg: CellColor = .terminalDefault
    public var bg: CellColor = .terminalDefault
    public var attributes: CellAttributes = []
    public init(fg: CellColor = .terminalDefault, bg: CellColor = .terminalDefault, attributes: CellAttributes = []) {
        self.fg = fg; self.bg = bg; self.attributes = attributes
    }
    public static let plain = CellStyle()
}

public struct Cell: Hashable, Sendable {
    /// The right half of a two-column character (CJK): the terminal draws the character from the
    /// cell on its left, so this cell is never written on its own.
    public static let wideTail: Character = "\u{0}"
    public var character: Character = " "
    public var style: CellStyle = .plain
    public init(character: Character = " ", style: CellStyle = .plain) {
        self.character = character; self.style = style
    }
}

public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The rect shrunk by `n` cells on every side (the inside of a border).
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
    /// Splits off the top `rows` rows: (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }
    /// Splits off the left `cols` columns: (left, rest).
    public func splitLeft(_ cols: Int) -> (Rect, Rect) {
        let c = min(max(cols, 0), width)
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }
}

public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Sets one cell; writes outside the buffer (or outside `clip`) are dropped. A two-column
    /// character takes this cell and the next (`Cell.wideTail`); where there is no next cell it
    /// becomes a space. Writing over half of a wide character blanks its other half.
    public mutating func set(_ x: Int, _ y: Int, _ character: Character, _ style: CellStyle, clip: Rect? = nil) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        if let c = clip, x < c.x || y < c.y || x >= c.maxX || y >= c.maxY { return }
        let ch = CellBuffer.printable(character)
        let wide = CellBuffer.displayWidth(ch) == 2
        let right = clip.map { min($0.maxX, width) } ?? width
        if wide && x + 1 >= right {
            cells[y * width + x] = Cell(character: " ", style: style)
            return
        }
        let i = y * width + x
        if cells[i].character == Cell.wideTail, x > 0 { cells[i - 1].character = " " }
        if x + 1 < width, cells[i + 1].character == Cell.wideTail, !wide { cells[i + 1].character = " " }
        cells[i] = Cell(character: ch, style: style)
        if wide {
            if x + 2 < width, cells[i + 2].character == Cell.wideTail { cells[i + 2].character = " " }
            cells[i + 1] = Cell(character: Cell.wideTail, style: style)
        }
    }

    public mutating func setStyle(_ x: Int, _ y: Int, _ style: CellStyle) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x].style = style
    }

    /// Writes `text` from (x, y), clipped to `width` columns (and the buffer); a two-column
    /// character that would straddle the limit is left out. Returns the column after the last
    /// character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, width limit: Int? = nil, style: CellStyle = .plain) -> Int {
        var col = x
        let end = min(limit.map { x + $0 } ?? width, width)
        for ch in text {
            let w = CellBuffer.displayWidth(CellBuffer.printable(ch))
            if col + w > end { break }
            set(col, y, ch, style)
            col += w
        }
        return col
    }

    public mutating func fill(_ rect: Rect, _ character: Character = " ", style: CellStyle = .plain) {
        for y in max(rect.y, 0) ..< min(rect.maxY, height) {
            for x in max(rect.x, 0) ..< min(rect.maxX, width) {
                cells[y * width + x] = Cell(character: character, style: style)
            }
        }
    }

    /// What a cell may hold: control characters become "?"; a letter with combining marks is
    /// composed (a decomposed "é" from a macOS folder name becomes one scalar) and keeps at
    /// most four marks (ncurses' limit per cell).
    static func printable(_ ch: Character) -> Character {
        if ch == Cell.wideTail { return "?" }
        let composed = String(ch).precomposedStringWithCanonicalMapping
        let scalars = Array(composed.unicodeScalars)
        guard let first = scalars.first else { return "?" }
        let v = first.value
        if v < 0x20 || (0x7f ..< 0xa0).contains(v) { return "?" }
        if scalars.count == 1 { return Character(first) }
        var kept = String.UnicodeScalarView()
        kept.append(first)
        for s in scalars.dropFirst().prefix(4) where s.properties.generalCategory == .nonspacingMark
            || s.properties.generalCategory == .enclosingMark || s.properties.generalCategory == .spacingMark {
            kept.append(s)
        }
        return Character(String(kept))
    }

    /// Columns a (printable) character takes in a terminal: 2 for East Asian wide and
    /// full-width characters and emoji, 1 otherwise (ranges as wcwidth's for Unicode 15).
    public static func displayWidth(_ ch: Character) -> Int {
        guard let v = ch.unicodeScalars.first?.value else { return 1 }
        if (0x1100 ... 0x115f).contains(v) || (0x2e80 ... 0x303e).contains(v) || (0x3041 ... 0x33ff).contains(v)
            || (0x3400 ... 0x4dbf).contains(v) || (0x4e00 ... 0x9fff).contains(v) || (0xa000 ... 0xa4cf).contains(v)
            || (0xac00 ... 0xd7a3).contains(v) || (0xf900 ... 0xfaff).contains(v) || (0xfe30 ... 0xfe4f).contains(v)
            || (0xff00 ... 0xff60).contains(v) || (0xffe0 ... 0xffe6).contains(v) || (0x1f300 ... 0x1f64f).contains(v)
            || (0x1f900 ... 0x1f9ff).contains(v) || (0x20000 ... 0x3fffd).contains(v) {
            return 2
        }
        return 1
    }

    /// Columns `text` takes in a terminal.
    public static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { $0 + displayWidth(printable($1)) }
    }

    /// Indices (y * width + x) of the cells that differ from `old`: every cell when there is
    /// no previous frame or its size differs. What the terminal must write.
    public func changedIndices(since old: CellBuffer?) -> [Int] {
        guard let old, old.width == width, old.height == height else { return Array(cells.indices) }
        return cells.indices.filter { cells[$0] != old.cells[$0] }
    }

    // MARK: - Text forms (snapshots, README captures)

    /// The characters, one line per row, trailing spaces kept so columns line up.
    public func text() -> String {
        var lines: [String] = []
        for y in 0 ..< height {
            // A wide character's right half is not a character: the line keeps its display width.
            lines.append(String((0 ..< width).map { cells[y * width + $0].character }.filter { $0 != Cell.wideTail }))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The styles, one line per row, as runs: `start+count fg/bg attrs`. Colours are `-` for the
    /// terminal default, `#rrggbb` or `@n` for palette entry n; attributes `b` bold, `r` reverse, `d` dim.
    public func styleText() -> String {
        var lines: [String] = []
        for y in 0 ..< height {
            var runs: [String] = []
            var x = 0
            while x < width {
                let style = cells[y * width + x].style
                var n = 1
                while x + n < width, cells[y * width + x + n].style == style { n += 1 }
                runs.append("\(x)+\(n) \(CellBuffer.describe(style))")
                x += n
            }
            lines.append(String(format: "%02d: ", y) + runs.joined(separator: "; "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ style: CellStyle) -> String {
        func c(_ color: CellColor) -> String {
            switch color {
            case .terminalDefault: return "-"
            case .indexed(let n): return "@\(n)"
            case let .rgb(r, g, b):
                let hex = [r, g, b].map { b in
                    let s = String(b, radix: 16)
                    return s.count == 1 ? "0" + s : s
                }.joined()
                return "#" + hex
            }
        }
        var a = ""
        if style.attributes.contains(.bold) { a += "b" }
        if style.attributes.contains(.reverse) { a += "r" }
        if style.attributes.contains(.dim) { a += "d" }
        return c(style.fg) + "/" + c(style.bg) + (a.isEmpty ? "" : " " + a)
    }
}
