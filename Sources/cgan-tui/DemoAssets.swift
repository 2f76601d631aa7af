import Foundation
import Support

/// Where the demo dataset that ships with the repository is. `cgan-tui` with no DATASET uses
/// the first of: `$CGAN_TUI_DEMO`; `assets/demo` under the current folder; `assets/demo` under
/// any folder above the executable (the binary lives in `<repo>/.build/<config>/`, so a
/// build run from anywhere still finds the checkout it was built from); the checkout the
/// binary was compiled in (so a binary copied to ~/bin on the same machine still finds it).
///
/// Not embedded in the binary: 2.9 MB of clips as a Swift literal would need a generated
/// 4 MB source file (or a build plugin) compiled on every build, and the binary needs the
/// system libraries anyway, so it is never standalone; a copy elsewhere is told where to point.
enum DemoAssets {
    static let whereItLooks = "$CGAN_TUI_DEMO, else assets/demo in the current folder, above the executable, or in the checkout it was built from"

    static func locate() throws -> (url: URL, how: String) {
        let fm = FileManager.default
        func isDir(_ url: URL) -> Bool {
            var d: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
        }
        if let env = ProcessInfo.processInfo.environment["CGAN_TUI_DEMO"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            guard isDir(url) else {
                throw UserError("CGAN_TUI_DEMO=\(env) is not a folder; point it at the demo dataset (assets/demo in a cgan-tui checkout) or pass a DATASET folder")
            }
            return (url, "from $CGAN_TUI_DEMO")
        }
        let here = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("assets/demo")
        if isDir(here) { return (here, "in the current folder") }
        let executable = executableURL()
        var dir = executable.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("assets/demo")
            if isDir(candidate) { return (candidate, "next to the executable") }
            dir = dir.deletingLastPathComponent()
        }
        if isDir(builtFrom) { return (builtFrom, "in the checkout the executable was built from") }
        throw UserError("no DATASET given and no demo dataset found (looked in ./assets/demo, above \(executable.path), and in \(builtFrom.path)); pass a DATASET folder, or set CGAN_TUI_DEMO=/path/to/cgan-tui/assets/demo")
    }

    /// `assets/demo` of the checkout this file was compiled in (this file is Sources/cgan-tui/DemoAssets.swift).
    static let builtFrom = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("assets/demo")

    /// The real path of the running binary (symlinks such as `.build/release` resolved).
    static func executableURL() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().standardizedFileURL
    }
}
