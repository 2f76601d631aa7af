import Foundation

/// Adam exactly as torch.optim.Adam (no weight decay, no amsgrad):
/// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var step: Int = 0
    /// Workers and kernels of the update (the model's settings); the result depends on neither.
    public let settings: ComputeSettings

    public init(learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999, eps: Float = 1e-8,
                settings: ComputeSettings = .standard) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.settings = settings
    }

    /// PyTorch holds the hyper-parameters as Python (double) numbers such as 0.999; Float(0.999)
    /// widened back is 0.99900001287, and 1 - beta2 would then be off by 1.3e-5 relative.
    /// The shortest decimal form of the Float recovers the number the user wrote.
    @inline(__always)
    static func decimal(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

    public mutating func update(_ store: ParameterStore) {
        step += 1
        let beta1 = Adam.decimal(beta1), beta2 = Adam.decimal(beta2), lr = Adam.decimal(learningRate)
        // Bias corrections in double, as PyTorch computes them in Python floats.
        let bc1 = 1 - pow(beta1, Double(step))
        let bc2Sqrt = Float((1 - pow(beta2, Double(step))).squareRoot())
        let stepSize = Float(lr / bc1)
        let b2 = Float(beta2), oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let eps = eps
        let p = store.values.pointer, g = store.grads.pointer
        let m = store.expAvg.pointer, v = store.expAvgSq.pointer
        let n = store.count
        let chunks = 8, isa = settings.isa
        Parallel.forEach(chunks, workers: settings.threads, minimumWork: n > 1 << 16 ? 1 : chunks + 1) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            // m as torch's lerp: m += (g - m) * (1 - b1).
            ElementwiseKernels.adam(values: p + lo, grads: g + lo, expAvg: m + lo, expAvgSq: v + lo, count: hi - lo,
                                    beta2: b2, oneMinusBeta1: oneMinusB1, oneMinusBeta2: oneMinusB2, bc2Sqrt: bc2Sqrt,
                                    eps: eps, stepSize: stepSize, isa: isa)
        }
    }
}
