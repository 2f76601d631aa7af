import ArgumentParser
import Audio
import Foundation
import Support

struct MelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mel",
        abstract: "Write the log-mel spectrogram of one audio file as .npy, as a PNG heatmap, or both.",
        discussion: """
        The transform is torchaudio's MelSpectrogram as the original PyTorch script uses it \
        (n_fft 1024, hop 256, power 2, HTK mel), then log1p, zero-padded or cropped to --frames. \
        The .npy is float32 with shape [n_mels, frames], row 0 the lowest band.

        Example:
          cgan-tui mel clip.flac --npy clip.npy --png clip.png
        """)

    @Argument(help: "Audio file (any format libsndfile reads: WAV, FLAC, OGG, AIFF, MP3, ...)")
    var audio: String

    @Option(help: ArgumentHelp("Write the spectrogram to this .npy file", valueName: "file"))
    var npy: String?

    @Option(help: ArgumentHelp("Write a PNG heatmap to this file (viridis, low frequencies at the bottom)", valueName: "file"))
    var png: String?

    @Option(help: "Mel bands")
    var nMels = 128

    @Option(help: "Frames (zero-padded on the right or cropped)")
    var frames = 512

    @Option(help: "Sample rate the audio is resampled to, Hz")
    var sampleRate = 22050

    @Option(help: "libsoxr recipe: \(ResamplerQuality.choices)")
    var resampler = AudioIO.resamplerQuality

    func run() throws {
        try reportingUserErrors {
            guard npy != nil || png != nil else { throw UserError("say what to write: --npy FILE, --png FILE, or both") }
            let config = SpectrogramConfig(sampleRate: sampleRate, nMels: nMels, frames: frames)
            try config.validate()
            // Later samples cannot change the cropped spectrogram: decode only what it needs.
            let samples = try AudioIO.readMono(URL(fileURLWithPath: audio), sampleRate: sampleRate, resampler: resampler,
                                               maxSamples: config.samplesNeeded)
            let logMel = LogMelExtractor(config: config, isa: BLASKernels.level).logMel(samples)
            do { try LogMelExtractor.requireFinite(logMel) } catch { throw UserError("\(audio): \(error)") }
            let npyURL = npy.map { URL(fileURLWithPath: $0) }
            let existed = npyURL.map { FileManager.default.fileExists(atPath: $0.path) } ?? true
            if let npyURL { try NPY.write(NPY.Array(shape: [nMels, frames], values: logMel), to: npyURL) }
            if let png {
                do {
                    try SpectrogramPNG.write(logMel: logMel, nMels: nMels, frames: frames, to: URL(fileURLWithPath: png))
                } catch {
                    // Both outputs or neither: do not leave a fresh .npy behind a failed PNG.
                    if !existed, let npyURL { try? FileManager.default.removeItem(at: npyURL) }
                    throw error
                }
            }
        }
    }
}

extension ResamplerQuality: ExpressibleByArgument {}
