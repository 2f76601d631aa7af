import CNcursesW
import Foundation
import Support

/// The one type that talks to ncurses (and the only importer of CNcursesW). It turns a
/// `CellBuffer` into ncurses calls, writing only the cells that changed since the previous
/// frame, and reads keys. ncurses is not thread-safe: create, use and close it on one thread.
final class NcursesTerminal {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    let capabilities: DisplayCapabilities
    /// Whether colour numbers are 24-bit RGB values (a terminfo with direct colour, e.g.
    /// xterm-direct); otherwise RGB cells use the nearest xterm-256 entry.
    private let directColor: Bool
    private let colorCount: Int
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private var previous: CellBuffer?
    private var closed = false

    private struct PairKey: Hashable { var fg: Int32; var bg: Int32 }

    /// Sets the locale from the environment, starts curses on the controlling terminal and
    /// picks the colour mode. Throws when the terminal cannot be used (unknown TERM...).
    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET))).uppercased()
        let unicode = codeset == "UTF-8" || codeset == "UTF8"
        // newterm, unlike initscr, returns NULL instead of exiting when TERM is unusable.
        // Own FILE streams on fds 1 and 0 (Swift 6 rejects the C globals stdout/stdin).
        guard let out = fdopen(STDOUT_FILENO, "w"), let inp = fdopen(STDIN_FILENO, "r"),
              let s = newterm(nil, out, inp) else {
            throw UserError("cannot start the dashboard on this terminal (TERM=\(environment["TERM"] ?? "unset")); use --no-ui")
        }
        screen = s
        set_term(s)
        cgan_restore_terminal_on_exit()
        window = cgan_stdscr()
        raw()                 // Ctrl-C arrives as a key (3) and is handled like q
        noecho()
        keypad(window, true)
        nodelay(window, true) // the UI loop polls after the event channel says input is ready
        set_escdelay(25)
        curs_set(0)
        leaveok(window, true)
        var colors = 0
        if has_colors() {
            start_color()
            use_default_colors()
            colors = Int(cgan_colors())
        }
        colorCount = colors
        directColor = colors >= 1 << 24
        capabilities = DisplayCapabilities(colorMode: ColorMode.detect(environment: environment, terminalColors: colors),
                                           unicode: unicode)
    }

    deinit { close() }

    /// Restores the terminal. Safe to call more than once.
    func close() {
        guard !closed else { return }
        closed = true
        curs_set(1)
        endwin()
        // No delscreen: the exit and crash hooks may still call endwin/isendwin on this screen.
    }

    var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    /// Reads one key without waiting; nil when none is pending.
    func readKey() -> TerminalInput? {
        var wch: wint_t = 0
        let rc = wget_wch(window, &wch)
        if rc == ERR { return nil }
        if rc == KEY_CODE_YES {
            switch Int32(wch) {
            case KEY_RESIZE: return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_ENTER: return .key(.enter)
            default: return .key(.other)
            }
        }
        switch wch {
        case 3: return .key(.ctrlC)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        default:
            guard let scalar = Unicode.Scalar(UInt32(wch)) else { return .key(.other) }
            return .key(.char(Character(scalar)))
        }
    }

    /// Forgets what is on screen so the next `draw` repaints everything (after a resize).
    func invalidate() {
        previous = nil
        wclear(window)
    }

    /// Writes the cells that differ from the last frame, then refreshes once.
    func draw(_ buf: CellBuffer) {
        if let p = previous, p.width != buf.width || p.height != buf.height { invalidate() }
        let changed = buf.changedIndices(since: previous)
        for i in changed { put(buf.cells[i], x: i % buf.width, y: i / buf.width) }
        previous = buf
        if !changed.isEmpty { wrefresh(window) }
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        // The right half of a wide character: drawn with the character on its left.
        if cell.character == Cell.wideTail { return }
        var scalars = cell.character.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        if !capabilities.unicode && scalars[0] > 0x7e { scalars = [0x3f] }   // "?" : no UTF-8, no multibyte output
        var attrs = cgan_a_normal()
        if cell.style.attributes.contains(.bold) { attrs |= cgan_a_bold() }
        if cell.style.attributes.contains(.reverse) { attrs |= cgan_a_reverse() }
        if cell.style.attributes.contains(.dim) { attrs |= cgan_a_dim() }
        var pair = capabilities.colorMode == .monochrome ? 0 : pairNumber(fg: cell.style.fg, bg: cell.style.bg)
        var wide: [wchar_t] = scalars + [0]   // the character and its combining marks
        var cc = cchar_t()
        setcchar(&cc, &wide, attrs, 0, &pair)
        mvwadd_wch(window, Int32(y), Int32(x), &cc)
    }

    /// The colour pair for (fg, bg), created on first use. Pair 0 is the terminal default.
    private func pairNumber(fg: CellColor, bg: CellColor) -> Int32 {
        let key = PairKey(fg: colorNumber(fg), bg: colorNumber(bg))
        if key.fg == -1 && key.bg == -1 { return 0 }
        if let p = pairs[key] { return p }
        if nextPair >= cgan_color_pairs() {
            // Out of pairs (only on terminals with few): start over; the screen repaints.
            pairs.removeAll(); nextPair = 1; previous = nil
        }
        let p = nextPair
        nextPair += 1
        init_extended_pair(p, key.fg, key.bg)
        pairs[key] = p
        return p
    }

    private func colorNumber(_ c: CellColor) -> Int32 {
        switch c {
        case .terminalDefault: return -1
        case .indexed(let n): return Int(n) < colorCount ? Int32(n) : -1
        case let .rgb(r, g, b):
            if directColor { return Int32(r) << 16 | Int32(g) << 8 | Int32(b) }
            if colorCount >= 256 { return Int32(Palette256.nearest(r, g, b)) }
            return Int32(Palette256.nearestANSI(r, g, b))
        }
    }
}

/// What the terminal reads: a key, or a resize (ncurses' KEY_RESIZE).
enum TerminalInput: Equatable {
    case key(Key)
    case resize
}
