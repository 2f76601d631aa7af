import CKernels
import Foundation
import Support
import Testing

/// CKernels' log1p (the log-mel's last step): every path gives the same bits, within 2 ulp of
/// glibc's log1pf over 0 ... 1e38, and the inputs the polynomial does not take (negative, inf,
/// NaN) come out as glibc's. Fails on a wrong constant, a lost rounding correction or a lane mix-up.
@Suite struct Log1pKernelTests {
    static func ulps(_ a: Float, _ b: Float) -> Int {
        abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    @Test func closeToGlibcAndTheSameOnEveryPath() {
        var rng = SplitMix64(seed: 9)
        // Log-uniform over 1e-12 ... 1e38, plus exact zero, tiny values and powers of two near 1.
        var xs: [Float] = [0, 1e-30, 1e-8, 1, 2, 0.5, 3, 1e7, 16_777_216, 3.4e38]
        xs += (0 ..< 200_003).map { _ in Float(pow(10, -12 + 50 * Double(rng.nextUniform()))) }
        xs += (0 ..< 10_000).map { _ in rng.nextUniform() * 4 }
        var worst = 0
        var outputs: [[Float]] = []
        for isa in [0, 1, 2] as [Int32] {
            var y = xs
            ek_log1p(&y, y.count, isa)
            outputs.append(y)
        }
        for (i, x) in xs.enumerated() { worst = max(worst, Self.ulps(outputs[0][i], log1p(x))) }
        #expect(worst <= 2, "worst \(worst) ulp")
        for k in 1 ..< 3 {
            #expect(zip(outputs[0], outputs[k]).allSatisfy { $0.bitPattern == $1.bitPattern }, "path \(k)")
        }
    }

    @Test func specialInputsAreGlibcs() {
        let xs: [Float] = [-0.5, -1, -2, .infinity, -.infinity, .nan, -0.0] + [Float](repeating: 1, count: 20)
        for isa in [0, 1, 2] as [Int32] {
            var y = xs
            ek_log1p(&y, y.count, isa)
            for (i, x) in xs.enumerated() {
                let want = log1p(x)
                #expect(y[i].bitPattern == want.bitPattern || (y[i].isNaN && want.isNaN), "isa \(isa) x \(x): \(y[i]) vs \(want)")
            }
        }
    }
}
