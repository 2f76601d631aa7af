import Foundation

/// One folder's non-hidden entries, read with readdir so that every name is seen as bytes:
/// a name that is not valid UTF-8 (which FileManager drops or mangles) is reported in
/// `skipped`, as is a broken symbolic link. Links are followed (`stat`, not `lstat`).
struct DirectoryListing {
    struct FileID: Hashable { var device: UInt64; var inode: UInt64 }

    struct Item {
        var name: String
        var url: URL
        var isFolder: Bool
        var isRegularFile: Bool
        var id: FileID
    }

    var items: [Item] = []

    /// nil when the folder cannot be opened (errno says why).
    init?(_ url: URL, skipped: inout [(path: String, reason: String)]) {
        guard let dir = opendir(url.path) else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes.first == UInt8(ascii: ".") { continue }   // hidden, and . and ..
            guard let name = String(validating: bytes, as: UTF8.self) else {
                let shown = String(decoding: bytes, as: UTF8.self)
                skipped.append((url.appendingPathComponent(shown).path, "name is not valid UTF-8; rename it to use it"))
                continue
            }
            let child = url.appendingPathComponent(name)
            var st = stat()
            guard stat(child.path, &st) == 0 else {
                var link = stat()
                let broken = lstat(child.path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
                skipped.append((child.path, broken ? "broken symbolic link" : "cannot read (\(String(cString: strerror(errno))))"))
                continue
            }
            let kind = st.st_mode & S_IFMT
            items.append(Item(name: name, url: child, isFolder: kind == S_IFDIR, isRegularFile: kind == S_IFREG,
                              id: FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))))
        }
    }

    static func id(of url: URL) -> FileID? {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return nil }
        return FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
