import BLAS
import Support

/// ConvTranspose2d over (C, N, H, W) activations, PyTorch weight layout [in, out, kh, kw].
/// It is the adjoint of a Conv2d whose input is this layer's output:
/// forward col[out*kh*kw, Lin] = W^T . x, y = col2im(col) + b;
/// backward dcol = im2col(dy), dx = W . dcol, dW += x . dcol^T. Chunks of samples per worker.
public final class ConvTranspose2d {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter
    let store: ParameterStore
    let scratch: WorkerBuffers
    /// Per-worker weight-gradient partial sums (shareable between layers like `scratch`).
    public var partialGrads = WorkerBuffers()
    public let output = FloatBuffer()
    /// Where backward writes the input gradient; a model may point several layers at shared
    /// buffers when their gradients are never alive at the same time.
    public var dInput = FloatBuffer()
    /// Caps the samples per chunk (tests use it to exercise several chunks and workers).
    public var maxChunkSamples = Int.max
    var savedInput: FloatBuffer?
    /// Geometry of the adjoint convolution (its input is our output).
    var geometry: ConvGeometry?
    /// Workers, convolution algorithm (Winograd where it applies, else im2col + sgemm) and kernel ISA.
    public let settings: ComputeSettings

    public init(_ store: ParameterStore, name: String, inChannels: Int, outChannels: Int,
                kernel: Int, stride: Int, padding: Int, scratch: WorkerBuffers = WorkerBuffers(),
                settings: ComputeSettings = .standard) {
        self.settings = settings
        self.store = store; self.scratch = scratch
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        weight = store.add("\(name).weight", shape: [inChannels, outChannels, kernel, kernel])
        bias = store.add("\(name).bias", shape: [outChannels])
    }

