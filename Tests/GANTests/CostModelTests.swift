import Engine
@testable import GAN
import Testing

/// The step's analytic cost, read from the model's own layers.
@Suite struct CostModelTests {
    /// The issue's figure for the seed's step at batch 16, 128 x 512 (Winograd layers at 9/16): 85.3 GFLOP.
    /// With 4x4 tiles: each of the six Winograd layers' products is 2^32 FLOPs as direct
    /// convolution; D's run forward and input gradient 3 times a step and weight gradient twice,
    /// G's once each: 33 products at 25/64 instead of 9/16, so 85.3 - 33 * 2^32 * 11/64 = 60.9 GFLOP.
    @Test func seedStepAtTheIssuesShape() {
        let gan = ConditionalGAN(config: ModelConfig(numClasses: 4), seed: 1, settings: ComputeSettings(threads: 1, convolution: .winograd2x2))
        #expect(abs(gan.trainStepPerformedFLOPs(batch: 16) / 1e9 - 85.3) < 0.05)
        let large = ConditionalGAN(config: ModelConfig(numClasses: 4), seed: 1, settings: ComputeSettings(threads: 1, convolution: .winograd4x4))
        let saved = 33.0 * Double(1 << 32) * 11 / 64
        #expect(abs(large.trainStepPerformedFLOPs(batch: 16) - (gan.trainStepPerformedFLOPs(batch: 16) - saved)) < 1e3)
        // The layer list in execution order: G forward, then D three times, then G backward.
        let labels = gan.trainStepGemms(batch: 16).map(\.label)
        #expect(labels.prefix(6) == ["G fc", "G convT0 fwd", "G convT1 fwd", "G convT2 fwd", "G convT3 fwd", "D embed"])
        #expect(labels.suffix(3) == ["G convT0 dW", "G convT0 dX", "G fc dW"])
        #expect(labels.count == 5 + 3 * 6 + 2 * (10 + 1) + 5 + 8 + 1)
    }

    /// The plan comes from the layers' settings: im2col everywhere performs the direct count.
    @Test func followsTheModelsConvolutionSetting() {
        let config = ModelConfig(numClasses: 4, nMels: 64, frames: 64)
        let im2col = ConditionalGAN(config: config, seed: 1, settings: ComputeSettings(threads: 1, convolution: .im2col))
        let winograd = ConditionalGAN(config: config, seed: 1, settings: ComputeSettings(threads: 1, convolution: .winograd))
        #expect(im2col.trainStepGemms(batch: 8).allSatisfy { !$0.winograd })
        #expect(im2col.trainStepPerformedFLOPs(batch: 8) == im2col.trainStepFLOPs(batch: 8))
        #expect(winograd.trainStepFLOPs(batch: 8) == im2col.trainStepFLOPs(batch: 8))
        #expect(winograd.trainStepPerformedFLOPs(batch: 8) < winograd.trainStepFLOPs(batch: 8))
    }
}
