import Engine
import Foundation
@testable import GAN
import Support
import Testing

/// Generated values are clamped at the training clips' largest log1p(mel power), and the
/// ceiling travels with the checkpoint (issue #9 follow-up).
@Suite struct ValueCeilingTests {
    static let config = ModelConfig(numClasses: 3, nMels: 16, frames: 32)
    static let labels = [0, 1, 2, 1]
    static var z: [Float] { var rng = SplitMix64(seed: 11); return rng.normals(4 * 100) }

    /// A value 90% of the unclamped positive outputs (the last ReLU zeroes the rest) stay below:
    /// the others must come out at it exactly, everything below it unchanged, however sampled.
    @Test func outputAboveTheCeilingComesOutAtTheCeiling() throws {
        let gan = ConditionalGAN(config: Self.config, recipe: .standard, seed: 0)
        let raw = gan.generate(labels: Self.labels, z: Self.z)
        let positive = raw.filter { $0 > 0 }.sorted()
        try #require(!positive.isEmpty)
        let ceiling = positive[positive.count * 9 / 10]
        #expect(ceiling > 0 && raw.max()! > ceiling)
        gan.valueCeiling = ceiling   // after a first sample: the cached sampler must not keep the old setting
        for out in [gan.generate(labels: Self.labels, z: Self.z), gan.snapshotGenerator().generate(labels: Self.labels, z: Self.z)] {
            #expect(out.max() == ceiling)
            #expect(out.filter { $0 == ceiling }.count >= positive.count / 10)
            for i in raw.indices where raw[i] < ceiling { #expect(out[i] == raw[i]) }
        }
    }

    /// The seed's recipe too: the clamp is output post-processing, not part of any recipe.
    @Test func theSeedRecipeIsClampedToo() throws {
        let gan = ConditionalGAN(config: Self.config, recipe: .seed, seed: 0)
        let raw = gan.generate(labels: Self.labels, z: Self.z)
        let positive = raw.filter { $0 > 0 }.sorted()
        try #require(!positive.isEmpty)
        let ceiling = positive[positive.count / 2]
        gan.valueCeiling = ceiling
        #expect(ceiling > 0 && raw.max()! > ceiling)
        #expect(gan.generate(labels: Self.labels, z: Self.z).max() == ceiling)
    }

    @Test func ceilingRoundTripsThroughTheCheckpoint() throws {
        let gan = ConditionalGAN(config: Self.config, recipe: .standard, seed: 3)
        let meta = CheckpointMetadata(classNames: ["a", "b", "c"], nMels: 16, frames: 32, valueCeiling: 9.63)
        let data = try gan.checkpointData(metadata: meta)
        let file = try Safetensors.File(data: data, name: "x")
        #expect(file.metadata["config"]!.contains("\"value_ceiling\":9.63"))
        let (loaded, loadedMeta) = try ConditionalGAN.load(data: data, name: "x")
        #expect(loadedMeta.valueCeiling == 9.63)
        #expect(loadedMeta == meta)
        #expect(loaded.valueCeiling == 9.63)
    }

    @Test func aNegativeCeilingIsRefused() throws {
        let gan = ConditionalGAN(config: Self.config, seed: 3)
        let meta = CheckpointMetadata(classNames: ["a", "b", "c"], nMels: 16, frames: 32, valueCeiling: -1)
        CheckpointTests.expectUserError(try gan.checkpointData(metadata: meta), containing: "value_ceiling must be 0 or more")
    }

    /// A checkpoint written before the field existed (the committed fixture) loads with no
    /// ceiling and generates what its generator gives, unclamped.
    @Test func anOldCheckpointLoadsAndGeneratesWithoutACeiling() throws {
        let url = fixtureURL("swift_checkpoint.safetensors")
        #expect(try Safetensors.File(contentsOf: url).metadata["config"]?.contains("value_ceiling") == false)
        let (gan, meta) = try ConditionalGAN.load(from: url)
        #expect(meta.valueCeiling == nil && gan.valueCeiling == nil)
        let z = { var rng = SplitMix64(seed: 2); return rng.normals(2 * gan.config.latentDim) }()
        let out = gan.generate(labels: [0, 1], z: z)
        #expect(out.count == 2 * gan.config.nMels * gan.config.frames && out.allSatisfy(\.isFinite))
        var raw = gan.generator.forward(labels: [0, 1], z: z, training: false).array
        gan.recipe.fromModel(&raw)
        #expect(out == raw)
    }
}
