import Audio
import Foundation
import Support

/// What `cgan-tui export RUN --pytorch DIR` writes besides the run's own files: the training
/// spectrograms as `.npy` shards and `train.py` (`PyTorchExport.trainScript`), which continues
/// the run in PyTorch and writes checkpoints and metrics rows that cgan-tui resumes from.
///
/// `data/index.json` lists the shards; shard k is `data/spectrograms_00k.npy`, float32
/// (clips, nMels, frames), and `data/labels_00k.npy`, float32 class indices (exact as floats:
/// the `.npy` writer writes float32 only). The values are the ones the trainer feeds the model
/// (`Recipe.toModel` of the clips, in dataset order), so PyTorch needs no audio stack and
/// trains on the very tensors cgan-tui did.
public enum PyTorchExport {
    /// Clips per shard: 512 at 128 x 512 is 128 MB, under `NPY.maxFileBytes` and small enough to
    /// memory-map shard by shard.
    public static let clipsPerShard = 512

    /// Writes `folder/data/` (made if need be); returns the shard count.
    @discardableResult
    public static func writeShards(_ dataset: SpectrogramDataset, recipe: Recipe, to folder: URL,
                                   clipsPerShard: Int = PyTorchExport.clipsPerShard) throws -> Int {
        let data = folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let cfg = dataset.config
        var shards: [[String: Any]] = []
        for (k, start) in stride(from: 0, to: dataset.spectrograms.count, by: clipsPerShard).enumerated() {
            let range = start ..< min(start + clipsPerShard, dataset.spectrograms.count)
            let values = range.flatMap { recipe.toModel(dataset.spectrograms[$0]) }
            let names = (String(format: "spectrograms_%03d.npy", k), String(format: "labels_%03d.npy", k))
            try NPY.write(NPY.Array(shape: [range.count, cfg.nMels, cfg.frames], values: values),
                          to: data.appendingPathComponent(names.0))
            try NPY.write(NPY.Array(shape: [range.count], values: range.map { Float(dataset.labels[$0]) }),
                          to: data.appendingPathComponent(names.1))
            shards.append(["spectrograms": names.0, "labels": names.1, "clips": range.count])
        }
        let index: [String: Any] = ["clips": dataset.spectrograms.count, "classes": dataset.classes,
                                    "n_mels": cfg.nMels, "frames": cfg.frames, "shards": shards,
                                    "scale": ["power_floor": Double(recipe.powerFloor), "value_scale": Double(recipe.valueScale)]]
        let json = try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json + Data("\n".utf8), to: data.appendingPathComponent("index.json"))
        return shards.count
    }

    /// `metrics.csv`'s header for these classes (for a run that has none yet).
    public static func metricsHeader(classes: [String]) -> String { MetricsLog.header(classes: classes) }
}
