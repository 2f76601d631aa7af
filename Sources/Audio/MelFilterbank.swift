import Foundation

/// torchaudio's `melscale_fbanks(n_freqs, f_min: 0, f_max: sr/2, n_mels, sr, norm: None,
/// mel_scale: "htk")`, computed in float32 with the same operation order as torch, so it
/// matches torchaudio's matrix to a few ulp.
///
/// Each STFT bin lies on at most two neighbouring triangles, so the matrix is stored as a
/// band per mel filter: `weights[m]` holds the non-zero weights of filter m for bins
/// `start[m] ..< start[m] + weights[m].count`.
struct MelFilterbank: Sendable {
    let bins: Int
    let nMels: Int
    let start: [Int]          // first bin of filter m
    let count: [Int]          // number of non-zero weights of filter m
    let offset: [Int]         // where filter m's weights begin in `flat`
    let flat: [Float]

    init(bins: Int, nMels: Int, sampleRate: Int) {
        self.bins = bins
        self.nMels = nMels
        let dense = MelFilterbank.dense(bins: bins, nMels: nMels, sampleRate: sampleRate)
        var start = [Int](), count = [Int](), offset = [Int](), flat = [Float]()
        for m in 0 ..< nMels {
            let nz = (0 ..< bins).filter { dense[$0 * nMels + m] > 0 }
            let lo = nz.first ?? 0, hi = (nz.last ?? -1) + 1
            start.append(lo)
            count.append(hi - lo)
            offset.append(flat.count)
            flat += (lo ..< hi).map { dense[$0 * nMels + m] }
        }
        self.start = start
        self.count = count
        self.offset = offset
        self.flat = flat
    }

    /// Back to the dense bins x nMels layout (tests, and the naive reference).
    var denseMatrix: [Float] {
        var fb = [Float](repeating: 0, count: bins * nMels)
        for m in 0 ..< nMels {
            for j in 0 ..< count[m] { fb[(start[m] + j) * nMels + m] = flat[offset[m] + j] }
        }
        return fb
    }

    /// torch.linspace in float32 (its vectorised CPU kernel): fma(step, i, start) for the
    /// first half, fma(-step, steps - 1 - i, end) for the rest.
    static func linspace(_ a: Float, _ b: Float, _ steps: Int) -> [Float] {
        guard steps > 1 else { return [a] }
        let step = (b - a) / Float(steps - 1)
        return (0 ..< steps).map { i in
            i < steps / 2 ? a.addingProduct(step, Float(i)) : b.addingProduct(-step, Float(steps - 1 - i))
        }
    }

    /// The nMels + 2 corner frequencies (Hz) of the triangular filters: filter m rises from
    /// point m, peaks at point m + 1 and falls to point m + 2.
    static func cornerFrequencies(nMels: Int, sampleRate: Int) -> [Float] {
        let fMax = Double(sampleRate / 2)
        // torchaudio computes the mel limits in Python doubles.
        let mMax = 2595.0 * log10(1.0 + fMax / 700.0)
        let mPts = linspace(0, Float(mMax), nMels + 2)
        // 10^x rounded once from double, like torch's float32 pow to within an ulp.
        return mPts.map { Float(700) * (Float(pow(10.0, Double($0 / Float(2595)))) - 1) }
    }

    /// Row-major bins x nMels, as torchaudio returns it.
    static func dense(bins: Int, nMels: Int, sampleRate: Int) -> [Float] {
        let allFreqs = linspace(0, Float(sampleRate / 2), bins)
        let fPts = cornerFrequencies(nMels: nMels, sampleRate: sampleRate)
        var fb = [Float](repeating: 0, count: bins * nMels)
        for k in 0 ..< bins {
            for m in 0 ..< nMels {
                let down = -(fPts[m] - allFreqs[k]) / (fPts[m + 1] - fPts[m])
                let up = (fPts[m + 2] - allFreqs[k]) / (fPts[m + 2] - fPts[m + 1])
                fb[k * nMels + m] = max(0, min(down, up))
            }
        }
        return fb
    }

    /// mel = fb^T * power for `frames` contiguous frames of `bins` powers; writes
    /// mel[m * melStride + t] (the spectrogram layout: row m = band, column t = frame).
    func apply(power: UnsafePointer<Float>, frames: Int, into mel: UnsafeMutablePointer<Float>, melStride: Int) {
        flat.withUnsafeBufferPointer { w in
            for m in 0 ..< nMels {
                let wm = w.baseAddress! + offset[m]
                let c = count[m], s = start[m]
                for t in 0 ..< frames {
                    let p = power + t * bins + s
                    var acc: Float = 0
                    for j in 0 ..< c { acc += wm[j] * p[j] }
                    mel[m * melStride + t] = acc
                }
            }
        }
    }

    /// Naive reference: the dense matrix product mel[m, t] = sum_k fb[k, m] * power[t, k].
    func applyNaive(power: [Float], frames: Int) -> [Float] {
        let fb = denseMatrix
        var mel = [Float](repeating: 0, count: nMels * frames)
        for m in 0 ..< nMels {
            for t in 0 ..< frames {
                var s = 0.0
                for k in 0 ..< bins { s += Double(fb[k * nMels + m]) * Double(power[t * bins + k]) }
                mel[m * frames + t] = Float(s)
            }
        }
        return mel
    }
}

extension SpectrogramConfig {
    /// The peak frequency (Hz) of every mel row, lowest first: what a row of a log-mel means.
    public var melCentreFrequencies: [Float] {
        Array(MelFilterbank.cornerFrequencies(nMels: nMels, sampleRate: sampleRate).dropFirst().prefix(nMels))
    }
}
