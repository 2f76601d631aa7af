import Foundation
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

    /// Width of the frequency axis left of the image ("11k ", "500 ").
    static let axisWidth = 5

    /// The heatmap with a frequency axis on the left (Hz at a few mel rows, from `bandHz`,
    /// the centre of each row) and a colour scale on the bottom row ("low 0.00 ▀▀▀ 3.21 high",
    /// the image's own range in log1p units). Without `bandHz`, or in a small area, the
    /// image alone.
    public static func renderWithAxes(_ spec: GeneratedSpectrogram, area: Rect, bandHz: [Float],
                                      capabilities caps: DisplayCapabilities, theme: Theme, into buf: inout CellBuffer) {
        guard bandHz.count == spec.nMels, area.width >= 30, area.height >= 6 else {
            return render(spec, area: area, capabilities: caps, into: &buf)
        }
        let (axis, rest) = area.splitLeft(axisWidth)
        let (image, scale) = rest.splitTop(rest.height - 1)
        render(spec, area: image, capabilities: caps, into: &buf)
        // Labels at the top, the bottom and three rows between; each names the band at the row's middle.
        let rows = image.height
        for i in 0 ... 4 {
            let cy = (rows - 1) * i / 4
            let fromBottom = Double(rows - 1 - cy) + 0.5
            let band = min(spec.nMels - 1, Int(fromBottom * Double(spec.nMels) / Double(rows)))
            buf.put(hz(bandHz[band]), x: axis.x, y: image.y + cy, width: axisWidth - 1, style: theme.label)
        }
        buf.put("Hz", x: axis.x, y: scale.y, width: axisWidth - 1, style: theme.label)
        colourScale(spec, area: scale, caps: caps, theme: theme, into: &buf)
    }

    /// "low 0.00 " + a ramp from the lowest to the highest colour + " 3.21 high".
    static func colourScale(_ spec: GeneratedSpectrogram, area: Rect, caps: DisplayCapabilities, theme: Theme,
                            into buf: inout CellBuffer) {
        let finite = spec.logMel.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        let left = String(format: "low %.2f ", lo), right = String(format: " %.2f high", hi)
        let barWidth = min(32, area.width - left.count - right.count)
        guard barWidth >= 4 else { return }
        var x = buf.put(left, x: area.x, y: area.y, style: theme.label)
        let glyphs = caps.glyphs
        for i in 0 ..< barWidth {
            let t = Float(i) / Float(barWidth - 1)
            if caps.colorMode.hasRGB {
                buf.set(x, area.y, " ", CellStyle(bg: viridis(t)))
            } else {
                buf.set(x, area.y, glyphs.ramp[min(glyphs.ramp.count - 1, Int(t * Float(glyphs.ramp.count)))], .plain)
            }
            x += 1
        }
        buf.put(right, x: x, y: area.y, style: theme.label)
    }

    /// 86 -> "86", 1480 -> "1.5k", 11025 -> "11k".
    static func hz(_ f: Float) -> String {
        if f < 1000 { return String(format: "%.0f", f) }
        if f < 10000 { return String(format: "%.1fk", f / 1000) }
        return String(format: "%.0fk", f / 1000)
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
