import Engine
import Support
import Testing

/// Central finite differences of L = sum(y * r) (r fixed random) against each layer's backward.
/// The layers run in float32, so L carries ~1e-7 relative rounding; with h = 1e-2 and L = O(10)
/// the quotient is good to ~1e-4, and the O(h^2) truncation of the nonlinear BatchNorm adds a
/// similar amount: tolerance 2e-3 of the largest gradient.
@Suite struct FiniteDifferenceTests {
    static let h: Float = 1e-2
    static let rtol: Float = 2e-3

    static func random(_ n: Int, _ rng: inout SplitMix64) -> [Float] { (0 ..< n).map { _ in rng.nextUniform() * 2 - 1 } }

    static func dot(_ a: FloatBuffer, _ r: [Float]) -> Double {
        var s = 0.0
        for i in 0 ..< a.count { s += Double(a[i]) * Double(r[i]) }
        return s
    }

    /// Numerical gradient of loss() w.r.t. every element of `values` (perturbed in place).
    static func numerical(_ values: UnsafeMutablePointer<Float>, count: Int, loss: () -> Double) -> [Float] {
        (0 ..< count).map { i in
            let old = values[i]
            values[i] = old + h; let lp = loss()
            values[i] = old - h; let lm = loss()
            values[i] = old
            return Float((lp - lm) / Double(2 * h))
        }
    }

    static func check(_ name: String, _ analytic: [Float], _ numeric: [Float]) {
        let d = maxAbsDiff(analytic, numeric)
        let scale = max(numeric.map(abs).max() ?? 0, 1e-3)
        print("  fd \(name): max |analytic - numeric| = \(d) (max |grad| \(scale))")
        #expect(d <= rtol * scale, "\(name)")
    }

    @Test func conv2d() {
        var rng = SplitMix64(seed: 11)
        let store = ParameterStore()
        let conv = Conv2d(store, name: "c", inChannels: 2, outChannels: 3, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        conv.initialize(rng: &rng)
        let x = FloatBuffer(randomSigned(2 * 2 * 6 * 8, &rng))
        let r = randomSigned(3 * 2 * 3 * 4, &rng)
        let loss = { Self.dot(conv.forward(x, batch: 2, height: 6, width: 8), r) }
        _ = loss()
        let dx = conv.backward(FloatBuffer(r)).array
        Self.check("conv2d dx", dx, Self.numerical(x.pointer, count: x.count, loss: loss))
        Self.check("conv2d dweight", store.gradArray(conv.weight), Self.numerical(store.value(conv.weight), count: conv.weight.count, loss: loss))
        Self.check("conv2d dbias", store.gradArray(conv.bias), Self.numerical(store.value(conv.bias), count: conv.bias.count, loss: loss))
    }

    @Test func convTranspose2d() {
        var rng = SplitMix64(seed: 12)
        let store = ParameterStore()
        let ct = ConvTranspose2d(store, name: "t", inChannels: 3, outChannels: 2, kernel: 4, stride: 2, padding: 1)
        ct.initialize(rng: &rng)
        let x = FloatBuffer(randomSigned(3 * 2 * 3 * 4, &rng))
        let r = randomSigned(2 * 2 * 6 * 8, &rng)
        let loss = { Self.dot(ct.forward(x, batch: 2, height: 3, width: 4), r) }
        _ = loss()
        let dx = ct.backward(FloatBuffer(r)).array
        Self.check("convT dx", dx, Self.numerical(x.pointer, count: x.count, loss: loss))
        Self.check("convT dweight", store.gradArray(ct.weight), Self.numerical(store.value(ct.weight), count: ct.weight.count, loss: loss))
        Self.check("convT dbias", store.gradArray(ct.bias), Self.numerical(store.value(ct.bias), count: ct.bias.count, loss: loss))
    }

    @Test func linear() {
        var rng = SplitMix64(seed: 13)
        let store = ParameterStore()
        let lin = Linear(store, name: "l", inFeatures: 6, outFeatures: 4)
        lin.initialize(rng: &rng)
        let x = FloatBuffer(randomSigned(3 * 6, &rng))
        let r = randomSigned(3 * 4, &rng)
        let loss = { Self.dot(lin.forward(x, batch: 3), r) }
        _ = loss()
        let dx = lin.backward(FloatBuffer(r)).array
        Self.check("linear dx", dx, Self.numerical(x.pointer, count: x.count, loss: loss))
        Self.check("linear dweight", store.gradArray(lin.weight), Self.numerical(store.value(lin.weight), count: lin.weight.count, loss: loss))
        Self.check("linear dbias", store.gradArray(lin.bias), Self.numerical(store.value(lin.bias), count: lin.bias.count, loss: loss))
    }

    /// BatchNorm with each fused activation. A finite difference across the activation's kink
    /// measures the wrong slope, so the input is the first seeded draw whose outputs all stay
    /// 0.05 away from 0 (an h-step moves an output by < 0.03 here).
    @Test(arguments: [Activation.identity, .relu, .leakyReLU(0.2)])
    func batchNorm(_ act: Activation) throws {
        let store = ParameterStore()
        let bn = BatchNorm2d(store, name: "bn", channels: 2, activation: act)
        for i in 0 ..< 2 { store.value(bn.weight)[i] = 0.5 + Float(i); store.value(bn.bias)[i] = 0.1 * Float(i) }
        let plainStore = ParameterStore()   // the same BN without activation: pre-activations
        let plain = BatchNorm2d(plainStore, name: "bn", channels: 2)
        plainStore.values.copy(from: store.values.array)
        var x = FloatBuffer(), r: [Float] = []
        var found = false
        for seed in UInt64(14) ..< 200 {
            var rng = SplitMix64(seed: seed)
            x = FloatBuffer(randomSigned(2 * 3 * 2 * 2, &rng).map { $0 * 3 })
            r = randomSigned(x.count, &rng)
            let y = plain.forward(x, training: true)
            if act == .identity || (0 ..< y.count).allSatisfy({ abs(y[$0]) > 0.05 }) { found = true; break }
        }
        try #require(found)
        let loss = { Self.dot(bn.forward(x, training: true), r) }
        _ = loss()
        let dx = bn.backward(FloatBuffer(r)).array
        Self.check("bn(\(act)) dx", dx, Self.numerical(x.pointer, count: x.count, loss: loss))
        Self.check("bn(\(act)) dweight", store.gradArray(bn.weight), Self.numerical(store.value(bn.weight), count: 2, loss: loss))
        Self.check("bn(\(act)) dbias", store.gradArray(bn.bias), Self.numerical(store.value(bn.bias), count: 2, loss: loss))
    }

    @Test func bce() {
        var logits: [Float] = [-3, -0.5, 0.2, 2.5, 8]
        let targets: [Float] = [1, 0, 1, 0, 1]
        let analytic = BCEWithLogits.backward(logits: logits, targets: targets)
        let numeric = logits.withUnsafeMutableBufferPointer { p in
            Self.numerical(p.baseAddress!, count: 5) { Double(BCEWithLogits.forward(logits: Array(p), targets: targets)) }
        }
        Self.check("bce dlogits", analytic, numeric)
    }
}
