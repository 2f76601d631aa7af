import Engine
import Support
import Testing

/// The Winograd path of Conv2d and ConvTranspose2d against the direct-sum kernels, at shapes
/// where it applies (4x4, stride 2, padding 1, >= 8 channels on both sides, output sides even):
/// output and every gradient, over one chunk and over one tile row per chunk (several chunks on
/// both workers), with tile rows both shorter and longer than the 8-tile vector loops.
/// Each with 2x2 and with 4x4 tiles (where the output sides are multiples of 4).
/// Tolerance 1e-5 of the scale, as for im2col: F(2x2, 2x2)'s transforms only add and subtract,
/// so its rounding is of the same order as the direct method's (observed below 1e-6); F(4x4,
/// 2x2)'s reach 8 and 1/6 and sum 25 products per output, a few times more rounding (a float32
/// simulation with 512 input channels: 3.4e-6 of the mean output RMS against 1.0e-6), which these
/// channel counts keep well inside 1e-5.
@Suite struct WinogradConvTests {
    /// Native (the packed product kernel where the CPU has AVX-512) and AVX2 (OpenBLAS's products;
    /// with 4x4 tiles, the portable F(4x4) transforms), each with both tile sizes.
    static let productPaths = [ComputeSettings.ISA.native, .avx2].flatMap { isa in
        [ComputeSettings.Convolution.winograd2x2, .winograd4x4].map { ComputeSettings(convolution: $0, isa: isa) }
    }

    static let convCases = [
        (2, 8, 9, 8, 12),    // (N, Cin, Cout, H, W): 3 tiles per row (scalar tails only)
        (1, 8, 8, 4, 40),    // 10 tiles per row: one 8-tile vector step and a tail of 2
        (3, 10, 8, 8, 36),   // 9 tiles per row
        (4, 8, 9, 16, 64),   // chunks 64 tiles wide: the packed product kernel's minimum
        (2, 8, 9, 8, 24),    // 4x4 tiles: 3 per row (one masked AVX-512 step)
        (1, 9, 8, 16, 136),  // 4x4 tiles: 17 per row (a full step and a masked one of 1)
    ]

