import Foundation
import Support

/// safetensors files: 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`
/// padded with spaces to 8 bytes, then the raw little-endian data (offsets relative to its start).
public enum Safetensors {
    public enum DType: String, Sendable {
        case f32 = "F32", i64 = "I64"
        var size: Int { self == .f32 ? 4 : 8 }
    }

    public struct TensorInfo: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        public var begin: Int
        public var end: Int
    }

    /// Builds a file in memory, tensors in the order added.
    public struct Writer {
        private var entries: [(name: String, dtype: DType, shape: [Int], bytes: Data)] = []
        public var metadata: [String: String] = [:]
        public init() {}

        public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
            precondition(shape.reduce(1, *) == floats.count, "\(name): shape does not match value count")
            let bytes = floats.withUnsafeBufferPointer { Data(buffer: $0) }
            entries.append((name, .f32, shape, bytes))
        }

        public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) {
            precondition(shape.reduce(1, *) == int64s.count, "\(name): shape does not match value count")
            let bytes = int64s.map { $0.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
            entries.append((name, .i64, shape, bytes))
        }

        public func encode() -> Data {
            var header = "{"
            var offset = 0
            var parts: [String] = []
            if !metadata.isEmpty {
                let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
                parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
            }
            for e in entries {
                let shape = e.shape.map(String.init).joined(separator: ",")
                parts.append("\(jsonString(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
                offset += e.bytes.count
            }
            header += parts.joined(separator: ",") + "}"
            var headerBytes = Data(header.utf8)
            while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
            var out = Data(capacity: 8 + headerBytes.count + offset)
            var len = UInt64(headerBytes.count).littleEndian
            withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
            out.append(headerBytes)
            for e in entries { out.append(e.bytes) }
            return out
        }
    }

    /// A parsed file: every check on structure is done here, so callers only check names/shapes.
    /// Validation follows safetensors' own (`Metadata::validate`): no shape product overflows,
    /// each tensor's byte range matches its shape, and the ranges, sorted, tile the data section
    /// exactly from 0 to its end (no gaps, no overlaps, nothing after). Tensor bytes are read
    /// only when asked for, so a checkpoint's shapes can be checked before its data is read.
    public struct File {
        public let tensors: [String: TensorInfo]
        public let metadata: [String: String]
        private let source: Source

        /// Longest header read. safetensors itself allows 100 MB; a cgan-tui checkpoint's header
        /// is about 20 KB and JSONSerialization needs several times the text in objects, so
        /// 16 MB keeps a hostile header from costing gigabytes while fitting any real model.
        public static let maxHeaderBytes = 16 << 20

        /// `name` is used in error messages (usually the path).
        public init(data: Data, name: String) throws {
            let data = data.startIndex == 0 ? data : data.withUnsafeBytes { Data($0) }   // indices from 0
            guard data.count >= 8 else { throw UserError("\(name): not a safetensors file (only \(data.count) bytes)") }
            let headerLength = try Self.headerLength(data.prefix(8), fileSize: data.count, name: name)
            (tensors, metadata) = try Self.parse(header: data.subdata(in: 8 ..< 8 + headerLength),
                                                 dataSize: data.count - 8 - headerLength, name: name)
            source = .memory(data.subdata(in: 8 + headerLength ..< data.count))
        }

        /// Reads the length and the header only; refuses anything but a regular file.
        public init(contentsOf url: URL) throws {
            let handle = try InputFile.handle(url)
            let size = try InputFile.size(handle, url)
            guard size >= 8 else { throw UserError("\(url.path): not a safetensors file (only \(size) bytes)") }
            let headerLength = try Self.headerLength(try InputFile.read(handle, url, offset: 0, count: 8), fileSize: size, name: url.path)
            (tensors, metadata) = try Self.parse(header: try InputFile.read(handle, url, offset: 8, count: headerLength),
                                                 dataSize: size - 8 - headerLength, name: url.path)
            source = .file(handle, url, dataStart: 8 + headerLength)
        }

        private enum Source {
            case memory(Data)
            case file(FileHandle, URL, dataStart: Int)

            func bytes(_ info: TensorInfo) throws -> Data {
                switch self {
                case .memory(let data): return data.subdata(in: info.begin ..< info.end)
                case .file(let handle, let url, let start):
                    return try InputFile.read(handle, url, offset: start + info.begin, count: info.end - info.begin)
                }
            }
        }

        static func headerLength(_ bytes: Data, fileSize: Int, name: String) throws -> Int {
            var length: UInt64 = 0
            for (i, b) in bytes.enumerated() { length |= UInt64(b) << (8 * UInt64(i)) }
            guard length >= 2, length <= UInt64(maxHeaderBytes) else {
                throw UserError("\(name): not a safetensors file (header length \(length); at most \(maxHeaderBytes) is read)")
            }
            guard 8 + Int(length) <= fileSize else {
                throw UserError("\(name): truncated safetensors file (header says \(length) bytes, file has \(fileSize - 8) after the length)")
            }
            return Int(length)
        }

        /// The header's tensors and metadata, checked against a data section of `dataSize` bytes.
        static func parse(header: Data, dataSize available: Int, name: String) throws -> ([String: TensorInfo], [String: String]) {
            guard header.first == UInt8(ascii: "{"),
                  let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any]
            else { throw UserError("\(name): not a safetensors file (header is not a JSON object)") }
            var tensors: [String: TensorInfo] = [:]
            var metadata: [String: String] = [:]
            for (key, value) in object {
                if key == "__metadata__" {
                    guard let m = value as? [String: Any] else { throw UserError("\(name): __metadata__ is not a JSON object") }
                    for (k, v) in m {
                        guard let s = v as? String else { throw UserError("\(name): __metadata__ value '\(k)' is not a string") }
                        metadata[k] = s
                    }
                    continue
                }
                guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                      let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any]
                else { throw UserError("\(name): tensor '\(key)' has a malformed header entry") }
                guard let dtype = DType(rawValue: dtypeName) else {
                    throw UserError("\(name): tensor '\(key)' has dtype \(dtypeName); only F32 and I64 are supported")
                }
                let shape = shapeAny.compactMap(exactInt)
                let offsets = offsetsAny.compactMap(exactInt)
                guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }),
                      offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0] else {
                    throw UserError("\(name): tensor '\(key)' has a bad shape or data_offsets")
                }
                guard offsets[1] <= available else {
                    throw UserError("\(name): tensor '\(key)' lies outside the file (bytes \(offsets[0])-\(offsets[1]), data is \(available) bytes): truncated?")
                }
                guard let expected = ShapeSize.bytes(shape, elementSize: dtype.size) else {
                    throw UserError("\(name): tensor '\(key)' has shape \(shape), too large to hold")
                }
                guard offsets[1] - offsets[0] == expected else {
                    throw UserError("\(name): tensor '\(key)' has \(offsets[1] - offsets[0]) bytes but shape \(shape) of \(dtypeName) needs \(expected)")
                }
                tensors[key] = TensorInfo(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            }
            // Sorted by offset, each tensor starts where the previous one ended and the last
            // ends at the end of the file: no overlaps (two names over the same bytes), no gaps.
            var end = 0
            for (key, info) in tensors.sorted(by: { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }) {
                guard info.begin == end else {
                    throw UserError("\(name): tensor '\(key)' starts at byte \(info.begin) of the data, expected \(end) (tensors must follow each other without gaps or overlaps)")
                }
                end = info.end
            }
            guard end == available else {
                throw UserError("\(name): the tensors cover \(end) bytes of data but the file holds \(available)")
            }
            return (tensors, metadata)
        }

        /// A JSON number that is a whole number in Int's range (not 1.5, not 1e300, not true).
        static func exactInt(_ value: Any) -> Int? { value as? Int }

        /// The tensor's values; checks dtype and (when given) shape.
        public func floats(_ key: String, shape: [Int]? = nil, file: String = "checkpoint") throws -> [Float] {
            let bytes = try source.bytes(try self.info(key, dtype: .f32, shape: shape, file: file))
            var out = [Float](repeating: 0, count: bytes.count / 4)
            out.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
            return out.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        }

        public func int64s(_ key: String, shape: [Int]? = nil, file: String = "checkpoint") throws -> [Int64] {
            let bytes = try source.bytes(try self.info(key, dtype: .i64, shape: shape, file: file))
            var out = [Int64](repeating: 0, count: bytes.count / 8)
            out.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
            return out.map { Int64(littleEndian: $0) }
        }

        private func info(_ key: String, dtype: DType, shape: [Int]?, file: String) throws -> TensorInfo {
            guard let info = tensors[key] else { throw UserError("\(file): tensor '\(key)' is missing") }
            guard info.dtype == dtype else {
                throw UserError("\(file): tensor '\(key)' is \(info.dtype.rawValue), expected \(dtype.rawValue)")
            }
            if let shape, shape != info.shape {
                throw UserError("\(file): tensor '\(key)' has shape \(info.shape), expected \(shape)")
            }
            return info
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
