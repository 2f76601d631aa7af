import Foundation
import Testing

/// `--recipe` and the window the default recipe fits to the clips, through the real binary.
@Suite struct RecipeCommandTests {
    static let small = ["--n-mels", "16", "--latent-dim", "8", "--threads", "1", "--epochs", "1"]

    static func config(_ cli: CLI, _ run: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: cli.path("\(run)/config.json"))) as! [String: Any]
    }

    /// The harness's clips last 0.4 s (36 STFT frames at hop 256), so their sounding part fits
    /// in 48 frames (0.55 s), the next multiple of 16: the run says so, uses it and records it.
    @Test func defaultRecipeFitsTheWindowToTheClips() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        let r = try cli.run(["data", "--no-ui", "--out", "run"] + Self.small)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("window 48 frames (0.55 s) holds the sounding part of 100% of the clips; 0% are cut short"),
                "stdout: \(r.stdout)")
        #expect(r.stdout.contains("recipe default"))
        let c = try Self.config(cli, "run")
        let options = c["options"] as! [String: Any]
        #expect((options["spectrogram"] as! [String: Any])["frames"] as? Int == 48)
        #expect((options["recipe"] as! [String: Any])["name"] as? String == "default")
        let window = c["window"] as! [String: Any]
        #expect(window["frames"] as? Int == 48 && window["covered"] as? Double == 1)
        #expect(options["batchSize"] as? Int == 8, "the default recipe's batch size")
        // A resumed run keeps its window, and says so in the config it rewrites.
        let resumed = try cli.run(["--resume", "run", "--epochs", "2", "--no-ui", "--threads", "1"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        let after = try Self.config(cli, "run")
        #expect((after["window"] as? [String: Any])?["frames"] as? Int == 48)
        #expect(((after["options"] as! [String: Any])["spectrogram"] as! [String: Any])["frames"] as? Int == 48)
    }

    /// The seed's recipe keeps the seed's 512 frames; an explicit --frames wins over the fitted window.
    @Test func seedRecipeAndFramesKeepTheirWindow() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        var r = try cli.run(["data", "--no-ui", "--out", "seed", "--recipe", "seed"] + Self.small)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("recipe seed (the original script's recipe)") && !r.stdout.contains("window "))
        var c = try Self.config(cli, "seed")
        #expect(((c["options"] as! [String: Any])["spectrogram"] as! [String: Any])["frames"] as? Int == 512)
        #expect((c["options"] as! [String: Any])["batchSize"] as? Int == 16, "the seed's batch size")
        #expect(c["window"] == nil)
        r = try cli.run(["data", "--no-ui", "--out", "fixed", "--frames", "32", "--batch-size", "4"] + Self.small)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        c = try Self.config(cli, "fixed")
        #expect(((c["options"] as! [String: Any])["spectrogram"] as! [String: Any])["frames"] as? Int == 32)
        #expect((c["options"] as! [String: Any])["batchSize"] as? Int == 4, "--batch-size wins over the recipe's")
        #expect(c["window"] == nil)
    }

    @Test func badRecipesAreClearErrors() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset()
        var r = try cli.run(["data", "--no-ui", "--out", "x", "--recipe", "fancy"] + Self.small)
        #expect(r.status == 2 && r.stderr.contains("--recipe: 'fancy' is neither seed, default nor a readable recipe file"), "stderr: \(r.stderr)")
        try Data(#"{"power_floor": 0}"#.utf8).write(to: cli.path("bad.json"))
        r = try cli.run(["data", "--no-ui", "--out", "y", "--recipe", cli.path("bad.json").path] + Self.small)
        #expect(r.status == 2 && r.stderr.contains("power_floor must be in [1e-8, 1]"), "stderr: \(r.stderr)")
    }
}
