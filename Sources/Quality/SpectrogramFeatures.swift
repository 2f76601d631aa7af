/// Cheap summary features of one log-mel spectrogram (`[nMels * frames]`, row-major, row 0 the
/// lowest band, values log1p(mel power) >= 0): what tells a kick from a hat without a network.
///
/// - mel rows pooled into `bands` contiguous bands (band b holds rows b*nMels/bands up to
///   (b+1)*nMels/bands); per band the mean and the standard deviation (population) over time
///   of the band's frame values (the mean of its rows at each frame): 2 * bands values;
/// - the peak level: the largest frame level, a frame's mean over all rows: 1 value;
/// - the envelope: frame levels averaged over `segments` equal spans of time, divided by their
///   sum so that it holds the shape only (a flat envelope for a silent clip): segments values.
///
/// The frame count matters only through the pooling, so any clip length gives the same layout.
public struct SpectrogramFeatures: Sendable, Equatable {
    public let nMels: Int
    public let frames: Int
    public let bands: Int
    public let segments: Int

    public init(nMels: Int, frames: Int, bands: Int = 16, segments: Int = 8) {
        precondition(nMels >= 1 && frames >= 1 && bands >= 1 && segments >= 1, "empty spectrogram shape")
        self.nMels = nMels
        self.frames = frames
        self.bands = min(bands, nMels)
        self.segments = min(segments, frames)
    }

    /// Values per spectrogram.
    public var count: Int { 2 * bands + 1 + segments }

    public func extract(_ logMel: [Float]) -> [Double] {
        precondition(logMel.count == nMels * frames, "expected \(nMels) x \(frames) values, got \(logMel.count)")
        var out = [Double](repeating: 0, count: count)
        var frameLevel = [Double](repeating: 0, count: frames)
        var bandSeries = [Double](repeating: 0, count: frames)
        logMel.withUnsafeBufferPointer { x in
            for b in 0 ..< bands {
                let lo = b * nMels / bands, hi = (b + 1) * nMels / bands
                for t in 0 ..< frames { bandSeries[t] = 0 }
                for row in lo ..< hi {
                    let base = row * frames
                    for t in 0 ..< frames {
                        let v = Double(x[base + t])
                        bandSeries[t] += v
                        frameLevel[t] += v
                    }
                }
                let rows = Double(hi - lo)
                let (mean, std) = Self.meanAndStd(bandSeries, scale: 1 / rows)
                out[2 * b] = mean
                out[2 * b + 1] = std
            }
        }
        for t in 0 ..< frames { frameLevel[t] /= Double(nMels) }
        out[2 * bands] = frameLevel.max()!

        var envelope = [Double](repeating: 0, count: segments)
        for s in 0 ..< segments {
            let lo = s * frames / segments, hi = (s + 1) * frames / segments
            envelope[s] = frameLevel[lo ..< hi].reduce(0, +) / Double(hi - lo)
        }
        let total = envelope.reduce(0, +)
        for s in 0 ..< segments {
            out[2 * bands + 1 + s] = total > 1e-12 ? envelope[s] / total : 1 / Double(segments)
        }
        return out
    }

    /// Mean and population standard deviation of `values * scale`, in two passes.
    static func meanAndStd(_ values: [Double], scale: Double) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) * scale / n
        var ss = 0.0
        for v in values {
            let d = v * scale - mean
            ss += d * d
        }
        return (mean, (ss / n).squareRoot())
    }
}
