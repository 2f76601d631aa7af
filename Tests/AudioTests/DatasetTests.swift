import Foundation
import Testing
@testable import Audio
import Support

@Suite(.serialized) struct DatasetTests {
    let config = SpectrogramConfig(frames: 64)

    /// root/<class>/files: two good clips in "b_snare" (one FLAC, one stereo 44.1 kHz in a
    /// sub-folder), one in "a_kick", plus junk that must be skipped with reasons.
    func makeDataset(_ root: URL) throws -> [String: [Float]] {
        let fm = FileManager.default
        for c in ["a_kick", "b_snare/sub", "c_empty"] {
            try fm.createDirectory(at: root.appendingPathComponent(c), withIntermediateDirectories: true)
        }
        let kick = DecodeTests.tones(seconds: 0.5, sampleRate: 22050)
        let snare = testSignal(seconds: 0.4, sampleRate: 22050, seed: 9)
        try AudioIO.write(kick, sampleRate: 22050, format: .wav16, to: root.appendingPathComponent("a_kick/k1.wav"))
        try AudioIO.write(snare, sampleRate: 22050, format: .flac, to: root.appendingPathComponent("b_snare/s1.flac"))
        let stereo = DecodeTests.tones(seconds: 0.3, sampleRate: 44100).flatMap { [$0, -$0 * 0.5] }
        try AudioIO.write(stereo, channels: 2, sampleRate: 44100, format: .wav24, to: root.appendingPathComponent("b_snare/sub/s2.wav"))
        try Data("hello".utf8).write(to: root.appendingPathComponent("a_kick/readme.txt"))
        try AudioIO.write([], sampleRate: 22050, format: .wav16, to: root.appendingPathComponent("a_kick/empty.wav"))
        try AudioIO.write([0, .nan, 0], sampleRate: 22050, format: .wavFloat, to: root.appendingPathComponent("b_snare/nan.wav"))
        try Data("x".utf8).write(to: root.appendingPathComponent("a_kick/.hidden.wav"))   // hidden: ignored
        try Data("x".utf8).write(to: root.appendingPathComponent("stray.wav"))            // not in a class
        return ["kick": kick, "snare": snare]
    }

