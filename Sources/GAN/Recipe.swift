import Foundation
import Support

/// How a run trains, as one value the trainer is given (saved in `config.json` and in every
/// checkpoint). `Recipe.seed` is the original PyTorch script exactly: the engine's PyTorch
/// equality tests run it. `Recipe.standard` (`--recipe default`) is what cgan-tui trains with
/// unless told otherwise; its values were chosen on real drum recordings (see the README).
public struct Recipe: Sendable, Codable, Equatable {
    /// "seed", "default", or a user's name for a recipe file.
    public var name: String
    /// The spectrogram window: nil keeps `--frames` (the seed: 512); a share in (0, 1] picks
    /// the smallest multiple of 16 frames that holds the sounding part of that share of the clips.
    public var windowCoverage: Double?
    /// The discriminator's learning rate as a multiple of the generator's (`--lr`).
    public var discriminatorLRScale: Float
    /// BCE target for real clips in the discriminator step (one-sided label smoothing below 1).
    public var realTarget: Float
    /// Standard deviation of Gaussian noise added to every spectrogram the discriminator sees
    /// (real and generated) at step 0, falling linearly to 0 at `instanceNoiseSteps`.
    public var instanceNoise: Float
    public var instanceNoiseSteps: Int
    /// Adds a projection term to the discriminator's logit: the inner product of a learned class
    /// embedding with its last features averaged over positions (Miyato & Koyama 2018). The
    /// label-map input channel stays. Adds `discriminator.projection.*` to checkpoints.
    public var projection: Bool
    /// The scale the model learns in. The seed learns log1p(mel power) itself, which squeezes
    /// everything below power 0.1 (most of a one-shot's decay and its quiet bands) into [0, 0.1):
    /// the networks barely see it and the generated clips come out with their quiet parts
    /// missing. With a floor f and scale s the model learns s * log1p(power / f) instead, a log
    /// scale down to f; everything outside the model (files, previews, audio) stays log1p(power).
    public var powerFloor: Float
    public var valueScale: Float
    /// Samples come from an exponential moving average of the generator's weights, decay
    /// min(generatorEMA, (1 + t) / (10 + t)) at step t (the warm-up keeps early averages from
    /// holding on to the random initialisation), with BatchNorm statistics measured for those
    /// weights rather than borrowed from the live generator. 0: off (the seed).
    public var generatorEMA: Float
    /// The batch size unless `--batch-size` says otherwise (nil: 16, the seed's).
    public var batchSize: Int?

    public init(name: String, windowCoverage: Double? = nil, discriminatorLRScale: Float = 1, realTarget: Float = 1,
                instanceNoise: Float = 0, instanceNoiseSteps: Int = 0, projection: Bool = false,
                powerFloor: Float = 1, valueScale: Float = 1, generatorEMA: Float = 0, batchSize: Int? = nil) {
        self.name = name; self.windowCoverage = windowCoverage; self.discriminatorLRScale = discriminatorLRScale
        self.realTarget = realTarget; self.instanceNoise = instanceNoise; self.instanceNoiseSteps = instanceNoiseSteps
        self.projection = projection; self.powerFloor = powerFloor; self.valueScale = valueScale
        self.generatorEMA = generatorEMA; self.batchSize = batchSize
    }

    /// The average's decay after optimizer step `step` (1-based).
    func emaDecay(afterStep step: Int) -> Float {
        min(generatorEMA, Float(1 + step) / Float(10 + step))
    }

    /// True when the model learns log1p(power) as it is (the seed's scale).
    var learnsLog1p: Bool { powerFloor == 1 && valueScale == 1 }

    /// log1p(power) -> the model's scale, s * log1p(power / f).
    func toModel(_ logMel: [Float]) -> [Float] {
        if learnsLog1p { return logMel }
        let f = Double(powerFloor), s = Double(valueScale)
        return logMel.map { Float(s * log1p(Double(expm1($0)) / f)) }
    }

    /// The model's scale -> log1p(power), in place.
    func fromModel(_ values: inout [Float]) {
        if learnsLog1p { return }
        let f = Double(powerFloor), s = Double(valueScale)
        for i in values.indices { values[i] = Float(log1p(f * expm1(Double(values[i]) / s))) }
    }

    /// The original script: BCE with hard targets, one Adam setting, no noise, `--frames` as given.
    public static let seed = Recipe(name: "seed")

    /// The default recipe: the window fitted to the clips, a log scale down to 50 dB below
    /// power 1, a projection discriminator learning at half the generator's rate against a real
    /// target of 0.9, and batches of 8 (twice the updates per epoch at the same cost). Measured
    /// on real drums in the README ("Recipes").
    public static let standard = Recipe(name: "default", windowCoverage: 0.9, discriminatorLRScale: 0.5,
                                        realTarget: 0.9, projection: true, powerFloor: 1e-5, valueScale: 0.25,
                                        batchSize: 8)

