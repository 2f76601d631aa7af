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
    /// One output position, no padding: the kernel reads rows 0 ..< kernelH and columns
    /// 0 ..< kernelW of every input plane (all inside it), and the column matrix is a transpose.
    var coversWholeInput: Bool { outHeight == 1 && outWidth == 1 && padding == 0 }
}

public enum Im2Col {
    /// col[(c, ki, kj), (n, oh, ow)] = x[c, n, oh*s - p + ki, ow*s - p + kj] (0 outside), for the
    /// g.batch samples starting at `x`; channel c's first sample starts at x + c * channelStride
    /// (channelStride = N_total * H * W when x points into a larger batch). Single-threaded: the
    /// layers run one chunk of samples per worker.
    /// outRows: only these output rows of each sample (a column tile); col then has
    /// g.batch * outRows.count * outWidth columns.
    public static func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, channelStride: Int,
                              _ col: UnsafeMutablePointer<Float>, outRows: Range<Int>? = nil) {
        let oh = g.outHeight, ow = g.outWidth, kk = g.kernelH * g.kernelW
        let rows = outRows ?? 0 ..< oh, rc = rows.count
        let cols = g.batch * rc * ow, plane = g.height * g.width, s = g.stride, p = g.padding
        let h = g.height, w = g.width, n = g.batch
        if g.coversWholeInput {
            // col[(c, ki, kj), b] = x[c, b, ki, kj]: a transpose per channel. The general loop
            // below paid its per-row set-up for every single value here (the discriminator's last
            // layer: 65,536 rows x 16 samples, about 10 ms a call, on one worker).
            let kh = g.kernelH, kw = g.kernelW
            for c in 0 ..< g.channels {
                for b in 0 ..< n {
                    let src = x + c * channelStride + b * plane, dst = col + c * kk * n + b
                    for ki in 0 ..< kh {
                        for kj in 0 ..< kw { dst[(ki * kw + kj) * n] = src[ki * w + kj] }
                    }
                }
            }
            return
        }
        for r in 0 ..< g.colRows {
            let c = r / kk, ki = (r % kk) / g.kernelW, kj = r % g.kernelW
            let dst = col + r * cols
            // Output columns whose input column stays inside [0, w).
            let owLo = max(0, (p - kj + s - 1) / s), owHi = min(ow, (w - 1 + p - kj) / s + 1)
            for b in 0 ..< n {
                let src = x + c * channelStride + b * plane
                for y in rows {
                    let row = dst + (b * rc + y - rows.lowerBound) * ow
                    let iy = y * s - p + ki
                    if iy < 0 || iy >= h || owHi <= owLo {
                        row.update(repeating: 0, count: ow)
                        continue
                    }
                    let srow = src + iy * w
                    for xo in 0 ..< owLo { row[xo] = 0 }
                    if s == 1 {
                        (row + owLo).update(from: srow + (owLo - p + kj), count: owHi - owLo)
                    } else if s == 2 {
                        gatherEven(srow + (owLo * 2 - p + kj), row + owLo, count: owHi - owLo)
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
    /// zeroFirst: clear each channel's planes just before its taps land (cache-hot), for a plain scatter.
    /// outRows: the column tile holds only these output rows of each sample (zeroFirst must then
    /// be false: neighbouring tiles write into the same input rows).
    public static func col2im(_ g: ConvGeometry, _ col: UnsafePointer<Float>,
                              _ x: UnsafeMutablePointer<Float>, channelStride: Int, zeroFirst: Bool = false,
                              outRows: Range<Int>? = nil) {
        let oh = g.outHeight, ow = g.outWidth, kk = g.kernelH * g.kernelW
        let rows = outRows ?? 0 ..< oh, rc = rows.count
        precondition(!zeroFirst || rc == oh, "col2im: zeroFirst needs whole samples")
        let cols = g.batch * rc * ow, plane = g.height * g.width, s = g.stride, p = g.padding
        let h = g.height, w = g.width, n = g.batch
        if g.coversWholeInput {
            // x[c, b, ki, kj] += col[(c, ki, kj), b], as in im2col's transpose.
            let kh = g.kernelH, kw = g.kernelW
            for c in 0 ..< g.channels {
                if zeroFirst { (x + c * channelStride).update(repeating: 0, count: n * plane) }
                for b in 0 ..< n {
                    let dst = x + c * channelStride + b * plane, src = col + c * kk * n + b
                    for ki in 0 ..< kh {
                        for kj in 0 ..< kw { dst[ki * w + kj] += src[(ki * kw + kj) * n] }
                    }
                }
            }
            return
        }
        for r in 0 ..< g.colRows {
            let c = r / kk, ki = (r % kk) / g.kernelW, kj = r % g.kernelW
            if zeroFirst && r % kk == 0 { (x + c * channelStride).update(repeating: 0, count: n * plane) }
            let src = col + r * cols
            let owLo = max(0, (p - kj + s - 1) / s), owHi = min(ow, (w - 1 + p - kj) / s + 1)
            if owHi <= owLo { continue }
            for b in 0 ..< n {
                let dst = x + c * channelStride + b * plane
                for y in rows {
                    let iy = y * s - p + ki
                    if iy < 0 || iy >= h { continue }
                    let row = src + (b * rc + y - rows.lowerBound) * ow
                    let drow = dst + iy * w
                    var ix = owLo * s - p + kj
                    if s == 1 {
                        for xo in owLo ..< owHi { drow[ix] += row[xo]; ix += 1 }
                    } else if s == 2 {
                        scatterAddEven(row + owLo, drow + ix, count: owHi - owLo)
                    } else {
                        for xo in owLo ..< owHi { drow[ix] += row[xo]; ix += s }
                    }
                }
            }
        }
    }

    /// dst[i] = src[2 i] for i < count (the stride-2 gather, 8 lanes at a time).
    @inline(__always)
    static func gatherEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        // src[2i ... 2i+15] must exist: the last full vector reads up to 2(i+7)+1.
        while i + 8 <= count - 1 {
            let v = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { dst[i] = src[2 * i]; i += 1 }
    }

    /// dst[2 i] += src[i] for i < count (the stride-2 scatter of col2im).
    @inline(__always)
    static func scatterAddEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count - 1 {
            let add = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            var v = UnsafeRawPointer(dst + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            v.evenHalf += add
            UnsafeMutableRawPointer(dst + 2 * i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 8
        }
        while i < count { dst[2 * i] += src[i]; i += 1 }
    }

    /// Column tiles of one chunk (g.batch samples): body(first sample, samples, output rows).
    /// Each tile's column matrix holds about `maxColumns` columns (whole output rows, whole samples
    /// when they fit), so im2col writes it into cache and the gemm reads it from there; sgemm is
    /// also faster on these narrower operands. The tiling depends only on the shapes.
    public static func forEachTile(_ g: ConvGeometry, maxColumns: Int, _ body: (Int, Int, Range<Int>) -> Void) {
        let oh = g.outHeight, ow = g.outWidth, l = oh * ow
        if g.batch * l <= maxColumns {
            body(0, g.batch, 0 ..< oh)
        } else if l <= maxColumns {
            let per = maxColumns / l
            for b in stride(from: 0, to: g.batch, by: per) { body(b, min(per, g.batch - b), 0 ..< oh) }
        } else {
            let rows = max(1, maxColumns / ow)
            for b in 0 ..< g.batch {
                for y in stride(from: 0, to: oh, by: rows) { body(b, 1, y ..< min(oh, y + rows)) }
            }
        }
    }

    /// The most columns a tile of forEachTile holds.
    public static func tileColumns(_ g: ConvGeometry, maxColumns: Int) -> Int {
        let oh = g.outHeight, ow = g.outWidth, l = oh * ow
        if g.batch * l <= maxColumns { return g.batch * l }
        if l <= maxColumns { return maxColumns / l * l }
        return min(oh, max(1, maxColumns / ow)) * ow
    }

    /// Columns per tile so a tile's column matrix is about 1 MB (the L2 cache of one core here), but
    /// at least 256 (narrower gemm operands lose more in packing than they gain in cache).
    public static func tileColumnTarget(colRows: Int) -> Int { max(256, (1 << 18) / max(1, colRows)) }

    /// Samples per chunk so one chunk's column matrix would be about 1 MB (the chunks are what free
    /// workers take in turn; each runs in tiles of `tileColumnTarget`). The seed model's first and
    /// last layers get one sample per chunk: with 4 MB, chunks of 2 and 4 samples (8 and 4 per call)
    /// left one worker waiting 3.0-4.2 ms a step for the other, with 1 MB 1.5-1.9 ms.
    public static func chunkSamples(colRows: Int, columnsPerSample: Int, batch: Int) -> Int {
        max(1, min(batch, (1 << 18) / max(1, colRows * columnsPerSample)))
    }
}

/// Per-channel sums of a (C, M) block in double, added into `into` (bias gradients): the C sums
/// kernel (8 double lanes, in element order; the same bits on every path). As a Swift loop of 4
/// scalar double sums it took 0.6% of a training run's CPU time.
public func addChannelSums(_ x: UnsafePointer<Float>, channels: Int, count m: Int, into: UnsafeMutablePointer<Float>,
                           settings: ComputeSettings) {
    let workers = m >= 4096 ? settings.threads : 1
    Parallel.forEachDynamic(channels, workers: workers) { _, c in
        into[c] += Float(ElementwiseKernels.sums(x + c * m, count: m, isa: settings.isa).sum)
    }
}

/// Fills each channel's block of a (C, M) buffer with its bias.
public func fillChannels(_ y: UnsafeMutablePointer<Float>, channels: Int, count m: Int, values: UnsafePointer<Float>,
                         workers: Int) {
    Parallel.forEach(channels, workers: workers, minimumWork: m >= 4096 ? 2 : Int.max) { c in
        (y + c * m).update(repeating: values[c], count: m)
    }
}
