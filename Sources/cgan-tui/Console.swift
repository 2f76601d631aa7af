import Foundation

/// Terminal output that survives its reader going away. `FileHandle.write` traps on EPIPE
/// (`cgan-tui ... | head`) and EIO (a hung-up terminal), which killed a run mid-save; these
/// writes just report failure.
enum Console {
    /// Writes all of `text` to `fd`; false if it could not (the reader is gone).
    @discardableResult
    static func write(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
