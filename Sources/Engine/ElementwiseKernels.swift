import CKernels

/// The per-element passes in C (CKernels: AVX-512, AVX2 or portable, by `ComputeSettings.ISA`;
/// the same bits on every path). The one Swift file that imports CKernels; the layers call these.
public enum ElementwiseKernels {
    /// The path that runs for `isa` on this CPU: 2 AVX-512, 1 AVX2, 0 portable.
    public static func level(_ isa: ComputeSettings.ISA) -> Int { Int(ek_level(isa.flag)) }

    /// (sum of x, sum of x^2) in double.
    public static func sums(_ x: UnsafePointer<Float>, count: Int, isa: ComputeSettings.ISA) -> (sum: Double, squares: Double) {
        var s = 0.0, q = 0.0
        ek_sums(x, count, &s, &q, isa.flag)
        return (s, q)
    }

    /// y = act(x * scale + shift), may be in place.
    public static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float,
                              _ act: Activation, isa: ComputeSettings.ISA) {
        ek_affine(x, y, count, scale, shift, act.code, act.slope, isa.flag)
    }

    /// y = act(x), may be in place.
    public static func activation(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, _ act: Activation,
                                  isa: ComputeSettings.ISA) {
        ek_activation(x, y, count, act.code, act.slope, isa.flag)
    }

    /// dx = dy * act'(from the output y), may be in place.
    public static func activationBackward(output y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                          count: Int, _ act: Activation, isa: ComputeSettings.ISA) {
        ek_activation_backward(y, dy, dx, count, act.code, act.slope, isa.flag)
    }

    /// BatchNorm backward's first pass: with d = g * act'(x * scale + shift) (the forward's
    /// pre-activation), (sum of d, sum of d * x) in double; g is only read.
    public static func gradientSums(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, count: Int, _ act: Activation,
                                    scale: Float, shift: Float, isa: ComputeSettings.ISA) -> (sumG: Double, sumGX: Double) {
        var s = 0.0, q = 0.0
        ek_gradient_sums(x, g, count, act.code, act.slope, scale, shift, &s, &q, isa.flag)
        return (s, q)
    }

    /// BatchNorm backward's second pass (`ek_normalize_gradient`), with d as in `gradientSums`.
    public static func normalizeGradient(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                         count: Int, mean: Float, invStd: Float, k: Float, a: Float, b: Float, _ act: Activation,
                                         scale: Float, shift: Float, isa: ComputeSettings.ISA) {
        ek_normalize_gradient(x, g, dx, count, mean, invStd, k, a, b, act.code, act.slope, scale, shift, isa.flag)
    }

    /// One Adam update of `count` parameters (the arithmetic of torch.optim.Adam; see Adam.swift).
    public static func adam(values p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, expAvg m: UnsafeMutablePointer<Float>,
                            expAvgSq v: UnsafeMutablePointer<Float>, count: Int, beta2: Float, oneMinusBeta1: Float,
                            oneMinusBeta2: Float, bc2Sqrt: Float, eps: Float, stepSize: Float, isa: ComputeSettings.ISA) {
        ek_adam(p, g, m, v, count, beta2, oneMinusBeta1, oneMinusBeta2, bc2Sqrt, eps, stepSize, isa.flag)
    }
}

extension Activation {
    /// The C kernels' activation code and slope.
    var code: Int32 {
        switch self {
        case .identity: 0
        case .relu: 1
        case .leakyReLU: 2
        }
    }
    var slope: Float { if case let .leakyReLU(s) = self { s } else { 0 } }
}
