import Foundation

/// Where the demo dataset that ships with the repository is. `cgan-tui` with no DATASET uses
/// the first of: `$CGAN_TUI_DEMO`; `assets/demo` under the current folder; `assets/demo` under
/// any folder above the executable (the binary lives in `<repo>/.build/<config>/`, so a
/// build run from anywhere still finds the checkout it was built from).
enum DemoAssets {
    static func locate() -> (url: URL, how: String)? {
        let fm = FileManager.default
        func isDir(_ url: URL) -> Bool {
            var d: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
        }
        if let env = ProcessInfo.processInfo.environment["CGAN_TUI_DEMO"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            return isDir(url) ? (url, "from $CGAN_TUI_DEMO") : nil
        }
        let here = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("assets/demo")
        if isDir(here) { return (here, "in the current folder") }
        var dir = executableURL().deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("assets/demo")
            if isDir(candidate) { return (candidate, "next to the executable") }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The real path of the running binary (symlinks such as `.build/release` resolved).
    static func executableURL() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().standardizedFileURL
    }
}
