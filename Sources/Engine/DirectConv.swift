import CKernels

/// 4 x 4, stride-2, padding-1 convolutions with one or two input channels, computed straight from
/// the input (CKernels' kg_conv_s2) where AVX-512 runs: the discriminator's first layer (2 -> 32
/// channels) and the generator's last in its input gradient (1 -> 32). im2col + the packed
/// product ran the first at about half the machine's speed: a 32-deep product per output, its
/// 33 MB output written, then read again for the bias and activation. The results are the same
/// bits as that path (each output's products are one fused chain in im2col's row order).
public enum DirectConv {
    public static func applies(_ g: ConvGeometry, settings: ComputeSettings) -> Bool {
        g.kernelH == 4 && g.kernelW == 4 && g.stride == 2 && g.padding == 1 && g.channels <= 2
            && g.height % 2 == 0 && g.width % 2 == 0 && kg_conv_s2_level(settings.isaFlag) == 2
    }

    /// Output rows per task: the split is by shape alone, and each output is computed the same way whatever the split.
    static let rowsPerTask = 8

    /// y (O, N, H/2, W/2) = act(conv(x) + bias), x (C, N, H, W), w [O, C, 4, 4]; no bias: nothing added.
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               outChannels: Int, activation: Activation, into y: UnsafeMutablePointer<Float>, settings: ComputeSettings) {
        forward(g, x: x, weights: w, bias: bias, outChannels: outChannels, activation: activation, into: y,
                workers: settings.threads, isa: settings.isaFlag)
    }

    /// The same on the path `isa` allows (tests compare the paths).
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               outChannels: Int, activation: Activation, into y: UnsafeMutablePointer<Float>, workers: Int, isa: Int32) {
        let rows = g.batch * g.outHeight, tasks = (rows + rowsPerTask - 1) / rowsPerTask
        Parallel.forEachDynamic(tasks, workers: workers) { _, task in
            let r0 = task * rowsPerTask
            kg_conv_s2(x, g.channels, g.batch, g.height, g.width, w, bias, outChannels, activation.code, activation.slope, y,
                       r0, min(rows, r0 + rowsPerTask), isa)
        }
    }
}
