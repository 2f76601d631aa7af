import Foundation
import Support
import Testing

/// `cgan-tui generate`: files named <class>_<k>, .npy spectrograms of the model's shape, the
/// run's generated/ folder by default, a user latent reproduces clips exactly, bad arguments
/// are clear errors.
@Suite struct GenerateCommandTests {
    func trained() throws -> CLI {
        let cli = try CLI()
        _ = try cli.makeDataset(classes: ["low", "noise", "sweep"], clipsPerClass: 3)
        let r = try cli.run(["data", "--no-ui", "--epochs", "1", "--out", "run"] + CLI.tiny)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return cli
    }

    @Test func generatesChosenClassesWithSpectrograms() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        let r = try cli.run(["generate", "run/checkpoints/latest.safetensors", "--class", "noise", "--class", "low",
                             "--count", "2", "--spectrograms", "--iterations", "4", "--out", "gen"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: cli.path("gen").path).sorted()
        #expect(names == ["low_0.npy", "low_0.wav", "low_1.npy", "low_1.wav", "noise_0.npy", "noise_0.wav", "noise_1.npy", "noise_1.wav"])
        let spec = try NPY.read(cli.path("gen/low_0.npy"))
        #expect(spec.shape == [16, 32])
        // The generator ends in ReLU: log-mel values are finite and never negative.
        #expect(spec.values.allSatisfy { $0.isFinite && $0 >= 0 })
        let wav = try Data(contentsOf: cli.path("gen/noise_1.wav"))
        #expect(wav.prefix(4) == Data("RIFF".utf8) && wav.count > 44)
    }

    @Test func allClassesFromARunFolder() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        let r = try cli.run(["generate", "run", "--all", "--count", "1", "--iterations", "2", "--out", "gen"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: cli.path("gen").path).sorted()
        #expect(names == ["low_0.wav", "noise_0.wav", "sweep_0.wav"])
    }

    /// The same latent file gives the same spectrograms (evaluation mode: no batch statistics,
    /// so a clip does not depend on what else is in the batch); --seed changes them.
    @Test func latentFileReproducesClips() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        var rng = SplitMix64(seed: 99)
        try NPY.write(NPY.Array(shape: [3, 8], values: rng.normals(24)), to: cli.path("z.npy"))
        for out in ["g1", "g2"] {
            let r = try cli.run(["generate", "run", "--class", "sweep", "--latent", "z.npy", "--spectrograms", "--iterations", "2", "--out", out])
            #expect(r.status == 0, "stderr: \(r.stderr)")
        }
        let first = try NPY.read(cli.path("g1/sweep_2.npy"))
        #expect(first == (try NPY.read(cli.path("g2/sweep_2.npy"))))
        #expect(!FileManager.default.fileExists(atPath: cli.path("g1/sweep_3.npy").path), "3 latent rows, 3 clips")
        // Row 0 alone in a batch of 1 gives the same spectrogram as row 0 in a batch of 3.
        try NPY.write(NPY.Array(shape: [1, 8], values: Array(try NPY.read(cli.path("z.npy")).values.prefix(8))), to: cli.path("z1.npy"))
        #expect(try cli.run(["generate", "run", "--class", "sweep", "--latent", "z1.npy", "--spectrograms", "--iterations", "2", "--out", "g3"]).status == 0)
        #expect(try NPY.read(cli.path("g3/sweep_0.npy")) == (try NPY.read(cli.path("g1/sweep_0.npy"))))
    }

    /// More clips than one generator batch (16): every index is written once.
    @Test func manyClipsAcrossBatches() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        let r = try cli.run(["generate", "run", "--class", "low", "--count", "18", "--iterations", "1", "--out", "gen"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: cli.path("gen").path))
        #expect(names == Set((0 ..< 18).map { "low_\($0).wav" }))
    }

    /// Without --out the clips go to the run's generated/ folder, and the line says so.
    @Test func defaultOutputFolderIsInTheRun() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        let r = try cli.run(["generate", "run/checkpoints/latest.safetensors", "--class", "low", "--count", "1", "--iterations", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("run/generated/low_0.wav").path))
        #expect(r.stdout.contains("wrote 1 clip (1 class x 1) to ") && r.stdout.contains("run/generated"), "stdout: \(r.stdout)")
        // A checkpoint outside a run folder: generated/ in the current folder.
        try FileManager.default.copyItem(at: cli.path("run/checkpoints/latest.safetensors"), to: cli.path("loose.safetensors"))
        #expect(try cli.run(["generate", "loose.safetensors", "--count", "1", "--iterations", "1"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.path("generated/sweep_0.wav").path))
    }

    @Test func badArguments() throws {
        let cli = try trained(); defer { cli.cleanUp() }
        try NPY.write(NPY.Array(shape: [2, 5], values: [Float](repeating: 0, count: 10)), to: cli.path("wrong.npy"))
        let cases: [([String], String)] = [
            (["generate", "run", "--class", "nope", "--out", "gen"], "nope"),
            (["generate", "run", "--latent", "wrong.npy", "--out", "gen"], "[2, 5]"),
            (["generate", "run", "--latent", "missing.npy", "--out", "gen"], "missing.npy"),
            (["generate", "run", "--count", "0", "--out", "gen"], "--count"),
            (["generate", "run", "--count", "-4", "--out", "gen"], "--count"),
            (["generate", "run", "--iterations", "0", "--out", "gen"], "--iterations"),
            (["generate", "run", "--all", "--class", "low", "--out", "gen"], "--all"),
            (["generate", "nothing-here.safetensors", "--out", "gen"], "nothing-here"),
            (["generate", "run", "--out", "run/config.json/x"], "run/config.json/x"),
        ]
        for (args, needle) in cases {
            let r = try cli.run(args)
            #expect(r.status == 2, "\(args): status \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("cgan-tui: ") && r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.path("gen/low_0.wav").path))
    }
}
