import Foundation

/// D and G losses: for each, a label line with the current value and the run's min/max, then
/// a sparkline of the whole run (down-sampled, never truncated).
public enum LossPanel {
    /// Rows the panel's inside needs for sparklines of `sparkRows` rows.
    public static func innerHeight(sparkRows: Int) -> Int { 2 * (1 + sparkRows) }

    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        let caption = state.lossD.count > 0 ? "\(state.lossD.count) steps" : nil
        let inner = Panel.render(title: "Losses", caption: caption, area: area, theme: theme, glyphs: glyphs, into: &buf)
        guard inner.height >= 2, inner.width >= 8 else { return }
        let sparkRows = max(1, inner.height / 2 - 1)
        let (top, rest) = inner.splitTop(inner.height / 2)
        series("D", state.lossD, area: top, style: theme.lossD, sparkRows: sparkRows, theme: theme, glyphs: glyphs, into: &buf)
        series("G", state.lossG, area: rest, style: theme.lossG, sparkRows: sparkRows, theme: theme, glyphs: glyphs, into: &buf)
    }

    static func series(_ name: String, _ h: LossHistory, area: Rect, style: CellStyle, sparkRows: Int,
                       theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        var x = buf.put("\(name) ", x: area.x, y: area.y, width: area.width, style: CellStyle(fg: style.fg, attributes: [.bold]))
        x = buf.put(Format.loss(h.latest), x: x, y: area.y, width: area.maxX - x, style: theme.value)
        let range = "  min \(Format.loss(h.minimum))  max \(Format.loss(h.maximum))"
        buf.put(range, x: x, y: area.y, width: area.maxX - x, style: theme.label)
        let spark = Rect(x: area.x, y: area.y + 1, width: area.width, height: min(sparkRows, area.height - 1))
        if h.count == 0 {
            buf.put("waiting for the first step", x: spark.x, y: spark.y, width: spark.width, style: theme.dim)
        } else {
            Sparkline.render(h.series, area: spark, style: style, glyphs: glyphs, into: &buf)
        }
    }
}
