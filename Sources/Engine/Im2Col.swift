/// Geometry of a convolution over activations stored channel-major, (C, N, H, W): the layout
/// the engine uses everywhere so that one gemm covers the whole batch and its result is
/// already the next layer's input.
public struct ConvGeometry: Sendable, Hashable {
    public var channels: Int, batch: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int, stride: Int, padding: Int

    public init(channels: Int, batch: Int, height: Int, width: Int,
                kernelH: Int, kernelW: Int, stride: Int, padding: Int) {
        self.channels = channels; self.batch = batch; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Rows of the column matrix: C * kh * kw.
    public var colRows: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: N * outH * outW.
    public var colCols: Int { batch * outHeight * outWidth }
    public var inputCount: Int { channels * batch * height * width }
}

public enum Im2Col {
    /// col[(c, ki, kj), (n, oh, ow)] = x[c, n, oh*s - p + ki, ow*s - p + kj] (0 outside).
    public static func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth, kk = g.kernelH * g.kernelW
        let cols = g.colCols, plane = g.height * g.width, s = g.stride, p = g.padding
        let h = g.height, w = g.width, n = g.batch
        Parallel.forEach(g.colRows, minimumWork: 2) { r in
            let c = r / kk, ki = (r % kk) / g.kernelW, kj = r % g.kernelW
            let dst = col + r * cols
            // Output columns whose input column stays inside [0, w).
            let owLo = max(0, (p - kj + s - 1) / s), owHi = min(ow, (w - 1 + p - kj) / s + 1)
            for b in 0 ..< n {
                let src = x + (c * n + b) * plane
                for y in 0 ..< oh {
                    let row = dst + (b * oh + y) * ow
                    let iy = y * s - p + ki
                    if iy < 0 || iy >= h || owHi <= owLo {
                        row.update(repeating: 0, count: ow)
                        continue
                    }
                    let srow = src + iy * w
                    for xo in 0 ..< owLo { row[xo] = 0 }
                    if s == 1 {
                        (row + owLo).update(from: srow + (owLo - p + kj), count: owHi - owLo)
                    } else {
                        var ix = owLo * s - p + kj
                        for xo in owLo ..< owHi { row[xo] = srow[ix]; ix += s }
                    }
                    for xo in owHi ..< ow { row[xo] = 0 }
                }
            }
        }
    }

    /// The adjoint of im2col: x[c, n, iy, ix] += col[(c, ki, kj), (n, oh, ow)].
    /// Zero x first for a plain scatter.
    public static func col2im(_ g: ConvGeometry, _ col: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth, kk = g.kernelH * g.kernelW
        let cols = g.colCols, plane = g.height * g.width, s = g.stride, p = g.padding
        let h = g.height, w = g.width, n = g.batch
        // Each channel's plane only receives its own rows: channels are independent.
        Parallel.forEach(g.channels) { c in
            for r in c * kk ..< (c + 1) * kk {
                let ki = (r % kk) / g.kernelW, kj = r % g.kernelW
                let src = col + r * cols
                let owLo = max(0, (p - kj + s - 1) / s), owHi = min(ow, (w - 1 + p - kj) / s + 1)
                if owHi <= owLo { continue }
                for b in 0 ..< n {
                    let dst = x + (c * n + b) * plane
                    for y in 0 ..< oh {
                        let iy = y * s - p + ki
                        if iy < 0 || iy >= h { continue }
                        let row = src + (b * oh + y) * ow
                        let drow = dst + iy * w
                        var ix = owLo * s - p + kj
                        for xo in owLo ..< owHi { drow[ix] += row[xo]; ix += s }
                    }
                }
            }
        }
    }
}
