import CSoxr

/// libsoxr's quality recipes, all linear phase (no delay: output sample k sits at input time
/// k * from / to, as in torchaudio's `resample`). The one Swift file that talks to libsoxr.
/// Against torchaudio's resampler (ResamplerTests, broadband 44.1/48 kHz input) all three agree
/// within 0.03 log1p units below ~7.9 kHz (mel band 110); they differ at the top:
/// - `hq` (default): soxr's "high quality", 20-bit, pass band to 91% of Nyquist. Closest to
///   torchaudio on average; its transition band darkens the top mel band (~10.9 kHz).
/// - `steep`: HQ with a steep filter, pass band to 98% of Nyquist, near torchaudio's rolloff
///   0.99 but sharper: the smallest worst-band difference, brighter than torchaudio up there.
/// - `lq`: 16-bit, pass band to 68% of Nyquist: the top ten mel bands (above ~8 kHz) up to 4
///   units darker; the cheapest filter to make.
/// Not offered: `vhq` (28-bit) is no closer to torchaudio and its filter costs 2-4x HQ's to make;
/// `quick` (cubic interpolation) has no anti-alias filter, so it folds what recordings hold
/// above 11 kHz back into the band; `mq` is HQ at 16 bits, no different here.
public enum ResamplerQuality: String, Sendable, CaseIterable, Codable {
    case hq, steep, lq

    var recipe: UInt {
        switch self {
        case .hq: return CGAN_SOXR_HQ
        case .steep: return CGAN_SOXR_HQ | CGAN_SOXR_STEEP_FILTER
        case .lq: return CGAN_SOXR_LQ
        }
    }

    /// The values, for help texts.
    public static let choices = "hq (soxr's high quality; the default), steep (pass band to 98% of Nyquist: closest to torchaudio in the top mel band), lq (cheaper; darker above 8 kHz)"

    /// What made a spectrogram: library, its version and the recipe (the cache key holds it,
    /// so entries another resampler made are rebuilt, not reused).
    public var identity: String { "\(String(cString: soxr_version())) \(rawValue)" }
}

enum Resampler {
    /// Input handed to soxr per call: it copies what it is given into its own FIFO, which a
    /// whole file at once makes grow (a 5 s file at 44.1 kHz, HQ: ~3,600x real time whole,
    /// ~11,000x in these chunks, thread CPU time).
    static let chunk = 16384

    /// Input decoded past the last wanted output sample, so that a prefix resamples to the bits
    /// the whole file gives (DecodeTests). The filters reach (an impulse's response above 1e-9,
    /// -> 22.05 kHz) hq 940 input samples at 44.1 kHz, 1,720 at 48, 3,340 at 192; lq at most
    /// 2,120; steep 6,480 at 44.1 kHz and 16,900 at 192. But soxr filters in DFT blocks, whose
    /// rounding sees the whole block: with 16,384 + 1,024 per ratio step, 192 kHz steep still
    /// differed by 2e-7; 65,536 + 1,024 per step gives the same bits for every recipe at
    /// 22.05-192 kHz. Only files longer than the window pay it.
    static func inputMargin(from: Int, to: Int) -> Int {
        65536 + 1024 * max(1, from / max(to, 1))
    }

    /// Resamples mono `x` from `from` Hz to `to` Hz, on the calling thread only. The output has
    /// ceil(x.count * to / from) samples, like torchaudio's `resample`, which treats samples
    /// past the end as zeros: soxr stops at round(x.count * to / from), so a few zeros are fed
    /// after `x` for the last one.
    /// With `handle`, its soxr resampler is reused when the rates and recipe are the same as
    /// last time (a dataset loader's worker keeps one).
    static func resample(_ x: [Float], from: Int, to: Int, quality: ResamplerQuality,
                         maxOutput: Int? = nil, handle: ResamplerHandle? = nil) -> [Float] {
        if from == to { return maxOutput.map { Array(x.prefix($0)) } ?? x }
        let expected = Int((Double(x.count) * Double(to) / Double(from)).rounded(.up))
        let count = min(expected, maxOutput ?? .max)
        let owner = handle ?? ResamplerHandle()
        let soxr = owner.ready(from: from, to: to, quality: quality)
        let zeros = [Float](repeating: 0, count: from / to + 2)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dst in
            var produced = 0
            /// Feeds `input` until soxr has taken all of it (nil: end of input, drained until
            /// nothing more comes), stopping early when the output is full.
            func feed(_ input: UnsafeBufferPointer<Float>?) {
                var offset = 0
                while produced < count {
                    var used = 0, made = 0
                    let e = soxr_process(soxr, input.map { UnsafeRawPointer($0.baseAddress! + offset) },
                                         min((input?.count ?? 0) - offset, Self.chunk), &used,
                                         dst.baseAddress! + produced, count - produced, &made)
                    precondition(e == nil, "libsoxr: \(String(cString: e!))")
                    offset += used; produced += made
                    if let input, offset == input.count { return }
                    if used == 0 && made == 0 { return }
                }
            }
            x.withUnsafeBufferPointer { feed($0) }
            zeros.withUnsafeBufferPointer { feed($0) }
            feed(nil)
        }
        return out
    }

    /// Rates we convert between: both positive, ratio within 1/256 ... 256 (the filters and
    /// their cost grow with the ratio; no real recording is that far from 22.05 kHz).
    static func canConvert(from: Int, to: Int) -> Bool {
        from > 0 && to > 0 && from <= 256 * to && to <= 256 * from
    }
}

/// A soxr resampler kept for the next signal at the same rates and recipe, cleared
/// (`soxr_clear`: the same filter, a fresh signal, the same output bits) instead of made again:
/// making HQ's filter costs 0.04 ms at 44.1 kHz and 0.16 ms at 48 kHz, a sixth of resampling a
/// one-second clip. For one thread at a time (each dataset worker has its own).
final class ResamplerHandle {
    private var soxr: soxr_t?
    private var made: (from: Int, to: Int, quality: ResamplerQuality)?

    init() {}
    deinit { if let soxr { soxr_delete(soxr) } }

    /// A resampler for these rates and recipe, with no signal in it.
    func ready(from: Int, to: Int, quality: ResamplerQuality) -> soxr_t {
        if let soxr, let made, made.from == from, made.to == to, made.quality == quality {
            let e = soxr_clear(soxr)
            precondition(e == nil, "libsoxr: \(String(cString: e!))")
            return soxr
        }
        if let soxr { soxr_delete(soxr) }
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var spec = soxr_quality_spec(quality.recipe | CGAN_SOXR_LINEAR_PHASE, 0)
        // One thread per resampler: the dataset loader parallelises over files.
        var runtime = soxr_runtime_spec(1)
        var error: soxr_error_t? = nil
        let created = soxr_create(Double(from), Double(to), 1, &error, &io, &spec, &runtime)
        guard let created, error == nil else {
            preconditionFailure("libsoxr: \(error.map { String(cString: $0) } ?? "cannot create") (\(from) -> \(to) Hz)")
        }
        soxr = created
        made = (from, to, quality)
        return created
    }
}
