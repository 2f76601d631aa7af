import Audio
import Foundation
import Support

/// Everything that decides what a training run computes. Saved in the run's `config.json`,
/// so a run can be reproduced (same seed and thread count -> same losses) or resumed.
public struct TrainingOptions: Sendable, Codable, Equatable {
    public var epochs = 50
    public var batchSize = 16
    public var learningRate: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999
    public var latentDim = 100
    public var spectrogram = SpectrogramConfig()
    public var seed: UInt64 = 0
    /// Compute threads (BLAS); 0 = one per core.
    public var threads = 0
    /// Also keep `checkpoints/epoch_NNN.safetensors` (weights only) every this many epochs (0: only `latest`).
    public var checkpointEvery = 10
    /// Griffin-Lim iterations for the per-epoch WAVs and auditions.
    public var griffinLimIterations = 32
    /// Between epochs, fresh samples for the front end at most this often (seconds; 0: only at epoch ends).
    public var previewSeconds: Double = 5
    /// How the model trains (`--recipe`).
    public var recipe = Recipe.standard

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, beta1, beta2, latentDim, spectrogram, seed, threads
        case checkpointEvery, griffinLimIterations, previewSeconds, recipe
    }

    /// Fields missing from an older `config.json` keep their defaults, except the recipe: a run
    /// recorded before recipes existed trained with the seed's.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? beta2
        latentDim = try c.decodeIfPresent(Int.self, forKey: .latentDim) ?? latentDim
        spectrogram = try c.decodeIfPresent(SpectrogramConfig.self, forKey: .spectrogram) ?? spectrogram
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? checkpointEvery
        griffinLimIterations = try c.decodeIfPresent(Int.self, forKey: .griffinLimIterations) ?? griffinLimIterations
        previewSeconds = try c.decodeIfPresent(Double.self, forKey: .previewSeconds) ?? previewSeconds
        recipe = try c.decodeIfPresent(Recipe.self, forKey: .recipe) ?? .seed
    }

    public func modelConfig(classes: Int) -> ModelConfig {
        var c = ModelConfig(numClasses: classes)
        c.latentDim = latentDim; c.nMels = spectrogram.nMels; c.frames = spectrogram.frames
        c.learningRate = learningRate; c.beta1 = beta1; c.beta2 = beta2
        return c
    }
}

/// `config.json` in a run folder: the options plus what the CLI knew (dataset, command line).
public struct RunConfig: Sendable, Codable, Equatable {
    public var formatVersion = 1
    public var dataset: String
    public var classes: [String]
    public var options: TrainingOptions
    public var commandLine: [String]
    /// The window the default recipe chose from the clips (nil: `--frames`, the demo's or the seed's).
    public var window: ClipWindow?
    /// The training clips' largest log1p(mel power), at which generated values are clamped.
    public var valueCeiling: Float?
    /// The cgan-tui version that last wrote this file (a resumed run rewrites it); nil in files
    /// written before versions were recorded.
    public var version: String? = CGANVersion.string
    public init(dataset: String, classes: [String], options: TrainingOptions, commandLine: [String]) {
        self.dataset = dataset; self.classes = classes; self.options = options; self.commandLine = commandLine
    }

    /// Largest config.json read: a real one is about 2 KB (the command line is the only part
    /// that grows).
    public static let maxFileBytes = 1 << 20

    public static func read(_ url: URL) throws -> RunConfig {
        try decode(try InputFile.read(url, limit: maxFileBytes, what: "a run's config.json"), name: url.path)
    }

    /// The parser alone (the fuzz target calls it on arbitrary bytes).
    public static func decode(_ data: Data, name: String) throws -> RunConfig {
        do { return try JSONDecoder().decode(RunConfig.self, from: data) } catch {
            throw UserError("\(name) is not a cgan-tui run configuration")
        }
    }

    public func write(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(self) + Data("\n".utf8), to: url)
    }
}

/// Where a run keeps its files. One place, so the trainer, the CLI and the tests agree.
public struct RunLayout: Sendable, Equatable {
    public var root: URL
    /// Digits of the epoch in file names, zero-padded so that names sort in epoch order: 3, or
    /// as many as the run's requested epoch count has (see `forEpochs`).
    public var epochDigits = 3
    public init(root: URL) { self.root = root }

