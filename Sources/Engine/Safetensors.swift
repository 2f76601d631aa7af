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
    public struct File {
        public let tensors: [String: TensorInfo]
        public let metadata: [String: String]
        private let data: Data
        private let dataStart: Int

        /// `name` is used in error messages (usually the path).
        public init(data: Data, name: String) throws {
            guard data.count >= 8 else { throw UserError("\(name): not a safetensors file (only \(data.count) bytes)") }
            var headerLength: UInt64 = 0
            for i in 0 ..< 8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
            guard headerLength >= 2, headerLength <= 100_000_000 else {
                throw UserError("\(name): not a safetensors file (header length \(headerLength))")
            }
            guard 8 + Int(headerLength) <= data.count else {
                throw UserError("\(name): truncated safetensors file (header says \(headerLength) bytes, file has \(data.count - 8) after the length)")
            }
            let headerData = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + Int(headerLength))
            guard headerData.first == UInt8(ascii: "{"),
                  let json = try? JSONSerialization.jsonObject(with: headerData), let object = json as? [String: Any]
            else { throw UserError("\(name): not a safetensors file (header is not a JSON object)") }
            let start = 8 + Int(headerLength)
            let available = data.count - start
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
                let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
                let offsets = offsetsAny.compactMap { ($0 as? NSNumber)?.intValue }
                guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }),
                      offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0] else {
                    throw UserError("\(name): tensor '\(key)' has a bad shape or data_offsets")
                }
                guard offsets[1] <= available else {
                    throw UserError("\(name): tensor '\(key)' lies outside the file (bytes \(offsets[0])-\(offsets[1]), data is \(available) bytes): truncated?")
                }
                let expected = shape.reduce(1, *) * dtype.size
                guard offsets[1] - offsets[0] == expected else {
                    throw UserError("\(name): tensor '\(key)' has \(offsets[1] - offsets[0]) bytes but shape \(shape) of \(dtypeName) needs \(expected)")
                }
                tensors[key] = TensorInfo(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
            }
            self.tensors = tensors; self.metadata = metadata; self.data = data; self.dataStart = start
        }

        public init(contentsOf url: URL) throws {
            let data: Data
            do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
                throw UserError("cannot read \(url.path): \((error as NSError).localizedDescription)")
            }
            try self.init(data: data, name: url.path)
        }

        /// The tensor's values; checks dtype and (when given) shape.
        public func floats(_ key: String, shape: [Int]? = nil, file: String = "checkpoint") throws -> [Float] {
            let info = try self.info(key, dtype: .f32, shape: shape, file: file)
            var out = [Float](repeating: 0, count: (info.end - info.begin) / 4)
            out.withUnsafeMutableBytes { dst in
                data.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[dataStart + info.begin ..< dataStart + info.end]))
                }
            }
            return out.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        }

        public func int64s(_ key: String, shape: [Int]? = nil, file: String = "checkpoint") throws -> [Int64] {
            let info = try self.info(key, dtype: .i64, shape: shape, file: file)
            var out = [Int64](repeating: 0, count: (info.end - info.begin) / 8)
            out.withUnsafeMutableBytes { dst in
                data.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[dataStart + info.begin ..< dataStart + info.end]))
                }
            }
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
