import BLAS
import Support

/// Conv2d over (C, N, H, W) activations with PyTorch's weight layout [out, in, kh, kw].
/// Forward: col = im2col(x); y[out, N*L] = W[out, in*kh*kw] . col + b, done in chunks of samples
/// (one chunk per worker at a time, each with its own column buffer, OpenBLAS single-threaded);
/// the gemm writes straight into the chunk's columns of y (ldc = N*L).
/// The column matrix is recomputed in backward rather than kept.
public final class Conv2d {
    public let inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int
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
    // Saved by forward for backward.
    /// Caps the samples per chunk (tests use it to exercise several chunks and workers).
    public var maxChunkSamples = Int.max
    /// Applied to each output tile right after its gemm, while it is in cache (`output` then
    /// holds the activated values). Backward takes the gradient of the activated output.
    public var activation = Activation.identity
    /// Each worker's tile of dy * act'(y) in `backward` (im2col path).
    private let tileGradients = WorkerBuffers()
    var savedInput: FloatBuffer?
    var geometry: ConvGeometry?
    /// Workers, convolution algorithm (Winograd where it applies, else im2col + sgemm) and kernel ISA.
    public let settings: ComputeSettings

    public init(_ store: ParameterStore, name: String, inChannels: Int, outChannels: Int,
                kernelH: Int, kernelW: Int, stride: Int, padding: Int, scratch: WorkerBuffers = WorkerBuffers(),
                settings: ComputeSettings = .standard) {
        self.settings = settings
        self.store = store; self.scratch = scratch
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelH = kernelH; self.kernelW = kernelW; self.stride = stride; self.padding = padding
        weight = store.add("\(name).weight", shape: [outChannels, inChannels, kernelH, kernelW])
        bias = store.add("\(name).bias", shape: [outChannels])
    }

    public func initialize(rng: inout SplitMix64) {
        let b = Initialization.bound(fanIn: inChannels * kernelH * kernelW)
        Initialization.uniform(store.value(weight), count: weight.count, bound: b, rng: &rng)
        Initialization.uniform(store.value(bias), count: bias.count, bound: b, rng: &rng)
    }

    public func geometry(batch: Int, height: Int, width: Int) -> ConvGeometry {
        ConvGeometry(channels: inChannels, batch: batch, height: height, width: width,
                     kernelH: kernelH, kernelW: kernelW, stride: stride, padding: padding)
    }

    /// Caps the columns per tile (tests use it to exercise tiles of a few rows).
    public var maxTileColumns = Int.max
    private var schedule: ConvSchedule { ConvSchedule(workers: settings.threads, maxChunkSamples: maxChunkSamples, maxTileColumns: maxTileColumns) }
    private func forEachChunk(_ g: ConvGeometry, _ body: (Int, Int, Int, ConvGeometry) -> Void) {
        schedule.forEachChunk(g, scratch: scratch, body)
    }
    func tileColumns(_ g: ConvGeometry) -> Int { schedule.tileColumns(g) }
    func chunkCount(_ g: ConvGeometry) -> Int { schedule.chunkCount(g) }

    /// x: (inC, N, H, W) -> output (outC, N, outH, outW).
    @discardableResult
    public func forward(_ x: FloatBuffer, batch: Int, height: Int, width: Int) -> FloatBuffer {
        let g = geometry(batch: batch, height: height, width: width)
        precondition(x.count == g.inputCount, "Conv2d input size")
        savedInput = x; geometry = g
        let k = g.colRows, total = g.colCols, l = g.outHeight * g.outWidth, plane = height * width
        output.resize(outChannels * total)
        let y = output.pointer, w = store.value(weight), xp = x.pointer
        if let wc = WinogradConv.plan(g, outChannels: outChannels, settings: settings, maxChunkTileRows: maxTileColumns) {
            wc.convolve(input: xp, weights: w, bias: store.value(bias),
                        activation: activation, into: y, scratch: scratch)
            return output
        }
        if Self.readsWholePlanes(g) {
            wholePlaneForward(g, x: xp, w: w, bias: store.value(bias), into: y)
            return output
        }
        if DirectConv.applies(g, settings: settings) {
            DirectConv.forward(g, x: xp, weights: w, bias: store.value(bias), outChannels: outChannels, activation: activation,
                               into: y, settings: settings)
            return output
        }
        let tile = tileColumns(g), act = activation, bias = store.value(bias)
        let products = PackedGemm.Products(w, matrices: 1, m: outChannels, k: k, widest: tile, settings: settings,
                                           buffer: scratch.packedFilters)
        forEachChunk(g) { worker, _, n0, cg in
            let col = scratch.buffer(worker, count: 0).pointer
            Im2Col.forEachTile(cg, maxColumns: tile) { b, nb, rows in
                var tg = cg
                tg.batch = nb
                let c0 = (n0 + b) * l + rows.lowerBound * cg.outWidth, cols = nb * rows.count * cg.outWidth
                Im2Col.im2col(tg, xp + (n0 + b) * plane, channelStride: batch * plane, col, outRows: rows)
                products.multiply(0, n: cols, b: col, ldb: cols, c: y + c0, ldc: total)
                for o in 0 ..< outChannels {   // bias and activation while the tile is in cache
                    let yo = y + o * total + c0
                    ElementwiseKernels.affine(yo, yo, count: cols, scale: 1, shift: bias[o], act, isa: settings.isa)
                }
            }
        }
        return output
    }

