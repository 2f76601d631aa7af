import Foundation
import Support

/// D and G losses: for each, a label line with the current value and the run's min/max, then
/// a sparkline of the whole run (down-sampled, never truncated). The last row is the fidelity
/// of each epoch's generated samples (0-1 scale) beside the latest value and its ceiling.
public enum LossPanel {
    /// Rows the panel's inside needs for sparklines of `sparkRows` rows.
    public static func innerHeight(sparkRows: Int) -> Int { 2 * (1 + sparkRows) + 1 }

    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        let caption = state.lossD.count > 0 ? counted(state.lossD.count, "step") : nil
        let inner = Panel.render(title: "Losses", caption: caption, area: area, theme: theme, glyphs: glyphs, into: &buf)
        guard inner.height >= 3, inner.width >= 8 else { return }
        let sparkRows = max(1, (inner.height - 1) / 2 - 1)
        let (losses, fidelityRow) = inner.splitTop(inner.height - 1)
        let (top, rest) = losses.splitTop(losses.height / 2)
        series("D", state.lossD, area: top, style: theme.lossD, sparkRows: sparkRows, theme: theme, glyphs: glyphs, into: &buf)
        series("G", state.lossG, area: rest, style: theme.lossG, sparkRows: sparkRows, theme: theme, glyphs: glyphs, into: &buf)
        fidelity(state, area: fidelityRow, theme: theme, glyphs: glyphs, into: &buf)
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

    /// `F 0.85/0.94 ▂▃▅▆▇▇`: the latest fidelity, its ceiling, and one column per epoch.
    static func fidelity(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        var x = buf.put("F ", x: area.x, y: area.y, width: area.width, style: CellStyle(fg: theme.good.fg, attributes: [.bold]))
        guard let q = state.quality else {
            buf.put("fidelity after the first epoch", x: x, y: area.y, width: area.maxX - x, style: theme.dim)
            return
        }
        x = buf.put(String(format: "%.2f", q.fidelity), x: x, y: area.y, width: area.maxX - x, style: theme.value)
        x = buf.put("/" + (q.ceiling.map { String(format: "%.2f", $0) } ?? "-") + " ", x: x, y: area.y,
                    width: area.maxX - x, style: theme.label)
        Sparkline.render(state.fidelity.series, area: Rect(x: x, y: area.y, width: area.maxX - x, height: 1),
                         style: theme.good, glyphs: glyphs, range: 0 ... 1, into: &buf)
    }
}
