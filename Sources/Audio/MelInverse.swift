import Foundation

/// Mel power -> linear STFT power: non-negative least squares min ||fb^T p - mel|| over p >= 0,
/// one frame at a time, exploiting the banded filterbank (each bin lies on at most two
/// neighbouring triangles).
///
/// torchaudio's `InverseMelScale` with its default driver fails on this filterbank (the low
/// bands are narrower than an FFT bin, so columns are nearly dependent) and gelsd's answer goes
/// negative. Here:
/// 1. start from the minimum-norm least-squares solution (what torchaudio's gelsd gives),
///    p = fb * lambda with (fb^T fb) lambda = mel: fb^T fb is tridiagonal, so this is a
///    Thomas solve per frame (in double, with a 1e-9 relative ridge because the matrix has
///    rank 126 of 128: the lowest bands share FFT bins), clamped at zero;
/// 2. run projected Gauss-Seidel (coordinate descent) sweeps on the least-squares objective:
///    each step solves exactly for one bin given the others and clamps at zero, so the
///    objective never increases, nothing goes negative, and bins no filter sees (0 and n/2)
///    stay zero. Each sweep costs ~2 multiply-adds per non-zero filter weight.
struct MelInverse: Sendable {
    let bins: Int
    let nMels: Int
    // Row view of the filterbank: bin k has weight w0[k] on band b0[k] and w1[k] on b0[k] + 1.
    let b0: [Int32]
    let w0: [Float]
    let w1: [Float]
    let invCurvature: [Float]   // 1 / sum_m fb[k,m]^2, 0 for bins no filter sees
    let invWeightSum: [Float]   // 1 / sum_m fb[k,m], 0 for bins no filter sees
    let bandStart: [Int]        // nMels + 1: bins bandStart[m] ..< bandStart[m + 1] have b0 == m
    // LDL^T-style forward elimination of the tridiagonal (fb^T fb + ridge I), computed once.
    let upper: [Double]         // e[m] / pivot[m] (Thomas c')
    let invPivot: [Double]      // 1 / pivot[m]
    let lower: [Double]         // e[m - 1], the sub-diagonal

    init(_ fb: MelFilterbank) {
        bins = fb.bins
        nMels = fb.nMels
        let dense = fb.denseMatrix
        var b0 = [Int32](repeating: 0, count: bins), w0 = [Float](repeating: 0, count: bins), w1 = w0
        var inv = w0, invSum = w0
        for k in 0 ..< bins {
            let row = Array(dense[k * nMels ..< (k + 1) * nMels])
            let nz = row.indices.filter { row[$0] > 0 }
            precondition(nz.count <= 2 && (nz.count < 2 || nz[1] == nz[0] + 1), "mel filters overlap more than pairwise")
            if let first = nz.first {
                // Keep the pair (b0, b0 + 1) inside the band range.
                let lo = min(first, nMels - 2 < 0 ? 0 : nMels - 2)
                b0[k] = Int32(lo)
                w0[k] = row[lo]
                w1[k] = lo + 1 < nMels ? row[lo + 1] : 0
                let c = w0[k] * w0[k] + w1[k] * w1[k]
                inv[k] = c > 0 ? 1 / c : 0
                invSum[k] = w0[k] + w1[k] > 0 ? 1 / (w0[k] + w1[k]) : 0
            }
        }
        self.b0 = b0
        self.w0 = w0
        self.w1 = w1
        invCurvature = inv
        invWeightSum = invSum
        // The bins some filter sees are one run with b0 non-decreasing (filters ordered by
        // frequency); bins outside it (0 and n/2 here) get no run.
        let seen = (0 ..< bins).filter { invSum[$0] > 0 }
        var bandStart = [Int](repeating: seen.last.map { $0 + 1 } ?? 0, count: nMels + 1)
        for m in stride(from: nMels - 1, through: 0, by: -1) {
            bandStart[m] = bandStart[m + 1]
            for k in seen.reversed() where Int(b0[k]) == m { bandStart[m] = k }
        }
        if let first = seen.first, let last = seen.last {
            precondition(seen.count == last - first + 1 && (first ..< last).allSatisfy { b0[$0] <= b0[$0 + 1] },
                         "mel filters must see one run of bins in band order")
        }
        self.bandStart = bandStart
        let (nb, nm) = (fb.bins, fb.nMels)
        var diag = [Double](repeating: 0, count: nm), off = [Double](repeating: 0, count: nm)
        for k in 0 ..< nb {
            for m in 0 ..< nm {
                let a = Double(dense[k * nm + m])
                diag[m] += a * a
                if m + 1 < nm { off[m] += a * Double(dense[k * nm + m + 1]) }
            }
        }
        let ridge = 1e-9 * (diag.max() ?? 1)
        var upper = [Double](repeating: 0, count: nm), invPivot = upper, lower = upper
        for m in 0 ..< nm {
            lower[m] = m > 0 ? off[m - 1] : 0
            let pivot = diag[m] + ridge - (m > 0 ? lower[m] * upper[m - 1] : 0)
            invPivot[m] = 1 / pivot
            upper[m] = off[m] / pivot
        }
        self.upper = upper
        self.invPivot = invPivot
        self.lower = lower
    }