    /// dy: (outC, N, outH, outW), the gradient of the (activated) output; may be overwritten.
    /// Adds into dW, db; returns dx (inC, N, H, W) when asked.
    /// inputChannels: only these channels of dx are computed (the others hold stale values), for
    /// a caller that needs the gradient of one input channel only.
    @discardableResult
    public func backward(_ dy: FloatBuffer, inputGrad: Bool = true, paramGrads: Bool = true,
                         inputChannels: Range<Int>? = nil) -> FloatBuffer {
        guard let g = geometry, let x = savedInput else { preconditionFailure("Conv2d.backward before forward") }
        let k = g.colRows, total = g.colCols, l = g.outHeight * g.outWidth, plane = g.height * g.width
        let n = g.batch
        let dyp = dy.pointer, xp = x.pointer, w = store.value(weight)
        let winograd = WinogradConv.plan(g, outChannels: outChannels, settings: settings, maxChunkTileRows: maxTileColumns)
        // The im2col path applies act' tile by tile, with the bias gradient's sums (the first
        // layer's 33 MB of dy went through memory twice more as separate passes: 1.5% of a step).
        let tiled = winograd == nil && !Self.readsWholePlanes(g)
        if activation != .identity && !tiled {
            activation.backward(output: output.pointer, dyp, dyp, count: outChannels * total, settings: settings)
        }
        if paramGrads {
            if !tiled { addChannelSums(dyp, channels: outChannels, count: total, into: store.grad(bias), settings: settings) }
            // Per-chunk partials for the im2col path only (the Winograd path sizes its own): this
            // object is shared by the model's layers, and a weight-sized buffer per chunk of the
            // discriminator's widest layer was 2 MB each.
            if winograd == nil { partialGrads.prepare(workers: chunkCount(g), count: weight.count + outChannels) }
        }
        if inputGrad { dInput.resize(g.inputCount) }
        if let wc = winograd {   // computes every input channel's gradient
            if paramGrads {
                wc.weightGradient(dy: dyp, input: xp, addInto: store.grad(weight),
                                  partials: partialGrads, scratch: scratch)
            }
            if inputGrad {
                wc.convolveTransposed(dyp, weights: w, bias: nil,
                                      into: dInput.pointer, scratch: scratch)
            }
            return dInput
        }
        let channelRange = inputChannels ?? 0 ..< inChannels
        precondition(channelRange.lowerBound >= 0 && channelRange.upperBound <= inChannels, "Conv2d.backward inputChannels")
        if Self.readsWholePlanes(g) {
            wholePlaneBackward(g, dy: dyp, x: xp, w: w, grad: paramGrads ? store.grad(weight) : nil,
                               dx: inputGrad ? dInput.pointer : nil, channels: channelRange)
            return dInput
        }
        let kk = kernelH * kernelW, dk = channelRange.count * kk
        let dx = dInput.pointer + channelRange.lowerBound * n * plane, wx = w + channelRange.lowerBound * kk
        let tile = tileColumns(g)
        // dcol = W^T dy: the wanted channels' rows of W^T, on the packed kernel where it runs.
        let dcol = inputGrad ? PackedGemm.Products(PackedGemm.transpose(wx, rows: outChannels, columns: dk, lda: k, into: scratch.winogradFilters),
                                                   matrices: 1, m: dk, k: outChannels, widest: tile, settings: settings,
                                                   buffer: scratch.packedFilters) : nil
        let act = activation, yp = UnsafePointer(output.pointer)
        tileGradients.prepare(workers: settings.threads, count: act == .identity ? 0 : outChannels * Im2Col.tileColumns(g, maxColumns: tile))
        forEachChunk(g) { worker, chunk, n0, cg in
            let col = scratch.buffer(worker, count: 0).pointer, gt = tileGradients.buffer(worker, count: 0).pointer
            let partialRows = Im2Col.tileColumns(cg, maxColumns: tile) < l
            var first = true, zeroedTo = 0
            var biasSums = [Double](repeating: 0, count: paramGrads ? outChannels : 0)
            Im2Col.forEachTile(cg, maxColumns: tile) { b, nb, rows in
                var tg = cg
                tg.batch = nb
                let c0 = (n0 + b) * l + rows.lowerBound * cg.outWidth, cols = nb * rows.count * cg.outWidth
                // This tile's dy * act'(y), channel by channel (dy rows `total` apart -> gt rows `cols` apart);
                // without an activation, dy's rows as they lie.
                let gd: UnsafePointer<Float> = act == .identity ? UnsafePointer(dyp + c0) : UnsafePointer(gt)
                let ld = act == .identity ? total : cols
                for o in 0 ..< outChannels {
                    if act != .identity {
                        ElementwiseKernels.activationBackward(output: yp + o * total + c0, dyp + o * total + c0, gt + o * cols,
                                                              count: cols, act, isa: settings.isa)
                    }
                    if paramGrads { biasSums[o] += ElementwiseKernels.sums(gd + o * ld, count: cols, isa: settings.isa).sum }
                }
                if inputGrad && partialRows {
                    // Tiles of output rows overlap in the input rows they scatter into, so col2im
                    // cannot clear as it goes: clear the input rows this tile reaches first, just before.
                    let lo = rows.lowerBound == 0 ? 0 : zeroedTo
                    let hi = rows.upperBound == cg.outHeight ? g.height
                        : min(g.height, (rows.upperBound - 1) * stride - padding + kernelH)
                    if hi > lo {
                        for c in 0 ..< channelRange.count {
                            (dx + c * n * plane + (n0 + b) * plane + lo * g.width).update(repeating: 0, count: (hi - lo) * g.width)
                        }
                    }
                    zeroedTo = max(lo, hi)
                }
                if paramGrads {
                    Im2Col.im2col(tg, xp + (n0 + b) * plane, channelStride: n * plane, col, outRows: rows)
                    // dW[out, K] += dy[out, tile] . col^T, tiles summed in order into the chunk's partial.
                    LongDots.multiply(m: outChannels, n: k, k: cols, a: gd, lda: ld, b: col, ldb: cols,
                                      add: !first, c: partialGrads.buffer(chunk, count: 0).pointer, ldc: k, settings: settings)
                }
                if let dcol {
                    // dcol[K, tile] = W^T . dy (the wanted channels' rows), then scatter back into
                    // this tile's samples.
                    dcol.multiply(0, n: cols, b: gd, ldb: ld, c: col, ldc: cols)
                    var dg = tg
                    dg.channels = channelRange.count
                    Im2Col.col2im(dg, col, dx + (n0 + b) * plane, channelStride: n * plane, zeroFirst: !partialRows,
                                  outRows: rows)
                }
                first = false
            }
            if paramGrads {   // the chunk's bias sums after its dW partial
                let p = partialGrads.buffer(chunk, count: 0).pointer + weight.count
                for o in 0 ..< outChannels { p[o] = Float(biasSums[o]) }
            }
        }
        if paramGrads {
            // Per-chunk partial products (and bias sums) summed in chunk order: the same bits whichever worker ran what.
            let parts = (0 ..< chunkCount(g)).map { partialGrads.buffer($0, count: 0).pointer }
            Parallel.addParts(parts, into: store.grad(weight), count: weight.count, workers: settings.threads)
            Parallel.addParts(parts.map { $0 + weight.count }, into: store.grad(bias), count: outChannels, workers: 1)
        }
        return dInput
    }
}
// MARK: - Naive reference (direct sums in double), kept beside the fast path and tested against it.

