import Audio
import Foundation
import GAN
import Support

/// A checkpoint named on the command line (`generate`, `eval`): a `.safetensors` file, or a
/// run folder, meaning its `checkpoints/latest.safetensors`; and the run folder it belongs
/// to, when there is one (for its `config.json`).
struct CheckpointInput {
    let url: URL
    let runFolder: URL?

    init(_ path: String) throws {
        let given = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: given.path, isDirectory: &isDir) else {
            throw UserError("checkpoint \(path) does not exist")
        }
        if isDir.boolValue {
            url = RunLayout(root: given).latestCheckpoint
            runFolder = given
        } else {
            url = given
            let parent = given.deletingLastPathComponent()
            runFolder = parent.lastPathComponent == "checkpoints" ? parent.deletingLastPathComponent() : nil
        }
    }

    /// The transform the checkpoint's model was trained on.
    static func spectrogramConfig(_ meta: CheckpointMetadata) -> SpectrogramConfig {
        SpectrogramConfig(sampleRate: meta.sampleRate, nFFT: meta.nFFT, hop: meta.hop, nMels: meta.nMels, frames: meta.frames)
    }
}
