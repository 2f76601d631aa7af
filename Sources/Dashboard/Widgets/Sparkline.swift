/// A sparkline of `rows` rows: each column is one value, drawn with the eight block heights
/// `▁▂▃▄▅▆▇█` (or ASCII) stacked over the rows. Values are scaled between the series' own
/// min and max so the shape stays visible whatever the loss range (or within a fixed `range`,
/// for a score whose scale means something); the lowest value still shows one eighth so the
/// line never disappears.
public enum Sparkline {
    public static func render(_ values: [Float], area: Rect, style: CellStyle, glyphs: Glyphs,
                              range: ClosedRange<Float>? = nil, into buf: inout CellBuffer) {
        guard !area.isEmpty, !values.isEmpty else { return }
        let series = LossHistory.resample(values, to: area.width)
        let lo = range?.lowerBound ?? series.min()!, hi = range?.upperBound ?? series.max()!
        let levels = area.height * 8
        for (i, v) in series.enumerated() {
            // Level 1...levels; a flat series sits in the middle.
            let t: Float = hi > lo ? min(1, max(0, (v - lo) / (hi - lo))) : 0.5
            let level = 1 + Int((t * Float(levels - 1)).rounded())
            for r in 0 ..< area.height {
                // Row r counted from the bottom holds levels r*8+1 ... r*8+8.
                let inRow = min(8, max(0, level - r * 8))
                guard inRow > 0 else { continue }
                buf.set(area.x + i, area.maxY - 1 - r, glyphs.sparkline[inRow], style)
            }
        }
    }
}