    public func initialize(rng: inout SplitMix64) {
        // PyTorch's fan_in for this weight is weight.size(1) * kh * kw = out * k * k.
        let b = Initialization.bound(fanIn: outChannels * kernel * kernel)
        Initialization.uniform(store.value(weight), count: weight.count, bound: b, rng: &rng)
        Initialization.uniform(store.value(bias), count: bias.count, bound: b, rng: &rng)
    }

    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        ((height - 1) * stride - 2 * padding + kernel, (width - 1) * stride - 2 * padding + kernel)
    }

    public func geometry(batch: Int, height: Int, width: Int) -> ConvGeometry {
        let (oh, ow) = outputSize(height: height, width: width)
        return ConvGeometry(channels: outChannels, batch: batch, height: oh, width: ow,
                            kernelH: kernel, kernelW: kernel, stride: stride, padding: padding)
    }

    /// Caps the columns per tile (tests use it to exercise tiles of a few rows).
    public var maxTileColumns = Int.max
    private var schedule: ConvSchedule { ConvSchedule(workers: settings.threads, maxChunkSamples: maxChunkSamples, maxTileColumns: maxTileColumns) }
    private func forEachChunk(_ g: ConvGeometry, _ body: (Int, Int, Int, ConvGeometry) -> Void) {
        schedule.forEachChunk(g, scratch: scratch, body)
    }
    func tileColumns(_ g: ConvGeometry) -> Int { schedule.tileColumns(g) }
    func chunkCount(_ g: ConvGeometry) -> Int { schedule.chunkCount(g) }

    /// x: (inC, N, H, W) -> (outC, N, outH, outW).
    @discardableResult
    public func forward(_ x: FloatBuffer, batch: Int, height: Int, width: Int) -> FloatBuffer {
        let g = geometry(batch: batch, height: height, width: width)
        precondition(g.outHeight == height && g.outWidth == width, "ConvTranspose2d geometry")
        precondition(x.count == inChannels * g.colCols, "ConvTranspose2d input size")
        savedInput = x; geometry = g
        let k = g.colRows, lin = height * width, plane = g.height * g.width, totalIn = g.colCols
        output.resize(g.inputCount)
        let y = output.pointer, w = store.value(weight), xp = x.pointer
        if let wc = WinogradConv.plan(g, outChannels: inChannels, settings: settings, maxChunkTileRows: maxTileColumns) {   // the adjoint convolution's transpose, plus bias
            wc.convolveTransposed(xp, weights: w,
                                  bias: store.value(bias), into: y, scratch: scratch)
            return output
        }
        fillChannels(y, channels: outChannels, count: batch * plane, values: store.value(bias), workers: settings.threads)
        let tile = tileColumns(g), ow = g.outWidth
        // col = W^T x, on the packed kernel where it runs.
        let products = PackedGemm.Products(PackedGemm.transpose(w, rows: inChannels, columns: k, lda: k, into: scratch.winogradFilters),
                                           matrices: 1, m: k, k: inChannels, widest: tile, settings: settings,
                                           buffer: scratch.packedFilters)
        forEachChunk(g) { worker, _, n0, cg in
            let col = scratch.buffer(worker, count: 0).pointer
            Im2Col.forEachTile(cg, maxColumns: tile) { b, nb, rows in
                var tg = cg
                tg.batch = nb
                let c0 = (n0 + b) * lin + rows.lowerBound * ow, cols = nb * rows.count * ow
                products.multiply(0, n: cols, b: xp + c0, ldb: totalIn, c: col, ldc: cols)
                Im2Col.col2im(tg, col, y + (n0 + b) * plane, channelStride: batch * plane, outRows: rows)
            }
        }
        return output
    }

    @discardableResult
    public func backward(_ dy: FloatBuffer, inputGrad: Bool = true, paramGrads: Bool = true) -> FloatBuffer {
        guard let g = geometry, let x = savedInput else { preconditionFailure("ConvTranspose2d.backward before forward") }
        let k = g.colRows, lin = g.outHeight * g.outWidth, plane = g.height * g.width, totalIn = g.colCols
        let n = g.batch
        let dyp = dy.pointer, xp = x.pointer, w = store.value(weight)
        if paramGrads {
            addChannelSums(dyp, channels: outChannels, count: n * plane, into: store.grad(bias), settings: settings)
        }
        if inputGrad { dInput.resize(inChannels * totalIn) }
        let dx = dInput.pointer
        let winograd = WinogradConv.plan(g, outChannels: inChannels, settings: settings, maxChunkTileRows: maxTileColumns)
        // Per-chunk partials for the im2col path only (as in Conv2d.backward).
        if paramGrads && winograd == nil { partialGrads.prepare(workers: chunkCount(g), count: weight.count) }
        if let wc = winograd {
            if paramGrads {
                wc.weightGradient(dy: xp, input: dyp, addInto: store.grad(weight),
                                  partials: partialGrads, scratch: scratch)
            }
            if inputGrad {
                wc.convolve(input: dyp, weights: w, bias: nil,
                            activation: .identity, into: dx, scratch: scratch)
            }
            return dInput
        }
        let tile = tileColumns(g), ow = g.outWidth
        // The input gradient is the adjoint's forward: with one or two channels on the gradient's
        // side (the generator's last layer), straight from dy, the same bits as dxProducts below.
        let direct = inputGrad && DirectConv.applies(g, settings: settings)
        if direct {
            DirectConv.forward(g, x: dyp, weights: w, bias: nil, outChannels: inChannels, activation: .identity, into: dx, settings: settings)
            if !paramGrads { return dInput }
        }
        let dxProducts = inputGrad && !direct ? PackedGemm.Products(w, matrices: 1, m: inChannels, k: k, widest: tile, settings: settings,
                                                                    buffer: scratch.packedFilters) : nil
        forEachChunk(g) { worker, chunk, n0, cg in
            let col = scratch.buffer(worker, count: 0).pointer
            var first = true
            Im2Col.forEachTile(cg, maxColumns: tile) { b, nb, rows in
                var tg = cg
                tg.batch = nb
                let c0 = (n0 + b) * lin + rows.lowerBound * ow, cols = nb * rows.count * ow
                Im2Col.im2col(tg, dyp + (n0 + b) * plane, channelStride: n * plane, col, outRows: rows)
                if paramGrads {
                    // dW[in, K] += x[in, tile] . dcol^T, tiles summed in order into the chunk's partial.
                    LongDots.multiply(m: inChannels, n: k, k: cols, a: xp + c0, lda: totalIn, b: col, ldb: cols,
                                      add: !first, c: partialGrads.buffer(chunk, count: 0).pointer, ldc: k, settings: settings)
                }
                dxProducts?.multiply(0, n: cols, b: col, ldb: cols, c: dx + c0, ldc: totalIn)
                first = false
            }
        }
        if paramGrads {
            // Per-chunk partial products summed in chunk order: the same bits whichever worker ran what.
            let parts = (0 ..< chunkCount(g)).map { partialGrads.buffer($0, count: 0).pointer }
            Parallel.addParts(parts, into: store.grad(weight), count: weight.count, workers: settings.threads)
        }
        return dInput
    }
}
// MARK: - Naive reference (direct scatter in double), kept beside the fast path and tested against it.

