/// The message line (what just happened) and the one-line key hint at the bottom.
public enum MessageLine {
    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        buf.fill(area, " ", style: .plain)
        guard let m = state.message else {
            buf.put(" ready: Enter plays the selected class", x: area.x, y: area.y, width: area.width, style: theme.dim)
            return
        }
        let style: CellStyle
        let mark: String
        switch m.kind {
        case .info: style = theme.value; mark = m.text.hasPrefix("playing") || m.text.hasPrefix("A/B: playing") ? String(glyphs.play) : "·"
        case .success: style = theme.good; mark = glyphs == .unicode ? "✓" : "+"
        case .error: style = theme.error; mark = "!"
        }
        let text = glyphs == .unicode ? m.text : m.text.replacingOccurrences(of: "·", with: "|")
        buf.put(" \(mark) " + fit(text, area.width - 4, glyphs), x: area.x, y: area.y, width: area.width, style: style)
    }
}

public enum HintLine {
    /// The keys that work now, in screen order. Once training is over there is nothing to pause
    /// or save: the line says what plays.
    static func keys(_ state: AppState, _ glyphs: Glyphs) -> [(key: String, what: String)] {
        let u = glyphs == .unicode
        var k: [(key: String, what: String)] = [(u ? "↑↓" : "jk", "class"), (u ? "⏎" : "Enter", "play"), ("a", "all"),
                                                ("r", "real clip"), ("b", "A/B"), ("n", "new voice")]
        if !state.listening { k += [("p", state.trainingState == .paused ? "resume" : "pause"), ("s", "snapshot")] }
        if !state.context.skippedFiles.isEmpty { k.append(("w", "skipped")) }
        k += [("?", "help"), ("q", "quit")]
        return k
    }

    /// Dropped first when the line is too narrow (q, play and help stay).
    static let optional = ["skipped", "new voice", "A/B", "snapshot", "all", "class", "real clip", "pause", "resume"]

    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        buf.fill(area, " ", style: .plain)
        var items = keys(state, glyphs)
        func width() -> Int { items.reduce(1) { $0 + CellBuffer.displayWidth($1.key) + $1.what.count + 3 } }
        for drop in optional where width() > area.width { items.removeAll { $0.what == drop } }
        var x = area.x + 1
        for (key, what) in items {
            if x + CellBuffer.displayWidth(key) + what.count + 1 > area.maxX { break }
            x = buf.put(key, x: x, y: area.y, style: theme.key)
            x = buf.put(" " + what, x: x, y: area.y, style: theme.dim)
            x += 2
        }
    }
}
