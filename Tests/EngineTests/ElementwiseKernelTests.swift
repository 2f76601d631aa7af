import Engine
import Support
import Testing

/// The per-element C kernels (CKernels): the AVX2 and AVX-512 paths against the portable one,
/// bit for bit (same operations in the same order, no FMA, the same 8 double lanes), and the
/// portable one against plain Swift loops written from the formulas. On a CPU without AVX-512
/// (or AVX2) `.native` (`.avx2`) runs the next path down; the level printed says which ran.
@Suite struct ElementwiseKernelTests {
    /// Around the 8- and 16-float vector steps, and a long run.
    static let counts = [1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 100, 1003]
    static let activations: [Activation] = [.identity, .relu, .leakyReLU(0.2)]
    static let fastISAs: [ComputeSettings.ISA] = [.avx2, .native]

    /// Values of both signs, with exact zeros, negative zeros and a NaN where the count allows.
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var v = (0 ..< n).map { _ in rng.nextUniform() * 6 - 3 }
        if n > 5 { v[1] = 0; v[3] = -0.0; v[n - 2] = .nan }
        return v
    }

    func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

    /// dy * act'(y) as the layers had it in Swift: ReLU's gradient where y <= 0 is +0, not dy * 0.
    func gated(_ dy: Float, _ y: Float, _ act: Activation) -> Float {
        switch act {
        case .identity: dy
        case .relu: y > 0 ? dy : 0
        case let .leakyReLU(s): y > 0 ? dy : dy * s
        }
    }

    @Test func levels() {
        print("  elementwise kernels: native runs level \(ElementwiseKernels.level(.native)), avx2 level \(ElementwiseKernels.level(.avx2)) (2 AVX-512, 1 AVX2, 0 portable)")
        #expect(ElementwiseKernels.level(.portable) == 0)
        #expect(ElementwiseKernels.level(.avx2) <= 1)
        #expect(ElementwiseKernels.level(.native) >= ElementwiseKernels.level(.avx2))
    }

    @Test(arguments: counts)
    func affineAndActivation(_ n: Int) {
        let x = values(n, seed: UInt64(n))
        for act in Self.activations {
            // Plain Swift: act(x * scale + shift) and act(x).
            let wantAffine = x.map { act.apply($0 * 0.75 + -0.5) }, wantAct = x.map { act.apply($0) }
            for isa in [ComputeSettings.ISA.portable] + Self.fastISAs {
                var y = [Float](repeating: 9, count: n), z = y
                ElementwiseKernels.affine(x, &y, count: n, scale: 0.75, shift: -0.5, act, isa: isa)
                ElementwiseKernels.activation(x, &z, count: n, act, isa: isa)
                #expect(bits(y) == bits(wantAffine), "affine \(act) \(isa) n \(n)")
                #expect(bits(z) == bits(wantAct), "activation \(act) \(isa) n \(n)")
            }
        }
    }

    @Test(arguments: counts)
    func activationBackward(_ n: Int) {
        let y = values(n, seed: 100 + UInt64(n)), dy = values(n, seed: 200 + UInt64(n))
        for act in Self.activations {
            let want = (0 ..< n).map { gated(dy[$0], y[$0], act) }
            for isa in [ComputeSettings.ISA.portable] + Self.fastISAs {
                var dx = [Float](repeating: 9, count: n)
                ElementwiseKernels.activationBackward(output: y, dy, &dx, count: n, act, isa: isa)
                #expect(bits(dx) == bits(want), "\(act) \(isa) n \(n)")
            }
        }
    }

    /// Sums in double: the paths agree bit for bit with each other; against a sequential Swift
    /// sum only to 1e-12 relative of sum |x| (the 8 lanes add in another order; each double
    /// addition rounds by at most 2^-53 of the running magnitude, n <= 1003 of them).
    @Test(arguments: counts)
    func sums(_ n: Int) {
        let x = values(n, seed: 300 + UInt64(n)).map { $0.isNaN ? 1.5 : $0 }
        let ref = ElementwiseKernels.sums(x, count: n, isa: .portable)
        let s = x.reduce(0.0) { $0 + Double($1) }, q = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        let scale = x.reduce(0.0) { $0 + abs(Double($1)) }
        #expect(abs(ref.sum - s) <= 1e-12 * scale && abs(ref.squares - q) <= 1e-12 * q, "n \(n)")
        for isa in Self.fastISAs {
            let got = ElementwiseKernels.sums(x, count: n, isa: isa)
            #expect(got.sum.bitPattern == ref.sum.bitPattern && got.squares.bitPattern == ref.squares.bitPattern, "\(isa) n \(n)")
        }
    }

    /// BatchNorm backward's two passes: d = g * act'(x * scale + shift) (the forward's
    /// pre-activation) with the sums of d and d x, then the input gradient from d; g is only read.
    /// Some x give a pre-activation of exactly 0 (x = 0.1 with scale 1.25, shift -0.125).
    @Test(arguments: counts)
    func batchNormBackwardPasses(_ n: Int) {
        let scale: Float = 1.25, shift: Float = -0.125
        let x = values(n, seed: 400 + UInt64(n)).enumerated().map { $0.element.isNaN || $0.offset % 7 == 3 ? 0.1 : $0.element }
        let g0 = values(n, seed: 600 + UInt64(n)).map { $0.isNaN ? -1 : $0 }
        for act in Self.activations {
            let g = g0
            let refSums = ElementwiseKernels.gradientSums(x, g, count: n, act, scale: scale, shift: shift, isa: .portable)
            let want = (0 ..< n).map { gated(g0[$0], x[$0] * scale + shift, act) }
            let s = want.reduce(0.0) { $0 + Double($1) }, q = (0 ..< n).reduce(0.0) { $0 + Double(want[$1]) * Double(x[$1]) }
            let bound = want.reduce(0.0) { $0 + 3 * abs(Double($1)) }   // |x| < 3
            #expect(abs(refSums.sumG - s) <= 1e-12 * bound && abs(refSums.sumGX - q) <= 1e-12 * bound, "\(act) n \(n)")
            var refDx = [Float](repeating: 9, count: n)
            ElementwiseKernels.normalizeGradient(x, g, &refDx, count: n, mean: 0.25, invStd: 1.5, k: 0.8, a: 0.1, b: -0.3, act,
                                                 scale: scale, shift: shift, isa: .portable)
            #expect(bits(refDx) == bits((0 ..< n).map { 0.8 * ((want[$0] - 0.1) - ((x[$0] - 0.25) * 1.5) * -0.3) }), "\(act) n \(n)")
            #expect(bits(g) == bits(g0))
            for isa in Self.fastISAs {
                var dx = [Float](repeating: 9, count: n)
                let sums = ElementwiseKernels.gradientSums(x, g, count: n, act, scale: scale, shift: shift, isa: isa)
                ElementwiseKernels.normalizeGradient(x, g, &dx, count: n, mean: 0.25, invStd: 1.5, k: 0.8, a: 0.1, b: -0.3, act,
                                                     scale: scale, shift: shift, isa: isa)
                #expect(bits(dx) == bits(refDx), "\(act) \(isa) n \(n)")
                #expect(sums.sumG.bitPattern == refSums.sumG.bitPattern && sums.sumGX.bitPattern == refSums.sumGX.bitPattern,
                        "\(act) \(isa) n \(n)")
            }
        }
    }

    /// Adam: plain Swift with the same arithmetic as torch.optim.Adam (see Adam.swift), every path the same bits.
    @Test(arguments: counts)
    func adam(_ n: Int) {
        let p0 = values(n, seed: 700 + UInt64(n)).map { $0.isNaN ? 0 : $0 }
        let g = values(n, seed: 800 + UInt64(n)).map { $0.isNaN ? 2 : $0 * 0.1 }
        let m0 = p0.map { $0 * 0.01 }, v0 = g.map { $0 * $0 * 0.5 }
        let b2: Float = 0.999, omb1: Float = 0.5, omb2: Float = 0.001, bc2: Float = 0.0447, eps: Float = 1e-8, step: Float = 4e-4
        var wantP = p0, wantM = m0, wantV = v0
        for i in 0 ..< n {
            wantM[i] += (g[i] - wantM[i]) * omb1
            wantV[i] = wantV[i] * b2 + omb2 * g[i] * g[i]
            wantP[i] -= step * (wantM[i] / (wantV[i].squareRoot() / bc2 + eps))
        }
        for isa in [ComputeSettings.ISA.portable] + Self.fastISAs {
            var p = p0, m = m0, v = v0
            ElementwiseKernels.adam(values: &p, grads: g, expAvg: &m, expAvgSq: &v, count: n, beta2: b2, oneMinusBeta1: omb1,
                                    oneMinusBeta2: omb2, bc2Sqrt: bc2, eps: eps, stepSize: step, isa: isa)
            #expect(bits(p) == bits(wantP) && bits(m) == bits(wantM) && bits(v) == bits(wantV), "\(isa) n \(n)")
        }
    }

    /// A BatchNorm layer with its fused LeakyReLU, forward and backward, on every ISA and on 1 and
    /// 2 workers: the same bits.
    @Test func batchNormLayerIsTheSameOnEveryPath() {
        var results: [[Float]] = []
        for isa in ComputeSettings.ISA.allCases {
            for threads in [1, 2] {
                var rng = SplitMix64(seed: 11)
                let store = ParameterStore()
                let bn = BatchNorm2d(store, name: "bn", channels: 3, activation: .leakyReLU(0.2),
                                     settings: ComputeSettings(threads: threads, isa: isa))
                store.set(bn.weight, [0.5, 1.5, -1]); store.set(bn.bias, [0.1, -0.2, 0.3])
                let x = randomSigned(3 * 4 * 37, &rng)
                let y = bn.forward(FloatBuffer(x), training: true).array
                let dx = bn.backward(FloatBuffer(randomSigned(y.count, &rng))).array
                results.append(y + dx + store.grads.array)
            }
        }
        #expect(results.allSatisfy { $0 == results[0] })
    }
}
