import ArgumentParser
import Audio
import Foundation
import Support

struct InvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract: "Turn a log-mel .npy back into audio (WAV, FLAC, OGG, AIFF or MP3, by the output's extension).",
        discussion: """
        expm1, non-negative least squares against the mel filterbank, fast Griffin-Lim (momentum \
        0.99), peak-normalised. The output's extension picks the format: .wav, .flac and .aiff are \
        16-bit PCM, .ogg is Vorbis, .mp3 is MPEG layer III; any other extension is refused. The .npy must be float32 with shape [n_mels, frames] \
        (or [1, n_mels, frames]), as `mel --npy` and `generate --spectrograms` write them.

        Example:
          cgan-tui invert clip.npy --out back.flac --iterations 64
        """)

    @Argument(help: "Log-mel spectrogram (.npy, float32, [n_mels, frames])")
    var input: String

    @Option(help: ArgumentHelp("Output audio file; its extension picks the format (\(AudioFileFormat.outputExtensions))", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Griffin-Lim iterations", valueName: "n"))
    var iterations = 32

    @Option(help: ArgumentHelp("Sample rate of the spectrogram's transform, Hz", valueName: "hz"))
    var sampleRate = 22050

    @Option(help: ArgumentHelp("Seed of the random initial phases", valueName: "n"))
    var seed: UInt64 = 0

    /// The largest log1p(power) whose expm1 is finite in Float (log(Float.greatestFiniteMagnitude) = 88.72).
    static let largestLog1p: Float = 88

    func run() throws {
        try reportingUserErrors {
            guard (0 ... 10_000).contains(iterations) else {
                throw UserError("--iterations must be between 0 and 10000, got \(iterations)")
            }
            // Refused before any work, and before anything is written.
            guard let format = AudioFileFormat.forOutput(path: out) else {
                throw UserError("--out \(out): cannot tell the format from the extension; use one of \(AudioFileFormat.outputExtensions)")
            }
            let array = try NPY.read(URL(fileURLWithPath: input))
            var shape = array.shape
            if shape.count == 3 && shape[0] == 1 { shape.removeFirst() }
            guard shape.count == 2, shape[0] >= 1, shape[1] >= 2 else {
                throw UserError("\(input): expected a log-mel array of shape [n_mels, frames], found \(array.shape)")
            }
            // expm1 turns a value above ~88.7 into inf in Float; NaN, inf and those would come out
            // as a click or silence, not as the sound: refuse them like any other bad input.
            if let i = array.values.firstIndex(where: { !$0.isFinite || $0 > Self.largestLog1p }) {
                throw UserError("\(input): element \(i) is \(array.values[i]); a log1p(mel power) must be finite and at most \(Int(Self.largestLog1p))")
            }
            let config = SpectrogramConfig(sampleRate: sampleRate, nMels: shape[0], frames: shape[1])
            do { try config.validate() } catch let e as UserError {
                throw UserError("\(input): shape \(array.shape) does not fit the transform (\(e.message))")
            }
            let y = Synthesizer(config: config, isa: BLASKernels.level).waveform(logMel: array.values, iterations: iterations, seed: seed)
            try AudioIO.write(y, sampleRate: sampleRate, format: format, to: URL(fileURLWithPath: out))
        }
    }
}
