import Engine
import Foundation
import Support

/// The conditional GAN: generator, discriminator, one Adam each, and the training step of its
/// recipe (`Recipe.seed`: the seed's step exactly). Not thread-safe: the trainer owns it on its queue.
public final class ConditionalGAN {
    public let config: ModelConfig
    public let recipe: Recipe
    /// Workers, convolution algorithm and kernel ISA of every layer, fixed at construction.
    public let settings: ComputeSettings
    let generator: Generator
    let discriminator: Discriminator
    var adamG: Adam
    var adamD: Adam
    /// Column matrices of every convolution, shared: layers run one at a time.
    let scratch = WorkerBuffers()
    /// The average of the generator's weights (`Recipe.generatorEMA`), laid out as its store.
    let ema: FloatBuffer?

    /// The largest log1p(mel power) a sample may hold (the training clips' maximum): the
    /// generator's unbounded output, mapped back through the recipe's exponential, can overshoot
    /// it by orders of magnitude in a few bins, which then dominate the peak-normalised audio.
    /// Output post-processing only: training never sees it. nil: no clamp (older checkpoints).
    public var valueCeiling: Float? {
        didSet { sampler = nil }
    }

    /// Optimizer steps taken.
    public var step: Int { adamG.step }

    /// PyTorch-default initialisation drawn from SplitMix64(seed): generator then discriminator.
    public init(config: ModelConfig, recipe: Recipe = .seed, seed: UInt64, settings: ComputeSettings = .standard) {
        precondition((try? config.validate()) != nil, "invalid ModelConfig \(config)")
        self.config = config
        self.recipe = recipe
        self.settings = settings
        generator = Generator(config: config, scratch: scratch, settings: settings)
        discriminator = Discriminator(config: config, scratch: scratch, settings: settings, projection: recipe.projection)
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
        adamG = Adam(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, settings: settings)
        adamD = adamG
        adamD.learningRate = config.learningRate * recipe.discriminatorLRScale
        var rng = SplitMix64(seed: seed)
        generator.initialize(rng: &rng)
        discriminator.initialize(rng: &rng)
        ema = recipe.generatorEMA > 0 ? FloatBuffer(generator.store.values.array) : nil
    }

    /// One step as the seed: fake = G(z, labels); D on real (target 1) and on the detached
    /// fake (target 0), lossD = lossReal + lossFake, D update; then G through the updated D
    /// (target 1), G update. D's parameter gradients are not computed in the G step.
    /// The recipe may lower the real target and add instance noise (drawn from `noise`) to
    /// everything D sees; with `Recipe.seed` the step is the seed's exactly.
    /// real: batch * nMels * frames, labels: batch class indices, z: batch * latentDim.
    public func trainStep(real: [Float], labels: [Int], z: [Float], noise: SplitMix64 = SplitMix64(seed: 0)) -> (lossD: Float, lossG: Float) {
        let n = labels.count, size = n * config.nMels * config.frames
        precondition(real.count == size, "real must hold batch * nMels * frames values")
        let ones = [Float](repeating: 1, count: n), zeros = [Float](repeating: 0, count: n)
        let realTargets = [Float](repeating: recipe.realTarget, count: n)
        var clock = PhaseClock()
        sampler = nil
        var fake = generator.forward(labels: labels, z: z, training: true)
        var real = real
        let sigma = recipe.noise(atStep: step)
        if sigma > 0 {
            var rng = noise
            for i in real.indices { real[i] += sigma * rng.nextNormal() }
            noisyFake.resize(size)
            for i in 0 ..< size { noisyFake.pointer[i] = fake.pointer[i] + sigma * rng.nextNormal() }
            fake = noisyFake
        }
        clock.lap("G forward")

        // Discriminator step.
        discriminator.store.zeroGrad(workers: settings.threads)
        let logitsReal = real.withUnsafeBufferPointer { discriminator.forward($0.baseAddress!, labels: labels) }
        let lossReal = BCEWithLogits.forward(logits: logitsReal, targets: realTargets)
        clock.lap("D forward real")
        discriminator.backward(BCEWithLogits.backward(logits: logitsReal, targets: realTargets), paramGrads: true, inputGrad: false)
        clock.lap("D backward real")
        let logitsFake = discriminator.forward(fake.pointer, labels: labels)
        let lossFake = BCEWithLogits.forward(logits: logitsFake, targets: zeros)
        clock.lap("D forward fake")
        discriminator.backward(BCEWithLogits.backward(logits: logitsFake, targets: zeros), paramGrads: true, inputGrad: false)
        clock.lap("D backward fake")
        adamD.update(discriminator.store)
        clock.lap("Adam D")

        // Generator step.
        generator.store.zeroGrad(workers: settings.threads)
        let logitsG = discriminator.forward(fake.pointer, labels: labels)
        let lossG = BCEWithLogits.forward(logits: logitsG, targets: ones)
        clock.lap("D forward (G step)")
        // The spectrogram channel of D's input gradient, read in place by G's backward.
        let dFake = discriminator.backward(BCEWithLogits.backward(logits: logitsG, targets: ones), paramGrads: false, inputGrad: true)
        clock.lap("D backward to input")
        generator.backward(dFake)
        clock.lap("G backward")
        adamG.update(generator.store)
        if let ema {
            let keep = recipe.emaDecay(afterStep: adamG.step), w = generator.store.values.pointer, a = ema.pointer
            for i in 0 ..< ema.count { a[i] += (1 - keep) * (w[i] - a[i]) }
        }
        clock.lap("Adam G")
        lastStepPhases = clock.laps
        return (lossReal + lossFake, lossG)
    }
    private let noisyFake = FloatBuffer()

