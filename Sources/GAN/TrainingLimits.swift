import Audio
import Support

/// The largest model and transform `cgan-tui train` accepts: its options are checked against
/// these, and a checkpoint is refused when its metadata lies outside them (it cannot have come
/// from a training run, and the model it describes could need terabytes).
public enum TrainingLimits {
    public static let latentDim = 1 ... 4096
    public static let nMels = 16 ... 512          // and a multiple of 16
    public static let frames = 16 ... 8192        // and a multiple of 16
    public static let sampleRate = 4000 ... 192_000
    public static let classes = 1 ... 4096
    /// Training always uses n_fft 1024, hop 256 (`SpectrogramConfig`); 4096 leaves room for a
    /// config.json edited by hand while keeping synthesis bounded (8192 frames x 4096 hop).
    public static let nFFT = 16 ... 4096          // and even
    /// Multiples of 16: the generator doubles 4 times from n_mels/16 x frames/16.
    public static let multiple = 16

    /// Throws a one-line UserError (without the file name) for metadata no training run writes.
    public static func check(_ meta: CheckpointMetadata) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw UserError(message()) }
        }
        try require(classes.contains(meta.classNames.count), "\(meta.classNames.count) classes (a run has \(classes.lowerBound) to \(classes.upperBound))")
        try require(latentDim.contains(meta.latentDim), "latent size \(meta.latentDim) (a run has \(latentDim.lowerBound) to \(latentDim.upperBound))")
        try require(nMels.contains(meta.nMels) && meta.nMels % multiple == 0,
                    "n_mels \(meta.nMels) (a run has a multiple of 16 from \(nMels.lowerBound) to \(nMels.upperBound))")
        try require(frames.contains(meta.frames) && meta.frames % multiple == 0,
                    "frames \(meta.frames) (a run has a multiple of 16 from \(frames.lowerBound) to \(frames.upperBound))")
        try require(sampleRate.contains(meta.sampleRate), "sample rate \(meta.sampleRate) Hz (a run has \(sampleRate.lowerBound) to \(sampleRate.upperBound))")
        try require(nFFT.contains(meta.nFFT) && meta.nFFT % 2 == 0, "n_fft \(meta.nFFT) (a run has an even number from \(nFFT.lowerBound) to \(nFFT.upperBound))")
        try require(meta.hop >= 1 && meta.hop <= meta.nFFT, "hop \(meta.hop) (a run has 1 to n_fft)")
        try require(meta.nMels <= meta.nFFT / 2 + 1, "n_mels \(meta.nMels) for n_fft \(meta.nFFT) (at most \(meta.nFFT / 2 + 1))")
        try require(meta.epoch >= 0 && meta.step >= 0, "epoch \(meta.epoch), step \(meta.step) (a run counts from 0)")
    }
}
