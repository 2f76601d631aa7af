import Foundation
import Testing
@testable import Audio
import Support

/// Fast kernels against their naive references.
@Suite(.serialized) struct KernelTests {
    /// FFTW (batched and single plans, reflect padding included) against an O(n^2) DFT in
    /// double, on small sizes and a length that is not a multiple of the hop. Relative 1e-5
    /// of the frame's largest power: float32 FFT rounding is ~1e-7 of the peak amplitude.
    @Test(arguments: [(16, 4, 37), (64, 16, 1000), (1024, 256, 5000)])
    func stftMatchesNaiveDFT(n: Int, hop: Int, length: Int) {
        let stft = STFT(n: n, hop: hop, isa: .avx512)
        var rng = SplitMix64(seed: UInt64(n))
        let x = (0 ..< length).map { _ in rng.nextUniform() - 0.5 }
        let frames = stft.frameCount(length)
        let padded = x.withUnsafeBufferPointer { stft.reflectPadded($0, frames: frames) }
        var fast = [Float](repeating: 0, count: frames * stft.bins)
        padded.withUnsafeBufferPointer { p in
            stft.forEachSpectrumBatch(p.baseAddress!, frames: frames) { first, count, s in
                for i in 0 ..< count * stft.bins { fast[first * stft.bins + i] = s[2 * i] * s[2 * i] + s[2 * i + 1] * s[2 * i + 1] }
            }
        }
        let naive = stft.powerNaive(x)
        let peak = naive.max()!
        #expect(maxAbsDifference(fast, naive) <= 1e-5 * peak)
    }

    /// Reflect padding equals numpy/torch "reflect" where torch defines it.
    @Test func reflectPaddingIsTorchs() {
        let stft = STFT(n: 8, hop: 2, isa: .avx512)
        let x: [Float] = [0, 1, 2, 3, 4, 5]
        let p = x.withUnsafeBufferPointer { stft.reflectPadded($0, frames: stft.frameCount(6)) }
        // torch.nn.functional.pad(x, (4, 4), mode="reflect") = [4 3 2 1 | 0 1 2 3 4 5 | 4 3 2 1]
        #expect(p == [4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 4, 3, 2, 1])
    }

    /// The banded mel product against the dense matrix product, 1e-6 relative (float sums
    /// of at most ~30 terms against double).
    @Test func bandedMelMatchesDenseProduct() {
        let fb = MelFilterbank(bins: 513, nMels: 128, sampleRate: 22050)
        var rng = SplitMix64(seed: 5)
        let frames = 7
        let power = (0 ..< frames * 513).map { _ in rng.nextUniform() * 100 }
        var fast = [Float](repeating: 0, count: 128 * frames)
        power.withUnsafeBufferPointer { p in fast.withUnsafeMutableBufferPointer { fb.apply(power: p.baseAddress!, frames: frames, into: $0.baseAddress!, melStride: frames) } }
        let naive = fb.applyNaive(power: power, frames: frames)
        for i in fast.indices { #expect(abs(fast[i] - naive[i]) <= 1e-6 * max(1, naive[i])) }
    }

    @Test func defaultCacheFolderFollowsXDGThenHome() {
        let xdg = DatasetLoader.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/"])
        #expect(xdg?.url.path == "/x/cache/cgan-tui" && xdg?.note == nil)
        let home = DatasetLoader.defaultCacheDirectory(environment: ["HOME": "/"])
        #expect(home?.url.path == "/.cache/cgan-tui" && home?.note == nil)
    }

    /// Debian's HOME=/nonexistent for root must not be created: a temporary folder instead, said.
    @Test func missingHomeGivesATemporaryCacheFolder() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let missing = tmp.appendingPathComponent("nonexistent").path
        let got = DatasetLoader.defaultCacheDirectory(environment: ["HOME": missing, "TMPDIR": tmp.path])
        #expect(got?.url.path.hasPrefix(tmp.path + "/cgan-tui-cache-") == true)
        #expect(got?.note?.contains(missing) == true)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
