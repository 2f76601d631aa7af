import Foundation
import Support
import Testing

/// What a newcomer meets first: the top-level help leads with training, a misspelt subcommand
/// gets a suggestion, --version, one spelling and one way of writing defaults across commands,
/// counts in the singular when there is one.
@Suite struct CommandLineTests {
    static let subcommands = ["train", "mel", "invert", "generate", "eval", "export", "bench", "bench audio", "bench train", "bench fft"]

    @Test func topLevelHelpShowsTrainingSubcommandsAndExamples() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        for flag in ["--help", "-h", "help"] {
            let r = try cli.run([flag])
            #expect(r.status == 0, "\(flag): \(r.stderr)")
            let text = r.stdout
            #expect(text.contains("USAGE: cgan-tui [<dataset>] [<options>]"), "\(flag):\n\(text)")
            // The training options, in their groups, in this order.
            let titles = ["DATA:", "MODEL & RECIPE:", "TRAINING:", "OUTPUT:", "DASHBOARD & AUDIO:", "SUBCOMMANDS:", "EXAMPLES:"]
            let positions = titles.map { text.range(of: $0)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil }, "\(flag): missing one of \(titles):\n\(text)")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "\(flag): sections out of order")
            for option in ["--epochs", "--batch-size", "--recipe", "--out", "--resume", "--audio-device", "--no-ui"] {
                #expect(text.contains(option), "\(flag): no \(option)")
            }
            for name in ["generate", "eval", "mel", "invert", "bench"] { #expect(text.contains("  \(name) "), "\(flag): no \(name)") }
            #expect(text.contains("cgan-tui generate runs/"), "\(flag): no generate example")
        }
    }

    @Test func misspeltSubcommandGetsASuggestion() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let cases: [([String], String)] = [
            (["generat", "x"], "did you mean 'cgan-tui generate'?"),
            (["evl"], "did you mean 'cgan-tui eval'?"),
            (["trian", "--epochs", "3"], "did you mean 'cgan-tui train'?"),
            (["bench", "trian"], "did you mean 'cgan-tui bench train'?"),
        ]
        for (args, needle) in cases {
            let r = try cli.run(args)
            #expect(r.status == 2, "\(args): status \(r.status)")
            #expect(r.stderr.hasPrefix("cgan-tui: ") && r.stderr.contains(needle), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): one line, got \(r.stderr)")
        }
        // A word far from every subcommand is a dataset folder that does not exist.
        let far = try cli.run(["no-such-dataset", "--no-ui"])
        #expect(far.status == 2 && !far.stderr.contains("did you mean") && far.stderr.contains("no-such-dataset"), "\(far.stderr)")
        // A folder that exists is a dataset even when its name is close to a subcommand.
        try FileManager.default.createDirectory(at: cli.path("mels"), withIntermediateDirectories: true)
        let folder = try cli.run(["mels", "--no-ui"])
        #expect(folder.status == 2 && !folder.stderr.contains("did you mean"), "\(folder.stderr)")
    }

    @Test func versionIsPrintedAndRecordedInTheRun() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        let r = try cli.run(["--version"])
        #expect(r.status == 0)
        let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "--version printed \(r.stdout)")
        #expect(version == CGANVersion.string)
        _ = try cli.makeDataset()
        let t = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(t.status == 0, "stderr: \(t.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: cli.path("run/config.json"))) as! [String: Any]
        #expect(config["version"] as? String == version)
    }

    /// Every command's help: defaults written "(default: X)" and each at most once per option,
    /// an example, no "seed's" wording a reader takes for --seed.
    @Test func helpTextsAgree() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        for command in Self.subcommands {
            let r = try cli.run(["help"] + command.split(separator: " ").map(String.init))
            #expect(r.status == 0, "\(command): \(r.stderr)")
            let text = r.stdout
            #expect(text.contains("Example"), "help \(command) has no example:\n\(text)")
            #expect(!text.contains("(default ") && !text.contains("default 1") && !text.contains("; demo:"),
                    "help \(command) writes a default another way:\n\(text)")
            #expect(!text.contains("seed's"), "help \(command) says seed's:\n\(text)")
            // One option's text, joined across its wrapped lines, names its default once.
            for option in text.components(separatedBy: "\n  -").dropFirst() {
                let entry = option.components(separatedBy: "\n\n")[0]
                #expect(entry.components(separatedBy: "(default").count <= 2, "help \(command): default twice in -\(entry)")
            }
        }
        let generate = try cli.run(["help", "generate"]).stdout
        #expect(generate.contains("--spectrograms") && !generate.contains("--npy"))
        let bench = try cli.run(["help", "bench", "train"]).stdout
        #expect(bench.contains("--batch-size") && !bench.contains("--batch "))
    }

    /// mel writes what it is asked for: a PNG alone needs no .npy, and asking for nothing is an error.
    @Test func melWritesOnlyWhatIsAsked() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        try CLI.wav(CLI.clip(kind: 0, variant: 0)).write(to: cli.path("tone.wav"))
        let png = try cli.run(["mel", "tone.wav", "--png", "tone.png", "--frames", "32", "--n-mels", "16"])
        #expect(png.status == 0, "stderr: \(png.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: cli.dir.path).filter { $0.hasPrefix("tone") }.sorted()
        #expect(files == ["tone.png", "tone.wav"])
        let npy = try cli.run(["mel", "tone.wav", "--npy", "tone.npy", "--frames", "32", "--n-mels", "16"])
        #expect(npy.status == 0)
        #expect(try NPY.read(cli.path("tone.npy")).shape == [16, 32])
        let nothing = try cli.run(["mel", "tone.wav"])
        #expect(nothing.status == 2 && nothing.stderr.contains("--npy") && nothing.stderr.contains("--png"), "\(nothing.stderr)")
    }

    /// One class, two clips, batch 4: one step per epoch, one epoch; every count agrees with its noun.
    @Test func countsOfOneAreSingular() throws {
        let cli = try CLI(); defer { cli.cleanUp() }
        _ = try cli.makeDataset(classes: ["tone"], clipsPerClass: 2)
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let out = r.stdout + r.stderr
        #expect(out.contains("cgan-tui: 1 class (tone 2), 2 clips,"), "\(out)")
        #expect(out.contains("training 1 class, 2 clips, 1 step per epoch"), "\(out)")
        #expect(out.contains("done: 1 epoch, step 1"), "\(out)")
        for wrong in ["1 classes", "1 clips", "1 steps", "1 epochs"] { #expect(!out.contains(wrong), "\(wrong) in:\n\(out)") }
        let g = try cli.run(["generate", "run", "--count", "1", "--iterations", "1"])
        #expect(g.stdout.contains("wrote 1 clip (1 class x 1)"), "\(g.stdout)")
    }
}
