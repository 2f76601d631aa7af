/// BatchNorm2d over (C, N, H, W) activations (each channel is one contiguous block), as
/// PyTorch: training uses the batch mean and biased variance and updates the running stats
/// with momentum 0.1 and the *unbiased* variance; evaluation uses the running stats.
/// An activation (ReLU / LeakyReLU) can be fused into the same pass; backward then uses
/// the saved output for the activation's derivative.
public final class BatchNorm2d {
    public let channels: Int
    public let momentum: Float = 0.1
    public let eps: Float = 1e-5
    public let activation: Activation
    public let weight: Parameter
    public let bias: Parameter
    let store: ParameterStore
    public let settings: ComputeSettings
    public var runningMean: [Float]
    public var runningVar: [Float]
    public var numBatchesTracked: Int64 = 0
    public let output = FloatBuffer()
    /// Where backward writes the input gradient; a model may point several layers at shared
    /// buffers when their gradients are never alive at the same time.
    public var dInput = FloatBuffer()
    // Saved by a training forward.
    var savedInput: FloatBuffer?
    public private(set) var mean: [Float]
    public private(set) var invStd: [Float]
    /// The last training batch's unbiased variance (what the running variance moves towards).
    public private(set) var batchVariance: [Float] = []

    public init(_ store: ParameterStore, name: String, channels: Int, activation: Activation = .identity,
                settings: ComputeSettings = .standard) {
        self.store = store; self.channels = channels; self.activation = activation; self.settings = settings
        weight = store.add("\(name).weight", shape: [channels])
        bias = store.add("\(name).bias", shape: [channels])
        store.fill(weight, with: 1)
        runningMean = [Float](repeating: 0, count: channels)
        runningVar = [Float](repeating: 1, count: channels)
        mean = runningMean; invStd = runningVar
    }

    /// x: (C, N, H, W) flattened; `training` chooses batch or running statistics.
    @discardableResult
    public func forward(_ x: FloatBuffer, training: Bool) -> FloatBuffer {
        precondition(x.count % channels == 0)
        let m = x.count / channels
        output.resize(x.count)
        let gamma = store.value(weight), beta = store.value(bias)
        let xp = x.pointer, yp = output.pointer, act = activation, isa = settings.isa
        if training {
            precondition(m > 1, "BatchNorm2d needs more than one value per channel in training")
            savedInput = x
            var batchMean = [Float](repeating: 0, count: channels)
            var batchVar = [Float](repeating: 0, count: channels)
            var inv = [Float](repeating: 0, count: channels)
            batchMean.withUnsafeMutableBufferPointer { meanP in
            batchVar.withUnsafeMutableBufferPointer { varP in
            inv.withUnsafeMutableBufferPointer { invP in
                let eps = eps
                Parallel.forEachDynamic(channels, workers: settings.threads) { _, c in
                    let src = xp + c * m, dst = yp + c * m
                    // One pass: sum and sum of squares in double. E[x^2] - mean^2 in double loses
                    // nothing that matters for activations (it would need mean^2 / var > 1e8).
                    let (s0, q0) = ElementwiseKernels.sums(src, count: m, isa: isa)
                    let mu = s0 / Double(m)
                    let v = max(0, q0 / Double(m) - mu * mu)
                    let istd = 1 / (v + Double(eps)).squareRoot()
                    meanP[c] = Float(mu); varP[c] = Float(v); invP[c] = Float(istd)
                    let scale = Float(istd) * gamma[c], shift = beta[c] - Float(mu) * scale
                    ElementwiseKernels.affine(src, dst, count: m, scale: scale, shift: shift, act, isa: isa)
                }
            }}}
            let unbias = Float(m) / Float(m - 1)
            for c in 0 ..< channels {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * batchMean[c]
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * batchVar[c] * unbias
            }
            numBatchesTracked += 1
            mean = batchMean; invStd = inv
            batchVariance = batchVar.map { $0 * unbias }
        } else {
            let rm = runningMean, rv = runningVar, eps = eps
            Parallel.forEach(channels, workers: settings.threads) { c in
                let istd = 1 / (rv[c] + eps).squareRoot()
                let scale = istd * gamma[c], shift = beta[c] - rm[c] * scale
                ElementwiseKernels.affine(xp + c * m, yp + c * m, count: m, scale: scale, shift: shift, act, isa: isa)
            }
        }
        return output
    }

    /// dy: gradient of the (activated) output. Training-mode backward:
    /// dxhat = g * dy', dx = invStd / M * (M dxhat - sum dxhat - xhat sum(dxhat xhat)), with
    /// dy' = dy * act'(pre) recomputed in both passes from the input and the forward's scale and
    /// shift (the same arithmetic as the forward, so the same side of 0): reading the output back
    /// and writing dy' over dy made five passes over memory where four do.
    @discardableResult
    public func backward(_ dy: FloatBuffer, paramGrads: Bool = true) -> FloatBuffer {
        guard let x = savedInput else { preconditionFailure("BatchNorm2d.backward before a training forward") }
        let m = x.count / channels
        dInput.resize(x.count)
        let gamma = store.value(weight), beta = store.value(bias), dGamma = store.grad(weight), dBeta = store.grad(bias)
        let xp = x.pointer, dyp = dy.pointer, dxp = dInput.pointer
        let act = activation, mean = mean, invStd = invStd, isa = settings.isa
        var sums = [Double](repeating: 0, count: 2 * channels)
        sums.withUnsafeMutableBufferPointer { sp in
            Parallel.forEachDynamic(channels, workers: settings.threads) { _, c in
                let src = xp + c * m, g = dyp + c * m, dst = dxp + c * m
                let mu = mean[c], istd = invStd[c]
                // The forward's affine: its scale and shift from the same Float values.
                let scale = istd * gamma[c], shift = beta[c] - mu * scale
                let (sumDy, sumDyX) = ElementwiseKernels.gradientSums(src, g, count: m, act, scale: scale, shift: shift, isa: isa)
                // sum(dy' * xhat) = invStd * (sum(dy' x) - mean * sum(dy')).
                let sumDyXhat = Double(istd) * (sumDyX - Double(mu) * sumDy)
                sp[2 * c] = sumDy; sp[2 * c + 1] = sumDyXhat
                let a = Float(sumDy / Double(m)), b = Float(sumDyXhat / Double(m))
                ElementwiseKernels.normalizeGradient(src, g, dst, count: m, mean: mu, invStd: istd, k: gamma[c] * istd,
                                                     a: a, b: b, act, scale: scale, shift: shift, isa: isa)
            }
        }
        if paramGrads {
            for c in 0 ..< channels {
                dGamma[c] += Float(sums[2 * c + 1])
                dBeta[c] += Float(sums[2 * c])
            }
        }
        return dInput
    }
}
