import Foundation

/// An exclusive `flock` on a file, held until `release()` or the process ends (the kernel
/// drops it even after `kill -9`, so a stale lock never blocks anyone). The holder's PID is
/// written into the file so that a refused caller can name it.
public final class FileLock: @unchecked Sendable {
    public let url: URL
    private var fd: Int32
    /// When the lock was taken: files of ours older than this were left by earlier processes.
    public let acquired: Date

    public enum Failure: Error {
        /// Another process holds it; its PID when the file names a live one.
        case held(by: pid_t?)
        case cannot(String)
    }

    /// Takes the lock at once or throws `Failure.held`.
    public init(_ url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure.cannot(String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let err = errno
            close(fd)
            if err == EWOULDBLOCK { throw Failure.held(by: Self.holder(url)) }
            throw Failure.cannot(String(cString: strerror(err)))
        }
        let text = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        // The file's time is the lock's: it is compared with temporary files' times.
        futimens(fd, nil)
        self.fd = fd
        acquired = Date()
    }

    deinit { release() }

    public func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// The PID of the process holding the lock at `url`, nil when nobody holds it (or it has
    /// no file); 0 when held by a process that did not say who it is.
    public static func currentHolder(_ url: URL) -> pid_t? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK else { return nil }
        return holder(url) ?? 0
    }

    /// The PID the lock file names, waiting up to 0.2 s for one: the holder writes it just after
    /// taking the lock, and a caller refused in between found the file empty.
    private static func holder(_ url: URL) -> pid_t? {
        let deadline = Date().addingTimeInterval(0.2)
        while true {
            if let text = try? String(contentsOf: url, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 { return pid }
            if Date() >= deadline { return nil }
            usleep(5_000)
        }
    }
}
