import Foundation

/// Files named from outside (audio, checkpoints, .npy, config.json). A plain `open` of a FIFO
/// or a terminal blocks until a writer appears, so they are opened with O_NONBLOCK and
/// refused unless they are regular files; reads are bounded by what the caller can use.
public enum InputFile {
    /// Why a file was refused, worded to follow "cannot read PATH: ".
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// A descriptor on a regular file, in blocking mode again (the caller closes it).
    public static func openRegular(_ path: String) throws(Refusal) -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Refusal(reason: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw Refusal(reason: why)
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            throw Refusal(reason: kind == S_IFDIR ? "is a folder" : "not a regular file (\(kindName(kind)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The whole file, refused when it is larger than `limit` bytes (before anything is read).
    /// `what` names the kind of file in the message ("a .npy file").
    public static func read(_ url: URL, limit: Int, what: String) throws -> Data {
        let handle = try handle(url)
        defer { try? handle.close() }
        let size = try self.size(handle, url)
        guard size <= limit else {
            throw UserError("\(url.path) is \(size) bytes; \(what) is at most \(limit) bytes here")
        }
        return try read(handle, url, offset: 0, count: size)
    }

    /// An open regular file, for callers that read parts of it.
    public static func handle(_ url: URL) throws -> FileHandle {
        do { return FileHandle(fileDescriptor: try openRegular(url.path), closeOnDealloc: true) } catch {
            throw UserError("cannot read \(url.path): \(error.reason)")
        }
    }

    public static func size(_ handle: FileHandle, _ url: URL) throws -> Int {
        var st = stat()
        guard fstat(handle.fileDescriptor, &st) == 0 else {
            throw UserError("cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        return Int(st.st_size)
    }

    /// Exactly `count` bytes at `offset`; a shorter read (the file shrank) is an error.
    public static func read(_ handle: FileHandle, _ url: URL, offset: Int, count: Int) throws -> Data {
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = count == 0 ? Data() : try handle.read(upToCount: count) ?? Data()
            guard data.count == count else {
                throw UserError("cannot read \(url.path): it ended after \(offset + data.count) bytes (changed while reading?)")
            }
            return data
        } catch let e as UserError { throw e } catch {
            throw UserError("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
    }

    static func kindName(_ kind: mode_t) -> String {
        switch kind {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a file"
        }
    }
}
