import Foundation
import Testing
@testable import Audio

/// The dataset keeps each clip's own frames and reads it back padded with zeros.
@Suite struct ClipSpectrogramsTests {
    let config = SpectrogramConfig(frames: 64)

    @Test func loaderKeepsOnlyEachClipsOwnFrames() throws {
        let root = try Fixtures.temporaryFolder("clips")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        // 0.5 s at 22.05 kHz: 11,025 samples, 1 + 11025 / 256 = 44 frames of the 64.
        let kick = DecodeTests.tones(seconds: 0.5, sampleRate: 22050)
        // 3.2 s: 276 frames, more than the window: stored whole (64).
        let long = DecodeTests.tones(seconds: 3.2, sampleRate: 22050)
        try AudioIO.write(kick, sampleRate: 22050, format: .wavFloat, to: root.appendingPathComponent("a/1.wav"))
        try AudioIO.write(long, sampleRate: 22050, format: .wavFloat, to: root.appendingPathComponent("a/2.wav"))
        let d = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 1)
        #expect(d.spectrograms.stored.map(\.validFrames) == [44, 64])
        #expect(d.spectrograms.stored.map(\.values.count) == [128 * 44, 128 * 64])
        // Read back: the whole window, equal to the transform of the samples (float WAV: same bits).
        let e = LogMelExtractor(config: config)
        #expect(d.spectrograms[0] == e.logMel(kick))
        #expect(d.spectrograms[1] == e.logMel(long))
        let first = d.spectrograms[0]
        #expect(first.count == 128 * 64)
        #expect((0 ..< 128).allSatisfy { m in first[m * 64 + 44 ..< m * 64 + 64].allSatisfy { $0 == 0 } })
        #expect((0 ..< 128).contains { m in first[m * 64 + 43] != 0 })
    }

    @Test func croppingAndEqualityReadThePaddedClips() {
        // Clip 0 has 3 of 5 frames, clip 1 all 5; 2 mel bands.
        var c = ClipSpectrograms(nMels: 2, frames: 5)
        c.append(.init(values: [1, 2, 3, 4, 5, 6], validFrames: 3))
        c.append(.init(values: Array(1 ... 10).map(Float.init), validFrames: 5))
        #expect(Array(c) == [[1, 2, 3, 0, 0, 4, 5, 6, 0, 0], Array(1 ... 10).map(Float.init)])
        // The same clips stored padded compare equal.
        #expect(c == ClipSpectrograms(padded: Array(c), nMels: 2, frames: 5))
        #expect(c != ClipSpectrograms(padded: [Array(c)[0], Array(c)[0]], nMels: 2, frames: 5))
        let two = c.cropped(toFrames: 2)
        #expect(two.stored.map(\.validFrames) == [2, 2])
        #expect(Array(two) == [[1, 2, 4, 5], [1, 2, 6, 7]])
        let four = c.cropped(toFrames: 4)
        #expect(Array(four) == [[1, 2, 3, 0, 4, 5, 6, 0], [1, 2, 3, 4, 6, 7, 8, 9]])
    }
}
