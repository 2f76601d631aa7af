import CSndFile
import Foundation
import Support

/// Why a file could not be decoded. The dataset scan shows these as skip reasons;
/// `AudioIO.readMono` turns them into one-line `UserError`s.
public enum AudioDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)    // the OS would not open it
    case notAudio(String)      // libsndfile does not recognise it
    case empty                 // zero frames
    case nonFinite             // NaN or infinite samples
    case badRate(Int)          // a sample rate too far from the target to resample
    case spectrogramOverflow   // finite samples so large that the log-mel is infinite

    public var description: String {
        switch self {
        case .unreadable(let why): return "unreadable (\(why))"
        case .notAudio(let why): return "not audio (\(why))"
        case .empty: return "zero length"
        case .nonFinite: return "NaN or infinite samples"
        case .badRate(let r): return "unsupported sample rate \(r) Hz"
        case .spectrogramOverflow: return "samples too large: the log-mel spectrogram overflows (float samples far outside -1...1)"
        }
    }
}

/// File formats cgan-tui writes through libsndfile (WAV output, and test fixtures in
/// every format the library supports here).
public enum AudioFileFormat: String, Sendable, CaseIterable {
    case wavU8, wav16, wav24, wav32, wavFloat, flac, oggVorbis, aiff16, mp3

    var sndfileFormat: Int32 {
        let f: Int
        switch self {
        case .wavU8: f = SF_FORMAT_WAV | SF_FORMAT_PCM_U8
        case .wav16: f = SF_FORMAT_WAV | SF_FORMAT_PCM_16
        case .wav24: f = SF_FORMAT_WAV | SF_FORMAT_PCM_24
        case .wav32: f = SF_FORMAT_WAV | SF_FORMAT_PCM_32
        case .wavFloat: f = SF_FORMAT_WAV | SF_FORMAT_FLOAT
        case .flac: f = SF_FORMAT_FLAC | SF_FORMAT_PCM_16
        case .oggVorbis: f = SF_FORMAT_OGG | SF_FORMAT_VORBIS
        case .aiff16: f = SF_FORMAT_AIFF | SF_FORMAT_PCM_16
        case .mp3: f = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III
        }
        return Int32(f)
    }

    /// What a user's output file name asks for, by its extension (any case): 16-bit PCM for
    /// WAV, FLAC and AIFF, Vorbis for OGG, MPEG layer III for MP3. nil for anything else, so a
    /// typo (`.wv`) or a format libsndfile does not write (`.m4a`) is refused, not written as WAV.
    public static func forOutput(path: String) -> AudioFileFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "wav", "wave": return .wav16
        case "flac": return .flac
        case "ogg", "oga": return .oggVorbis
        case "aiff", "aif": return .aiff16
        case "mp3": return .mp3
        default: return nil
        }
    }

    /// The extensions `forOutput` accepts, for messages and help.
    public static let outputExtensions = ".wav, .flac, .ogg, .aiff, .mp3"
}

/// The one Swift file that talks to libsndfile.
enum SndFile {
    struct Decoded {
        var samples: [Float]     // mono (mean of channels), at `sampleRate`
        var sampleRate: Int
        var channels: Int
        var totalFrames: Int     // whole file, even when only a prefix was decoded
    }

