import Engine
import Support
import Testing

/// The im2col + sgemm convolutions against the direct-sum kernels beside them, over shapes
/// that exercise padding at every edge, strides 1-3, non-square kernels and odd sizes.
/// Tolerance 1e-5 of the scale: the naive sums are in double, ours in float32 over <= 200 terms.
@Suite struct NaiveKernelTests {
    @Test(arguments: [
        (3, 2, 5, 4, 4, 2, 1, 9, 13),   // (N, Cin, Cout, kh, kw, stride, pad, H, W)
        (2, 3, 4, 3, 3, 1, 1, 6, 5),
        (1, 4, 2, 2, 5, 1, 0, 4, 8),
        (2, 2, 3, 3, 2, 3, 2, 7, 7),
        (4, 5, 1, 4, 8, 1, 0, 4, 8),    // full-extent kernel, as the discriminator's last layer
        (3, 6, 3, 5, 7, 2, 0, 5, 7),    // the same with several outputs
        (2, 3, 2, 3, 4, 2, 0, 4, 5),    // one output position from a kernel smaller than the input
    ])
    func conv2dMatchesNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
        for chunk in [Int.max, 1, 2] { checkConv2dAgainstNaive(c, chunk: chunk) }
    }

    @Test(arguments: [
        (2, 3, 4, 4, 2, 1, 3, 5),   // (N, Cin, Cout, k, stride, pad, H, W): the generator's upsampler
        (3, 2, 3, 3, 1, 1, 4, 4),
        (1, 4, 2, 5, 3, 2, 3, 2),
        (2, 2, 1, 4, 2, 1, 8, 16),
    ])
    func convTranspose2dMatchesNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        for chunk in [Int.max, 1, 2] { checkConvTranspose2dAgainstNaive(c, chunk: chunk) }
    }

    /// Several chunks over two workers: the same inputs give bit-identical results every time
    /// (chunks go to workers in fixed ranges; partial weight gradients are summed in worker order).
    @Test func chunkedConvolutionIsDeterministic() {
        var results: [[Float]] = []
        for _ in 0 ..< 3 {
            var rng = SplitMix64(seed: 77)
            let store = ParameterStore()
            let conv = Conv2d(store, name: "c", inChannels: 3, outChannels: 4, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
            conv.initialize(rng: &rng)
            conv.maxChunkSamples = 1
            let x = randomSigned(3 * 6 * 8 * 8, &rng)
            let y = conv.forward(FloatBuffer(x), batch: 6, height: 8, width: 8).array
            let dx = conv.backward(FloatBuffer(randomSigned(y.count, &rng))).array
            results.append(y + dx + store.gradArray(conv.weight))
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }

    /// PyTorch's default init bounds: U(+-1/sqrt(fan_in)) with fan_in = in*k*k for Conv2d and
    /// out*k*k for ConvTranspose2d (weight.size(1)). 4096+ draws reach within 1% of the bound.
    @Test func initialisationBounds() {
        var rng = SplitMix64(seed: 3)
        let store = ParameterStore()
        let conv = Conv2d(store, name: "c", inChannels: 32, outChannels: 64, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        let ct = ConvTranspose2d(store, name: "t", inChannels: 64, outChannels: 8, kernel: 4, stride: 2, padding: 1)
        let lin = Linear(store, name: "l", inFeatures: 50, outFeatures: 200)
        conv.initialize(rng: &rng); ct.initialize(rng: &rng); lin.initialize(rng: &rng)
        for (p, fanIn) in [(conv.weight, 32 * 16), (ct.weight, 8 * 16), (lin.weight, 50)] {
            let v = store.array(p), bound = 1 / Float(fanIn).squareRoot()
            let m = v.map(abs).max()!
            #expect(m <= bound && m > 0.99 * bound, "\(p.name): max |w| \(m), bound \(bound)")
        }
        for (p, fanIn) in [(conv.bias, 32 * 16), (ct.bias, 8 * 16), (lin.bias, 50)] {
            #expect(store.array(p).map(abs).max()! <= 1 / Float(fanIn).squareRoot())
        }
    }
}

/// Linear with shapes large enough that its products are split across workers (by output
/// columns in forward and dx, by weight rows in dW), against direct double sums.
@Suite struct LinearSplitTests {
    @Test func splitProductsMatchDirectSums() {
        var rng = SplitMix64(seed: 5)
        let (n, fin, fout) = (3, 130, 300)   // >= 128 on each side: every product splits
        let store = ParameterStore()
        let lin = Linear(store, name: "l", inFeatures: fin, outFeatures: fout)
        lin.initialize(rng: &rng)
        let x = randomSigned(n * fin, &rng), dy = randomSigned(n * fout, &rng)
        let w = store.array(lin.weight), b = store.array(lin.bias)
        let y = lin.forward(FloatBuffer(x), batch: n).array
        let dx = lin.backward(FloatBuffer(dy)).array
        var wantY = [Float](), wantDx = [Float](), wantDw = [Float]()
        for i in 0 ..< n {
            for o in 0 ..< fout { wantY.append(Float(Double(b[o]) + (0 ..< fin).reduce(0.0) { $0 + Double(x[i * fin + $1]) * Double(w[o * fin + $1]) })) }
            for j in 0 ..< fin { wantDx.append(Float((0 ..< fout).reduce(0.0) { $0 + Double(dy[i * fout + $1]) * Double(w[$1 * fin + j]) })) }
        }
        for o in 0 ..< fout { for j in 0 ..< fin { wantDw.append(Float((0 ..< n).reduce(0.0) { $0 + Double(dy[$1 * fout + o]) * Double(x[$1 * fin + j]) })) } }
        // float32 sums of <= 300 terms against double: 1e-5 of the scale.
        expectClose("linear split y", y, wantY, rtol: 1e-5)
        expectClose("linear split dx", dx, wantDx, rtol: 1e-5)
        expectClose("linear split dweight", store.gradArray(lin.weight), wantDw, rtol: 1e-5)
    }
}
