import ArgumentParser
import Foundation
import GAN
import Support

/// `cgan-tui export RUN --pytorch DIR`: a self-contained folder that continues the run in
/// PyTorch (`torchrun --standalone --nproc_per_node=N train.py --epochs E`) and that `cgan-tui --resume DIR`
/// continues afterwards: the run's config.json, metrics.csv and latest checkpoint as they are,
/// the training spectrograms as `.npy` shards and train.py (`PyTorchExport`).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run as a folder that PyTorch continues (train.py, DDP over GPUs or CPUs) and cgan-tui resumes.",
        discussion: """
        Example:
          cgan-tui export runs/drums --pytorch gpu-run
          cd gpu-run && torchrun --standalone --nproc_per_node=4 train.py --epochs 400
          cgan-tui --resume gpu-run          # back on this machine: dashboard, generate, eval, more epochs
        """)

    @Argument(help: "The run folder (its config.json and checkpoints/latest.safetensors)")
    var runFolder: String
    @Option(help: ArgumentHelp("The folder to write (new or empty)", valueName: "dir"))
    var pytorch: String
    @Option(help: ArgumentHelp("The dataset folder (default: the one in the run's config.json)", valueName: "dir"))
    var dataset: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Threads for reading the clips (default: one per core)", valueName: "n"))
    var threads: Int?

    func run() throws {
        try reportingUserErrors { try export() }
    }

    func export() throws {
        try ComputeThreads.check(threads)
        let source = RunLayout(root: URL(fileURLWithPath: runFolder))
        let fm = FileManager.default
        try require(fm.fileExists(atPath: source.latestCheckpoint.path),
                    "\(runFolder) is not a run folder with a checkpoints/latest.safetensors to export")
        let config = try RunConfig.read(source.config)
        let (model, meta) = try ConditionalGAN.load(from: source.latestCheckpoint)
        // PyTorch continues Adam where it stopped: a file without the moments would restart it.
        try require(meta.step == 0 || model.step == meta.step,
                    "\(source.latestCheckpoint.path) holds weights but no optimizer state; export a run whose latest checkpoint has it")
        let target = URL(fileURLWithPath: pytorch)
        if let entries = try? fm.contentsOfDirectory(atPath: target.path) {
            try require(entries.isEmpty, "--pytorch \(pytorch) is not empty; choose a new folder")
        }

        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let datasetURL = URL(fileURLWithPath: dataset ?? config.dataset)
        try require(fm.fileExists(atPath: datasetURL.path),
                    "the run's dataset \(datasetURL.path) does not exist; pass --dataset DIR")
        let data = try TrainCommand.loadDataset(datasetURL, config: CheckpointInput.spectrogramConfig(meta), threads: threads,
                                                interactive: isatty(STDERR_FILENO) != 0)
        try require(data.classes == meta.classNames,
                    "the dataset's classes [\(data.classes.joined(separator: ", "))] do not match the checkpoint's [\(meta.classNames.joined(separator: ", "))]; pass the dataset it was trained on with --dataset")

        let layout = RunLayout(root: target)
        do { try fm.createDirectory(at: layout.checkpoints, withIntermediateDirectories: true) } catch {
            throw UserError("cannot create \(layout.checkpoints.path): \(RunLayout.reason(error))")
        }
        // Written again from the model it loaded into (checked, and no larger than the model).
        try model.save(to: layout.latestCheckpoint, metadata: meta)
        try config.write(to: layout.config)
        let metrics = (try? Data(contentsOf: source.metrics)) ?? Data((PyTorchExport.metricsHeader(classes: meta.classNames) + "\n").utf8)
        try AtomicFile.write(metrics, to: layout.metrics)
        let shards = try PyTorchExport.writeShards(data, recipe: model.recipe, to: target)
        let script = target.appendingPathComponent("train.py")
        try AtomicFile.write(Data((PyTorchExport.trainScript + "\n").utf8), to: script)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)

        let q = shellQuoted(target.path)
        say("cgan-tui: exported \(runFolder) (epoch \(meta.epoch), step \(meta.step), recipe \(model.recipe.name)) to \(target.path): "
            + "\(counted(data.spectrograms.count, "clip")) in \(counted(shards, "shard")), train.py, config.json, metrics.csv, checkpoints/latest.safetensors")
        say("cgan-tui: continue in PyTorch: cd \(q) && torchrun --standalone --nproc_per_node=N train.py --epochs E   (N GPUs, or N CPU processes)")
        say("cgan-tui: come back: cgan-tui --resume \(q)")
    }
}
