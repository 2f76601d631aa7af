import Foundation
import Testing

/// `--no-ui` on a terminal: one progress line redrawn in place (bar, rate, ETA). The terminal
/// is a pseudo-terminal from util-linux `script`, which records what the program wrote to it.
@Suite struct TerminalProgressTests {
    static let script = "/usr/bin/script"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: script)))
    func progressBarWithRateAndETA() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let command = ([CLI.binary.path, "data", "--no-ui", "--epochs", "3", "--out", "run"] + CLI.tiny)
            .joined(separator: " ")
        let r = try cli.run(["-q", "-e", "-c", command, cli.path("typescript").path], executable: URL(fileURLWithPath: Self.script))
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let screen = try String(decoding: Data(contentsOf: cli.path("typescript")), as: UTF8.self)
        // Redrawn in place: erase-to-end-of-line after a carriage return (plain log lines never do).
        #expect(screen.contains("\u{1B}[K"), "redrawn in place")
        // The bar itself: "[####------]", then the rate and the ETA on the same line.
        let bar = screen.components(separatedBy: "\r").first { $0.contains("[#") || $0.contains("[-") }
        #expect(bar?.contains("samples/s") == true && bar?.contains("ETA") == true, "\(screen)")
        #expect(screen.contains("epoch 3/3"))
    }
}
