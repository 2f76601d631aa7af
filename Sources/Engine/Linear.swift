import BLAS
import Support

/// Linear layer, PyTorch layout: weight [out, in], y[N, out] = x[N, in] . W^T + b.
public final class Linear {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    let store: ParameterStore
    public let settings: ComputeSettings
    public let output = FloatBuffer()
    /// Where backward writes the input gradient; a model may point several layers at shared
    /// buffers when their gradients are never alive at the same time.
    public var dInput = FloatBuffer()
    var savedInput: FloatBuffer?
    var batch = 0

    public init(_ store: ParameterStore, name: String, inFeatures: Int, outFeatures: Int,
                settings: ComputeSettings = .standard) {
        self.settings = settings; self.store = store; self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = store.add("\(name).weight", shape: [outFeatures, inFeatures])
        bias = store.add("\(name).bias", shape: [outFeatures])
    }

    public func initialize(rng: inout SplitMix64) {
        let b = Initialization.bound(fanIn: inFeatures)
        Initialization.uniform(store.value(weight), count: weight.count, bound: b, rng: &rng)
        Initialization.uniform(store.value(bias), count: bias.count, bound: b, rng: &rng)
    }

    @discardableResult
    public func forward(_ x: FloatBuffer, batch: Int) -> FloatBuffer {
        precondition(x.count == batch * inFeatures, "Linear input size")
        savedInput = x; self.batch = batch
        output.resize(batch * outFeatures)
        let bp = store.value(bias)
        for n in 0 ..< batch { (output.pointer + n * outFeatures).update(from: bp, count: outFeatures) }
        BatchRows.multiply(m: batch, n: outFeatures, k: inFeatures, a: x.pointer, lda: inFeatures,
                           b: store.value(weight), ldb: inFeatures, c: output.pointer, ldc: outFeatures, settings: settings)
        return output
    }

    @discardableResult
    public func backward(_ dy: FloatBuffer, inputGrad: Bool = true, paramGrads: Bool = true) -> FloatBuffer {
        guard let x = savedInput else { preconditionFailure("Linear.backward before forward") }
        if paramGrads {
            let db = store.grad(bias)
            for n in 0 ..< batch {
                let row = dy.pointer + n * outFeatures
                for o in 0 ..< outFeatures { db[o] += row[o] }
            }
            // dW[out, in] += dy^T . x
            Gemm.parallel(workers: settings.threads, transA: true, m: outFeatures, n: inFeatures, k: batch, a: dy.pointer, lda: outFeatures,
                          b: x.pointer, ldb: inFeatures, beta: 1, c: store.grad(weight), ldc: inFeatures)
        }
        if inputGrad {
            dInput.resize(batch * inFeatures)
            Gemm.parallel(workers: settings.threads, m: batch, n: inFeatures, k: outFeatures, a: dy.pointer, lda: outFeatures,
                          b: store.value(weight), ldb: inFeatures, c: dInput.pointer, ldc: inFeatures)
        }
        return dInput
    }
}
