import Foundation

/// NumPy `.npy` files holding little-endian float32 arrays (format versions 1 and 2).
public enum NPY {
    public struct Array: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape does not match value count")
            self.shape = shape
            self.values = values
        }
    }

    public static func encode(_ array: Array) -> Data {
        let shapeText = array.shape.count == 1 ? "(\(array.shape[0]),)"
            : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Swift.Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        data.append(contentsOf: Swift.Array(header.utf8))
        array.values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        return data
    }

    public static func write(_ array: Array, to url: URL) throws {
        try AtomicFile.write(encode(array), to: url)
    }

    /// Largest file read: the largest spectrogram `mel` writes (513 bands x 100000 frames of
    /// float32) is 205 MB.
    public static let maxFileBytes = 256 << 20

    public static func read(_ url: URL) throws -> Array {
        try decode(try InputFile.read(url, limit: maxFileBytes, what: "a .npy file"), name: url.path)
    }

    public static func decode(_ data: Data, name: String = "array") throws -> Array {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1 ..< 6]) == Swift.Array("NUMPY".utf8) else {
            throw UserError("\(name): not a .npy file")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw UserError("\(name): unsupported .npy version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart ..< headerStart + headerLength], encoding: .utf8)
        else { throw UserError("\(name): truncated .npy header") }
        guard header.contains("'descr': '<f4'") || header.contains("\"descr\": \"<f4\"") else {
            let descr = header.range(of: "'descr': '").map { header[$0.upperBound...].prefix { $0 != "'" } } ?? "?"
            throw UserError("\(name): expected float32 ('<f4') data, found '\(descr)'")
        }
        guard !header.contains("'fortran_order': True") else {
            throw UserError("\(name): Fortran-ordered arrays are not supported")
        }
        guard let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw UserError("\(name): .npy header has no shape")
        }
        let dims = header[open.upperBound ..< close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw UserError("\(name): bad shape in .npy header") }
            shape.append(v)
        }
        let start = headerStart + headerLength
        guard let byteCount = ShapeSize.bytes(shape, elementSize: 4) else {
            throw UserError("\(name): shape \(shape) in the .npy header is too large to hold")
        }
        guard bytes.count - start == byteCount else {
            throw UserError("\(name): expected \(byteCount) data bytes for shape \(shape), found \(bytes.count - start)")
        }
        let count = byteCount / 4
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start ..< start + count * 4]))
            }
        }
        return Array(shape: shape, values: values)
    }
}
