import Foundation
import Testing
@testable import Support

@Suite struct NPYTests {
    @Test func roundTripKeepsShapeAndValues() throws {
        let a = NPY.Array(shape: [3, 4], values: (0 ..< 12).map { Float($0) * 0.5 - 1 })
        let data = NPY.encode(a)
        // numpy requires the header (and so the data) to start on a 64-byte boundary.
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(try NPY.decode(data) == a)
    }

    @Test func rejectsWrongDtype() throws {
        var data = NPY.encode(NPY.Array(shape: [2], values: [1, 2]))
        let text = String(decoding: data, as: UTF8.self)
        let r = text.range(of: "<f4")!
        let offset = text.utf8.distance(from: text.startIndex, to: r.lowerBound)
        data.replaceSubrange(offset ..< offset + 3, with: Array("<f8".utf8))
        #expect(throws: UserError.self) { try NPY.decode(data) }
    }

    @Test func rejectsTruncatedData() throws {
        let data = NPY.encode(NPY.Array(shape: [4], values: [1, 2, 3, 4]))
        #expect(throws: UserError.self) { try NPY.decode(data.prefix(data.count - 2)) }
    }
}

@Suite struct AtomicFileTests {
    @Test func replacesWholeFileAndLeavesNoTemporary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: url)
        try AtomicFile.write(Data([4, 5]), to: url)
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.bin"])
    }

    @Test func unwritableFolderIsAClearError() {
        let url = URL(fileURLWithPath: "/nonexistent-folder-\(UUID())/x.bin")
        #expect(throws: UserError.self) { try AtomicFile.write(Data([1]), to: url) }
    }
}

@Suite struct SplitMix64Tests {
    @Test func sameSeedSameStream() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let xa = a.normals(100), xb = b.normals(100), xc = c.normals(100)
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func normalsHaveUnitMoments() {
        var g = SplitMix64(seed: 7)
        let x = g.normals(100_000)
        let mean = x.reduce(0, +) / Float(x.count)
        let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(x.count)
        // 100k samples: standard error of the mean ~0.003, of the variance ~0.0045.
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.03)
    }
}

@Suite struct NPYCraftedTests {
    /// A header whose shape product overflows: an arithmetic-overflow trap before the fix.
    @Test func overflowingShapeIsRefused() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(Data(count: 16))
        #expect(throws: UserError.self) { try NPY.decode(data) }
    }

    /// A FIFO named as input is refused at once instead of blocking in open.
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("npy-fifo-\(UUID())").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        do {
            _ = try NPY.read(URL(fileURLWithPath: path))
            Issue.record("read a FIFO")
        } catch let e as UserError {
            #expect(e.message.contains("not a regular file (a FIFO)"), "\(e.message)")
        }
    }
}