    @Test func scansClassesClipsAndSkips() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        let signals = try makeDataset(root)
        let d = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 2)
        #expect(d.classes == ["a_kick", "b_snare", "c_empty"])
        #expect(d.clipCounts == [1, 2, 0])
        #expect(d.labels == [0, 1, 1])
        #expect(d.spectrograms.count == 3 && d.spectrograms.allSatisfy { $0.count == 128 * 64 })
        #expect(abs(d.totalSeconds - 1.2) < 1e-6)
        let reasons = Dictionary(uniqueKeysWithValues: d.skipped.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.reason) })
        #expect(reasons.keys.sorted() == ["empty.wav", "nan.wav", "readme.txt"])
        #expect(reasons["empty.wav"] == "zero length")
        #expect(reasons["nan.wav"] == "NaN or infinite samples")
        #expect(reasons["readme.txt"]?.hasPrefix("not audio") == true)
        // The clips are the transform of the files' audio.
        let e = LogMelExtractor(config: config)
        // 16-bit storage adds rounding noise (~2^-16 rms per sample): observed max 1.1e-3.
        #expect(maxAbsDifference(d.spectrograms[0], e.logMel(signals["kick"]!)) < 5e-3)
        #expect(maxAbsDifference(d.spectrograms[1], e.logMel(signals["snare"]!)) < 5e-3)
    }

    @Test func acceptsTheSeedsTrainLayout() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeDataset(root.appendingPathComponent("train"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("test/zzz"), withIntermediateDirectories: true)
        let d = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 1)
        #expect(d.classes == ["a_kick", "b_snare", "c_empty"])
        #expect(d.clipCounts == [1, 2, 0])
    }

    @Test func oneThreadAndTwoThreadsAgree() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeDataset(root)
        let a = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 1)
        let b = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 2)
        #expect(a.spectrograms == b.spectrograms && a.labels == b.labels)
    }

    @Test func badFoldersAreOneLineErrors() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        func message(_ url: URL) -> String? {
            do { _ = try DatasetLoader.load(url, config: config, cacheDirectory: nil, threads: 1); return nil }
            catch let e as UserError { return e.message } catch { return "not a UserError: \(error)" }
        }
        let missing = message(root.appendingPathComponent("nope"))
        #expect(missing?.hasPrefix("dataset folder not found") == true)
        try Data("x".utf8).write(to: root.appendingPathComponent("loose.wav"))
        #expect(message(root)?.hasPrefix("no class folders in") == true)
        #expect(message(root.appendingPathComponent("loose.wav"))?.hasPrefix("dataset is not a folder") == true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("kick"), withIntermediateDirectories: true)
        #expect(message(root)?.hasPrefix("no usable audio clips") == true)
        try Data("junk".utf8).write(to: root.appendingPathComponent("kick/a.wav"))
        let allSkipped = message(root)
        #expect(allSkipped?.hasPrefix("no usable audio clips") == true)
        #expect(allSkipped?.contains("not audio") == true)
        for m in [missing, allSkipped] { #expect(m?.contains("\n") == false) }
    }

    /// The default recipe loads at 512 frames and crops to the window it picks: that must equal
    /// loading at the window directly, bit for bit (the resampler and the STFT see the same samples), for
    /// clips longer and shorter than the window, at 44.1 kHz and 22.05 kHz.
    @Test func croppingEqualsLoadingTheShorterWindow() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        try AudioIO.write(testSignal(seconds: 2.0, sampleRate: 44100, seed: 3), sampleRate: 44100, format: .flac,
                          to: root.appendingPathComponent("a/long.flac"))
        try AudioIO.write(testSignal(seconds: 0.3, sampleRate: 22050, seed: 4), sampleRate: 22050, format: .wav16,
                          to: root.appendingPathComponent("a/short.wav"))
        let wide = try DatasetLoader.load(root, config: SpectrogramConfig(frames: 512), cacheDirectory: nil, threads: 1)
        let narrow = try DatasetLoader.load(root, config: SpectrogramConfig(frames: 96), cacheDirectory: nil, threads: 1)
        let cropped = wide.cropped(toFrames: 96)
        #expect(cropped.config == narrow.config)
        #expect(cropped.spectrograms.count == 2)
        #expect(cropped.spectrograms == narrow.spectrograms)
    }

    @Test func cacheIsReusedAndNeverTrustedBlindly() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        let cache = try Fixtures.temporaryFolder("cache")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: cache) }
        _ = try makeDataset(root)
        func load(_ c: SpectrogramConfig? = nil) throws -> SpectrogramDataset {
            try DatasetLoader.load(root, config: c ?? config, cacheDirectory: cache, threads: 2)
        }
        func cacheFiles() throws -> [URL] {
            try FileManager.default.contentsOfDirectory(at: cache, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "mel" }.sorted { $0.path < $1.path }
        }
        let first = try load()
        #expect(first.cachedClips == 0)
        #expect(try cacheFiles().count == 3)
        let second = try load()
        #expect(second.cachedClips == 3)
        #expect(second.spectrograms == first.spectrograms)
        #expect(second.totalSeconds == first.totalSeconds)

        // Truncated: ignored and rebuilt.
        let files = try cacheFiles()
        let data0 = try Data(contentsOf: files[0])
        try data0.prefix(data0.count - 10).write(to: files[0])
        var d = try load()
        #expect(d.cachedClips == 2 && d.spectrograms == first.spectrograms)
        #expect(try Data(contentsOf: files[0]) == data0)     // rewritten whole

        // One flipped bit in the payload, in the header, and a foreign version tag.
        for offset in [data0.count - 100, 12, 8] {
            var bad = data0
            bad[offset] ^= 0x01
            try bad.write(to: files[0])
            d = try load()
            #expect(d.cachedClips == 2, "flip at \(offset)")
            #expect(d.spectrograms == first.spectrograms)
        }

        // Not a cache file at all.
        try Data(repeating: 0x41, count: 5000).write(to: files[0])
        d = try load()
        #expect(d.cachedClips == 2 && d.spectrograms == first.spectrograms)

        // Other transform parameters: nothing reused, and the old entries stay valid.
        var other = config
        other.nMels = 64
        d = try load(other)
        #expect(d.cachedClips == 0 && d.spectrograms[0].count == 64 * 64)
        #expect(try load().cachedClips == 3)

        // A changed clip (new content, new size and mtime) is decoded again.
        let kick = root.appendingPathComponent("a_kick/k1.wav")
        try AudioIO.write(DecodeTests.tones(seconds: 0.25, sampleRate: 22050), sampleRate: 22050, format: .wav16, to: kick)
        d = try load()
        #expect(d.cachedClips == 2)
        #expect(d.spectrograms[0] != first.spectrograms[0])
        #expect(abs(d.totalSeconds - 0.95) < 1e-4)   // 0.25 s is 5512.5 samples: one is dropped
    }

    /// The key names the resampler that made an entry (library, version, recipe): entries another
    /// recipe made are not reused (one clip here is at 44.1 kHz), nor ones libsamplerate made
    /// before the switch to libsoxr (their key said only "best").
    @Test func cacheKeyNamesTheResampler() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        let cache = try Fixtures.temporaryFolder("cache")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: cache) }
        _ = try makeDataset(root)
        func load(_ q: ResamplerQuality) throws -> SpectrogramDataset {
            try DatasetLoader.load(root, config: config, cacheDirectory: cache, threads: 1, resampler: q)
        }
        let hq = try load(.hq)
        #expect(hq.cachedClips == 0)
        let lq = try load(.lq)
        #expect(lq.cachedClips == 0)
        #expect(lq.spectrograms != hq.spectrograms)   // the 44.1 kHz clip differs at the top
        #expect(try load(.hq).cachedClips == 3)
        #expect(try load(.lq).cachedClips == 3)

        let key = SpectrogramCache(directory: cache, config: config, resampler: .hq)
            .key("/x.wav", SpectrogramCache.FileStamp(size: 1, mtimeNanoseconds: 2))
        #expect(key.contains("|libsoxr-") && key.hasSuffix(" hq"), "\(key)")
    }

    @Test func unusableCacheFolderOnlyCostsTime() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeDataset(root)
        let d = try DatasetLoader.load(root, config: config, cacheDirectory: root.appendingPathComponent("stray.wav/cache"), threads: 1)
        #expect(d.spectrograms.count == 3)
    }

    @Test func progressReportsEveryFile() throws {
        let root = try Fixtures.temporaryFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeDataset(root)
        let seen = Counter()
        _ = try DatasetLoader.load(root, config: config, cacheDirectory: nil, threads: 2) { done, total in
            seen.add(done, total)
        }
        #expect(seen.values.map(\.0).sorted() == Array(1 ... 6))
        #expect(seen.values.allSatisfy { $0.1 == 6 })
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Int)] = []
    func add(_ a: Int, _ b: Int) { lock.lock(); items.append((a, b)); lock.unlock() }
    var values: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return items }
}
