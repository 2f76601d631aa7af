import Engine
import Support

/// The seed's generator, PyTorch module names in comments:
/// fc: Linear(latent + C -> 256 * H/16 * W/16) -> view (256, H/16, W/16) ->
/// net.0 ConvT(256->128, k4 s2 p1), net.1 BN, net.2 ReLU, net.3 ConvT(128->64), net.4 BN, net.5 ReLU,
/// net.6 ConvT(64->32), net.7 BN, net.8 ReLU, net.9 ConvT(32->1), net.10 ReLU.
/// BN and the ReLU after it run as one fused pass. Activations are (C, N, H, W).
final class Generator {
    let config: ModelConfig
    let store: ParameterStore
    let settings: ComputeSettings
    let fc: Linear
    let ct0: ConvTranspose2d, bn1: BatchNorm2d
    let ct3: ConvTranspose2d, bn4: BatchNorm2d
    let ct6: ConvTranspose2d, bn7: BatchNorm2d
    let ct9: ConvTranspose2d
    var batchNorms: [(name: String, layer: BatchNorm2d)] { [("net.1", bn1), ("net.4", bn4), ("net.7", bn7)] }

    let input = FloatBuffer()        // [N, latent + C]: z then one-hot
    let fcChannelMajor = FloatBuffer() // (256, N, h, w)
    let dFC = FloatBuffer()          // [N, 256 * h * w]
    let dOutput = FloatBuffer()
    private(set) var batch = 0

    init(config: ModelConfig, scratch: WorkerBuffers, settings: ComputeSettings = .standard, storage: ParameterStore.Storage = .training) {
        self.config = config; self.settings = settings
        store = ParameterStore(storage: storage)
        let h = config.baseH, w = config.baseW
        fc = Linear(store, name: "fc", inFeatures: config.latentDim + config.numClasses, outFeatures: 256 * h * w, settings: settings)
        ct0 = ConvTranspose2d(store, name: "net.0", inChannels: 256, outChannels: 128, kernel: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn1 = BatchNorm2d(store, name: "net.1", channels: 128, activation: .relu, settings: settings)
        ct3 = ConvTranspose2d(store, name: "net.3", inChannels: 128, outChannels: 64, kernel: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn4 = BatchNorm2d(store, name: "net.4", channels: 64, activation: .relu, settings: settings)
        ct6 = ConvTranspose2d(store, name: "net.6", inChannels: 64, outChannels: 32, kernel: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn7 = BatchNorm2d(store, name: "net.7", channels: 32, activation: .relu, settings: settings)
        ct9 = ConvTranspose2d(store, name: "net.9", inChannels: 32, outChannels: 1, kernel: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
    }

    /// PyTorch's default initialisation, in module order.
    func initialize(rng: inout SplitMix64) {
        fc.initialize(rng: &rng)
        ct0.initialize(rng: &rng); ct3.initialize(rng: &rng); ct6.initialize(rng: &rng); ct9.initialize(rng: &rng)
    }

    /// labels: N class indices, z: N * latent. Returns (1, N, nMels, frames) = [N, nMels * frames].
    func forward(labels: [Int], z: [Float], training: Bool) -> FloatBuffer {
        let n = labels.count, latent = config.latentDim, classes = config.numClasses
        precondition(z.count == n * latent, "z must hold batch * latentDim values")
        batch = n
        let width = latent + classes
        input.resize(n * width)
        input.fill(0)
        z.withUnsafeBufferPointer { zp in
            for i in 0 ..< n {
                (input.pointer + i * width).update(from: zp.baseAddress! + i * latent, count: latent)
                precondition(labels[i] >= 0 && labels[i] < classes, "label out of range")
                input.pointer[i * width + latent + labels[i]] = 1
            }
        }
        let y = fc.forward(input, batch: n)
        let h = config.baseH, w = config.baseW, hw = h * w
        // view (N, 256, h, w) -> channel-major (256, N, h, w)
        fcChannelMajor.resize(256 * n * hw)
        for i in 0 ..< n {
            for c in 0 ..< 256 {
                (fcChannelMajor.pointer + (c * n + i) * hw).update(from: y.pointer + (i * 256 + c) * hw, count: hw)
            }
        }
        var a = ct0.forward(fcChannelMajor, batch: n, height: h, width: w)
        a = bn1.forward(a, training: training)
        a = ct3.forward(a, batch: n, height: 2 * h, width: 2 * w)
        a = bn4.forward(a, training: training)
        a = ct6.forward(a, batch: n, height: 4 * h, width: 4 * w)
        a = bn7.forward(a, training: training)
        a = ct9.forward(a, batch: n, height: 8 * h, width: 8 * w)
        Activation.relu.forward(a.pointer, a.pointer, count: a.count, settings: settings)   // net.10, in place
        return a
    }

    /// dOut: gradient of the generator's output, [N, nMels * frames]. Adds into the parameter grads.
    func backward(_ dOut: FloatBuffer) {
        precondition(dOut.count == ct9.output.count, "Generator.backward: one gradient per output value")
        backward(dOut.pointer)
    }

    /// dOut: the gradient of the last forward's output, as many values (D's input gradient, read in place).
    func backward(_ dOut: UnsafePointer<Float>) {
        let n = batch, h = config.baseH, w = config.baseW, hw = h * w, count = ct9.output.count
        dOutput.resize(count)
        Activation.relu.backward(output: ct9.output.pointer, dOut, dOutput.pointer, count: count, settings: settings)
        var d = ct9.backward(dOutput)
        d = bn7.backward(d)
        d = ct6.backward(d)
        d = bn4.backward(d)
        d = ct3.backward(d)
        d = bn1.backward(d)
        d = ct0.backward(d)
        dFC.resize(n * 256 * hw)
        for i in 0 ..< n {
            for c in 0 ..< 256 {
                (dFC.pointer + (i * 256 + c) * hw).update(from: d.pointer + (c * n + i) * hw, count: hw)
            }
        }
        fc.backward(dFC, inputGrad: false)
    }
}
