/// The `w` overlay: the files skipped while reading the dataset (printed before the dashboard
/// opened, so otherwise unseen until quitting), one per line with the reason.
public enum SkippedOverlay {
    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        let files = state.context.skippedFiles
        let width = min(area.width, max(40, (files.map { CellBuffer.displayWidth($0) }.max() ?? 0) + 4))
        let height = min(area.height, files.count + 4)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        let title = "Skipped files: \(files.count)"
        let inner = Panel.render(title: title, caption: "any key closes", area: box, theme: theme, glyphs: glyphs, into: &buf)
        guard inner.width > 2, inner.height > 2 else { return }
        let rows = inner.height - 2
        for (i, line) in files.prefix(rows).enumerated() {
            let text = i == rows - 1 && files.count > rows ? "... and \(files.count - rows + 1) more" : line
            buf.put(fit(text, inner.width - 2, glyphs), x: inner.x + 1, y: inner.y + 1 + i, style: theme.plain)
        }
    }
}