    /// mel: nMels x frames (row-major; negative, NaN and infinite entries count as 0) ->
    /// power: frames x bins (row-major). Frames are solved eight at a time in SIMD lanes
    /// (independent problems, so the sweeps' serial dependency chain is shared by eight).
    func linearPower(mel: [Float], frames: Int, sweeps: Int) -> [Float] {
        typealias V = SIMD8<Float>
        let lanes = V.scalarCount
        var power = [Float](repeating: 0, count: frames * bins)
        var p8 = [V](repeating: .zero, count: bins)
        var r8 = [V](repeating: .zero, count: nMels)
        var lambda = [Double](repeating: 0, count: nMels)
        let last = nMels - 1
        b0.withUnsafeBufferPointer { b0 in
        w0.withUnsafeBufferPointer { w0 in
        w1.withUnsafeBufferPointer { w1 in
        invCurvature.withUnsafeBufferPointer { ic in
        power.withUnsafeMutableBufferPointer { pw in
        p8.withUnsafeMutableBufferPointer { p in
        r8.withUnsafeMutableBufferPointer { r in
            for t0 in stride(from: 0, to: frames, by: lanes) {
                // 1. Per frame: minimum-norm least squares, clamped:
                //    lambda = (fb^T fb)^-1 y, p = max(fb lambda, 0); residual r = fb^T p - y.
                for m in 0 ..< nMels { r[m] = .zero }
                for l in 0 ..< lanes {
                    let t = t0 + l
                    guard t < frames else {
                        for k in 0 ..< bins { p[k][l] = 0 }
                        continue
                    }
                    var prev = 0.0
                    for m in 0 ..< nMels {
                        let v = mel[m * frames + t]
                        let y = v.isFinite && v > 0 ? v : 0
                        r[m][l] = -y
                        prev = (Double(y) - lower[m] * prev) * invPivot[m]
                        lambda[m] = prev
                    }
                    if nMels >= 2 {
                        for m in stride(from: nMels - 2, through: 0, by: -1) { lambda[m] -= upper[m] * lambda[m + 1] }
                    }
                    for k in 0 ..< bins {
                        let m = Int(b0[k])
                        let v = Double(w0[k]) * lambda[m] + Double(w1[k]) * lambda[min(m + 1, last)]
                        p[k][l] = ic[k] > 0 && v > 0 ? Float(v) : 0
                    }
                }
                for k in 0 ..< bins {
                    let m = Int(b0[k])
                    r[m] += w0[k] * p[k]
                    r[min(m + 1, last)] += w1[k] * p[k]
                }
                // 2. Projected Gauss-Seidel sweeps: exact minimisation over one bin, clamped at 0.
                for _ in 0 ..< sweeps {
                    for k in 0 ..< bins {
                        let m = Int(b0[k]), m1 = min(m + 1, last)
                        let a = w0[k], b = w1[k]
                        let g = a * r[m] + b * r[m1]
                        let old = p[k]
                        let new = pointwiseMax(V.zero, old - g * ic[k])
                        let d = new - old
                        p[k] = new
                        r[m] += a * d
                        r[m1] += b * d
                    }
                }
                for l in 0 ..< min(lanes, frames - t0) {
                    let out = pw.baseAddress! + (t0 + l) * bins
                    for k in 0 ..< bins { out[k] = p[k][l] }
                }
            }
        }}}}}}}
        return power
    }

