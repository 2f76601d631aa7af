import Engine

/// Analytic cost of one training step: the matrix products the engine performs, counted as
/// 2 * m * n * k FLOPs each (elementwise work such as BatchNorm, im2col and Adam is not counted).
public struct GemmShape: Sendable, Hashable {
    public var m: Int, n: Int, k: Int
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    public var label: String
    /// The layer computes this product with WinogradConv: its gemms do `winogradShare` of these
    /// FLOPs (9/16 with 2x2 tiles, 25/64 with 4x4), in chunks of this shape [m, n, k].
    public var winogradGemm: [Int]? = nil
    public var winogradShare = 1.0
    public var winograd: Bool { winogradGemm != nil }
    public var performedFLOPs: Double { flops * winogradShare }
}

extension ConditionalGAN {
    /// The products of one trainStep at this batch size, in execution order, read from the
    /// model's own layers (their channels, kernels, strides and convolution plans) as the
    /// activations flow through them.
    public func trainStepGemms(batch n: Int) -> [GemmShape] {
        let c = config, gen = generator, disc = discriminator
        // Each layer's products at the size that reaches it: the generator starts from fc's
        // (256, baseH, baseW) view, the discriminator from the spectrogram.
        var size = (c.baseH, c.baseW)
        var gProducts: [LayerProducts] = []
        for (i, layer) in [gen.ct0, gen.ct3, gen.ct6, gen.ct9].enumerated() {
            gProducts.append(layer.products(batch: n, height: size.0, width: size.1, label: "G convT\(i)"))
            size = layer.outputSize(height: size.0, width: size.1)
        }
        size = (c.nMels, c.frames)
        var dProducts: [LayerProducts] = []
        for (i, layer) in [disc.conv0, disc.conv2, disc.conv5, disc.conv8, disc.conv11].enumerated() {
            let g = layer.geometry(batch: n, height: size.0, width: size.1)
            dProducts.append(layer.products(g, label: "D conv\(i)"))
            size = (g.outHeight, g.outWidth)
        }
        let fc = gen.fc.products(batch: n, label: "G fc"), embed = disc.labelEmbedding.products(batch: n, label: "D embed")
        let projection = disc.projection?.products(batch: n, label: "D projection")

        var all: [GemmShape] = [fc.forward] + gProducts.map(\.forward)
        func dStep(params: Bool) {
            all += [embed.forward] + dProducts.map(\.forward) + [projection?.forward].compactMap { $0 }
            for (i, p) in dProducts.enumerated().reversed() {
                all += params ? [p.weightGradient, p.inputGradient] : [p.inputGradient]
                // The projection's weight gradient follows the last convolution's backward.
                if params, i == dProducts.count - 1, let projection { all.append(projection.weightGradient) }
            }
            if params { all.append(embed.weightGradient) }
        }
        dStep(params: true)     // real
        dStep(params: true)     // fake
        dStep(params: false)    // G step through D
        for p in gProducts.reversed() { all += [p.weightGradient, p.inputGradient] }
        all.append(fc.weightGradient)
        return all
    }

    /// FLOPs of the step as direct convolution (im2col + sgemm): the analytic count.
    public func trainStepFLOPs(batch: Int) -> Double { trainStepGemms(batch: batch).reduce(0) { $0 + $1.flops } }
    /// FLOPs the step's matrix products actually perform (Winograd layers do 9/16 or 25/64 of the direct count).
    public func trainStepPerformedFLOPs(batch: Int) -> Double { trainStepGemms(batch: batch).reduce(0) { $0 + $1.performedFLOPs } }
}

/// One layer's products in a training step.
struct LayerProducts {
    var forward: GemmShape, weightGradient: GemmShape, inputGradient: GemmShape
}

extension Linear {
    /// y = x W^T: m = N, n = out, k = in; dW = dy^T x. (Its input gradient is never needed here.)
    func products(batch n: Int, label: String) -> (forward: GemmShape, weightGradient: GemmShape) {
        (GemmShape(m: n, n: outFeatures, k: inFeatures, label: label),
         GemmShape(m: outFeatures, n: inFeatures, k: n, label: label + " dW"))
    }
}

extension Conv2d {
    /// y = W col: m = out, n = N * L, k = in * kh * kw; the Winograd plan's chunk gemms where it runs.
    func products(_ g: ConvGeometry, label: String) -> LayerProducts {
        let plan = WinogradConv.plan(g, outChannels: outChannels, settings: settings), wc = plan?.gemmShapes
        let share = plan?.productShare ?? 1, l = g.batch * g.outHeight * g.outWidth
        return LayerProducts(
            forward: GemmShape(m: outChannels, n: l, k: g.colRows, label: label + " fwd", winogradGemm: wc?.convolve, winogradShare: share),
            weightGradient: GemmShape(m: outChannels, n: g.colRows, k: l, label: label + " dW", winogradGemm: wc?.weightGradient,
                                      winogradShare: share),
            inputGradient: GemmShape(m: g.colRows, n: l, k: outChannels, label: label + " dX", winogradGemm: wc?.transposed, winogradShare: share))
    }
}

extension ConvTranspose2d {
    /// The adjoint convolution's products: forward is its transpose (col = W^T x: m = out * k * k,
    /// n = N * Hin * Win, k = in), the input gradient the convolution itself.
    func products(batch n: Int, height: Int, width: Int, label: String) -> LayerProducts {
        let g = geometry(batch: n, height: height, width: width), l = n * height * width
        let plan = WinogradConv.plan(g, outChannels: inChannels, settings: settings), wc = plan?.gemmShapes
        let share = plan?.productShare ?? 1
        return LayerProducts(
            forward: GemmShape(m: g.colRows, n: l, k: inChannels, label: label + " fwd", winogradGemm: wc?.transposed, winogradShare: share),
            weightGradient: GemmShape(m: inChannels, n: g.colRows, k: l, label: label + " dW", winogradGemm: wc?.weightGradient,
                                      winogradShare: share),
            inputGradient: GemmShape(m: inChannels, n: l, k: g.colRows, label: label + " dX", winogradGemm: wc?.convolve, winogradShare: share))
    }
}
