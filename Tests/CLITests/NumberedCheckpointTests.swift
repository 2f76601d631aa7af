import Foundation
import Testing

/// The `--checkpoint-every` checkpoints hold weights only: `generate` and `eval` read them,
/// `--resume` refuses them with one clear line and leaves the run as it was.
@Suite struct NumberedCheckpointTests {
    @Test func generateAndEvalOpenThemResumeRefusesThem() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let r = try cli.run(["data", "--no-ui", "--epochs", "2", "--checkpoint-every", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let numbered = "run/checkpoints/epoch_001.safetensors"
        let file = try Data(contentsOf: cli.path(numbered))
        let names = CheckpointInputTests.split(file).header.keys
        #expect(!names.contains { $0.hasPrefix("optimizer.") }, "a numbered checkpoint holds optimizer state")
        let latest = CheckpointInputTests.split(try Data(contentsOf: cli.path("run/checkpoints/latest.safetensors"))).header.keys
        #expect(latest.contains("optimizer.generator.step"))

        let g = try cli.run(["generate", numbered, "--class", "low", "--count", "1", "--iterations", "2", "--out", "gen"])
        #expect(g.status == 0, "stderr: \(g.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("gen/low_0.wav").path))
        let e = try cli.run(["eval", numbered, "--count", "2", "--threads", "1"])
        #expect(e.status == 0, "stderr: \(e.stderr)")

        let metrics = try Data(contentsOf: cli.path("run/metrics.csv"))
        let resumed = try cli.run(["--resume", numbered, "--no-ui", "--epochs", "3"])
        #expect(resumed.status == 2, "resume status \(resumed.status), stderr: \(resumed.stderr)")
        #expect(resumed.stderr.hasPrefix("cgan-tui: ") && resumed.stderr.split(separator: "\n").count == 1, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("no optimizer state") && resumed.stderr.contains("latest.safetensors"), "\(resumed.stderr)")
        #expect(try Data(contentsOf: cli.path("run/metrics.csv")) == metrics, "the refused resume changed metrics.csv")
    }
}
