import Engine
import Foundation
import Support

/// The seed's conditional GAN: generator, discriminator, one Adam each, and the seed's
/// training step. Not thread-safe: the trainer owns it on its queue.
public final class ConditionalGAN {
    public let config: ModelConfig
    let generator: Generator
    let discriminator: Discriminator
    var adamG: Adam
    var adamD: Adam
    /// Column matrices of every convolution, shared: layers run one at a time.
    let scratch = WorkerBuffers()

    /// Optimizer steps taken.
    public var step: Int { adamG.step }

    /// PyTorch-default initialisation drawn from SplitMix64(seed): generator then discriminator.
    public init(config: ModelConfig, seed: UInt64) {
        precondition((try? config.validate()) != nil, "invalid ModelConfig \(config)")
        self.config = config
        generator = Generator(config: config, scratch: scratch)
        discriminator = Discriminator(config: config, scratch: scratch)
        // Backward passes run one layer at a time and never overlap between G and D (the
        // spectrogram gradient is copied out before G's backward), so all input gradients
        // alternate between two buffers and all layers share one set of partial-gradient buffers.
        let ping = FloatBuffer(), pong = FloatBuffer(), partials = WorkerBuffers()
        let d = discriminator, g = generator
        d.conv11.dInput = ping; d.bn9.dInput = pong; d.conv8.dInput = ping; d.bn6.dInput = pong
        d.conv5.dInput = ping; d.bn3.dInput = pong; d.conv2.dInput = ping; d.conv0.dInput = pong
        g.ct9.dInput = ping; g.bn7.dInput = pong; g.ct6.dInput = ping; g.bn4.dInput = pong
        g.ct3.dInput = ping; g.bn1.dInput = pong; g.ct0.dInput = ping
        for c in [d.conv0, d.conv2, d.conv5, d.conv8, d.conv11] { c.partialGrads = partials }
        for c in [g.ct0, g.ct3, g.ct6, g.ct9] { c.partialGrads = partials }
        adamG = Adam(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2)
        adamD = adamG
        var rng = SplitMix64(seed: seed)
        generator.initialize(rng: &rng)
        discriminator.initialize(rng: &rng)
    }

    /// One step exactly as the seed: fake = G(z, labels); D on real (target 1) and on the
    /// detached fake (target 0), lossD = lossReal + lossFake, D update; then G through the
    /// updated D (target 1), G update. D's parameter gradients are not computed in the G step.
    /// real: batch * nMels * frames, labels: batch class indices, z: batch * latentDim.
    public func trainStep(real: [Float], labels: [Int], z: [Float]) -> (lossD: Float, lossG: Float) {
        let n = labels.count
        precondition(real.count == n * config.nMels * config.frames, "real must hold batch * nMels * frames values")
        let ones = [Float](repeating: 1, count: n), zeros = [Float](repeating: 0, count: n)
        var clock = PhaseClock()
        let fake = generator.forward(labels: labels, z: z, training: true)
        clock.lap("G forward")

        // Discriminator step.
        discriminator.store.zeroGrad()
        let logitsReal = real.withUnsafeBufferPointer { discriminator.forward($0.baseAddress!, labels: labels) }
        let lossReal = BCEWithLogits.forward(logits: logitsReal, targets: ones)
        clock.lap("D forward real")
        discriminator.backward(BCEWithLogits.backward(logits: logitsReal, targets: ones), paramGrads: true, inputGrad: false)
        clock.lap("D backward real")
        let logitsFake = discriminator.forward(fake.pointer, labels: labels)
        let lossFake = BCEWithLogits.forward(logits: logitsFake, targets: zeros)
        clock.lap("D forward fake")
        discriminator.backward(BCEWithLogits.backward(logits: logitsFake, targets: zeros), paramGrads: true, inputGrad: false)
        clock.lap("D backward fake")
        adamD.update(discriminator.store)
        clock.lap("Adam D")

        // Generator step.
        generator.store.zeroGrad()
        let logitsG = discriminator.forward(fake.pointer, labels: labels)
        let lossG = BCEWithLogits.forward(logits: logitsG, targets: ones)
        clock.lap("D forward (G step)")
        let dFake = discriminator.backward(BCEWithLogits.backward(logits: logitsG, targets: ones), paramGrads: false, inputGrad: true)
        let dFakeBuffer = generatorGradient
        dFakeBuffer.resize(n * config.nMels * config.frames)
        dFakeBuffer.pointer.update(from: dFake, count: dFakeBuffer.count)
        clock.lap("D backward to input")
        generator.backward(dFakeBuffer)
        clock.lap("G backward")
        adamG.update(generator.store)
        clock.lap("Adam G")
        lastStepPhases = clock.laps
        return (lossReal + lossFake, lossG)
    }
    private let generatorGradient = FloatBuffer()

    /// Wall time of each phase of the last trainStep (for `bench train`).
    public private(set) var lastStepPhases: [(phase: String, seconds: Double)] = []

    /// Generator output in evaluation mode (running BN statistics): batch * nMels * frames.
    public func generate(labels: [Int], z: [Float]) -> [Float] {
        generator.forward(labels: labels, z: z, training: false).array
    }

    /// A copy of the generator's weights and BN running statistics, usable on any thread.
    public func snapshotGenerator() -> GeneratorSnapshot {
        GeneratorSnapshot(config: config, values: generator.store.values.array,
                          runningMeans: generator.batchNorms.map { $0.layer.runningMean },
                          runningVars: generator.batchNorms.map { $0.layer.runningVar })
    }
}

struct PhaseClock {
    var last = DispatchTime.now().uptimeNanoseconds
    var laps: [(phase: String, seconds: Double)] = []
    mutating func lap(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        laps.append((name, Double(now - last) / 1e9))
        last = now
    }
}

/// The generator frozen at one moment: weights and running stats, evaluation mode only.
public struct GeneratorSnapshot: Sendable {
    public let config: ModelConfig
    let values: [Float]
    let runningMeans: [[Float]]
    let runningVars: [[Float]]

    /// batch * nMels * frames values, row-major per sample, row 0 = lowest band.
    public func generate(labels: [Int], z: [Float]) -> [Float] {
        let g = Generator(config: config, scratch: WorkerBuffers(), inferenceOnly: true)
        g.store.values.copy(from: values)
        for (i, bn) in g.batchNorms.enumerated() {
            bn.layer.runningMean = runningMeans[i]
            bn.layer.runningVar = runningVars[i]
        }
        return g.forward(labels: labels, z: z, training: false).array
    }
}
