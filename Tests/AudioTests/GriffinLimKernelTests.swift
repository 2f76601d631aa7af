import CKernels
import Foundation
import Support
import Testing
@testable import Audio

/// Griffin-Lim's per-frame C kernels: every path (portable, AVX2, AVX-512; the CPU caps the
/// request, `ek_level` says which ran) gives the same bits as the Swift statement of each pass.
/// They fail on a fused multiply-add, a shuffled lane or a missed tail element.
@Suite struct GriffinLimKernelTests {
    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< n).map { _ in scale * (2 * rng.nextUniform() - 1) }
    }

    static func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    // 513 = the real spectrum of 1024 points; the others leave tails of every length.
    @Test(arguments: [1, 7, 8, 15, 16, 17, 31, 33, 513])
    func momentumMatchesSwiftOnEveryPath(bins: Int) {
        let spectrum = Self.random(2 * bins, seed: 1, scale: 3), previous = Self.random(2 * bins, seed: 2)
        var magnitude = Self.random(bins, seed: 3).map { abs($0) * 5 }
        magnitude[0] = 0
        var expectedS = spectrum, expectedP = previous
        expectedS.withUnsafeMutableBufferPointer { s in
            expectedP.withUnsafeMutableBufferPointer { p in
                Synthesizer.momentumStep(spectrum: s.baseAddress!, previous: p.baseAddress!, magnitude: magnitude,
                                         count: bins, alpha: 0.99 / 1.99)
            }
        }
        for isa in [0, 1, 2] as [Int32] {
            var s = spectrum, p = previous
            gl_momentum(&s, &p, magnitude, bins, 0.99 / 1.99, isa)
            #expect(Self.sameBits(s, expectedS), "isa \(isa) (runs \(ek_level(isa))), bins \(bins): spectrum")
            #expect(Self.sameBits(p, expectedP), "isa \(isa) (runs \(ek_level(isa))), bins \(bins): previous")
        }
    }

    @Test(arguments: [1, 9, 17, 1024, 1031])
    func windowAndOverlapAddMatchSwiftOnEveryPath(n: Int) {
        let src = Self.random(n, seed: 4), w = Self.random(n, seed: 5), acc = Self.random(n, seed: 6)
        let windowed = zip(src, w).map { $0 * $1 }
        let added = (0 ..< n).map { acc[$0] + src[$0] * w[$0] }
        for isa in [0, 1, 2] as [Int32] {
            var out = [Float](repeating: .nan, count: n)
            gl_window(src, w, &out, n, isa)
            #expect(Self.sameBits(out, windowed), "isa \(isa), n \(n): window")
            var dst = acc
            gl_overlap_add(&dst, src, w, n, isa)
            #expect(Self.sameBits(dst, added), "isa \(isa), n \(n): overlap-add")
        }
    }
}
