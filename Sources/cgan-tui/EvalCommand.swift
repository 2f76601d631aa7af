import ArgumentParser
import Foundation
import GAN
import Quality
import Support

/// `cgan-tui eval RUN_OR_CHECKPOINT`: how well a checkpoint's generator does its classes. A
/// classifier is fitted on the run's real clips (read with the checkpoint's transform), the
/// generator makes `--count` spectrograms per class from the run's probe latents (the first 16
/// are those training scored each epoch), and the table gives per class the fidelity, the
/// classifier's ceiling and the diversity, then the overall fidelity and the Fréchet distance.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a checkpoint: per-class fidelity against a classifier of the real clips, diversity, Fréchet distance.",
        discussion: """
        Example:
          cgan-tui eval runs/drums/checkpoints/best.safetensors --count 16 --json
        """)

    @Argument(help: "A run folder (its checkpoints/latest.safetensors) or a checkpoint file, e.g. RUN/checkpoints/best.safetensors")
    var checkpoint: String
    @Option(help: ArgumentHelp("The dataset folder (default: the one in the run's config.json)", valueName: "dir"))
    var dataset: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Generated spectrograms per class", valueName: "n"))
    var count: Int = 20
    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads (default: one per core)", valueName: "n"))
    var threads: Int?
    @Flag(help: "Print one JSON object instead of the table")
    var json = false

    /// What `--json` prints.
    struct Result: Encodable {
        var checkpoint: String
        var epoch: Int
        var step: Int
        var dataset: String
        var realClips: Int
        var quality: QualityReport
        var selectionScore: Double

        enum CodingKeys: String, CodingKey {
            case checkpoint, epoch, step, dataset, realClips = "real_clips", quality, selectionScore = "selection_score"
        }
    }

    func run() throws {
        try reportingUserErrors { try evaluate() }
    }

    func evaluate() throws {
        try require((2 ... 10_000).contains(count), "--count must be between 2 and 10000 (got \(count)): diversity needs two clips")
        try ComputeThreads.check(threads)
        let input = try CheckpointInput(checkpoint)
        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let (model, meta) = try ConditionalGAN.load(from: input.url, settings: ComputeThreads.settings(threads: threads))
        let datasetURL = try datasetFolder(input)
        let data = try TrainCommand.loadDataset(datasetURL, config: CheckpointInput.spectrogramConfig(meta), threads: threads,
                                                interactive: isatty(STDERR_FILENO) != 0)
        guard data.classes == meta.classNames else {
            throw UserError("the dataset's classes [\(data.classes.joined(separator: ", "))] do not match the checkpoint's [\(meta.classNames.joined(separator: ", "))]; pass the dataset it was trained on with --dataset")
        }

        var clock = DispatchTime.now()
        func lap() -> Double {
            let now = DispatchTime.now()
            defer { clock = now }
            return Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e6
        }
        let evaluator = QualityEvaluator(spectrograms: data.spectrograms, labels: data.labels, classNames: data.classes,
                                         nMels: meta.nMels, frames: meta.frames, seed: meta.seed)
        let fitMs = lap()
        let probe = QualityProbe(seed: meta.seed, classes: data.classes.count, perClass: count, latentDim: meta.latentDim)
        let generated = probe.generate(size: meta.nMels * meta.frames) { model.generate(labels: $0, z: $1) }
        let generateMs = lap()
        let report = evaluator.score(generated, labels: probe.labels)
        let scoreMs = lap()

        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let result = Result(checkpoint: input.url.path, epoch: meta.epoch, step: meta.step, dataset: datasetURL.path,
                                realClips: data.spectrograms.count, quality: report, selectionScore: report.selectionScore)
            say(String(decoding: try enc.encode(result), as: UTF8.self))
            return
        }
        say("cgan-tui: \(input.url.path): epoch \(meta.epoch), step \(meta.step)")
        say(String(format: "cgan-tui: classifier fitted on %@ of %@ in %.0f ms; %d generated per class in %.0f ms, scored in %.0f ms",
                   counted(data.spectrograms.count, "real clip") as NSString, datasetURL.path, fitMs, count, generateMs, scoreMs))
        for line in Self.table(report) { say(line) }
    }

    /// The run's dataset: `--dataset`, else the one its config.json names.
    func datasetFolder(_ input: CheckpointInput) throws -> URL {
        if let dataset { return URL(fileURLWithPath: dataset) }
        guard let run = input.runFolder, FileManager.default.fileExists(atPath: RunLayout(root: run).config.path) else {
            throw UserError("\(checkpoint) is not in a run folder with a config.json naming its dataset; pass --dataset DIR")
        }
        let config = try RunConfig.read(RunLayout(root: run).config)
        guard FileManager.default.fileExists(atPath: config.dataset) else {
            throw UserError("the run's dataset \(config.dataset) (from its config.json) does not exist; pass --dataset DIR")
        }
        return URL(fileURLWithPath: config.dataset)
    }

    /// class / fidelity / ceiling / diversity per class, then overall, then the distance.
    static func table(_ r: QualityReport) -> [String] {
        func num(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
        let width = max(7, r.classNames.map(\.count).max() ?? 0)
        func row(_ name: String, _ cells: [String], _ note: String = "") -> String {
            name.padding(toLength: width, withPad: " ", startingAt: 0)
                + cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined() + note
        }
        var lines = [row("class", ["fidelity", "ceiling", "diversity"])]
        for k in r.classNames.indices {
            lines.append(row(r.classNames[k], [num(r.classFidelity[k]), num(r.classCeiling[k]), num(r.classDiversity[k])],
                             r.collapsed[k] ? "  collapsed" : ""))
        }
        lines.append(row("overall", [num(r.fidelity), num(r.ceiling), num(r.diversity)]))
        lines.append(String(format: "Fréchet distance %.3f (generated vs real features, 0 = the same distribution)", r.frechet))
        return lines
    }
}