/// y (outC, N, outH, outW) for x (inC, N, H, W), weight [in, out, k, k]:
/// y[o, n, i*s - p + ki, j*s - p + kj] += x[c, n, i, j] * W[c, o, ki, kj], plus bias.
public func convTranspose2dNaive(inChannels: Int, outChannels: Int, batch n: Int, height h: Int, width w: Int,
                                 kernel k: Int, stride s: Int, padding p: Int,
                                 x: [Float], weight: [Float], bias: [Float]) -> [Float] {
    let oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k
    var y = [Double](repeating: 0, count: outChannels * n * oh * ow)
    for o in 0 ..< outChannels { for i in 0 ..< n * oh * ow { y[o * n * oh * ow + i] = Double(bias[o]) } }
    for c in 0 ..< inChannels {
        for b in 0 ..< n {
            for i in 0 ..< h {
                for j in 0 ..< w {
                    let xv = Double(x[((c * n + b) * h + i) * w + j])
                    for o in 0 ..< outChannels {
                        for ki in 0 ..< k {
                            for kj in 0 ..< k {
                                let oy = i * s - p + ki, ox = j * s - p + kj
                                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                                y[((o * n + b) * oh + oy) * ow + ox] += xv * Double(weight[((c * outChannels + o) * k + ki) * k + kj])
                            }
                        }
                    }
                }
            }
        }
    }
    return y.map(Float.init)
}

/// Gradients of convTranspose2dNaive: (dx, dWeight, dBias) for dy (outC, N, outH, outW).
public func convTranspose2dNaiveBackward(inChannels: Int, outChannels: Int, batch n: Int, height h: Int, width w: Int,
                                         kernel k: Int, stride s: Int, padding p: Int,
                                         x: [Float], weight: [Float], dy: [Float]) -> (dx: [Float], dWeight: [Float], dBias: [Float]) {
    let oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: weight.count)
    var db = [Double](repeating: 0, count: outChannels)
    for o in 0 ..< outChannels { for i in 0 ..< n * oh * ow { db[o] += Double(dy[o * n * oh * ow + i]) } }
    for c in 0 ..< inChannels {
        for b in 0 ..< n {
            for i in 0 ..< h {
                for j in 0 ..< w {
                    let xi = ((c * n + b) * h + i) * w + j
                    for o in 0 ..< outChannels {
                        for ki in 0 ..< k {
                            for kj in 0 ..< k {
                                let oy = i * s - p + ki, ox = j * s - p + kj
                                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                                let d = Double(dy[((o * n + b) * oh + oy) * ow + ox])
                                let wi = ((c * outChannels + o) * k + ki) * k + kj
                                dx[xi] += d * Double(weight[wi])
                                dw[wi] += d * Double(x[xi])
                            }
                        }
                    }
                }
            }
        }
    }
    return (dx.map(Float.init), dw.map(Float.init), db.map(Float.init))
}
