import Foundation
import Support

/// One file per clip holding its log-mel frames, keyed by the clip's absolute path, byte size,
/// modification time, the transform parameters and the resampler (library, version and
/// recipe: `ResamplerQuality.identity`), under a format version.
/// Anything that does not match exactly (truncated, flipped bytes, another version, another
/// clip or parameter set) reads as a miss and is rebuilt; nothing in a cache file is trusted
/// before its checksum and key are verified.
///
/// Layout (little-endian): "CGANMEL\0", UInt32 version, UInt32 key length, key (UTF-8),
/// UInt32 nMels, UInt32 valid frames, Float64 seconds, nMels x valid Float32 values,
/// UInt64 checksum of everything before it.
public struct SpectrogramCache: Sendable {
    /// 2: log1p by CKernels' polynomial (within 2 ulp of glibc's log1pf, which version 1 used),
    /// so a cold and a warm run give the same bits.
    static let version: UInt32 = 2
    static let magic = Array("CGANMEL\0".utf8)
    let directory: URL
    let config: SpectrogramConfig
    let resampler: ResamplerQuality

    public struct Entry {
        public var logMel: [Float]      // nMels x validFrames, row-major
        public var validFrames: Int
        public var seconds: Double
        public init(logMel: [Float], validFrames: Int, seconds: Double) {
            self.logMel = logMel; self.validFrames = validFrames; self.seconds = seconds
        }
    }

    struct FileStamp: Equatable {
        var size: Int
        var mtimeNanoseconds: Int
    }

    static func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileStamp(size: Int(st.st_size), mtimeNanoseconds: Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))
    }

    func key(_ path: String, _ stamp: FileStamp) -> String {
        "v\(Self.version)|\(path)|\(stamp.size)|\(stamp.mtimeNanoseconds)|\(config.description)|\(resampler.identity)"
    }

    /// The cache file for a clip: its name depends on path and parameters only, so a changed
    /// clip overwrites its old entry, and other parameter sets live side by side.
    func fileURL(_ path: String) -> URL {
        let name = String(format: "%016llx", Self.hash(Array("\(path)|\(config.description)|\(resampler.identity)".utf8)))
        return directory.appendingPathComponent(name + ".mel")
    }

    func read(_ path: String, _ stamp: FileStamp) -> Entry? {
        // Bounded: the key (under 1 MB) and at most nMels x frames values.
        let limit = (1 << 20) + 64 + config.nMels * config.frames * 4
        guard let data = try? InputFile.read(fileURL(path), limit: limit, what: "a cache entry") else { return nil }
        return Self.decode(data, key: key(path, stamp), nMels: config.nMels, maxFrames: config.frames)
    }

    /// The parser alone: any bytes give the entry for exactly this key and shape, or nil.
    /// Public for the fuzz target.
    public static func decode(_ data: Data, key: String, nMels: Int, maxFrames: Int) -> Entry? {
        data.withUnsafeBytes { raw -> Entry? in
            var reader = Reader(raw: raw)
            guard raw.count >= 8 + 8, Array(raw.prefix(8)) == Self.magic else { return nil }
            reader.offset = 8
            guard reader.u32() == Self.version, let keyLength = reader.u32().map(Int.init),
                  keyLength < 1 << 20, let keyBytes = reader.bytes(keyLength),
                  String(decoding: keyBytes, as: UTF8.self) == key,
                  let mels = reader.u32(), Int(mels) == nMels,
                  let valid = reader.u32().map(Int.init), valid <= maxFrames,
                  let seconds = reader.f64(), seconds.isFinite, seconds >= 0 else { return nil }
            let count = nMels * valid
            guard raw.count == reader.offset + count * 4 + 8 else { return nil }
            let payloadStart = reader.offset
            reader.offset += count * 4
            guard let stored = reader.u64(), stored == Self.hash(UnsafeRawBufferPointer(rebasing: raw[0 ..< payloadStart + count * 4])) else { return nil }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[payloadStart ..< payloadStart + count * 4])) }
            for v in values where !v.isFinite { return nil }
            return Entry(logMel: values, validFrames: valid, seconds: seconds)
        }
    }

    /// Best effort: a cache that cannot be written only costs time on the next run.
    func write(_ path: String, _ stamp: FileStamp, _ entry: Entry) {
        try? AtomicFile.write(Self.encode(entry, key: key(path, stamp), nMels: config.nMels), to: fileURL(path))
    }

    /// An entry's bytes (`decode` reads them back); public for the fuzz target's seeds.
    public static func encode(_ entry: Entry, key: String, nMels: Int) -> Data {
        var data = Data(magic)
        func append<T>(_ v: T) { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        let keyBytes = Array(key.utf8)
        append(version.littleEndian)
        append(UInt32(keyBytes.count).littleEndian)
        data.append(contentsOf: keyBytes)
        append(UInt32(nMels).littleEndian)
        append(UInt32(entry.validFrames).littleEndian)
        append(entry.seconds.bitPattern.littleEndian)
        entry.logMel.withUnsafeBytes { data.append(contentsOf: $0) }
        let checksum = data.withUnsafeBytes { hash($0) }
        append(checksum.littleEndian)
        return data
    }

    /// A fast 64-bit hash (8 bytes per step, multiply-xorshift), enough to catch corruption.
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { hash(UnsafeRawBufferPointer($0)) }
    }

    public static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
        let words = raw.count / 8
        for i in 0 ..< words {
            let w = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        for i in words * 8 ..< raw.count {
            h = (h ^ UInt64(raw[i])) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 29
        }
        return h
    }

    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0
        mutating func bytes(_ n: Int) -> [UInt8]? {
            guard n >= 0, offset + n <= raw.count else { return nil }
            defer { offset += n }
            return Array(raw[offset ..< offset + n])
        }
        mutating func u32() -> UInt32? {
            guard offset + 4 <= raw.count else { return nil }
            defer { offset += 4 }
            return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        mutating func u64() -> UInt64? {
            guard offset + 8 <= raw.count else { return nil }
            defer { offset += 8 }
            return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        mutating func f64() -> Double? { u64().map { Double(bitPattern: $0) } }
    }
}