    /// This layout with the epoch width for a run of `epochs` epochs: 3 digits up to 999
    /// (`kick_ep007.wav`, `epoch_007.png`), 4 from 1000 (`epoch_0007.png`), and so on.
    public func forEpochs(_ epochs: Int) -> RunLayout {
        var l = self
        l.epochDigits = max(3, String(max(epochs, 0)).count)
        return l
    }
    public var config: URL { root.appendingPathComponent("config.json") }
    public var metrics: URL { root.appendingPathComponent("metrics.csv") }
    /// Locked (flock) by the process training in the folder; holds its PID.
    public var lock: URL { root.appendingPathComponent(".lock") }
    public var plots: URL { root.appendingPathComponent("gan_spectrogram_plots") }
    public var audio: URL { root.appendingPathComponent("gan_generated_audio") }
    public var checkpoints: URL { root.appendingPathComponent("checkpoints") }
    public var latestCheckpoint: URL { checkpoints.appendingPathComponent("latest.safetensors") }
    /// The epoch with the best quality score so far (see `BestEpoch`).
    public var bestCheckpoint: URL { checkpoints.appendingPathComponent("best.safetensors") }
    public func plot(epoch: Int) -> URL { plots.appendingPathComponent("epoch_\(padded(epoch)).png") }
    public func wav(className: String, epoch: Int) -> URL {
        audio.appendingPathComponent("\(RunLayout.fileSafe(className))_ep\(padded(epoch)).wav")
    }
    /// The `--checkpoint-every` checkpoint of an epoch's end (weights only, see `Trainer`).
    public func periodicCheckpoint(epoch: Int) -> URL {
        checkpoints.appendingPathComponent("epoch_\(padded(epoch)).safetensors")
    }
    /// A snapshot the user asked for (`s`) after `epoch` complete epochs and `stepsIntoNext` steps of
    /// the next: `epoch_057.safetensors` at an epoch's end, `epoch_057_step_000576.safetensors`
    /// (the run's global step) in the middle of epoch 58, so that names sort in training order
    /// and never take the name of another state of the model.
    public func snapshotCheckpoint(epoch: Int, stepsIntoNext: Int, step: Int) -> URL {
        guard stepsIntoNext > 0 else { return periodicCheckpoint(epoch: epoch) }
        return checkpoints.appendingPathComponent("epoch_\(padded(epoch))_step_\(String(format: "%06d", step)).safetensors")
    }

    private func padded(_ epoch: Int) -> String { String(format: "%0\(epochDigits)d", epoch) }

    /// Class names come from folder names; only `/` and NUL cannot appear in a file name.
    public static func fileSafe(_ name: String) -> String {
        let cleaned = name.map { $0 == "/" || $0 == "\0" ? "_" : $0 }
        return cleaned.isEmpty ? "_" : String(cleaned)
    }

    /// Creates the folders; a clear error if the place cannot be written.
    public func create() throws {
        for dir in [root, plots, audio, checkpoints] {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw UserError("cannot create output folder \(dir.path): \(Self.reason(error))")
            }
        }
        guard access(root.path, W_OK) == 0 else {
            throw UserError("output folder \(root.path) is not writable")
        }
    }

    public static func reason(_ error: Error) -> String {
        if let e = error as? UserError { return e.message }
        let ns = error as NSError
        if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(under.code)))
        }
        return ns.localizedDescription
    }
}

/// Independent, reproducible random streams derived from the run's seed: the shuffle of
/// each epoch and the latent of each step depend only on (seed, purpose, epoch, step), so a
/// resumed run draws exactly what the uninterrupted run would have drawn.
enum RunRandom {
    enum Purpose: UInt64 { case shuffle = 1, latent = 2, preview = 3, synthesis = 4, quality = 5, noise = 9 }

    static func stream(seed: UInt64, _ purpose: Purpose, _ a: Int = 0, _ b: Int = 0) -> SplitMix64 {
        var s = seed
        for word in [purpose.rawValue, UInt64(bitPattern: Int64(a)), UInt64(bitPattern: Int64(b))] {
            var g = SplitMix64(seed: s ^ (word &* 0x9E37_79B9_7F4A_7C15))
            s = g.next()
        }
        return SplitMix64(seed: s)
    }
}
