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
///
/// The target is what the path names, never the name itself: a symlink is followed (the
/// link stays, its target is replaced atomically), and a device node or FIFO is written
/// into (`--out /dev/null` must not replace /dev/null with a regular file). Folders,
/// sockets and block devices are refused.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        switch try resolve(url) {
        case .device(let path):
            try writeThrough(data, path: path, shown: url.path)
        case .file(let target, let mode):
            try replace(target, mode: mode, shown: url.path) { tmp in
                let fd = open(tmp.path, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { return errno }
                defer { close(fd) }
                return writeAll(fd, data)
            }
        }
    }

    /// For writers that make the whole file themselves at a path (libsndfile): `produce`
    /// writes the temporary file, which then replaces the target as above.
    public static func write(to url: URL, using produce: (URL) throws -> Void) throws {
        switch try resolve(url) {
        case .device(let path):
            // Made beside the other temporaries, then copied in: a device cannot be renamed over.
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent(temporaryName(for: url.lastPathComponent))
            defer { unlink(tmp.path) }
            try produce(tmp)
            try writeThrough(try Data(contentsOf: tmp), path: path, shown: url.path)
        case .file(let target, let mode):
            try replace(target, mode: mode, shown: url.path) { tmp in
                try produce(tmp)
                return 0
            }
        }
    }

    // MARK: - The target

    enum Target: Equatable {
        /// A regular file (or none yet) at this path, symlinks resolved; its mode if it exists.
        case file(URL, mode_t?)
        /// A character device or FIFO: written in place.
        case device(String)
    }

    /// Follows symlinks (up to 40, as the kernel does) to what the path finally names.
    static func resolve(_ url: URL) throws -> Target {
        var path = url.path
        for _ in 0 ..< 40 {
            var st = stat()
            guard lstat(path, &st) == 0 else {
                if errno == ENOENT { return .file(URL(fileURLWithPath: path), nil) }
                throw failure(url.path, errno)
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG: return .file(URL(fileURLWithPath: path), st.st_mode & 0o7777)
            case S_IFCHR, S_IFIFO: return .device(path)
            case S_IFDIR: throw UserError("cannot write \(url.path): it is a folder")
            case S_IFBLK: throw UserError("cannot write \(url.path): it is a block device; refusing to write over a disk")
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(path, &buffer, buffer.count - 1)
                guard n >= 0 else { throw failure(url.path, errno) }
                let link = String(decoding: buffer[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                // /proc/self/fd/N of a pipe names "pipe:[123]", not a path: write through the link.
                if link.hasPrefix("pipe:[") || link.hasPrefix("socket:[") { return .device(path) }
                let dir = (path as NSString).deletingLastPathComponent
                path = link.hasPrefix("/") || dir.isEmpty ? link : dir + "/" + link
            default:
                throw UserError("cannot write \(url.path): it is a socket")
            }
        }
        throw failure(url.path, ELOOP)
    }

    // MARK: - Writing

    /// Writes `fill(tmp)` into a fresh temporary file beside `target`, flushes it and renames it
    /// over the target. `fill` returns 0 or an errno.
    private static func replace(_ target: URL, mode: mode_t?, shown: String, fill: (URL) throws -> Int32) throws {
        let dir = target.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(temporaryName(for: target.lastPathComponent))
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o644)
        guard fd >= 0 else { throw failure(shown, errno) }
        // Keep a replaced file's permissions (the umask would otherwise change them).
        if let mode { fchmod(fd, mode) }
        close(fd)
        var ok = false
        defer { if !ok { unlink(tmp.path) } }
        let err = try fill(tmp)
        guard err == 0 else { throw failure(shown, err) }
        let sync = open(tmp.path, O_RDONLY | O_CLOEXEC)
        guard sync >= 0 else { throw failure(shown, errno) }
        let synced = fsync(sync) == 0 ? 0 : errno
        close(sync)
        guard synced == 0 else { throw failure(shown, synced) }
        guard rename(tmp.path, target.path) == 0 else { throw failure(shown, errno) }
        ok = true
        // Make the rename itself durable.
        let dfd = open(dir.path, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Opens an existing device or FIFO for writing (never creating or truncating) and writes.
    private static func writeThrough(_ data: Data, path: String, shown: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(shown, errno) }
        defer { close(fd) }
        let err = writeAll(fd, data)
        guard err == 0 else { throw failure(shown, err) }
    }

    /// 0, or the errno of the write that failed.
    private static func writeAll(_ fd: Int32, _ data: Data) -> Int32 {
        data.withUnsafeBytes { raw -> Int32 in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? errno : EIO }
                offset += n
            }
            return 0
        }
    }

    private static func failure(_ path: String, _ err: Int32) -> UserError {
        UserError("cannot write \(path): \(String(cString: strerror(err)))")
    }

    // MARK: - Temporary names

    /// `.<name, cut to 40 bytes>.tmp-<pid>-<random>`: short whatever the target's name (a
    /// 240-byte class name must not make it too long), recognisable, and naming its writer.
    static func temporaryName(for name: String) -> String {
        var prefix = ""
        for c in name {
            if prefix.utf8.count + String(c).utf8.count > 40 { break }
            prefix.append(c)
        }
        return ".\(prefix).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    }

    /// The writer's PID if `name` is one of our temporary names.
    static func temporaryWriter(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let r = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = name[r.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let pid = pid_t(parts[0]), UInt32(parts[1]) != nil else { return nil }
        return pid
    }

    /// Removes the temporary files of ours in `folders` (not below them) that no writer will
    /// finish: their writer's process is gone, or they are older than `before` (the moment the
    /// caller locked the folders, so no writer of ours was at work there earlier). Returns how
    /// many files and bytes went.
    public static func removeStaleTemporaries(in folders: [URL], olderThan before: Date) -> (files: Int, bytes: Int64) {
        var files = 0, bytes: Int64 = 0
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names {
                guard let pid = temporaryWriter(name) else { continue }
                let path = folder.appendingPathComponent(name).path
                var st = stat()
                guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
                let writerGone = pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
                guard writerGone || modified < before else { continue }
                if unlink(path) == 0 { files += 1; bytes += Int64(st.st_size) }
            }
        }
        return (files, bytes)
    }
}
