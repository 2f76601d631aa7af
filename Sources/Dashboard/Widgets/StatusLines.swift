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
        case .info: style = theme.value; mark = m.text.hasPrefix("playing") ? String(glyphs.play) : "·"
        case .success: style = theme.good; mark = glyphs == .unicode ? "✓" : "+"
        case .error: style = theme.error; mark = "!"
        }
        let text = glyphs == .unicode ? m.text : m.text.replacingOccurrences(of: "·", with: "|")
        buf.put(" \(mark) " + fit(text, area.width - 4, glyphs), x: area.x, y: area.y, width: area.width, style: style)
    }
}

public enum HintLine {
    static func keys(_ glyphs: Glyphs) -> [(key: String, what: String)] {
        let u = glyphs == .unicode
        return [(u ? "↑↓" : "jk", "class"), (u ? "⏎" : "Enter", "play"), ("a", "all"), ("n", "new voice"),
                ("p", "pause"), ("s", "save"), ("?", "help"), ("q", "quit")]
    }

    public static func render(area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        buf.fill(area, " ", style: .plain)
        var x = area.x + 1
        for (key, what) in keys(glyphs) {
            if x + key.count + what.count + 1 > area.maxX { break }
            x = buf.put(key, x: x, y: area.y, style: theme.key)
            x = buf.put(" " + what, x: x, y: area.y, style: theme.dim)
            x += 2
        }
    }
}