    /// Decodes `path` to mono float in [-1, 1) (libsndfile normalises integer formats;
    /// float files come through as stored). Reads at most `maxFrames(rate)` frames when that is not nil.
    static func readMono(path: String, maxFrames: (_ sampleRate: Int) -> Int? = { _ in nil }) throws(AudioDecodeError) -> Decoded {
        // A FIFO or device would block a plain open (or never end): regular files only.
        let fd: Int32
        do { fd = try InputFile.openRegular(path) } catch { throw .unreadable(error.reason) }
        var info = SF_INFO()
        // close_desc = 1: sf_close closes fd; on failure libsndfile has not taken it.
        guard let file = sf_open_fd(fd, Int32(SFM_READ), &info, 1) else {
            let why = String(cString: sf_strerror(nil))
            close(fd)
            throw .notAudio(why)
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        guard channels >= 1, info.samplerate > 0 else { throw .notAudio("no channels") }
        let declared = max(Int(info.frames), 0)
        let limit = maxFrames(Int(info.samplerate)) ?? Int.max
        // MP3 frame counts are estimates: read until the decoder stops, not to `declared`.
        var out = [Float]()
        out.reserveCapacity(min(declared, limit) + 1)
        // A short file's buffer is its own size (a fresh 128 KB per clip cost page faults).
        let chunk = declared > 0 ? min(16384, min(declared, limit) + 1) : 16384
        var interleaved = [Float](repeating: 0, count: chunk * channels)
        var readTotal = 0
        var hitEnd = false
        while readTotal < limit {
            let want = min(chunk, limit - readTotal)
            let got = interleaved.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress!, sf_count_t(want))) }
            if got <= 0 { hitEnd = true; break }
            let finite = interleaved.withUnsafeMutableBufferPointer { p -> Bool in
                mixDown(UnsafeMutableBufferPointer(rebasing: p[0 ..< got * channels]), channels: channels)
                return allFinite(UnsafeBufferPointer(rebasing: p[0 ..< got]))
            }
            guard finite else { throw .nonFinite }
            out.append(contentsOf: interleaved[0 ..< got])
            readTotal += got
            if got < want { hitEnd = true; break }
        }
        guard !out.isEmpty else { throw .empty }
        return Decoded(samples: out, sampleRate: Int(info.samplerate), channels: channels,
                       totalFrames: hitEnd ? readTotal : max(declared, readTotal))
    }

    /// Whether no sample is NaN or infinite, checked on each chunk while it is in cache: an OR
    /// over all exponent fields, with no early exit, so the loop vectorises.
    static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
        var bad: UInt32 = 0
        for v in x { bad |= (~v.bitPattern & 0x7F80_0000) == 0 ? 1 : 0 }
        return bad == 0
    }

    /// Interleaved frames -> their means, in place (frame f's mean goes to f <= f * channels).
    static func mixDown(_ x: UnsafeMutableBufferPointer<Float>, channels: Int) {
        let frames = x.count / channels
        let scale = 1 / Float(channels)
        switch channels {
        case 1: return
        case 2: for f in 0 ..< frames { x[f] = (x[2 &* f] + x[2 &* f &+ 1]) * scale }
        default:
            for f in 0 ..< frames {
                var s: Float = 0
                for c in 0 ..< channels { s += x[f &* channels &+ c] }
                x[f] = s * scale
            }
        }
    }

    /// Writes interleaved `samples` (frames x channels) atomically through `AtomicFile` (a
    /// symlink's target is replaced, a device node written into). Nothing is left behind on failure.
    static func write(_ samples: [Float], channels: Int = 1, sampleRate: Int,
                      format: AudioFileFormat, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw UserError("cannot write \(url.path): folder \(dir.path) does not exist")
        }
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sndfileFormat
        guard sf_format_check(&info) != 0 else {
            throw UserError("cannot write \(url.path): libsndfile cannot write \(format.rawValue) at \(sampleRate) Hz")
        }
        // libsndfile writes a whole temporary file; AtomicFile puts it in place.
        try AtomicFile.write(to: url) { tmp in
            guard let file = sf_open(tmp.path, Int32(SFM_WRITE), &info) else {
                throw UserError("cannot write \(url.path): \(String(cString: sf_strerror(nil)))")
            }
            if format == .oggVorbis || format == .mp3 {
                var quality = 0.9
                _ = sf_command(file, Int32(SFC_SET_VBR_ENCODING_QUALITY), &quality, Int32(MemoryLayout<Double>.size))
            }
            // Clip instead of wrapping when floats beyond +-1 go to an integer format.
            _ = sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
            let frames = samples.count / channels
            let written = samples.withUnsafeBufferPointer { Int(sf_writef_float(file, $0.baseAddress!, sf_count_t(frames))) }
            let writeError = sf_error(file) != 0 ? String(cString: sf_strerror(file)) : nil
            sf_close(file)
            guard written == frames, writeError == nil else {
                throw UserError("cannot write \(url.path): \(writeError ?? "short write")")
            }
        }
    }
}