/// y (outC, N, outH, outW) for x (inC, N, H, W), weight [out, in, kh, kw], bias [out].
public func conv2dNaive(_ g: ConvGeometry, outChannels: Int, x: [Float], weight: [Float], bias: [Float]) -> [Float] {
    let oh = g.outHeight, ow = g.outWidth, n = g.batch
    var y = [Float](repeating: 0, count: outChannels * n * oh * ow)
    for o in 0 ..< outChannels {
        for b in 0 ..< n {
            for i in 0 ..< oh {
                for j in 0 ..< ow {
                    var s = Double(bias[o])
                    for c in 0 ..< g.channels {
                        for ki in 0 ..< g.kernelH {
                            for kj in 0 ..< g.kernelW {
                                let iy = i * g.stride - g.padding + ki, ix = j * g.stride - g.padding + kj
                                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                s += Double(x[((c * n + b) * g.height + iy) * g.width + ix])
                                    * Double(weight[((o * g.channels + c) * g.kernelH + ki) * g.kernelW + kj])
                            }
                        }
                    }
                    y[((o * n + b) * oh + i) * ow + j] = Float(s)
                }
            }
        }
    }
    return y
}

/// Gradients of conv2dNaive: (dx, dWeight, dBias) for dy (outC, N, outH, outW).
public func conv2dNaiveBackward(_ g: ConvGeometry, outChannels: Int, x: [Float], weight: [Float],
                                dy: [Float]) -> (dx: [Float], dWeight: [Float], dBias: [Float]) {
    let oh = g.outHeight, ow = g.outWidth, n = g.batch
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: weight.count)
    var db = [Double](repeating: 0, count: outChannels)
    for o in 0 ..< outChannels {
        for b in 0 ..< n {
            for i in 0 ..< oh {
                for j in 0 ..< ow {
                    let d = Double(dy[((o * n + b) * oh + i) * ow + j])
                    db[o] += d
                    for c in 0 ..< g.channels {
                        for ki in 0 ..< g.kernelH {
                            for kj in 0 ..< g.kernelW {
                                let iy = i * g.stride - g.padding + ki, ix = j * g.stride - g.padding + kj
                                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                let xi = ((c * n + b) * g.height + iy) * g.width + ix
                                let wi = ((o * g.channels + c) * g.kernelH + ki) * g.kernelW + kj
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
