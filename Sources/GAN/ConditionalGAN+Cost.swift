import Engine

/// Analytic cost of one training step: the matrix products the engine performs, counted as
/// 2 * m * n * k FLOPs each (elementwise work such as BatchNorm, im2col and Adam is not counted).
public struct GemmShape: Sendable, Hashable {
    public var m: Int, n: Int, k: Int
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    public var label: String
    /// The layer computes this product with WinogradConv: its gemms do 9/16 of these FLOPs,
    /// in chunks of this shape [m, n, k].
    public var winogradGemm: [Int]? = nil
    public var winograd: Bool { winogradGemm != nil }
    public var performedFLOPs: Double { winograd ? flops * 9 / 16 : flops }
}

extension ConditionalGAN {
    /// The products of one trainStep at this batch size, in execution order.
    public func trainStepGemms(batch n: Int) -> [GemmShape] {
        let c = config, h = c.baseH, w = c.baseW
        var g: [GemmShape] = []
        // Generator: fc, then four ConvTranspose2d (col = W^T x: m = out*16, n = N*Lin, k = in).
        let gLayers = [(256, 128, h, w), (128, 64, 2 * h, 2 * w), (64, 32, 4 * h, 4 * w), (32, 1, 8 * h, 8 * w)]
        let gConvs = [generator.ct0, generator.ct3, generator.ct6, generator.ct9]
        // A ConvTranspose2d runs its adjoint convolution: forward is the transposed product,
        // the input gradient the convolution itself.
        let gWinograd: [WinogradConv?] = gLayers.enumerated().map { i, l in
            let geometry = gConvs[i].geometry(batch: n, height: l.2, width: l.3)
            return gConvs[i].winograd && WinogradConv.applies(geometry, outChannels: l.0) ? WinogradConv(geometry, outChannels: l.0) : nil
        }
        func gForward() {
            g.append(GemmShape(m: n, n: 256 * h * w, k: c.latentDim + c.numClasses, label: "G fc"))
            for (i, (cin, cout, hh, ww)) in gLayers.enumerated() {
                g.append(GemmShape(m: cout * 16, n: n * hh * ww, k: cin, label: "G convT\(i) fwd", winogradGemm: gWinograd[i]?.gemmShapes.transposed))
            }
        }
        func gBackward() {
            for (i, (cin, cout, hh, ww)) in gLayers.enumerated().reversed() {
                g.append(GemmShape(m: cin, n: cout * 16, k: n * hh * ww, label: "G convT\(i) dW", winogradGemm: gWinograd[i]?.gemmShapes.weightGradient))
                g.append(GemmShape(m: cin, n: n * hh * ww, k: cout * 16, label: "G convT\(i) dX", winogradGemm: gWinograd[i]?.gemmShapes.convolve))
            }
            g.append(GemmShape(m: 256 * h * w, n: c.latentDim + c.numClasses, k: n, label: "G fc dW"))
        }
        // Discriminator: label embedding, then five Conv2d (y = W col: m = out, n = N*Lout, k = in*kh*kw).
        let dLayers = [(2, 32, 8 * h, 8 * w, 16), (32, 64, 4 * h, 4 * w, 16), (64, 128, 2 * h, 2 * w, 16),
                       (128, 256, h, w, 16), (256, 1, 1, 1, h * w)]
        let dConvs = [discriminator.conv0, discriminator.conv2, discriminator.conv5, discriminator.conv8, discriminator.conv11]
        let dWinograd: [WinogradConv?] = dLayers.enumerated().map { i, l in
            let geometry = dConvs[i].geometry(batch: n, height: 2 * l.2, width: 2 * l.3)
            return dConvs[i].winograd && WinogradConv.applies(geometry, outChannels: l.1) ? WinogradConv(geometry, outChannels: l.1) : nil
        }
        func dForward() {
            g.append(GemmShape(m: n, n: c.nMels * c.frames, k: c.numClasses, label: "D embed"))
            for (i, (cin, cout, oh, ow, kk)) in dLayers.enumerated() {
                g.append(GemmShape(m: cout, n: n * oh * ow, k: cin * kk, label: "D conv\(i) fwd", winogradGemm: dWinograd[i]?.gemmShapes.convolve))
            }
        }
        func dBackward(params: Bool) {
            for (i, (cin, cout, oh, ow, kk)) in dLayers.enumerated().reversed() {
                if params { g.append(GemmShape(m: cout, n: cin * kk, k: n * oh * ow, label: "D conv\(i) dW", winogradGemm: dWinograd[i]?.gemmShapes.weightGradient)) }
                g.append(GemmShape(m: cin * kk, n: n * oh * ow, k: cout, label: "D conv\(i) dX", winogradGemm: dWinograd[i]?.gemmShapes.transposed))
            }
            if params { g.append(GemmShape(m: c.nMels * c.frames, n: c.numClasses, k: n, label: "D embed dW")) }
        }
        gForward()
        dForward(); dBackward(params: true)     // real
        dForward(); dBackward(params: true)     // fake
        dForward(); dBackward(params: false)    // G step through D
        gBackward()
        return g
    }

    /// FLOPs of the step as direct convolution (im2col + sgemm): the analytic count.
    public func trainStepFLOPs(batch: Int) -> Double { trainStepGemms(batch: batch).reduce(0) { $0 + $1.flops } }
    /// FLOPs the step's matrix products actually perform (Winograd layers do 9/16 of the direct count).
    public func trainStepPerformedFLOPs(batch: Int) -> Double { trainStepGemms(batch: batch).reduce(0) { $0 + $1.performedFLOPs } }
}
