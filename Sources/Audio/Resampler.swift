import CSampleRate

/// libsamplerate's band-limited sinc converters. The one Swift file that talks to libsamplerate.
public enum ResamplerQuality: String, Sendable, CaseIterable, Codable {
    case best, medium, fastest

    var converter: Int32 {
        switch self {
        case .best: return Int32(SRC_SINC_BEST_QUALITY)
        case .medium: return Int32(SRC_SINC_MEDIUM_QUALITY)
        case .fastest: return Int32(SRC_SINC_FASTEST)
        }
    }
}

enum Resampler {
    /// Input samples past the last wanted output sample that the sinc filters can reach:
    /// SRC_SINC_BEST's half-length is about 150 zero crossings, stretched by the down-sampling
    /// ratio (<= 384 kHz -> 8 kHz: 48x), so 8192 frames plus 2 per ratio step is ample.
    static func inputMargin(from: Int, to: Int) -> Int {
        8192 + 400 * max(1, from / max(to, 1))
    }

    /// Resamples mono `x` from `from` Hz to `to` Hz. The output has
    /// ceil(x.count * to / from) samples, like torchaudio's `resample`
    /// (libsamplerate may stop a sample short; the tail is zero-filled).
    static func resample(_ x: [Float], from: Int, to: Int, quality: ResamplerQuality,
                         maxOutput: Int? = nil) -> [Float] {
        if from == to { return maxOutput.map { Array(x.prefix($0)) } ?? x }
        let ratio = Double(to) / Double(from)
        let expected = Int((Double(x.count) * Double(to) / Double(from)).rounded(.up))
        let count = min(expected, maxOutput ?? .max)
        var out = [Float](repeating: 0, count: count + 2)
        var generated = 0
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var data = SRC_DATA()
                data.data_in = src.baseAddress
                data.input_frames = src.count
                data.data_out = dst.baseAddress
                data.output_frames = dst.count
                data.src_ratio = ratio
                data.end_of_input = 1
                let err = src_simple(&data, quality.converter, 1)
                precondition(err == 0, "libsamplerate: \(String(cString: src_strerror(err)))")
                generated = Int(data.output_frames_gen)
            }
        }
        if generated < count { for i in generated ..< count { out[i] = 0 } }
        out.removeLast(out.count - count)
        return out
    }

    /// Whether libsamplerate can convert between these rates (ratio within 1/256 ... 256).
    static func canConvert(from: Int, to: Int) -> Bool {
        from > 0 && to > 0 && src_is_valid_ratio(Double(to) / Double(from)) != 0
    }
}
