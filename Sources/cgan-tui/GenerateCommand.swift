import ArgumentParser
import Audio
import Foundation
import GAN
import Support

/// `cgan-tui generate CHECKPOINT [--out DIR]`: clips from a trained generator in evaluation
/// mode (running BatchNorm statistics), as the original script generates them. Clip k of
/// every class uses the same latent row k, so the classes can be compared side by side.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate clips from a checkpoint: DIR/<class>_<k>.wav (and .npy spectrograms with --spectrograms).",
        discussion: """
        DIR defaults to generated/ in the checkpoint's run folder (generated/ in the current \
        folder for a checkpoint outside a run); files of the same names there are replaced.

        Example:
          cgan-tui generate runs/drums --class kick --count 4
        """)

    @Argument(help: "A checkpoint (.safetensors) written by training, or a run folder")
    var checkpoint: String

    @Option(name: .customLong("class"), help: ArgumentHelp("A class to generate, repeat for several (default: every class)", valueName: "name"))
    var classes: [String] = []
    @Flag(help: "Generate every class (the default when no --class is given)")
    var all = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Clips per class (default: 8, or the row count of --latent)", valueName: "n"))
    var count: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Seed for the latent vectors (default: 0)", valueName: "n"))
    var seed: Int?
    @Option(help: ArgumentHelp("float32 .npy of shape [count, latent_dim] to use as the latent vectors", valueName: "file"))
    var latent: String?
    @Flag(name: .customLong("spectrograms"), help: "Also write each log-mel spectrogram as DIR/<class>_<k>.npy (float32, [n_mels, frames])")
    var writeSpectrograms = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Griffin-Lim iterations", valueName: "n"))
    var iterations: Int = 32
    @Option(help: ArgumentHelp("Output folder, created if needed (default: RUN/generated)", valueName: "dir"))
    var out: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Clamp generated log1p(mel power) at x (default: the checkpoint's value_ceiling, the training clips' largest; none in older checkpoints)", valueName: "x"))
    var valueCeiling: Float?

    func run() throws {
        try reportingUserErrors { try generate() }
    }

    func generate() throws {
        if let count { try require((1 ... 10_000).contains(count), "--count must be between 1 and 10000 (got \(count))") }
        if let seed { try require(seed >= 0, "--seed must be 0 or more (got \(seed))") }
        try require((1 ... 10_000).contains(iterations), "--iterations must be between 1 and 10000 (got \(iterations))")
        try require(!(all && !classes.isEmpty), "give either --class NAME ... or --all, not both")
        if let out { try require(!out.isEmpty, "--out must not be empty") }
        if let valueCeiling { try require(valueCeiling.isFinite && valueCeiling >= 0, "--value-ceiling must be 0 or more (got \(valueCeiling))") }

        let input = try CheckpointInput(checkpoint)
        let (model, meta) = try ConditionalGAN.load(from: input.url, settings: ComputeThreads.settings(threads: 0))
        if let valueCeiling { model.valueCeiling = valueCeiling }

        var chosen: [Int] = []
        if classes.isEmpty {
            chosen = Array(meta.classNames.indices)
        } else {
            for name in classes {
                guard let i = meta.classNames.firstIndex(of: name) else {
                    throw UserError("no class '\(name)' in the checkpoint; it has: \(meta.classNames.joined(separator: ", "))")
                }
                if !chosen.contains(i) { chosen.append(i) }
            }
        }

        let d = meta.latentDim
        let z: [Float]
        let n: Int
        if let latent {
            let array = try NPY.read(URL(fileURLWithPath: latent))
            guard array.shape.count == 2, array.shape[1] == d, array.shape[0] >= 1 else {
                throw UserError("--latent \(latent) has shape \(array.shape); expected [count, \(d)]")
            }
            if let count, count != array.shape[0] {
                throw UserError("--count \(count) does not match the \(counted(array.shape[0], "row")) of --latent")
            }
            guard array.values.allSatisfy(\.isFinite) else { throw UserError("--latent \(latent) holds NaN or infinite values") }
            n = array.shape[0]; z = array.values
        } else {
            n = count ?? 8
            var rng = SplitMix64(seed: UInt64(seed ?? 0))
            z = rng.normals(n * d)
        }

        let dir = out.map { URL(fileURLWithPath: $0) }
            ?? (input.runFolder ?? URL(fileURLWithPath: ".")).appendingPathComponent("generated")
        let out = out ?? dir.relativePath
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw UserError("cannot create output folder \(out): \(RunLayout.reason(error))")
        }
        guard access(dir.path, W_OK) == 0 else { throw UserError("output folder \(out) is not writable") }

        let synth = Synthesizer(config: CheckpointInput.spectrogramConfig(meta), isa: BLASKernels.level)
        let size = meta.nMels * meta.frames
        var written = 0
        // Batches of at most 16: memory stays bounded for any --count, and in evaluation mode
        // a clip does not depend on the others in its batch.
        let chunk = 16
        for c in chosen {
            let name = RunLayout.fileSafe(meta.classNames[c])
            for start in stride(from: 0, to: n, by: chunk) {
                let m = min(chunk, n - start)
                let spectrograms = model.generate(labels: [Int](repeating: c, count: m),
                                                  z: Array(z[start * d ..< (start + m) * d]))
                for j in 0 ..< m {
                    let k = start + j
                    let logMel = Array(spectrograms[j * size ..< (j + 1) * size])
                    let wave = synth.waveform(logMel: logMel, iterations: iterations, seed: UInt64(k))
                    try AudioIO.writeWAV(wave, sampleRate: meta.sampleRate, to: dir.appendingPathComponent("\(name)_\(k).wav"))
                    if writeSpectrograms {
                        try NPY.write(NPY.Array(shape: [meta.nMels, meta.frames], values: logMel),
                                      to: dir.appendingPathComponent("\(name)_\(k).npy"))
                    }
                    written += 1
                }
            }
        }
        say("cgan-tui: wrote \(counted(written, "clip")) (\(counted(chosen.count, "class")) x \(n)) to \(dir.path) from epoch \(meta.epoch), step \(meta.step)")
    }
}
