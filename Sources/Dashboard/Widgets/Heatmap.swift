import GAN
import Support

/// A log-mel spectrogram scaled to the area: low frequencies at the bottom, time left to
/// right. With Unicode each cell shows two pixels stacked (`▀`, foreground = upper pixel,
/// background = lower pixel) in viridis; without colour it becomes the shading ramp
/// ` ░▒▓█` (one level per cell, the mean of its two pixels).
public enum Heatmap {
    public static func render(_ spec: GeneratedSpectrogram, area: Rect, capabilities caps: DisplayCapabilities,
                              into buf: inout CellBuffer) {
        guard !area.isEmpty, spec.nMels > 0, spec.frames > 0, spec.logMel.count == spec.nMels * spec.frames else { return }
        let glyphs = caps.glyphs
        let colour = caps.colorMode.hasRGB
        let twoPixels = glyphs.upperHalf != nil && colour
        let pixels = pixelGrid(spec, columns: area.width, rows: twoPixels ? area.height * 2 : area.height)
        for cy in 0 ..< area.height {
            for cx in 0 ..< area.width {
                let x = area.x + cx, y = area.y + cy
                if twoPixels {
                    let top = pixels[(2 * cy) * area.width + cx], bottom = pixels[(2 * cy + 1) * area.width + cx]
                    buf.set(x, y, glyphs.upperHalf!, CellStyle(fg: viridis(top), bg: viridis(bottom)))
                } else if colour {
                    buf.set(x, y, " ", CellStyle(bg: viridis(pixels[cy * area.width + cx])))
                } else {
                    let v = pixels[cy * area.width + cx]
                    let i = min(glyphs.ramp.count - 1, Int(v * Float(glyphs.ramp.count)))
                    buf.set(x, y, glyphs.ramp[i], .plain)
                }
            }
        }
    }

    static func viridis(_ t: Float) -> CellColor {
        let c = Viridis.rgb(t)
        return .rgb(c.r, c.g, c.b)
    }

    /// The spectrogram resampled to `rows` x `columns` values in 0...1, row 0 at the top
    /// (highest band). Each pixel is the mean of the source cells it covers (area averaging
    /// when shrinking, nearest cell when enlarging); values are scaled by the image's own
    /// min and max.
    public static func pixelGrid(_ spec: GeneratedSpectrogram, columns: Int, rows: Int) -> [Float] {
        guard columns > 0, rows > 0 else { return [] }
        var lo = Float.infinity, hi = -Float.infinity
        for v in spec.logMel where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        let span = hi > lo ? hi - lo : 1
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0 ..< rows {
            let fromBottom = rows - 1 - r
            let m0 = fromBottom * spec.nMels / rows
            let m1 = max(m0 + 1, (fromBottom + 1) * spec.nMels / rows)
            for c in 0 ..< columns {
                let f0 = c * spec.frames / columns
                let f1 = max(f0 + 1, (c + 1) * spec.frames / columns)
                var s: Float = 0
                var n = 0
                for m in m0 ..< m1 {
                    let row = m * spec.frames
                    for f in f0 ..< f1 {
                        let v = spec.logMel[row + f]
                        if v.isFinite { s += v; n += 1 }
                    }
                }
                out[r * columns + c] = n > 0 && hi >= lo ? (s / Float(n) - lo) / span : 0
            }
        }
        return out
    }
}
