import ArgumentParser
import Audio
import Dashboard
import Foundation
import GAN
import Support

/// `cgan-tui listen RUN_OR_CHECKPOINT`: the dashboard as a player of one checkpoint (the
/// epoch a user kept, best.safetensors, latest), with the dataset's real clips beside it.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Open the dashboard as a player of a checkpoint: play each class, real clips, A/B.",
        discussion: """
            Examples:
              cgan-tui listen runs/mine                                    # its checkpoints/latest.safetensors
              cgan-tui listen runs/mine/checkpoints/best.safetensors
              cgan-tui listen some.safetensors --dataset path/to/dataset   # real clips from here
            """)

    @Argument(help: "A checkpoint (.safetensors) written by training, or a run folder (its latest checkpoint).")
    var checkpoint: String
    @Option(help: "The dataset folder, for real clips (default: the one in the run's config.json, if any).")
    var dataset: String?
    @Option(name: .customLong("audio-device"), help: "ALSA device (default: \"default\").")
    var audioDevice: String?
    @Option(parsing: .unconditional, help: "Griffin-Lim iterations (default 32).")
    var iterations: Int = 32

    func run() throws {
        try reportingUserErrors { try listen() }
    }

    func listen() throws {
        try require((1 ... 10_000).contains(iterations), "--iterations must be between 1 and 10000 (got \(iterations))")
        let input = try CheckpointInput(checkpoint)
        let (model, meta) = try ConditionalGAN.load(from: input.url)
        let cfg = CheckpointInput.spectrogramConfig(meta)
        let datasetURL = datasetFolder(input)
        if dataset != nil, datasetURL.map({ !FileManager.default.fileExists(atPath: $0.path) }) ?? false {
            throw UserError("--dataset \(dataset!) does not exist")
        }
        let files = datasetURL.map { DashboardLauncher.realClipFiles($0, classes: meta.classNames, skipped: []) }
            ?? meta.classNames.map { _ in [] }
        let run = input.runFolder ?? input.url.deletingLastPathComponent()
        var context = DashboardContext(
            datasetName: datasetURL?.lastPathComponent ?? input.url.lastPathComponent, classNames: meta.classNames,
            clipCounts: files.map(\.count), nMels: meta.nMels, frames: meta.frames, sampleRate: meta.sampleRate,
            batchSize: 0, totalEpochs: meta.epoch, stepsPerEpoch: 0, outputFolder: run)
        context.realClips = files
        context.bandHz = cfg.melCentreFrequencies
        context.listenOnly = true
        context.generatorSource = "\(input.url.relativePath) (epoch \(meta.epoch))"
        let player = CheckpointPlayer(model: model, metadata: meta, iterations: iterations)
        player.start()
        let status: Int32
        do {
            status = try DashboardLauncher.show(context, events: player.events, send: { player.send($0) },
                                                audioDevice: audioDevice)
        } catch {
            throw UserError("listen needs a terminal: use `cgan-tui generate` to write clips instead (\(DashboardLauncher.reason(error)))")
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// `--dataset`, else the one the run's config.json names when it still exists; nil: no real clips.
    func datasetFolder(_ input: CheckpointInput) -> URL? {
        if let dataset { return URL(fileURLWithPath: dataset) }
        guard let run = input.runFolder, let config = try? RunConfig.read(RunLayout(root: run).config),
              FileManager.default.fileExists(atPath: config.dataset) else { return nil }
        return URL(fileURLWithPath: config.dataset)
    }
}
