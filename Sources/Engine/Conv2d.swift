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
