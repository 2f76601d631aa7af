import Foundation
import Support

/// Test fixtures live beside the tests (copied from torchaudio's reference outputs by
/// scripts/audio_fixtures.py).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func npy(_ name: String) throws -> NPY.Array { try NPY.read(url(name)) }

    /// A fresh temporary folder, removed by the caller's `defer`.
    static func temporaryFolder(_ tag: String = "audio") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Column `t` of an nMels x frames row-major array, or zeros past its end.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// The first `frames` columns of an nMels x width row-major spectrogram.
func leadingColumns(_ x: [Float], nMels: Int, width: Int, frames: Int) -> [Float] {
    var out = [Float]()
    out.reserveCapacity(nMels * frames)
    for m in 0 ..< nMels { out += x[m * width ..< m * width + frames] }
    return out
}

/// A deterministic test signal: a few tones, a chirp and noise.
func testSignal(seconds: Double, sampleRate: Int, seed: UInt64 = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    let n = Int(seconds * Double(sampleRate))
    return (0 ..< n).map { i in
        let t = Double(i) / Double(sampleRate)
        let tones = 0.3 * sin(2 * .pi * 440 * t) + 0.2 * sin(2 * .pi * 1250 * t)
        let chirp = 0.2 * sin(2 * .pi * (100 * t + 1500 * t * t))
        return Float(tones + chirp) + 0.05 * (rng.nextUniform() - 0.5)
    }
}