    /// Griffin-Lim's magnitude step in the mel domain, for one frame: the magnitudes of
    /// `spectrum` (interleaved complex, `bins` values) rescaled so that the frame's mel power
    /// moves to `target` (nMels values): band m's power ratio r_m = target_m / S_m (S the
    /// spectrum's own mel power, r = 0 where S = 0), and bin k's power is multiplied by the
    /// filter-weighted mean of its bands' ratios. A fixed linear estimate forces one of the
    /// many spectra with that mel power, usually not the STFT of any signal; this keeps the fine
    /// structure the iterations found within a band and corrects only what the mel target sees.
    /// `bands` (nMels + 1 floats) and `power` (bins floats): scratch. Writes `bins` magnitudes into `magnitude`.
    /// Band by band over the contiguous bin runs of `bandStart` (one dot product per run, so
    /// the runs' sums overlap instead of queueing on one accumulator in memory).
    func matchMel(spectrum: UnsafePointer<Float>, target: UnsafePointer<Float>, bands: UnsafeMutablePointer<Float>,
                  power: UnsafeMutablePointer<Float>, magnitude: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let lanes = V.scalarCount, whole = bins / lanes * lanes
        let raw = UnsafeRawPointer(spectrum)
        for k in stride(from: 0, to: whole, by: lanes) {
            let z = raw.loadUnaligned(fromByteOffset: 8 * k, as: SIMD16<Float>.self)
            let re = z.evenHalf, im = z.oddHalf
            UnsafeMutableRawPointer(power + k).storeBytes(of: re * re + im * im, as: V.self)
        }
        for k in whole ..< bins { power[k] = spectrum[2 * k] * spectrum[2 * k] + spectrum[2 * k + 1] * spectrum[2 * k + 1] }
        w0.withUnsafeBufferPointer { w0b in
        w1.withUnsafeBufferPointer { w1b in
        invWeightSum.withUnsafeBufferPointer { invb in
        bandStart.withUnsafeBufferPointer { start in
            let w0 = w0b.baseAddress!, w1 = w1b.baseAddress!, inv = invb.baseAddress!
            // S_m = sum over run m of w0 p + sum over run m - 1 of w1 p.
            var carry: Float = 0
            for m in 0 ..< nMels {
                var own: Float = 0, next: Float = 0
                for k in start[m] ..< start[m + 1] {
                    own += w0[k] * power[k]
                    next += w1[k] * power[k]
                }
                let s = own + carry
                carry = next
                bands[m] = s > 0 ? max(target[m], 0) / s : 0
            }
            bands[nMels] = 0
            // Per-bin power ratio into `magnitude`, then magnitude = sqrt(ratio x power).
            for k in 0 ..< start[0] { magnitude[k] = 0 }
            for m in 0 ..< nMels {
                let r0 = bands[m], r1 = bands[m + 1]
                for k in start[m] ..< start[m + 1] { magnitude[k] = (w0[k] * r0 + w1[k] * r1) * inv[k] }
            }
            for k in start[nMels] ..< bins { magnitude[k] = 0 }
        }}}}
        for k in stride(from: 0, to: whole, by: lanes) {
            let r = UnsafeRawPointer(magnitude + k).loadUnaligned(as: V.self)
            let p = UnsafeRawPointer(power + k).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(magnitude + k).storeBytes(of: (r * p).squareRoot(), as: V.self)
        }
        for k in whole ..< bins { magnitude[k] = (magnitude[k] * power[k]).squareRoot() }
    }
}
