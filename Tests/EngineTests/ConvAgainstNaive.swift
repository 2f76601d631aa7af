import Engine
import Support
import Testing

// The fast convolutions against the direct-sum kernels beside them, shared by NaiveKernelTests
// (sample chunks) and TiledConvolutionTests (column tiles). Tolerance 1e-5 of the scale: the
// naive sums are in double, ours in float32 over <= 200 terms.

func randomSigned(_ n: Int, _ rng: inout SplitMix64) -> [Float] { (0 ..< n).map { _ in rng.nextUniform() * 2 - 1 } }

/// Conv2d (N, Cin, Cout, kh, kw, stride, pad, H, W) against the direct-sum kernels: output and
/// every gradient. chunk: samples per column chunk (1 and 2 spread a batch over several chunks
/// and workers); tile: columns per tile (small values force tiles of a few output rows).
/// settings: the layer's (e.g. `.avx2`, where the Winograd products stay on OpenBLAS).
/// slope: the layer applies LeakyReLU(slope) to its output (as the discriminator's first layer
/// does), and its backward takes the activated output's gradient: the reference is the naive
/// convolution's, through the naive output's derivative (1 above 0, slope below).
func checkConv2dAgainstNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Int), chunk: Int, tile: Int = Int.max,
                             settings: ComputeSettings = .standard, slope: Float? = nil) {
    let (n, cin, cout, kh, kw, s, p, h, w) = c
    var rng = SplitMix64(seed: UInt64(n * 1000 + cin * 100 + kh * 10 + s))
    let store = ParameterStore()
    let conv = Conv2d(store, name: "c", inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                      stride: s, padding: p, settings: settings)
    conv.initialize(rng: &rng)
    conv.maxChunkSamples = chunk
    conv.maxTileColumns = tile
    if let slope { conv.activation = .leakyReLU(slope) }
    let g = conv.geometry(batch: n, height: h, width: w)
    let x = randomSigned(g.inputCount, &rng)
    let y = conv.forward(FloatBuffer(x), batch: n, height: h, width: w).array
    let weight = store.array(conv.weight), bias = store.array(conv.bias)
    let z = conv2dNaive(g, outChannels: cout, x: x, weight: weight, bias: bias)
    expectClose("conv\(c) chunk \(chunk) tile \(tile).y", y, slope.map { a in z.map { $0 > 0 ? $0 : a * $0 } } ?? z, rtol: 1e-5)
    let dy = randomSigned(y.count, &rng)
    let dx = conv.backward(FloatBuffer(dy)).array
    let dz = slope.map { a in (0 ..< dy.count).map { z[$0] > 0 ? dy[$0] : a * dy[$0] } } ?? dy
    let ref = conv2dNaiveBackward(g, outChannels: cout, x: x, weight: weight, dy: dz)
    expectClose("conv\(c) chunk \(chunk) tile \(tile).dx", dx, ref.dx, rtol: 1e-5)
    expectClose("conv\(c) chunk \(chunk) tile \(tile).dweight", store.gradArray(conv.weight), ref.dWeight, rtol: 1e-5)
    expectClose("conv\(c) chunk \(chunk) tile \(tile).dbias", store.gradArray(conv.bias), ref.dBias, rtol: 1e-5)
}

/// ConvTranspose2d (N, Cin, Cout, k, stride, pad, H, W) against the direct-sum kernels, as above;
/// tiles count the layer's input positions.
func checkConvTranspose2dAgainstNaive(_ c: (Int, Int, Int, Int, Int, Int, Int, Int), chunk: Int, tile: Int = Int.max,
                                      settings: ComputeSettings = .standard) {
    let (n, cin, cout, k, s, p, h, w) = c
    var rng = SplitMix64(seed: UInt64(n * 1000 + cin * 100 + k * 10 + s))
    let store = ParameterStore()
    let ct = ConvTranspose2d(store, name: "t", inChannels: cin, outChannels: cout, kernel: k, stride: s,
                             padding: p, settings: settings)
    ct.initialize(rng: &rng)
    ct.maxChunkSamples = chunk
    ct.maxTileColumns = tile
    let x = randomSigned(cin * n * h * w, &rng)
    let y = ct.forward(FloatBuffer(x), batch: n, height: h, width: w).array
    let weight = store.array(ct.weight), bias = store.array(ct.bias)
    let ref = convTranspose2dNaive(inChannels: cin, outChannels: cout, batch: n, height: h, width: w,
                                   kernel: k, stride: s, padding: p, x: x, weight: weight, bias: bias)
    expectClose("convT\(c) chunk \(chunk) tile \(tile).y", y, ref, rtol: 1e-5)
    let dy = randomSigned(y.count, &rng)
    let dx = ct.backward(FloatBuffer(dy)).array
    let rb = convTranspose2dNaiveBackward(inChannels: cin, outChannels: cout, batch: n, height: h, width: w,
                                          kernel: k, stride: s, padding: p, x: x, weight: weight, dy: dy)
    expectClose("convT\(c) chunk \(chunk) tile \(tile).dx", dx, rb.dx, rtol: 1e-5)
    expectClose("convT\(c) chunk \(chunk) tile \(tile).dweight", store.gradArray(ct.weight), rb.dWeight, rtol: 1e-5)
    expectClose("convT\(c) chunk \(chunk) tile \(tile).dbias", store.gradArray(ct.bias), rb.dBias, rtol: 1e-5)
}
