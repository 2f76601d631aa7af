import Foundation
import Testing
@testable import Audio
import Support

/// Real files in every format libsndfile writes here, written by libsndfile itself.
@Suite(.serialized) struct DecodeTests {
    /// A band-limited test signal (content below 3.5 kHz) evaluated at any rate, so files at
    /// different rates hold the same sound.
    static func tones(seconds: Double, sampleRate: Int, amplitude: Double = 0.8) -> [Float] {
        let n = Int(seconds * Double(sampleRate))
        return (0 ..< n).map { i in
            let t = Double(i) / Double(sampleRate)
            let s = 0.4 * sin(2 * .pi * 440 * t) + 0.3 * sin(2 * .pi * 1250 * t + 1) + 0.3 * sin(2 * .pi * (200 * t + 1000 * t * t))
            return Float(amplitude * s)
        }
    }

    /// Lossless formats decode to the written samples within their quantisation step.
    @Test(arguments: [
        (AudioFileFormat.wavFloat, Float(1e-7)),     // stored as float
        (.wav32, 1e-6),                              // 2^-31 steps
        (.wav24, 1e-6),                              // 2^-23 = 1.2e-7 steps
        (.wav16, 4e-5),                              // 2^-15 = 3.1e-5 steps
        (.aiff16, 4e-5),
        (.flac, 4e-5),                               // 16-bit FLAC
        (.wavU8, 8e-3),                              // 2^-7 = 7.8e-3 steps
    ])
    func losslessFormatsRoundTrip(format: AudioFileFormat, tolerance: Float) throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = Self.tones(seconds: 0.3, sampleRate: 22050)
        let url = dir.appendingPathComponent("clip")
        try AudioIO.write(x, sampleRate: 22050, format: format, to: url)
        let y = try AudioIO.readMono(url, sampleRate: 22050)
        #expect(y.count == x.count)
        #expect(maxAbsDifference(x, y) <= tolerance)
    }

    /// Lossy formats: compared through the log-mel transform (1 s). Observed mean |diff|:
    /// Vorbis (quality 0.9) 0.010, MP3 0.006 log1p units; the bound 0.05 leaves room for other
    /// encoder builds and still fails for a wrong rate, channel mix or time offset (O(0.3+)).
    @Test(arguments: [AudioFileFormat.oggVorbis, .mp3])
    func lossyFormatsKeepTheSpectrogram(format: AudioFileFormat) throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = Self.tones(seconds: 1, sampleRate: 22050)
        let url = dir.appendingPathComponent("clip")
        try AudioIO.write(x, sampleRate: 22050, format: format, to: url)
        let y = try AudioIO.readMono(url, sampleRate: 22050)
        // Encoders may pad the end (and MP3 by up to a frame of 1152 samples).
        #expect(abs(y.count - x.count) <= 2400)
        let config = SpectrogramConfig(frames: 40)
        let e = LogMelExtractor(config: config)
        let a = e.logMel(x), b = e.logMel(y)
        var sum: Float = 0
        for i in a.indices { sum += abs(a[i] - b[i]) }
        print("\(format): \(y.count) samples (wrote \(x.count)), mean |log-mel diff| \(sum / Float(a.count))")
        #expect(sum / Float(a.count) < 0.05)
    }

    /// Mono = mean of channels, for any channel count.
    @Test(arguments: [2, 3, 6])
    func channelsAreAveraged(channels: Int) throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let frames = 5000
        var interleaved = [Float](repeating: 0, count: frames * channels)
        var expected = [Float](repeating: 0, count: frames)
        var rng = SplitMix64(seed: UInt64(channels))
        for f in 0 ..< frames {
            for c in 0 ..< channels {
                let v = rng.nextUniform() - 0.5
                interleaved[f * channels + c] = v
                expected[f] += v / Float(channels)
            }
        }
        let url = dir.appendingPathComponent("multi.wav")
        try AudioIO.write(interleaved, channels: channels, sampleRate: 22050, format: .wavFloat, to: url)
        let y = try AudioIO.readMono(url, sampleRate: 22050)
        #expect(y.count == frames)
        #expect(maxAbsDifference(y, expected) < 1e-6)   // float rounding of the sum only
    }

    /// Other rates: the same band-limited sound written at 8, 16, 44.1, 48 and 96 kHz gives
    /// the spectrogram of the sound generated at 22.05 kHz directly. Mean |diff| 0.01 log1p
    /// units (observed ~1e-3, from the resampler's passband ripple and the files' edges).
    @Test(arguments: [8000, 16000, 44100, 48000, 96000])
    func otherSampleRatesAreResampled(rate: Int) throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("r.wav")
        try AudioIO.write(Self.tones(seconds: 1, sampleRate: rate), sampleRate: rate, format: .wavFloat, to: url)
        let y = try AudioIO.readMono(url, sampleRate: 22050)
        #expect(y.count == 22050)
        let e = LogMelExtractor(config: SpectrogramConfig(frames: 87))
        let a = e.logMel(Self.tones(seconds: 1, sampleRate: 22050)), b = e.logMel(y)
        var sum: Float = 0
        for i in a.indices { sum += abs(a[i] - b[i]) }
        print("\(rate) Hz: mean |log-mel diff| \(sum / Float(a.count))")
        #expect(sum / Float(a.count) < 0.01)
    }

    /// The dataset decodes only the prefix a spectrogram needs; it must equal the full decode,
    /// for every recipe (steep's filter reaches furthest: 13,600 input samples at 96 kHz).
    @Test(arguments: [22050, 44100, 48000, 96000, 192000], ResamplerQuality.allCases)
    func prefixDecodeEqualsFullDecode(rate: Int, quality: ResamplerQuality) throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("long.wav")
        try AudioIO.write(Self.tones(seconds: 8, sampleRate: rate), sampleRate: rate, format: .wav16, to: url)
        let config = SpectrogramConfig()
        let full = try AudioIO.decode(url, sampleRate: 22050, quality: quality)
        let prefix = try AudioIO.decode(url, sampleRate: 22050, maxOutput: config.samplesNeeded, quality: quality)
        #expect(prefix.samples.count == config.samplesNeeded)
        #expect(abs(prefix.seconds - 8) < 1e-3 && abs(full.seconds - 8) < 1e-3)
        // Identical input reaches every output sample's filter: bit-for-bit the same.
        #expect(maxAbsDifference(Array(full.samples.prefix(config.samplesNeeded)), prefix.samples) == 0)
        let e = LogMelExtractor(config: config)
        #expect(e.logMel(full.samples) == e.logMel(prefix.samples))
    }

    @Test func badInputsAreClearErrors() throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: AudioDecodeError.unreadable("No such file or directory")) {
            try AudioIO.decode(dir.appendingPathComponent("missing.wav"), sampleRate: 22050)
        }
        let text = dir.appendingPathComponent("notes.wav")
        try Data("not audio at all".utf8).write(to: text)
        #expect(throws: AudioDecodeError.self) { try AudioIO.decode(text, sampleRate: 22050) }
        do { _ = try AudioIO.decode(text, sampleRate: 22050) } catch { guard case .notAudio = error else { Issue.record("\(error)"); return } }
        let empty = dir.appendingPathComponent("empty.wav")
        try AudioIO.write([], sampleRate: 22050, format: .wav16, to: empty)
        #expect(throws: AudioDecodeError.empty) { try AudioIO.decode(empty, sampleRate: 22050) }
        let nan = dir.appendingPathComponent("nan.wav")
        try AudioIO.write([0.1, .nan, 0.2], sampleRate: 22050, format: .wavFloat, to: nan)
        #expect(throws: AudioDecodeError.nonFinite) { try AudioIO.decode(nan, sampleRate: 22050) }
        let inf = dir.appendingPathComponent("inf.wav")
        try AudioIO.write([0.1, .infinity, 0.2], sampleRate: 22050, format: .wavFloat, to: inf)
        #expect(throws: AudioDecodeError.nonFinite) { try AudioIO.decode(inf, sampleRate: 22050) }
        // The public API reports one line naming the file.
        do {
            _ = try AudioIO.readMono(text, sampleRate: 22050)
            Issue.record("expected an error")
        } catch let e as UserError {
            #expect(e.message.hasPrefix(text.path + ": not audio"))
            #expect(!e.message.contains("\n"))
        }
    }

    @Test func writeWAVIsAtomicAndClear() throws {
        let dir = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.wav")
        let x = Self.tones(seconds: 0.2, sampleRate: 22050)
        try AudioIO.writeWAV(x, sampleRate: 22050, to: url)
        #expect(maxAbsDifference(try AudioIO.readMono(url, sampleRate: 22050), x) < 4e-5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.wav"])
        #expect(throws: UserError.self) {
            try AudioIO.writeWAV(x, sampleRate: 22050, to: dir.appendingPathComponent("no/such/folder.wav"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.wav"])
    }

    /// Signals shorter than n_fft/2 (where torch refuses to reflect-pad) still work: numpy's
    /// repeated reflection, 1 + n/256 frames, finite values.
    @Test func veryShortSignals() {
        let e = LogMelExtractor(config: SpectrogramConfig(frames: 4))
        for n in [1, 2, 100, 511, 513] {
            let x = (0 ..< n).map { Float(sin(Double($0) * 0.3)) }
            let s = e.logMel(x)
            #expect(s.allSatisfy { $0.isFinite && $0 >= 0 })
            #expect(e.melPower(x, frames: 4).validFrames == min(4, 1 + n / 256))
        }
        #expect(e.logMel([]).allSatisfy { $0 == 0 })
    }
}
