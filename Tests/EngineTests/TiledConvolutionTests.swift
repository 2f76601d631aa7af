import Engine
import Support
import Testing

/// The convolutions split each chunk into column tiles (whole samples, or a few output rows of
/// one sample) so the column matrix stays in cache. The model's test shapes are too small to be
/// tiled, so these force tiny tiles and compare with the direct-sum kernels.
/// Tolerance 1e-5 of the scale, as NaiveKernelTests: naive sums in double, ours in float32 over
/// <= 200 terms.
@Suite struct TiledConvolutionTests {
    /// (N, Cin, Cout, kh, kw, stride, pad, H, W); tiles of 1 output row, of 2 rows + a partial
    /// last one, and of whole samples (3 columns per output plane below the tile size).
    @Test(arguments: [(3, 2, 5, 4, 4, 2, 1, 9, 13), (2, 3, 4, 3, 3, 1, 1, 6, 5), (5, 2, 3, 4, 8, 1, 0, 4, 8)])
    func conv2dTilesMatchNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (_, _, _, _, kw, s, p, _, w) = c
        for (chunk, tile) in [(Int.max, 1), (2, 1), (Int.max, 13), (Int.max, 2 * ((w + 2 * p - kw) / s + 1)), (1, 3)] {
            checkConv2dAgainstNaive(c, chunk: chunk, tile: tile)
        }
    }

    /// A layer with its activation (the discriminator's first: LeakyReLU(0.2)), whose backward
    /// applies the activation's derivative tile by tile and sums the bias gradient per chunk.
    @Test func conv2dWithActivationTilesMatchNaive() {
        let c = (3, 2, 5, 4, 4, 2, 1, 10, 14)
        for (chunk, tile) in [(Int.max, Int.max), (Int.max, 1), (2, 7), (1, 3)] {
            checkConv2dAgainstNaive(c, chunk: chunk, tile: tile, slope: 0.2)
        }
    }

    /// (N, Cin, Cout, k, stride, pad, H, W); tiles count the layer's input positions.
    @Test(arguments: [(2, 3, 4, 4, 2, 1, 3, 5), (3, 2, 3, 3, 1, 1, 4, 4), (2, 2, 1, 4, 2, 1, 8, 16)])
    func convTranspose2dTilesMatchNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (_, _, _, _, _, _, h, w) = c
        for (chunk, tile) in [(Int.max, 1), (2, 1), (Int.max, 2 * w + 1), (Int.max, h * w), (1, 3)] {
            checkConvTranspose2dAgainstNaive(c, chunk: chunk, tile: tile)
        }
    }

    /// Only some channels of the input gradient (the discriminator's first layer needs one of
    /// its two): those channels equal the naive ones, whole samples and row tiles alike.
    @Test func inputGradientOfSomeChannels() {
        for (range, tile) in [(1 ..< 3, Int.max), (0 ..< 1, 1), (2 ..< 3, 7)] {
            var rng = SplitMix64(seed: 5)
            let (n, cin, cout, h, w) = (2, 3, 4, 8, 10)
            let store = ParameterStore()
            let conv = Conv2d(store, name: "c", inChannels: cin, outChannels: cout, kernelH: 4, kernelW: 4,
                              stride: 2, padding: 1)
            conv.initialize(rng: &rng)
            conv.maxTileColumns = tile
            let g = conv.geometry(batch: n, height: h, width: w)
            let x = randomSigned(g.inputCount, &rng)
            let y = conv.forward(FloatBuffer(x), batch: n, height: h, width: w).array
            let dy = randomSigned(y.count, &rng)
            let dx = conv.backward(FloatBuffer(dy), paramGrads: false, inputChannels: range).array
            let ref = conv2dNaiveBackward(g, outChannels: cout, x: x, weight: store.array(conv.weight), dy: dy)
            let part = range.lowerBound * n * h * w ..< range.upperBound * n * h * w
            expectClose("channels \(range) tile \(tile).dx", Array(dx[part]), Array(ref.dx[part]), rtol: 1e-5)
        }
    }
}
