import BLAS
import Support

/// Conv2d over (C, N, H, W) activations with PyTorch's weight layout [out, in, kh, kw].
/// Forward: col = im2col(x); y[out, N*L] = W[out, in*kh*kw] . col + b.
/// The column matrix is recomputed in backward rather than kept (it is the largest buffer).
public final class Conv2d {
    public let inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter
    let store: ParameterStore
    let scratch: FloatBuffer
    public let output = FloatBuffer()
    public let dInput = FloatBuffer()
    // Saved by forward for backward.
    var savedInput: FloatBuffer?
    var geometry: ConvGeometry?

    public init(_ store: ParameterStore, name: String, inChannels: Int, outChannels: Int,
                kernelH: Int, kernelW: Int, stride: Int, padding: Int, scratch: FloatBuffer) {
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

    /// x: (inC, N, H, W) -> output (outC, N, outH, outW).
    @discardableResult
    public func forward(_ x: FloatBuffer, batch: Int, height: Int, width: Int) -> FloatBuffer {
        let g = geometry(batch: batch, height: height, width: width)
        precondition(x.count == g.inputCount, "Conv2d input size")
        savedInput = x; geometry = g
        let k = g.colRows, cols = g.colCols
        output.resize(outChannels * cols)
        let bp = store.value(bias), y = output.pointer
        // A kernel covering the whole unpadded input is a plain matrix product over the batch,
        // but the layout (C, N, H*W) still needs the im2col transpose; keep one path.
        scratch.resize(max(scratch.count, k * cols), preserve: false)
        Im2Col.im2col(g, x.pointer, scratch.pointer)
        for o in 0 ..< outChannels { (y + o * cols).update(repeating: bp[o], count: cols) }
        BLAS.sgemm(m: outChannels, n: cols, k: k, a: store.value(weight), lda: k,
                   b: scratch.pointer, ldb: cols, beta: 1, c: y, ldc: cols)
        return output
    }

    /// dy: (outC, N, outH, outW). Adds into dW, db; returns dx (inC, N, H, W) when asked.
    @discardableResult
    public func backward(_ dy: FloatBuffer, inputGrad: Bool = true, paramGrads: Bool = true) -> FloatBuffer {
        guard let g = geometry, let x = savedInput else { preconditionFailure("Conv2d.backward before forward") }
        let k = g.colRows, cols = g.colCols
        scratch.resize(max(scratch.count, k * cols), preserve: false)
        if paramGrads {
            let db = store.grad(bias)
            for o in 0 ..< outChannels {
                let row = dy.pointer + o * cols
                var s = 0.0
                for i in 0 ..< cols { s += Double(row[i]) }
                db[o] += Float(s)
            }
            Im2Col.im2col(g, x.pointer, scratch.pointer)
            // dW[out, K] += dy[out, cols] . col^T
            BLAS.sgemm(transB: true, m: outChannels, n: k, k: cols, a: dy.pointer, lda: cols,
                       b: scratch.pointer, ldb: cols, beta: 1, c: store.grad(weight), ldc: k)
        }
        if inputGrad {
            // dcol[K, cols] = W^T . dy, then scatter back.
            BLAS.sgemm(transA: true, m: k, n: cols, k: outChannels, a: store.value(weight), lda: k,
                       b: dy.pointer, ldb: cols, c: scratch.pointer, ldc: cols)
            dInput.resize(g.inputCount)
            dInput.fill(0)
            Im2Col.col2im(g, scratch.pointer, dInput.pointer)
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
