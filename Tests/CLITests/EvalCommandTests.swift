import Foundation
import Testing

/// `cgan-tui eval`: a run trained on the demo dataset scored as a table and as JSON, the same
/// scores as training recorded for that epoch, and clear errors for a missing dataset, a
/// class list that does not match and bad arguments.
@Suite struct EvalCommandTests {
    static let demo = CLI.repoRoot.appendingPathComponent("assets/demo").path

    /// One epoch on the demo at tiny shapes (80 clips, 10 steps).
    func trainedOnTheDemo() throws -> CLI {
        let cli = try CLI()
        let r = try cli.run([Self.demo, "--no-ui", "--epochs", "1", "--batch-size", "8", "--n-mels", "16", "--frames", "32",
                             "--latent-dim", "8", "--threads", "1", "--out", "run"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return cli
    }

    @Test func tableForARunFolder() throws {
        let cli = try trainedOnTheDemo(); defer { cli.cleanUp() }
        let r = try cli.run(["eval", "run", "--count", "4", "--threads", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("run/checkpoints/latest.safetensors: epoch 1, step 10") }, "\(r.stdout)")
        #expect(lines.contains { $0.contains("classifier fitted on 80 real clips of \(Self.demo)") }, "\(r.stdout)")
        let header = try #require(lines.firstIndex { $0.hasPrefix("class ") })
        #expect(lines[header].split(separator: " ") == ["class", "fidelity", "ceiling", "diversity"])
        let rows = lines[(header + 1)...].prefix(5).map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { $0[0] } == ["chirp", "hat", "kick", "snare", "overall"])
        for row in rows {
            #expect(Double(row[1]).map { (0 ... 1).contains($0) } == true && Double(row[2]) != nil, "\(row)")
        }
        #expect(lines.last?.hasPrefix("Fréchet distance ") == true, "\(r.stdout)")
    }

    /// `--json` on best.safetensors; with 16 per class and the training's thread count, eval
    /// draws the probe set training scored at the epoch end, so it prints the same numbers
    /// that metrics.csv recorded for epoch 1.
    @Test func jsonReproducesTheTrainingScores() throws {
        let cli = try trainedOnTheDemo(); defer { cli.cleanUp() }
        let r = try cli.run(["eval", "run/checkpoints/best.safetensors", "--json", "--count", "16", "--threads", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 1, "one object: \(r.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["epoch"] as? Int == 1 && object["real_clips"] as? Int == 80)
        #expect((object["checkpoint"] as? String)?.hasSuffix("run/checkpoints/best.safetensors") == true)
        let q = try #require(object["quality"] as? [String: Any])
        #expect(q["classes"] as? [String] == ["chirp", "hat", "kick", "snare"])
        #expect(q["samples_per_class"] as? [Int] == [16, 16, 16, 16])

        let csv = try String(contentsOf: cli.path("run/metrics.csv"), encoding: .utf8).split(separator: "\n")
        let columns = csv[0].split(separator: ",").map(String.init)
        let last = csv.last!.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func recorded(_ name: String) -> String { last[columns.firstIndex(of: name)!] }
        #expect(String(format: "%.4f", q["fidelity"] as! Double) == recorded("fidelity"))
        #expect(String(format: "%.4f", q["frechet"] as! Double) == recorded("frechet"))
        let perClass = (q["class_fidelity"] as! [Double]).map { String(format: "%.4f", $0) }
        #expect(perClass == ["chirp", "hat", "kick", "snare"].map { recorded("fidelity_\($0)") })
    }

    @Test func clearErrors() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset(classes: ["low", "noise"], clipsPerClass: 3)
        #expect(try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny).status == 0)
        _ = try cli.makeDataset("other", classes: ["low", "noise", "sweep"], clipsPerClass: 2)
        try FileManager.default.copyItem(at: cli.path("run/checkpoints/best.safetensors"), to: cli.path("loose.safetensors"))
        let cases: [([String], String)] = [
            (["eval", "run", "--dataset", "other"], "do not match"),
            (["eval", "run", "--dataset", "missing"], "missing"),
            (["eval", "loose.safetensors"], "--dataset"),
            (["eval", "run", "--count", "1"], "--count"),
            (["eval", "nothing.safetensors"], "nothing.safetensors"),
        ]
        for (args, needle) in cases {
            let r = try cli.run(args)
            #expect(r.status == 2, "\(args): status \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("cgan-tui: ") && r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        // The dataset moved since training: config.json names a folder that is gone.
        try FileManager.default.moveItem(at: cli.path("data"), to: cli.path("moved"))
        let gone = try cli.run(["eval", "run"])
        #expect(gone.status == 2 && gone.stderr.contains("does not exist") && gone.stderr.contains("--dataset"), "\(gone.stderr)")
        let found = try cli.run(["eval", "run", "--dataset", "moved", "--count", "2"])
        #expect(found.status == 0, "\(found.stderr)")
    }
}
