/// The generated set a run is scored on at every epoch end, and that `cgan-tui eval` draws
/// again from a checkpoint: `perClass` latents per class from the run's seed. The latents are
/// the same every epoch, so the scores follow the generator, not the draw; class c's come
/// from their own stream, so a larger `perClass` keeps the first ones.
public struct QualityProbe: Sendable, Equatable {
    public static let defaultPerClass = 16
    /// Class-major: perClass of class 0, then of class 1, ...
    public let labels: [Int]
    public let z: [Float]
    public let latentDim: Int

    public init(seed: UInt64, classes: Int, perClass: Int = QualityProbe.defaultPerClass, latentDim: Int) {
        var labels: [Int] = [], z: [Float] = []
        for c in 0 ..< classes {
            var rng = RunRandom.stream(seed: seed, .quality, c)
            z += rng.normals(perClass * latentDim)
            labels += Array(repeating: c, count: perClass)
        }
        self.labels = labels
        self.z = z
        self.latentDim = latentDim
    }

    /// The spectrograms (`size` values each) from a generator in evaluation mode, 16 at a time
    /// so memory stays bounded at any shape (a clip does not depend on its batch in that mode).
    public func generate(size: Int, with generator: (_ labels: [Int], _ z: [Float]) -> [Float]) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(labels.count)
        for start in stride(from: 0, to: labels.count, by: 16) {
            let end = min(labels.count, start + 16)
            let batch = generator(Array(labels[start ..< end]), Array(z[start * latentDim ..< end * latentDim]))
            precondition(batch.count == (end - start) * size, "the generator returned \(batch.count) values")
            for j in 0 ..< end - start { out.append(Array(batch[j * size ..< (j + 1) * size])) }
        }
        return out
    }
}
