import Foundation
import Testing

/// `cgan-tui listen`: bad input is one clear line and exit 2; without a terminal it says what
/// to use instead. (Playing is covered by the tmux test in DashboardEndToEndTests.)
@Suite struct ListenCommandTests {
    @Test func missingCheckpointIsAClearError() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(["listen", "no/such/run"])
        #expect(r.status == 2)
        #expect(r.stderr == "cgan-tui: checkpoint no/such/run does not exist\n", "stderr: \(r.stderr)")
    }

    @Test func withoutATerminalItPointsAtGenerate() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset(classes: ["low", "noise"], clipsPerClass: 2)
        let trained = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let r = try cli.run(["listen", "run"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("listen needs a terminal: use `cgan-tui generate` to write clips instead"), "stderr: \(r.stderr)")
    }

    @Test func missingDatasetIsAClearError() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset(classes: ["low", "noise"], clipsPerClass: 2)
        _ = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        let r = try cli.run(["listen", "run", "--dataset", "elsewhere"])
        #expect(r.status == 2 && r.stderr == "cgan-tui: --dataset elsewhere does not exist\n", "stderr: \(r.stderr)")
    }
}