    @Test(arguments: convCases)
    func conv2dMatchesNaive(_ c: (Int, Int, Int, Int, Int)) {
        let (n, cin, cout, h, w) = c
        let g = ConvGeometry(channels: cin, batch: n, height: h, width: w, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        #expect(WinogradConv.applies(g, outChannels: cout))
        for chunk in [Int.max, 1] {
            for settings in Self.productPaths {
                checkConv2dAgainstNaive((n, cin, cout, 4, 4, 2, 1, h, w), chunk: Int.max, tile: chunk, settings: settings)
            }
        }
    }

    /// A deep layer (4C + O tile floats at most the 4 groups' partial sums' O x 4C): its weight
    /// gradient transforms the whole layer first, then runs each point's product over all tiles
    /// (with 4x4 tiles on the packed kernel; one chunk, and 8 chunks of one tile row).
    @Test func deepLayerWeightGradientMatchesNaive() {
        let settings = ComputeSettings.standard
        for chunk in [Int.max, 1] {
            checkConv2dAgainstNaive((4, 64, 96, 4, 4, 2, 1, 16, 64), chunk: Int.max, tile: chunk, settings: settings)
        }
    }

    @Test(arguments: [
        (2, 9, 8, 4, 6),     // (N, Cin, Cout, H, W) of the transposed layer's input
        (1, 8, 10, 2, 20),
        (2, 16, 8, 4, 18),
        (4, 9, 8, 8, 32),    // chunks 64 tiles wide (the packed kernel's minimum)
        (2, 9, 8, 4, 12),    // 4x4 tiles: 3 per row
        (1, 8, 10, 4, 68),   // 4x4 tiles: 17 per row
        (2, 8, 9, 8, 16),    // 4x4 tiles: 2 tile rows per sample (chunks of one start inside a sample)
    ])
    func convTranspose2dMatchesNaive(_ c: (Int, Int, Int, Int, Int)) {
        let (n, cin, cout, h, w) = c
        let g = ConvGeometry(channels: cout, batch: n, height: 2 * h, width: 2 * w, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        #expect(WinogradConv.applies(g, outChannels: cin))
        for chunk in [Int.max, 1] {
            for settings in Self.productPaths {
                checkConvTranspose2dAgainstNaive((n, cin, cout, 4, 2, 1, h, w), chunk: Int.max, tile: chunk, settings: settings)
            }
        }
    }

    /// The layers fall back to im2col where Winograd does not apply (the model's first and last
    /// strided layers, odd half-sizes, other kernels).
    /// The filters transformed straight into the packed kernel's layout are the transformed
    /// filters packed, bit for bit, every layout, with 1 and 4 rows in the last panel of 8 (and,
    /// adjoint, panels that cross from one phase to the next where 8 does not divide the channels). The
    /// buffer starts as NaN: an element left unwritten would show.
    @Test(arguments: [(8, 9), (12, 16), (9, 20)])
    func packedFiltersAreTheFiltersPacked(_ c: (Int, Int)) {
        let (cin, cout) = c
        let g = ConvGeometry(channels: cin, batch: 1, height: 16, width: 16, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        let wc = WinogradConv(g, outChannels: cout, settings: ComputeSettings(convolution: .winograd4x4))
        #expect(wc.tile == 4)
        var rng = SplitMix64(seed: UInt64(cin * cout))
        let w = (0 ..< cout * cin * 16).map { _ in rng.nextUniform() * 2 - 1 }
        for layout in WinogradConv.FilterLayout.allCases {
            let (m, k, count) = switch layout {
            case .forward: (cout, 4 * cin, 25)
            case .transposed: (cin, cout, 100)
            case .adjoint: (4 * cin, cout, 25)
            }
            let u = FloatBuffer(), want = FloatBuffer(), got = FloatBuffer()
            wc.filters(w, into: u, layout: layout)
            want.resize(PackedGemm.packedCount(matrices: count, m: m, k: k))
            PackedGemm.pack(u.pointer, matrices: count, matrixStride: m * k, m: m, k: k, lda: k, into: want.pointer, workers: 1, isa: 2)
            got.resize(want.count)
            got.pointer.update(repeating: .nan, count: got.count)
            wc.packFilters(w, layout: layout, into: got)
            #expect(got.count == want.count)
            let same = (0 ..< want.count).allSatisfy { got.pointer[$0].bitPattern == want.pointer[$0].bitPattern }
            #expect(same, "cin \(cin), cout \(cout), \(layout)")
        }
    }

    @Test func appliesOnlyWhereItShould() {
        func geometry(_ c: Int, _ h: Int, _ w: Int, k: Int = 4, s: Int = 2, p: Int = 1) -> ConvGeometry {
            ConvGeometry(channels: c, batch: 2, height: h, width: w, kernelH: k, kernelW: k, stride: s, padding: p)
        }
        #expect(WinogradConv.applies(geometry(32, 64, 256), outChannels: 64))
        #expect(!WinogradConv.applies(geometry(2, 128, 512), outChannels: 32))   // D's first conv
        #expect(!WinogradConv.applies(geometry(1, 128, 512), outChannels: 32))   // G's last (adjoint)
        #expect(!WinogradConv.applies(geometry(8, 6, 8), outChannels: 8))        // output height 3
        #expect(!WinogradConv.applies(geometry(8, 8, 8, k: 3, s: 1), outChannels: 8))
    }

    /// Each layer's tile rows are cut into equal chunks, as many as a multiple of 4, so two
    /// workers finish together (at the model's shapes the 2 MB target gave 29, 15 and 8 chunks,
    /// the last of the 8 holding one row of 9).
    @Test(arguments: [(32, 64, 256, 64), (64, 32, 128, 128), (128, 16, 64, 256), (8, 12, 40, 8)])
    func chunksAreEqualAndComeInFours(_ c: (Int, Int, Int, Int)) {
        let (cin, h, w, cout) = c, batch = 16
        let g = ConvGeometry(channels: cin, batch: batch, height: h, width: w, kernelH: 4, kernelW: 4, stride: 2, padding: 1)
        let plan = WinogradConv.plan(g, outChannels: cout, settings: ComputeSettings(threads: 2))!, shapes = plan.gemmShapes
        let tilesPerRow = w / (2 * plan.tile), tileRows = batch * h / (2 * plan.tile)
        for n in [shapes.convolve[1], shapes.transposed[1]] {
            let rows = n / tilesPerRow, chunks = (tileRows + rows - 1) / rows
            #expect(n % tilesPerRow == 0 && (chunks % 4 == 0 || chunks == tileRows), "\(c): \(chunks) chunks of \(rows) rows")
            #expect(rows * chunks - tileRows < chunks, "\(c): the last chunk is short by \(rows * chunks - tileRows) rows")
        }
    }

    /// Winograd and im2col layers with the same weights agree, and the Winograd result is the
    /// same bits on every run (chunks go to workers in fixed ranges for the weight gradient).
    @Test func agreesWithIm2colAndIsDeterministic() {
        let (n, cin, cout, h, w) = (4, 16, 8, 8, 40)
        var results: [[Float]] = []
        for winograd in [true, true, false] {
            var rng = SplitMix64(seed: 91)
            let store = ParameterStore()
            let conv = Conv2d(store, name: "c", inChannels: cin, outChannels: cout, kernelH: 4, kernelW: 4, stride: 2, padding: 1,
                              settings: ComputeSettings(convolution: winograd ? .winograd : .im2col))
            conv.initialize(rng: &rng)
            conv.maxTileColumns = 1   // Winograd: one tile row per chunk
            let x = randomSigned(cin * n * h * w, &rng)
            let y = conv.forward(FloatBuffer(x), batch: n, height: h, width: w).array
            let dx = conv.backward(FloatBuffer(randomSigned(y.count, &rng))).array
            results.append(y + dx + store.gradArray(conv.weight))
        }
        #expect(results[0] == results[1])
        expectClose("winograd vs im2col", results[0], results[2], rtol: 1e-5)
    }

    /// With the tile size fixed, a layer on the portable C transforms gives the same bits as one
    /// on the AVX2 or AVX-512 ones: the transforms only add (F(4x4)'s filter transform, in double,
    /// has no FMA to contract), so the ISA setting changes speed, never results. (By default the
    /// tile size follows the ISA: `largeTiles`.)
    @Test(arguments: [ComputeSettings.Convolution.winograd2x2, .winograd4x4])
    func portableAndNativeKernelsGiveTheSameBits(_ convolution: ComputeSettings.Convolution) {
        let (n, cin, cout, h, w) = (2, 16, 8, 8, 40)
        var results: [[Float]] = []
        for isa in ComputeSettings.ISA.allCases {
            var rng = SplitMix64(seed: 5)
            let store = ParameterStore()
            let conv = Conv2d(store, name: "c", inChannels: cin, outChannels: cout, kernelH: 4, kernelW: 4, stride: 2, padding: 1,
                              settings: ComputeSettings(threads: 2, convolution: convolution, isa: isa))
            conv.initialize(rng: &rng)
            let x = randomSigned(cin * n * h * w, &rng)
            let y = conv.forward(FloatBuffer(x), batch: n, height: h, width: w).array
            let dx = conv.backward(FloatBuffer(randomSigned(y.count, &rng))).array
            results.append(y + dx + store.gradArray(conv.weight))
        }
        #expect(results.allSatisfy { $0 == results[0] })
    }
}
