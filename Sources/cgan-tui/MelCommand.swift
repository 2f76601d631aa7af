import ArgumentParser
import Audio
import Foundation
import Support

struct MelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mel",
        abstract: "Write the log-mel spectrogram of one audio file as .npy (and PNG).",
        discussion: "The seed's transform: torchaudio MelSpectrogram(n_fft 1024, hop 256), log1p, zero-padded or cropped to --frames. The .npy is float32 with shape [n_mels, frames], row 0 the lowest band.")

    @Argument(help: "Audio file (any format libsndfile reads: WAV, FLAC, OGG, AIFF, MP3, ...).")
    var audio: String

    @Option(help: "Output .npy file.")
    var npy: String

    @Option(help: "Also write a PNG heatmap (viridis, low frequencies at the bottom).")
    var png: String?

    @Option(help: "Mel bands.")
    var nMels = 128

    @Option(help: "Frames (zero-padded on the right or cropped).")
    var frames = 512

    @Option(help: "Sample rate the audio is resampled to, Hz.")
    var sampleRate = 22050

    @Option(help: "libsamplerate sinc converter: best (matches torchaudio up to 11 kHz), medium, fastest.")
    var resampler = AudioIO.resamplerQuality

    func run() throws {
        try runAudioCommand {
            let config = SpectrogramConfig(sampleRate: sampleRate, nMels: nMels, frames: frames)
            try config.validate()
            // Later samples cannot change the cropped spectrogram: decode only what it needs.
            let samples = try AudioIO.readMono(URL(fileURLWithPath: audio), sampleRate: sampleRate, resampler: resampler,
                                               maxSamples: config.samplesNeeded)
            let logMel = LogMelExtractor(config: config).logMel(samples)
            do { try LogMelExtractor.requireFinite(logMel) } catch { throw UserError("\(audio): \(error)") }
            let npyURL = URL(fileURLWithPath: npy)
            let existed = FileManager.default.fileExists(atPath: npyURL.path)
            try NPY.write(NPY.Array(shape: [nMels, frames], values: logMel), to: npyURL)
            if let png {
                do {
                    try SpectrogramPNG.write(logMel: logMel, nMels: nMels, frames: frames, to: URL(fileURLWithPath: png))
                } catch {
                    // Both outputs or neither: do not leave a fresh .npy behind a failed PNG.
                    if !existed { try? FileManager.default.removeItem(at: npyURL) }
                    throw error
                }
            }
        }
    }
}

extension ResamplerQuality: ExpressibleByArgument {}

/// Runs a command body; a UserError becomes one line `cgan-tui: <message>` on stderr and exit
/// status 2 (bad input), never a stack trace.
func runAudioCommand(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as UserError {
        FileHandle.standardError.write(Data("cgan-tui: \(error.message)\n".utf8))
        throw ExitCode(2)
    }
}
