import BLAS
import Support

/// ConvTranspose2d over (C, N, H, W) activations, PyTorch weight layout [in, out, kh, kw].
/// It is the adjoint of a Conv2d whose input is this layer's output:
/// forward col[out*kh*kw, N*Lin] = W^T . x, y = col2im(col) + b;
/// backward dcol = im2col(dy), dx = W . dcol, dW += x . dcol^T.
public final class ConvTranspose2d {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter
    let store: ParameterStore
    let scratch: FloatBuffer
    public let output = FloatBuffer()
    public let dInput = FloatBuffer()
    var savedInput: FloatBuffer?
    /// Geometry of the adjoint convolution (its input is our output).
    var geometry: ConvGeometry?

    public init(_ store: ParameterStore, name: String, inChannels: Int, outChannels: Int,
                kernel: Int, stride: Int, padding: Int, scratch: FloatBuffer) {
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

    /// x: (inC, N, H, W) -> (outC, N, outH, outW).
    @discardableResult
    public func forward(_ x: FloatBuffer, batch: Int, height: Int, width: Int) -> FloatBuffer {
        let g = geometry(batch: batch, height: height, width: width)
        precondition(g.outHeight == height && g.outWidth == width, "ConvTranspose2d geometry")
        precondition(x.count == inChannels * g.colCols, "ConvTranspose2d input size")
        savedInput = x; geometry = g
        let k = g.colRows, cols = g.colCols
        scratch.resize(max(scratch.count, k * cols), preserve: false)
        BLAS.sgemm(transA: true, m: k, n: cols, k: inChannels, a: store.value(weight), lda: k,
                   b: x.pointer, ldb: cols, c: scratch.pointer, ldc: cols)
        output.resize(g.inputCount)
        let plane = g.batch * g.height * g.width, bp = store.value(bias), y = output.pointer
        for o in 0 ..< outChannels { (y + o * plane).update(repeating: bp[o], count: plane) }
        Im2Col.col2im(g, scratch.pointer, y)
        return output
    }

    @discardableResult
    public func backward(_ dy: FloatBuffer, inputGrad: Bool = true, paramGrads: Bool = true) -> FloatBuffer {
        guard let g = geometry, let x = savedInput else { preconditionFailure("ConvTranspose2d.backward before forward") }
        let k = g.colRows, cols = g.colCols
        scratch.resize(max(scratch.count, k * cols), preserve: false)
        Im2Col.im2col(g, dy.pointer, scratch.pointer)
        if paramGrads {
            let plane = g.batch * g.height * g.width, db = store.grad(bias)
            for o in 0 ..< outChannels {
                let row = dy.pointer + o * plane
                var s = 0.0
                for i in 0 ..< plane { s += Double(row[i]) }
                db[o] += Float(s)
            }
            // dW[in, K] += x[in, cols] . dcol^T
            BLAS.sgemm(transB: true, m: inChannels, n: k, k: cols, a: x.pointer, lda: cols,
                       b: scratch.pointer, ldb: cols, beta: 1, c: store.grad(weight), ldc: k)
        }
        if inputGrad {
            dInput.resize(inChannels * cols)
            BLAS.sgemm(m: inChannels, n: cols, k: k, a: store.value(weight), lda: k,
                       b: scratch.pointer, ldb: cols, c: dInput.pointer, ldc: cols)
        }
        return dInput
    }
}
