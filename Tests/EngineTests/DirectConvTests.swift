import Engine
import Support
import Testing

/// DirectConv (CKernels' kg_conv_s2): the 4 x 4, stride-2 convolution of one or two input
/// channels straight from the input. Every path gives the same bits, for any split of the rows
/// between workers; where the packed product kernel runs, the same bits as im2col + that kernel +
/// the bias-and-activation pass it replaces; and the sum in double within a bound. Shapes with
/// output rows past the vector path's blocks of 32 columns and 8 channels, and without a bias.
@Suite struct DirectConvTests {
    static let shapes: [(channels: Int, batch: Int, height: Int, width: Int, out: Int)] = [
        (2, 2, 8, 64, 32), (1, 1, 6, 80, 13), (2, 3, 4, 36, 8), (2, 1, 16, 512, 32), (1, 2, 2, 2, 3),
    ]
    static let activations: [Activation] = [.identity, .relu, .leakyReLU(0.2)]

    @Test(arguments: 0 ..< shapes.count)
    func matchesTheProductsAndTheSum(_ index: Int) {
        let s = Self.shapes[index]
        let g = ConvGeometry(channels: s.channels, batch: s.batch, height: s.height, width: s.width,
                             kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        var rng = SplitMix64(seed: UInt64(100 + index))
        let x = randomSigned(g.inputCount, &rng)
        let w = (0 ..< s.out * g.colRows).map { _ in rng.nextUniform() - 0.5 }
        let bias = (0 ..< s.out).map { _ in rng.nextUniform() - 0.5 }
        let count = s.out * g.colCols
        for (a, act) in Self.activations.enumerated() {
            let withBias = a > 0   // identity runs without a bias: nothing may be added
            func run(_ y: UnsafeMutablePointer<Float>, workers: Int, isa: Int32) {
                bias.withUnsafeBufferPointer { bp in
                    DirectConv.forward(g, x: x, weights: w, bias: withBias ? bp.baseAddress! : nil, outChannels: s.out,
                                       activation: act, into: y, workers: workers, isa: isa)
                }
            }
            let start = [Float](repeating: .nan, count: count)
            let vector = sameBitsOnEveryPath(start, paths: [0, 2], "direct convolution, \(act)") { run($0, workers: 2, isa: $1) }
            let single = sameBitsOnEveryPath(start, paths: [2], "") { run($0, workers: 1, isa: $1) }
            #expect(single.map(\.bitPattern) == vector.map(\.bitPattern), "1 worker against 2: \(act)")
            #expect(!vector.contains { $0.isNaN }, "every output written: \(act)")

            // The im2col path it replaces: the packed kernel over im2col's columns, then bias and activation.
            if PackedGemm.applies(.standard) {
                var col = [Float](repeating: 0, count: g.colRows * g.colCols), y = [Float](repeating: 0, count: count)
                Im2Col.im2col(g, x, channelStride: g.batch * g.height * g.width, &col)
                let buffer = FloatBuffer()
                let products = PackedGemm.Products(w, matrices: 1, m: s.out, k: g.colRows, widest: g.colCols, settings: .standard,
                                                   buffer: buffer)
                y.withUnsafeMutableBufferPointer { yp in
                    products.multiply(0, n: g.colCols, b: col, ldb: g.colCols, c: yp.baseAddress!, ldc: g.colCols)
                    for o in 0 ..< s.out {
                        let row = yp.baseAddress! + o * g.colCols
                        if withBias {
                            ElementwiseKernels.affine(row, row, count: g.colCols, scale: 1, shift: bias[o], act, isa: .native)
                        } else {
                            ElementwiseKernels.activation(row, row, count: g.colCols, act, isa: .native)
                        }
                    }
                }
                if g.colCols >= PackedGemm.minimumColumns {
                    #expect(vector.map(\.bitPattern) == y.map(\.bitPattern), "against im2col + the packed kernel: \(act)")
                }
            }

            // The sum in double: 16C fused steps and the bias's add, each rounding once (2^-24 of
            // the running sum, bounded by the sum of |terms|), then the activation's scaling.
            var worst = 0.0
            let oh = g.outHeight, ow = g.outWidth
            for o in 0 ..< s.out {
                for n in 0 ..< s.batch {
                    for i in 0 ..< oh {
                        for j in 0 ..< ow {
                            var sum = withBias ? Double(bias[o]) : 0, magnitude = abs(sum)
                            for c in 0 ..< s.channels {
                                for ky in 0 ..< 4 {
                                    for kx in 0 ..< 4 {
                                        let r = 2 * i + ky - 1, q = 2 * j + kx - 1
                                        guard r >= 0, r < s.height, q >= 0, q < s.width else { continue }
                                        let t = Double(x[((c * s.batch + n) * s.height + r) * s.width + q]) * Double(w[o * g.colRows + c * 16 + ky * 4 + kx])
                                        sum += t; magnitude += abs(t)
                                    }
                                }
                            }
                            let expected = sum > 0 ? sum : act == .relu ? 0 : act == .identity ? sum : 0.2 * sum
                            let bound = Double(16 * s.channels + 2) * 6e-8 * magnitude + 1e-30
                            worst = max(worst, abs(Double(vector[((o * s.batch + n) * oh + i) * ow + j]) - expected) / bound)
                        }
                    }
                }
            }
            #expect(worst <= 1, "error \(worst) of the bound: \(act)")
        }
    }
}
