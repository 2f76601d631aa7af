import Foundation
import Testing
@testable import Audio
import Support

/// libsamplerate's converters against torchaudio's resampler on broadband audio (300 sines up
/// to 10.95 kHz at 44.1 and 48 kHz; scripts/audio_resample_reference.py). Where they differ
/// is the top of the band: this is what the resampler choice rests on.
@Suite(.serialized) struct ResamplerTests {
    /// Per mel band, the mean over inner frames (4 ..< 83: away from the file's edges, where
    /// the two resamplers pad differently) of ours - torchaudio's.
    func bandBias(rate: Int, quality: ResamplerQuality) throws -> [Float] {
        let name = "broadband_\(rate)_mono_pcm16"
        let reference = try Fixtures.npy("\(name).logmel.npy")
        let width = reference.shape[1]
        let samples = try AudioIO.readMono(Fixtures.url("\(name).wav"), sampleRate: 22050, resampler: quality)
        #expect(samples.count == 22050)
        let ours = LogMelExtractor(config: SpectrogramConfig(frames: width)).logMel(samples)
        return (0 ..< 128).map { m in
            (4 ..< width - 4).reduce(Float(0)) { $0 + ours[m * width + $1] - reference.values[m * width + $1] } / Float(width - 8)
        }
    }

    /// Below band 110 (~7.9 kHz) all three converters agree with torchaudio within 0.05 log1p
    /// units. Above, torchaudio's own filter (rolloff 0.99, Hann width 6) already rolls off:
    /// SRC_SINC_BEST_QUALITY (the default) stays within 1 unit of it in every band (observed
    /// worst 0.81, band 125, where BEST keeps more of the signal than torchaudio), while MEDIUM
    /// and FASTEST (pass bands 90% and 80% of Nyquist, per libsamplerate's docs) fall 3.2 and
    /// 4.0 below it in the top bands: not the seed's spectrograms for hats and cymbals.
    @Test(arguments: [44100, 48000])
    func bestMatchesTorchaudioUpToNyquist(rate: Int) throws {
        var worst: [ResamplerQuality: Float] = [:]
        for q in ResamplerQuality.allCases {
            let bias = try bandBias(rate: rate, quality: q)
            worst[q] = bias.map { abs($0) }.max()!
            print("\(rate) Hz \(q): bands 116-127 vs torchaudio:", bias[116...].map { String(format: "%.2f", $0) }.joined(separator: " "))
            #expect(bias[..<110].allSatisfy { abs($0) < 0.05 })
            if q == .best { #expect(worst[q]! < 1.0) }
        }
        #expect(worst[.medium]! > 3 && worst[.fastest]! > 3)
    }
}
