import Foundation

/// What the dashboard knows about the run before the first event: the dataset, the shape and
/// the plan. The train command fills it in from the loaded dataset and its options.
public struct DashboardContext: Sendable, Equatable {
    public var datasetName: String          // shown in the header (a folder name or "demo")
    public var classNames: [String]
    public var clipCounts: [Int]            // per class, same order as classNames
    public var nMels: Int
    public var frames: Int
    public var sampleRate: Int
    public var batchSize: Int
    public var totalEpochs: Int             // the epochs requested (for the ETA)
    public var stepsPerEpoch: Int
    public var outputFolder: URL            // the run folder; auditions go to <outputFolder>/auditions
    public var kernels = ""                 // the OpenBLAS kernels and why, "Cooperlake kernels (...)"; optional
    /// One real log-mel per class (nMels*frames, row 0 lowest band), shown beside the generated
    /// one when the terminal is wide enough. Optional.
    public var realExamples: [Int: [Float]] = [:]
    /// The dataset's usable files per class, for `r` and A/B (empty: no real clips to play).
    public var realClips: [[URL]] = []
    /// Files skipped while reading the dataset, "path: reason" (counted in the header, `w` lists them).
    public var skippedFiles: [String] = []
    /// The centre frequency (Hz) of every mel row, row 0 lowest: the heatmap's frequency axis
    /// (empty: no axis).
    public var bandHz: [Float] = []
    /// `cgan-tui listen`: no training, only the player of `generatorSource`.
    public var listenOnly = false
    /// What auditions come from once training is over ("final generator", a checkpoint path).
    public var generatorSource: String?

    public init(datasetName: String, classNames: [String], clipCounts: [Int], nMels: Int, frames: Int,
                sampleRate: Int, batchSize: Int, totalEpochs: Int, stepsPerEpoch: Int, outputFolder: URL) {
        self.datasetName = datasetName; self.classNames = classNames; self.clipCounts = clipCounts
        self.nMels = nMels; self.frames = frames; self.sampleRate = sampleRate; self.batchSize = batchSize
        self.totalEpochs = totalEpochs; self.stepsPerEpoch = stepsPerEpoch; self.outputFolder = outputFolder
    }

    public var totalClips: Int { clipCounts.reduce(0, +) }
    public var auditionsFolder: URL { outputFolder.appendingPathComponent("auditions", isDirectory: true) }

}
