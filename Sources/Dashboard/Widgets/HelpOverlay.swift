/// The `?` overlay: every key, centred over the dashboard.
public enum HelpOverlay {
    static func lines(_ glyphs: Glyphs) -> [(key: String, what: String)] {
        let u = glyphs == .unicode
        return [
            (u ? "↑ ↓  k j" : "Up Down  k j", "select a class"),
            ("1-9", "select class 1-9"),
            (u ? "Enter ␣" : "Enter Space", "synthesize and play the selected class"),
            ("a", "audition every class in turn"),
            ("r", "play a real clip of the class (next one each press)"),
            ("b", "A/B: real, then generated, 3 rounds (b stops)"),
            ("n", "new random voice (else fixed, to compare)"),
            ("p", "pause / resume training"),
            ("s", "keep a snapshot: checkpoints/epoch_NNN, never removed"),
            ("w", "list the files skipped when reading the dataset"),
            ("?", "this help"),
            ("q  Ctrl-C", "save a checkpoint and quit"),
        ]
    }

    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        // Once training is over there is nothing to pause or save.
        let items = lines(glyphs).filter { !state.listening || !["p", "s"].contains($0.key) }
        let keyWidth = items.map(\.key.count).max()! + 2
        let textWidth = items.map(\.what.count).max()!
        let after = state.context.listenOnly ? "Plays \(state.context.generatorSource ?? "the checkpoint"); no training."
            : "After the last epoch it stays a player of the final generator."
        let notes = ["Heatmap: latest sample of the selected class,",
                     "low frequencies at the bottom, time left to right.", after]
        let width = min(area.width, max(keyWidth + textWidth, notes.map(\.count).max()!) + 4)
        let height = min(area.height, items.count + notes.count + 5)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        let inner = Panel.render(title: "Keys", caption: "any key closes", area: box, theme: theme, glyphs: glyphs, into: &buf)
        guard inner.width > 0 else { return }
        var y = inner.y + 1
        for (key, what) in items where y < inner.maxY {
            buf.put(key, x: inner.x + 1, y: y, width: inner.width - 1, style: theme.key)
            buf.put(what, x: inner.x + 1 + keyWidth, y: y, width: inner.maxX - inner.x - 1 - keyWidth, style: theme.plain)
            y += 1
        }
        y += 1
        for note in notes where y < inner.maxY {
            buf.put(note, x: inner.x + 1, y: y, width: inner.width - 1, style: theme.dim)
            y += 1
        }
    }
}

/// Below 80 x 24 the dashboard does not fit: say so instead of drawing a broken screen.
public enum TooSmallScreen {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static func render(area: Rect, theme: Theme, into buf: inout CellBuffer) {
        buf.fill(area, " ", style: .plain)
        let lines: [(String, CellStyle)] = [
            ("terminal too small", theme.error),
            ("\(area.width)x\(area.height), needs at least \(minimumWidth)x\(minimumHeight)", theme.value),
            ("enlarge the window; training goes on", theme.dim),
            ("q saves and quits", theme.dim),
        ]
        let top = area.y + max(0, (area.height - lines.count) / 2)
        for (i, (text, style)) in lines.enumerated() where top + i < area.maxY {
            let x = area.x + max(0, (area.width - text.count) / 2)
            buf.put(text, x: x, y: top + i, width: area.maxX - x, style: style)
        }
    }
}
