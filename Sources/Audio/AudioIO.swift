import Foundation
import Support

/// Reading any audio file as mono float at a given rate, and writing WAV.
public enum AudioIO {
    /// The default resampler for rate changes: libsoxr's HQ recipe (see README "Audio" and
    /// ResamplerTests for how close each recipe comes to torchaudio's resampler).
    public static let resamplerQuality: ResamplerQuality = .hq

    /// Any format libsndfile reads, any channel count (mean of channels), resampled to `sampleRate`.
    /// With `maxSamples` (e.g. `SpectrogramConfig.samplesNeeded`), only the first `maxSamples`
    /// output samples are produced, decoding and resampling no more input than they need.
    public static func readMono(_ url: URL, sampleRate: Int, resampler: ResamplerQuality = resamplerQuality,
                                maxSamples: Int? = nil) throws -> [Float] {
        do {
            return try decode(url, sampleRate: sampleRate, maxOutput: maxSamples, quality: resampler).samples
        } catch {
            throw UserError("\(url.path): \(error)")
        }
    }

    struct Clip {
        var samples: [Float]   // at the target rate
        var seconds: Double    // the whole file's duration
    }

    /// Decodes and resamples. With `maxOutput`, only enough input for the first `maxOutput`
    /// output samples is decoded and resampled (plus the resampler's filter reach), so a
    /// long file costs no more than the spectrogram needs.
    static func decode(_ url: URL, sampleRate: Int, maxOutput: Int? = nil, quality: ResamplerQuality = resamplerQuality,
                       resampler: ResamplerHandle? = nil) throws(AudioDecodeError) -> Clip {
        let decoded = try SndFile.readMono(path: url.path) { rate in
            maxOutput.map { inputFrames($0, from: rate, to: sampleRate) }
        }
        guard Resampler.canConvert(from: decoded.sampleRate, to: sampleRate) else {
            throw .badRate(decoded.sampleRate)
        }
        let seconds = Double(decoded.totalFrames) / Double(decoded.sampleRate)
        let samples = Resampler.resample(decoded.samples, from: decoded.sampleRate, to: sampleRate,
                                         quality: quality, maxOutput: maxOutput, handle: resampler)
        return Clip(samples: samples, seconds: seconds)
    }

    static func inputFrames(_ output: Int, from: Int, to: Int) -> Int {
        if from == to { return output }
        return Int((Double(output) * Double(from) / Double(to)).rounded(.up)) + Resampler.inputMargin(from: from, to: to)
    }

    /// Writes mono samples as a 16-bit PCM WAV (float WAV with `float: true`), atomically:
    /// a reader never sees a partial file, and a failed write leaves nothing behind.
    public static func writeWAV(_ samples: [Float], sampleRate: Int, to url: URL) throws {
        try SndFile.write(samples, sampleRate: sampleRate, format: .wav16, to: url)
    }

    public static func writeWAV(_ samples: [Float], sampleRate: Int, float: Bool, to url: URL) throws {
        try SndFile.write(samples, sampleRate: sampleRate, format: float ? .wavFloat : .wav16, to: url)
    }

    /// Writes interleaved samples in any format libsndfile writes here (fixtures, benchmarks).
    public static func write(_ samples: [Float], channels: Int = 1, sampleRate: Int,
                             format: AudioFileFormat, to url: URL) throws {
        try SndFile.write(samples, channels: channels, sampleRate: sampleRate, format: format, to: url)
    }
}
