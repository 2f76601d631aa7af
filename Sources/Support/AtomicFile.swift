import Foundation

/// Errors a user can act on: one clear line, no stack trace.
public struct UserError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Writes files so a reader never sees a partial one: the bytes go to a temporary file
/// in the same folder, are flushed to disk, and the file is renamed over the target.
/// A crash at any moment leaves either the old file or the new one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw UserError("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        var ok = false
        defer {
            if !ok { unlink(tmp.path) }
        }
        let written: Bool = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let writeErrno = errno
        guard written, fsync(fd) == 0 else {
            close(fd)
            throw UserError("cannot write \(url.path): \(String(cString: strerror(writeErrno)))")
        }
        close(fd)
        guard rename(tmp.path, url.path) == 0 else {
            throw UserError("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        ok = true
        // Make the rename itself durable.
        let dfd = open(dir.path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