    /// `--recipe seed|default|FILE.json`. A file gives any subset of the fields (snake_case);
    /// the rest come from the default recipe.
    public static func named(_ text: String) throws -> Recipe {
        switch text {
        case "seed": return .seed
        case "default": return .standard
        default:
            guard let data = FileManager.default.contents(atPath: text) else {
                throw UserError("--recipe: '\(text)' is neither seed, default nor a readable recipe file")
            }
            let recipe: Recipe
            do { recipe = try JSONDecoder().decode(Recipe.self, from: data) } catch {
                throw UserError("--recipe: \(text) is not a recipe (JSON with fields such as \"real_target\": 0.9)")
            }
            try recipe.validate()
            return recipe
        }
    }

    public func validate() throws {
        if let c = windowCoverage, !(c > 0 && c <= 1) { throw UserError("recipe window_coverage must be in (0, 1], got \(c)") }
        guard discriminatorLRScale.isFinite, discriminatorLRScale > 0, discriminatorLRScale <= 100 else {
            throw UserError("recipe discriminator_lr_scale must be in (0, 100], got \(discriminatorLRScale)")
        }
        guard realTarget.isFinite, realTarget > 0, realTarget <= 1 else { throw UserError("recipe real_target must be in (0, 1], got \(realTarget)") }
        guard instanceNoise.isFinite, instanceNoise >= 0, instanceNoise <= 10 else {
            throw UserError("recipe instance_noise must be in [0, 10], got \(instanceNoise)")
        }
        guard instanceNoiseSteps >= 0 else { throw UserError("recipe instance_noise_steps must be 0 or more") }
        guard powerFloor.isFinite, powerFloor >= 1e-8, powerFloor <= 1 else { throw UserError("recipe power_floor must be in [1e-8, 1], got \(powerFloor)") }
        guard valueScale.isFinite, valueScale >= 0.01, valueScale <= 100 else { throw UserError("recipe value_scale must be in [0.01, 100], got \(valueScale)") }
        if let b = batchSize, !(1 ... 4096).contains(b) { throw UserError("recipe batch_size must be between 1 and 4096, got \(b)") }
        guard generatorEMA.isFinite, generatorEMA >= 0, generatorEMA < 1 else { throw UserError("recipe generator_ema must be in [0, 1), got \(generatorEMA)") }
    }

    /// The instance-noise standard deviation for optimizer step `step` (0-based).
    func noise(atStep step: Int) -> Float {
        guard instanceNoise > 0, step < instanceNoiseSteps else { return 0 }
        return instanceNoise * Float(instanceNoiseSteps - step) / Float(instanceNoiseSteps)
    }

    enum CodingKeys: String, CodingKey {
        case name, windowCoverage = "window_coverage", discriminatorLRScale = "discriminator_lr_scale"
        case realTarget = "real_target", instanceNoise = "instance_noise", instanceNoiseSteps = "instance_noise_steps"
        case projection, powerFloor = "power_floor", valueScale = "value_scale", generatorEMA = "generator_ema"
        case batchSize = "batch_size"
    }

    /// Missing fields take the default recipe's values, so a recipe file names only what it changes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Recipe.standard
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "custom"
        windowCoverage = c.contains(.windowCoverage) ? try c.decodeIfPresent(Double.self, forKey: .windowCoverage) : d.windowCoverage
        discriminatorLRScale = try c.decodeIfPresent(Float.self, forKey: .discriminatorLRScale) ?? d.discriminatorLRScale
        realTarget = try c.decodeIfPresent(Float.self, forKey: .realTarget) ?? d.realTarget
        instanceNoise = try c.decodeIfPresent(Float.self, forKey: .instanceNoise) ?? d.instanceNoise
        instanceNoiseSteps = try c.decodeIfPresent(Int.self, forKey: .instanceNoiseSteps) ?? d.instanceNoiseSteps
        projection = try c.decodeIfPresent(Bool.self, forKey: .projection) ?? d.projection
        powerFloor = try c.decodeIfPresent(Float.self, forKey: .powerFloor) ?? d.powerFloor
        valueScale = try c.decodeIfPresent(Float.self, forKey: .valueScale) ?? d.valueScale
        generatorEMA = try c.decodeIfPresent(Float.self, forKey: .generatorEMA) ?? d.generatorEMA
        batchSize = c.contains(.batchSize) ? try c.decodeIfPresent(Int.self, forKey: .batchSize) : d.batchSize
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(windowCoverage, forKey: .windowCoverage)   // null: the window is --frames
        try c.encode(discriminatorLRScale, forKey: .discriminatorLRScale)
        try c.encode(realTarget, forKey: .realTarget)
        try c.encode(instanceNoise, forKey: .instanceNoise)
        try c.encode(instanceNoiseSteps, forKey: .instanceNoiseSteps)
        try c.encode(projection, forKey: .projection)
        try c.encode(powerFloor, forKey: .powerFloor)
        try c.encode(valueScale, forKey: .valueScale)
        try c.encode(generatorEMA, forKey: .generatorEMA)
        try c.encode(batchSize, forKey: .batchSize)   // null: 16
    }
}
