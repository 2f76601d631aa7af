import Foundation
import Support

/// Heatmaps of log-mel spectrograms: viridis, one pixel per (frame, band), low frequencies at
/// the bottom, colour scale from 0 to the image's largest value (log1p power is >= 0).
public enum SpectrogramPNG {
    public static func write(logMel: [Float], nMels: Int, frames: Int, to url: URL) throws {
        try check(logMel, nMels: nMels, frames: frames)
        var pixels = [UInt8](repeating: 0, count: nMels * frames * 3)
        draw(logMel, nMels: nMels, frames: frames, scale: colourScale([logMel]),
             into: &pixels, stride: frames, x0: 0, y0: 0)
        try PNGWriter.writeRGB(pixels, width: frames, height: nMels, to: url)
    }

    /// Panels side by side in rows of up to four, each under its title (5 x 7 font, doubled
    /// when every title fits the panel width that way), all on one shared colour scale so
    /// panels can be compared. Short spectrograms (the demo's 64 frames) are magnified by a
    /// whole factor until the longest title fits above its panel, so titles are never cut.
    public static func writeGrid(panels: [(title: String, logMel: [Float])], nMels: Int, frames: Int, to url: URL) throws {
        guard !panels.isEmpty else { throw UserError("cannot write \(url.path): no panels") }
        let panels = panels.map { (title: BitmapFont.drawable($0.title), logMel: $0.logMel) }
        for p in panels { try check(p.logMel, nMels: nMels, frames: frames) }
        let columns = min(4, panels.count)
        let rows = (panels.count + columns - 1) / columns
        let gap = 8
        let longestTitle = panels.map { BitmapFont.textWidth($0.title) }.max() ?? 0
        let zoom = min(8, max(1, (longestTitle + frames - 1) / frames))
        let panelW = frames * zoom, panelH = nMels * zoom
        let fontScale = longestTitle * 2 <= panelW ? 2 : 1
        let titleHeight = BitmapFont.height * fontScale + 2 * 4
        let cellW = panelW + gap, cellH = titleHeight + panelH + gap
        let width = columns * cellW + gap, height = rows * cellH + gap
        var pixels = [UInt8](repeating: 24, count: width * height * 3)   // dark grey background
        let scale = colourScale(panels.map(\.logMel))
        for (i, panel) in panels.enumerated() {
            let x0 = gap + (i % columns) * cellW
            let y0 = gap + (i / columns) * cellH
            drawText(panel.title, maxWidth: panelW, scale: fontScale, into: &pixels, stride: width, x0: x0, y0: y0 + 4)
            draw(panel.logMel, nMels: nMels, frames: frames, scale: scale, zoom: zoom,
                 into: &pixels, stride: width, x0: x0, y0: y0 + titleHeight)
        }
        try PNGWriter.writeRGB(pixels, width: width, height: height, to: url)
    }

    private static func check(_ logMel: [Float], nMels: Int, frames: Int) throws {
        guard nMels > 0, frames > 0, logMel.count == nMels * frames else {
            throw UserError("spectrogram has \(logMel.count) values, expected \(nMels) x \(frames)")
        }
    }

    /// 1 / (largest finite value), or 0 for an all-zero (or all-NaN) set.
    private static func colourScale(_ arrays: [[Float]]) -> Float {
        var top: Float = 0
        for a in arrays { for v in a where v.isFinite { top = max(top, v) } }
        return top > 0 ? 1 / top : 0
    }

    /// Each (frame, band) becomes a zoom x zoom block of pixels.
    private static func draw(_ logMel: [Float], nMels: Int, frames: Int, scale: Float, zoom: Int = 1,
                             into pixels: inout [UInt8], stride: Int, x0: Int, y0: Int) {
        for m in 0 ..< nMels {
            let top = y0 + (nMels - 1 - m) * zoom    // band 0 (lowest) on the bottom rows
            for t in 0 ..< frames {
                let c = Viridis.rgb(logMel[m * frames + t] * scale)
                for y in top ..< top + zoom {
                    for x in x0 + t * zoom ..< x0 + (t + 1) * zoom {
                        let o = (y * stride + x) * 3
                        pixels[o] = c.r; pixels[o + 1] = c.g; pixels[o + 2] = c.b
                    }
                }
            }
        }
    }

    private static func drawText(_ text: String, maxWidth: Int, scale: Int,
                                 into pixels: inout [UInt8], stride: Int, x0: Int, y0: Int) {
        var x = x0
        for ch in text {
            if x + BitmapFont.width * scale > x0 + maxWidth { break }
            for gy in 0 ..< BitmapFont.height {
                for gx in 0 ..< BitmapFont.width where BitmapFont.pixel(ch, gx, gy) {
                    for sy in 0 ..< scale {
                        for sx in 0 ..< scale {
                            let o = ((y0 + gy * scale + sy) * stride + x + gx * scale + sx) * 3
                            pixels[o] = 235; pixels[o + 1] = 235; pixels[o + 2] = 235
                        }
                    }
                }
            }
            x += BitmapFont.advance * scale
        }
    }
}
