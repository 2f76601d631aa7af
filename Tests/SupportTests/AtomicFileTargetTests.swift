import Foundation
import Testing
@testable import Support

/// What the atomic writer does with targets that are not plain files: it writes through
/// symlinks and into device nodes and FIFOs, and never replaces them with a regular file.
@Suite struct AtomicFileTargetTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-target-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: dir) }

    func fileType(_ url: URL) -> mode_t {
        var st = stat()
        #expect(lstat(url.path, &st) == 0, "\(url.path) is gone")
        return st.st_mode & S_IFMT
    }

    @Test func symlinkIsWrittenThroughAndStaysALink() throws {
        defer { cleanUp() }
        let target = dir.appendingPathComponent("real.bin")
        try Data([9]).write(to: target)
        let link = dir.appendingPathComponent("link.bin")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: link)
        #expect(fileType(link) == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "real.bin")
        #expect(try Data(contentsOf: target) == Data([1, 2, 3]))
    }

    @Test func danglingSymlinkCreatesItsTarget() throws {
        defer { cleanUp() }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let link = dir.appendingPathComponent("link.bin")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "sub/new.bin")
        try AtomicFile.write(Data([4, 5]), to: link)
        #expect(fileType(link) == S_IFLNK)
        #expect(try Data(contentsOf: dir.appendingPathComponent("sub/new.bin")) == Data([4, 5]))
    }

    /// The root-only case from issue 12: the writer renamed a file over /dev/null. Tested on a
    /// node made here (major 1, minor 3 is the null device), never on the real one.
    @Test(.enabled(if: getuid() == 0, "mknod needs root"))
    func deviceNodeIsWrittenIntoNotReplaced() throws {
        defer { cleanUp() }
        let node = dir.appendingPathComponent("null")
        #expect(mknod(node.path, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0, "\(String(cString: strerror(errno)))")
        try AtomicFile.write(Data(repeating: 7, count: 1000), to: node)
        #expect(fileType(node) == S_IFCHR)
        let link = dir.appendingPathComponent("to-null")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: node.path)
        try AtomicFile.write(Data([1]), to: link)
        #expect(fileType(link) == S_IFLNK)
        #expect(fileType(node) == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["null", "to-null"])
    }

    @Test func fifoReceivesTheBytesAndStaysAFifo() throws {
        defer { cleanUp() }
        let fifo = dir.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let got = LockedBytes()
        let reader = Thread {
            // Plain reads to the end: Foundation's readers stop at the FIFO's size, 0.
            let fd = open(fifo.path, O_RDONLY)
            var bytes = Data(), buffer = [UInt8](repeating: 0, count: 64)
            while fd >= 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0 ..< n])
            }
            close(fd)
            got.set(bytes)
        }
        reader.start()
        try AtomicFile.write(Data([1, 2, 3, 4]), to: fifo)
        let deadline = Date().addingTimeInterval(10)
        while got.get() == nil, Date() < deadline { usleep(1000) }
        #expect(got.get() == Data([1, 2, 3, 4]))
        #expect(fileType(fifo) == S_IFIFO)
    }

    /// A file name near the 255-byte limit (a long class name) must not make the temporary
    /// name too long.
    @Test func nameNearTheLimitIsWritten() throws {
        defer { cleanUp() }
        let url = dir.appendingPathComponent(String(repeating: "é", count: 120) + "_ep1.wav")   // 248 bytes
        try AtomicFile.write(Data([1]), to: url)
        #expect(try Data(contentsOf: url) == Data([1]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1)
    }

    @Test func folderAsTargetIsAClearError() throws {
        defer { cleanUp() }
        let sub = dir.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        #expect(throws: UserError.self) { try AtomicFile.write(Data([1]), to: sub) }
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: sub.path, isDirectory: &isDir) && isDir.boolValue)
    }

    /// Replacing a file keeps its permissions (a script's 0755, a private 0600).
    @Test func replacedFileKeepsItsMode() throws {
        defer { cleanUp() }
        let url = dir.appendingPathComponent("private.bin")
        try Data([1]).write(to: url)
        chmod(url.path, 0o600)
        try AtomicFile.write(Data([2]), to: url)
        var st = stat()
        stat(url.path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}

final class LockedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data? { lock.lock(); defer { lock.unlock() }; return data }
}