    /// Wall time of each phase of the last trainStep (for `bench train`).
    public private(set) var lastStepPhases: [(phase: String, seconds: Double)] = []

    /// Generator output in evaluation mode (running BN statistics) as log1p(mel power), whatever
    /// scale the recipe learns in: batch * nMels * frames. With the recipe's weight average, the
    /// averaged generator's. One snapshot serves every call until the next step (weights change
    /// only in `trainStep`, and in `load` before anything samples).
    public func generate(labels: [Int], z: [Float]) -> [Float] {
        let s = sampler ?? snapshotGenerator()
        sampler = s
        return s.generate(labels: labels, z: z)
    }
    private var sampler: GeneratorSnapshot?

    /// A copy of the generator that samples (its weights and BN running statistics, or the
    /// weight average), usable on any thread; on `threads` workers (default: the model's own).
    /// The samples do not depend on the worker count.
    public func snapshotGenerator(threads: Int? = nil) -> GeneratorSnapshot {
        GeneratorSnapshot(config: config, recipe: recipe, valueCeiling: valueCeiling,
                          settings: threads.map { settings.with(threads: $0) } ?? settings, values: ema?.array ?? generator.store.values.array,
                          runningMeans: generator.batchNorms.map { $0.layer.runningMean },
                          runningVars: generator.batchNorms.map { $0.layer.runningVar },
                          measuresStatistics: ema != nil)
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
    let recipe: Recipe
    let valueCeiling: Float?
    let settings: ComputeSettings
    let values: [Float]
    let runningMeans: [[Float]]
    let runningVars: [[Float]]
    /// Averaged weights have no running statistics of their own: measure them on a fixed batch.
    let measuresStatistics: Bool
    /// The generator built from this snapshot, once, on the first thread that samples from it.
    private let built = BuiltGenerator()

    init(config: ModelConfig, recipe: Recipe, valueCeiling: Float? = nil, settings: ComputeSettings, values: [Float],
         runningMeans: [[Float]], runningVars: [[Float]], measuresStatistics: Bool = false) {
        self.config = config; self.recipe = recipe; self.valueCeiling = valueCeiling; self.settings = settings; self.values = values
        self.runningMeans = runningMeans; self.runningVars = runningVars; self.measuresStatistics = measuresStatistics
    }

    /// The batch the averaged generator's BatchNorm statistics are measured on: every class
    /// equally, fixed latents (the same each time, so a snapshot samples deterministically).
    static let statisticsBatch = 64

    /// batch * nMels * frames log1p(mel power) values, row-major per sample, row 0 = lowest band,
    /// none above `valueCeiling`. Every generated output (previews, auditions, generate, eval,
    /// listen) comes through here.
    public func generate(labels: [Int], z: [Float]) -> [Float] {
        var out = built.withGenerator(make: makeGenerator) { $0.forward(labels: labels, z: z, training: false).array }
        recipe.fromModel(&out)
        if let ceiling = valueCeiling {
            for i in out.indices where out[i] > ceiling { out[i] = ceiling }
        }
        return out
    }

    private func makeGenerator() -> Generator {
        let g = Generator(config: config, scratch: WorkerBuffers(), settings: settings, storage: .inference)
        g.store.values.copy(from: values)
        if measuresStatistics {
            let n = Self.statisticsBatch
            var rng = SplitMix64(seed: 0x5EED_57A7)
            _ = g.forward(labels: (0 ..< n).map { $0 % config.numClasses }, z: rng.normals(n * config.latentDim), training: true)
            for bn in g.batchNorms {
                bn.layer.runningMean = bn.layer.mean
                bn.layer.runningVar = bn.layer.batchVariance
            }
        } else {
            for (i, bn) in g.batchNorms.enumerated() {
                bn.layer.runningMean = runningMeans[i]
                bn.layer.runningVar = runningVars[i]
            }
        }
        return g
    }
}

/// A generator built on first use and then reused; one caller at a time (layers keep buffers).
private final class BuiltGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: Generator?

    func withGenerator<T>(make: () -> Generator, _ body: (Generator) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        let g = generator ?? make()
        generator = g
        return body(g)
    }
}
