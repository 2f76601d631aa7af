import Foundation
import Testing

/// `cgan-tui` with no DATASET trains on the demo dataset that ships with the repository, found
/// above the executable even when run from another folder, with the demo's own settings.
@Suite struct DemoDefaultTests {
    @Test func noDatasetTrainsOnTheShippedDemo() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        // The scratch folder has no assets/: the demo must be found from the executable's path.
        let r = try cli.run(["--no-ui", "--epochs", "1", "--threads", "1", "--out", "run"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("demo dataset") && r.stderr.contains("next to the executable"), "stderr: \(r.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: cli.path("run/config.json"))) as! [String: Any]
        #expect((config["dataset"] as? String)?.hasSuffix("assets/demo") == true)
        #expect(config["classes"] as? [String] == ["chirp", "hat", "kick", "snare"])
        let options = config["options"] as! [String: Any]
        let spectrogram = options["spectrogram"] as! [String: Any]
        #expect(spectrogram["frames"] as? Int == 64 && spectrogram["nMels"] as? Int == 64)
        #expect(options["batchSize"] as? Int == 8)
        // 80 clips at batch 8: 10 steps in the one epoch.
        #expect(try CLI.lossRows(cli.path("run/metrics.csv")).count == 10)
        // The demo's options can still be overridden one by one.
        let r2 = try cli.run(["--no-ui", "--epochs", "1", "--frames", "32", "--threads", "1", "--out", "run2"])
        #expect(r2.status == 0)
        let c2 = try String(contentsOf: cli.path("run2/config.json"), encoding: .utf8)
        #expect(c2.contains("\"frames\" : 32") && c2.contains("\"nMels\" : 64"))
    }

    /// A binary copied away from the checkout (no assets/ above it, none in the current
    /// folder) still finds the demo in the checkout it was built from, and says so.
    @Test func copiedBinaryFindsTheCheckoutItWasBuiltFrom() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let copy = cli.path("bin/cgan-tui")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.binary, to: copy)
        let r = try cli.run(["--no-ui", "--epochs", "1", "--n-mels", "16", "--frames", "32", "--threads", "1", "--out", "run"], executable: copy)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("in the checkout the executable was built from"), "stderr: \(r.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: cli.path("run/config.json"))) as! [String: Any]
        #expect(config["dataset"] as? String == CLI.repoRoot.appendingPathComponent("assets/demo").path)
    }

    @Test func demoFolderFromTheEnvironmentMustExist() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let (p, out, err) = cli.makeProcess(["--no-ui", "--epochs", "1", "--out", "run"])
        p.environment!["CGAN_TUI_DEMO"] = cli.path("nowhere").path
        try p.run()
        p.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 2)
        #expect(stderr.hasPrefix("cgan-tui: ") && stderr.contains("CGAN_TUI_DEMO"), "stderr: \(stderr)")
    }

    /// The demo dataset stays within its budget: at most 3 MB, 3-5 classes, a licence note.
    @Test func demoAssetsStayWithinBudget() throws {
        let demo = CLI.repoRoot.appendingPathComponent("assets/demo")
        let fm = FileManager.default
        let classes = try fm.contentsOfDirectory(atPath: demo.path).filter { !$0.contains(".") }.sorted()
        #expect((3 ... 5).contains(classes.count))
        var bytes = 0
        for c in classes {
            let files = try fm.contentsOfDirectory(atPath: demo.appendingPathComponent(c).path)
            #expect(files.count >= 16)
            for f in files { bytes += (try fm.attributesOfItem(atPath: demo.appendingPathComponent("\(c)/\(f)").path)[.size] as! Int) }
        }
        #expect(bytes <= 3_000_000)
        let readme = try String(contentsOf: demo.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("Licence") && readme.contains("make_demo.py"))
    }
}
