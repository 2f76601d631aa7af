import Engine
import Foundation
@testable import GAN
import Support
import Testing

@Suite struct RecipeTests {
    static let config = ModelConfig(numClasses: 3, nMels: 16, frames: 32)

    /// The projection term against its definition, computed here from the discriminator's own
    /// last features: logit(with projection) - logit(without) = <embedding(y), mean_p f[:, n, p]>.
    @Test func projectionLogitIsEmbeddingTimesPooledFeatures() {
        var rng = SplitMix64(seed: 5)
        let d = Discriminator(config: Self.config, scratch: WorkerBuffers(), projection: true)
        d.initialize(rng: &rng)
        let n = 4, labels = [0, 2, 1, 2]
        let x = (0 ..< n * 16 * 32).map { _ in rng.nextUniform() * 3 }
        let with = x.withUnsafeBufferPointer { d.forward($0.baseAddress!, labels: labels) }
        let features = d.bn9.output.array, positions = 1 * 2
        let w = d.store.array(d.projection!.weight), b = d.store.array(d.projection!.bias)
        let plain = Discriminator(config: Self.config, scratch: WorkerBuffers(), projection: false)
        plain.store.values.copy(from: Array(d.store.values.array.prefix(plain.store.count)))
        let without = x.withUnsafeBufferPointer { plain.forward($0.baseAddress!, labels: labels) }
        for i in 0 ..< n {
            var dot = 0.0
            for c in 0 ..< 256 {
                var mean = 0.0
                for p in 0 ..< positions { mean += Double(features[(c * n + i) * positions + p]) }
                mean /= Double(positions)
                dot += (Double(w[c * 3 + labels[i]]) + Double(b[c])) * mean
            }
            #expect(abs(Double(with[i] - without[i]) - dot) <= 1e-5 * max(1, abs(dot)), "sample \(i)")
        }
    }

    /// With one class in the batch the projection term is a fixed linear map of the last
    /// features, so the discriminator equals one without projection whose net.11 weights are
    /// W + e_y / positions (e_y: the class's embedding, bias included). Its input gradient must
    /// then equal the plain discriminator's, which the PyTorch tests prove: 1e-5 of scale.
    @Test func projectionEqualsAShiftedFinalConvolutionForOneClass() {
        var rng = SplitMix64(seed: 6)
        let config = ModelConfig(numClasses: 3, nMels: 32, frames: 64)
        let d = Discriminator(config: config, scratch: WorkerBuffers(), projection: true)
        d.initialize(rng: &rng)
        let n = 4, y = 2, labels = [Int](repeating: y, count: n), positions = 2 * 4
        let x = (0 ..< n * 32 * 64).map { _ in rng.nextUniform() * 3 }
        let r: [Float] = [0.7, -1.1, 0.4, 0.3]
        let plain = Discriminator(config: config, scratch: WorkerBuffers(), projection: false)
        plain.store.values.copy(from: Array(d.store.values.array.prefix(plain.store.count)))
        let w = d.store.array(d.projection!.weight), b = d.store.array(d.projection!.bias)
        let w11 = plain.store.value(plain.conv11.weight)   // [1, 256, 2, 4]
        for c in 0 ..< 256 {
            for p in 0 ..< positions { w11[c * positions + p] += (w[c * 3 + y] + b[c]) / Float(positions) }
        }
        let logits = x.withUnsafeBufferPointer { d.forward($0.baseAddress!, labels: labels) }
        let want = x.withUnsafeBufferPointer { plain.forward($0.baseAddress!, labels: labels) }
        #expect(maxAbsDiff(logits, want) <= 1e-5 * max(1, want.map(abs).max()!))
        let dx = Array(UnsafeBufferPointer(start: d.backward(r, paramGrads: false, inputGrad: true), count: x.count))
        let dxWant = Array(UnsafeBufferPointer(start: plain.backward(r, paramGrads: false, inputGrad: true), count: x.count))
        print("  projection input gradient: max |diff| \(maxAbsDiff(dx, dxWant)) of \(dxWant.map(abs).max()!)")
        #expect(maxAbsDiff(dx, dxWant) <= 1e-5 * dxWant.map(abs).max()!)
    }

