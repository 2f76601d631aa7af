import Support

/// The seed's model hyper-parameters. nMels and frames must be multiples of 16.
public struct ModelConfig: Sendable, Codable, Equatable {
    public var numClasses: Int
    public var latentDim = 100
    public var nMels = 128
    public var frames = 512
    public var learningRate: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999

    public init(numClasses: Int, latentDim: Int = 100, nMels: Int = 128, frames: Int = 512,
                learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999) {
        self.numClasses = numClasses; self.latentDim = latentDim; self.nMels = nMels; self.frames = frames
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
    }

    /// snake_case in JSON, as the checkpoint's `__metadata__` and Python readers expect.
    enum CodingKeys: String, CodingKey {
        case numClasses = "num_classes", latentDim = "latent_dim", nMels = "n_mels", frames
        case learningRate = "learning_rate", beta1, beta2
    }

    /// Throws a UserError for shapes the architecture cannot take.
    public func validate() throws {
        guard numClasses >= 1 else { throw UserError("the model needs at least one class (got \(numClasses))") }
        guard latentDim >= 1 else { throw UserError("latent size must be positive (got \(latentDim))") }
        guard nMels >= 16, nMels % 16 == 0, frames >= 16, frames % 16 == 0 else {
            throw UserError("n_mels and frames must be positive multiples of 16 (got \(nMels) x \(frames))")
        }
    }

    /// Spatial size after the generator's Linear: (nMels/16, frames/16) with 256 channels.
    var baseH: Int { nMels / 16 }
    var baseW: Int { frames / 16 }
}

/// What a checkpoint says about the run that wrote it (stored as JSON in `__metadata__`).
public struct CheckpointMetadata: Sendable, Codable, Equatable {
    public var classNames: [String]
    public var sampleRate: Int
    public var nFFT: Int
    public var hop: Int
    public var nMels: Int
    public var frames: Int
    public var latentDim: Int
    public var epoch: Int
    public var step: Int
    public var seed: UInt64
    public var formatVersion: Int
    /// The run's best epoch so far when this checkpoint was written (absent in older files).
    public var best: BestEpoch?
    /// The training clips' largest log1p(mel power), measured when the run started: generated
    /// values are clamped at it (`ConditionalGAN.valueCeiling`). Absent in older files: no clamp.
    public var valueCeiling: Float?

    public static let currentFormatVersion = 1

    /// snake_case in JSON (the checkpoint's `__metadata__["config"]`, read by Python too).
    enum CodingKeys: String, CodingKey {
        case classNames = "class_names", sampleRate = "sample_rate", nFFT = "n_fft", hop, nMels = "n_mels"
        case frames, latentDim = "latent_dim", epoch, step, seed, formatVersion = "format_version", best
        case valueCeiling = "value_ceiling"
    }

    public init(classNames: [String], sampleRate: Int = 22050, nFFT: Int = 1024, hop: Int = 256,
                nMels: Int = 128, frames: Int = 512, latentDim: Int = 100, epoch: Int = 0, step: Int = 0,
                seed: UInt64 = 0, formatVersion: Int = CheckpointMetadata.currentFormatVersion, best: BestEpoch? = nil,
                valueCeiling: Float? = nil) {
        self.classNames = classNames; self.sampleRate = sampleRate; self.nFFT = nFFT; self.hop = hop
        self.nMels = nMels; self.frames = frames; self.latentDim = latentDim; self.epoch = epoch
        self.step = step; self.seed = seed; self.formatVersion = formatVersion; self.best = best
        self.valueCeiling = valueCeiling
    }
}
