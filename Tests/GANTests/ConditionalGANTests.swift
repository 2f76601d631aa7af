import Foundation
@testable import GAN
import Support
import BLAS
import Engine
import Testing

@Suite struct ConditionalGANTests {
    static let config = ModelConfig(numClasses: 3, nMels: 16, frames: 32)

    static func batch(_ seed: UInt64, n: Int = 4) -> (real: [Float], labels: [Int], z: [Float]) {
        var rng = SplitMix64(seed: seed)
        let real = (0 ..< n * 16 * 32).map { _ in rng.nextUniform() * 3 }
        let labels = (0 ..< n).map { $0 % 3 }
        return (real, labels, rng.normals(n * 100))
    }

    @Test func seededRunsReproduce() {
        var losses: [[Float]] = []
        for _ in 0 ..< 2 {
            let gan = ConditionalGAN(config: Self.config, seed: 7)
            var l: [Float] = []
            for s in 0 ..< 3 {
                let b = Self.batch(UInt64(s))
                let (d, g) = gan.trainStep(real: b.real, labels: b.labels, z: b.z)
                l += [d, g]
            }
            #expect(gan.step == 3)
            losses.append(l)
        }
        #expect(losses[0] == losses[1])
        #expect(losses[0].allSatisfy { $0.isFinite && $0 > 0 })
        // A different seed gives different weights, hence different losses.
        let other = ConditionalGAN(config: Self.config, seed: 8)
        let b = Self.batch(0)
        let (d, _) = other.trainStep(real: b.real, labels: b.labels, z: b.z)
        #expect(d != losses[0][0])
    }

    @Test func generateShapeAndSnapshotAgree() {
        let gan = ConditionalGAN(config: Self.config, seed: 1)
        let b = Self.batch(3)
        _ = gan.trainStep(real: b.real, labels: b.labels, z: b.z)
        let out = gan.generate(labels: b.labels, z: b.z)
        #expect(out.count == 4 * 16 * 32)
        #expect(out.allSatisfy { $0 >= 0 })  // final ReLU
        let snap = gan.snapshotGenerator()
        #expect(snap.generate(labels: b.labels, z: b.z) == out)
        // The one-worker snapshot auditions sample from beside training: the same samples.
        #expect(gan.snapshotGenerator(threads: 1).generate(labels: b.labels, z: b.z) == out)
    }
}

/// Work is cut into chunks by shape alone and partial gradients are summed in chunk order, so
/// the thread count does not change a single bit (checked at a shape with several chunks per
/// layer). The worker count is the model's own (its ComputeSettings), so suites running beside it keep theirs.
@Suite(.serialized) struct ThreadIndependenceTests {
    @Test func oneAndTwoThreadsGiveIdenticalSteps() {
        let config = ModelConfig(numClasses: 2, nMels: 128, frames: 256)
        var rng = SplitMix64(seed: 9)
        let real = (0 ..< 4 * 128 * 256).map { _ in rng.nextUniform() * 3 }
        let z = rng.normals(4 * 100), labels = [0, 1, 1, 0]
        var results: [[Float]] = []
        for threads in [1, 2] {
            let gan = ConditionalGAN(config: config, seed: 3, settings: ComputeSettings(threads: threads))
            #expect(gan.generator.ct3.settings.threads == threads && gan.discriminator.bn6.settings.threads == threads)
            let (d, g) = gan.trainStep(real: real, labels: labels, z: z)
            results.append([d, g] + gan.generator.store.values.array + gan.discriminator.store.values.array)
        }
        #expect(results[0] == results[1])
    }
}