    /// Central differences of L = sum(logits * r) for the projection weights: L is linear in
    /// them, so only float32 rounding separates the quotient from backward (2e-3 of scale, as
    /// the engine's finite-difference tests).
    @Test func projectionWeightGradientsMatchFiniteDifferences() {
        var rng = SplitMix64(seed: 6)
        let d = Discriminator(config: Self.config, scratch: WorkerBuffers(), projection: true)
        d.initialize(rng: &rng)
        let labels = [1, 0, 1]
        let x = (0 ..< 3 * 16 * 32).map { _ in rng.nextUniform() * 3 }
        let r: [Float] = [0.7, -1.1, 0.4]
        func loss() -> Double {
            let l = x.withUnsafeBufferPointer { d.forward($0.baseAddress!, labels: labels) }
            return zip(l, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = loss()
        d.store.zeroGrad()
        d.backward(r, paramGrads: true, inputGrad: false)
        let h: Float = 1e-2
        for p in [d.projection!.weight, d.projection!.bias] {
            let values = d.store.value(p), grads = d.store.gradArray(p)
            var worst: Float = 0, scale: Float = 1e-3
            for i in stride(from: 0, to: p.count, by: 7) {
                let old = values[i]
                values[i] = old + h; let lp = loss()
                values[i] = old - h; let lm = loss()
                values[i] = old
                let numeric = Float((lp - lm) / Double(2 * h))
                worst = max(worst, abs(numeric - grads[i])); scale = max(scale, abs(numeric))
            }
            #expect(worst <= 2e-3 * scale, "\(p.name): \(worst) of \(scale)")
        }
    }

    /// The seed's recipe is the step the PyTorch tests prove; the default one differs from it in
    /// every term it changes, and each term on its own changes the losses.
    @Test func recipeTermsChangeTheStep() {
        var rng = SplitMix64(seed: 2)
        let real = (0 ..< 4 * 16 * 32).map { _ in rng.nextUniform() * 3 }
        let z = rng.normals(4 * 100), labels = [0, 1, 2, 1]
        func losses(_ recipe: Recipe) -> [Float] {
            let gan = ConditionalGAN(config: Self.config, recipe: recipe, seed: 7)
            var out: [Float] = []
            for s in 0 ..< 2 {
                let (d, g) = gan.trainStep(real: real, labels: labels, z: z, noise: SplitMix64(seed: UInt64(s)))
                out += [d, g]
            }
            return out
        }
        let seed = losses(.seed)
        #expect(seed == losses(.seed))
        #expect(losses(.standard) == losses(.standard))
        var noisy = Recipe.seed; noisy.instanceNoise = 0.5; noisy.instanceNoiseSteps = 10
        var smooth = Recipe.seed; smooth.realTarget = 0.9
        var slowD = Recipe.seed; slowD.discriminatorLRScale = 0.5
        var projected = Recipe.seed; projected.projection = true
        for (name, r) in [("noise", noisy), ("real target", smooth), ("D learning rate", slowD), ("projection", projected)] {
            #expect(losses(r) != seed, "\(name) did not change the step")
        }
        // The D learning rate shows only after D's first update: step 1 losses are the seed's.
        #expect(Array(losses(slowD).prefix(1)) == Array(seed.prefix(1)))
    }

    /// The model's scale s * log1p(power / f), checked at hand-computed points, and back.
    @Test func modelScaleIsALogScaleDownToTheFloor() {
        var r = Recipe.seed
        r.powerFloor = 1e-3; r.valueScale = 0.5
        // power 0.999 -> log1p 0.69265; model: 0.5 * log1p(999) = 3.45388. power 0 -> 0 both ways.
        let logMel: [Float] = [Float(log1p(0.999)), 0, Float(log1p(1e-3))]
        let model = r.toModel(logMel)
        #expect(abs(model[0] - 3.453878) < 1e-5)
        #expect(model[1] == 0)
        #expect(abs(model[2] - Float(0.5 * log(2.0))) < 1e-6)
        var back = model
        r.fromModel(&back)
        #expect(maxAbsDiff(back, logMel) < 1e-6)
        // The seed's scale is log1p itself: no conversion at all, bit for bit.
        let seedValues: [Float] = [0.1, 2.5, 7]
        var same = Recipe.seed.toModel(seedValues)
        Recipe.seed.fromModel(&same)
        #expect(same == seedValues)
    }

    /// Whatever scale the model learns in, what it generates comes out as log1p(mel power):
    /// the generator's raw output converted by the recipe.
    @Test func generatedSpectrogramsAreLog1pInEveryScale() {
        var r = Recipe.standard
        r.powerFloor = 1e-3; r.valueScale = 0.5
        let gan = ConditionalGAN(config: Self.config, recipe: r, seed: 3)
        var rng = SplitMix64(seed: 1)
        let z = rng.normals(2 * 100), labels = [0, 2]
        var raw = gan.generator.forward(labels: labels, z: z, training: false).array
        r.fromModel(&raw)
        #expect(gan.generate(labels: labels, z: z) == raw)
        #expect(gan.snapshotGenerator().generate(labels: labels, z: z) == raw)
    }

    /// The weight average, step by step against its definition: a = a + (1 - d_t)(w - a) with
    /// d_t = min(cap, (1 + t) / (10 + t)), starting from the initial weights.
    @Test func generatorAverageFollowsItsDefinition() {
        var r = Recipe.seed
        r.generatorEMA = 0.5
        #expect(r.emaDecay(afterStep: 1) == Float(2) / 11)
        #expect(r.emaDecay(afterStep: 100) == 0.5)
        let gan = ConditionalGAN(config: Self.config, recipe: r, seed: 7)
        var average = gan.generator.store.values.array
        #expect(gan.ema!.array == average)
        var rng = SplitMix64(seed: 3)
        for t in 1 ... 3 {
            let real = (0 ..< 4 * 16 * 32).map { _ in rng.nextUniform() * 3 }
            _ = gan.trainStep(real: real, labels: [0, 1, 2, 0], z: rng.normals(4 * 100))
            let w = gan.generator.store.values.array, d = r.emaDecay(afterStep: t)
            for i in average.indices { average[i] += (1 - d) * (w[i] - average[i]) }
        }
        #expect(gan.ema!.array == average)
        #expect(gan.ema!.array != gan.generator.store.values.array)
        // Samples come from the average, with BatchNorm statistics measured on the fixed batch:
        // a generator holding the averaged weights, put through that batch in training mode.
        let z = rng.normals(2 * 100), labels = [1, 2]
        let g = Generator(config: Self.config, scratch: WorkerBuffers(), storage: .inference)
        g.store.values.copy(from: average)
        var statsRNG = SplitMix64(seed: 0x5EED_57A7)
        let n = GeneratorSnapshot.statisticsBatch
        _ = g.forward(labels: (0 ..< n).map { $0 % 3 }, z: statsRNG.normals(n * 100), training: true)
        for bn in g.batchNorms { bn.layer.runningMean = bn.layer.mean; bn.layer.runningVar = bn.layer.batchVariance }
        let want = g.forward(labels: labels, z: z, training: false).array
        #expect(gan.generate(labels: labels, z: z) == want)
        #expect(gan.snapshotGenerator().generate(labels: labels, z: z) == want)
        // A checkpoint keeps the average.
        let meta = CheckpointMetadata(classNames: ["a", "b", "c"], nMels: 16, frames: 32)
        let (loaded, _) = try! ConditionalGAN.load(data: try! gan.checkpointData(metadata: meta), name: "x")
        #expect(loaded.ema!.array == average)
        #expect(loaded.generate(labels: labels, z: z) == want)
    }

    @Test func instanceNoiseFallsLinearlyToZero() {
        var r = Recipe.seed
        r.instanceNoise = 0.4; r.instanceNoiseSteps = 4
        #expect([0, 1, 2, 3, 4, 100].map { r.noise(atStep: $0) } == [0.4, 0.3, 0.2, 0.1, 0, 0])
        #expect(Recipe.seed.noise(atStep: 0) == 0)
    }

    @Test func recipeFilesOverrideTheDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("r.json")
        try Data(#"{"name": "mine", "real_target": 0.8, "window_coverage": null}"#.utf8).write(to: file)
        let r = try Recipe.named(file.path)
        var want = Recipe.standard
        want.name = "mine"; want.realTarget = 0.8; want.windowCoverage = nil
        #expect(r == want)
        #expect(try Recipe.named("seed") == .seed)
        #expect(try Recipe.named("default") == .standard)
        try Data(#"{"real_target": 1.5}"#.utf8).write(to: file)
        #expect(throws: UserError.self) { try Recipe.named(file.path) }
        #expect(throws: UserError.self) { try Recipe.named(dir.appendingPathComponent("missing.json").path) }
    }

    /// A checkpoint carries its recipe (and the projection weights); one without a recipe
    /// (written before recipes existed) loads as the seed's.
    @Test func checkpointsKeepTheirRecipe() throws {
        let gan = ConditionalGAN(config: Self.config, recipe: .standard, seed: 4)
        let meta = CheckpointMetadata(classNames: ["a", "b", "c"], nMels: 16, frames: 32)
        let (loaded, _) = try ConditionalGAN.load(data: try gan.checkpointData(metadata: meta), name: "x")
        #expect(loaded.recipe == .standard)
        #expect(loaded.discriminator.store.values.array == gan.discriminator.store.values.array)
        #expect(loaded.adamD.learningRate == gan.config.learningRate * Recipe.standard.discriminatorLRScale)
        // The committed fixture was written before recipes existed.
        let legacyFile = try Safetensors.File(contentsOf: fixtureURL("swift_checkpoint.safetensors"))
        #expect(legacyFile.metadata["recipe"] == nil)
        let (legacy, _) = try ConditionalGAN.load(from: fixtureURL("swift_checkpoint.safetensors"))
        #expect(legacy.recipe == .seed)
    }
}
