import Foundation
import Testing

extension DashboardEndToEndTests {
    /// Ctrl-C in the dashboard (a key there, raw mode) ends like SIGINT headless: a checkpoint
    /// is saved and the exit status is 130 (q is the ordinary way out, 0).
    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed: the dashboard end-to-end test needs it"))
    func ctrlCSavesAndExits130() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first (swift build): \(Self.binary.path)")
        let run = try Run(audioDevice: "null")
        defer { run.cleanUp() }
        #expect(run.waitForSteps(3), "no training steps on screen:\n\(run.tmux.screen())")
        try run.tmux.keys("C-c")
        let code = run.exitStatus(within: 30)
        #expect(code == "130", "exit status \(code ?? "none") after Ctrl-C:\n\(run.tmux.screen())")
        #expect(FileManager.default.fileExists(atPath: run.checkpoint.path))
    }
}
