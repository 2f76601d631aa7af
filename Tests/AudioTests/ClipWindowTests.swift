import Audio
import Foundation
import Testing

@Suite struct ClipWindowTests {
    static let config = SpectrogramConfig(nMels: 2, frames: 64)

    /// A log1p-mel whose frame t carries mel power `power[t]` in each of its 2 bands.
    static func logMel(_ power: [Double]) -> [Float] {
        (0 ..< 2).flatMap { _ in power.map { Float(log1p($0)) } }
    }

    @Test func soundingLengthHoldsNinetyNinePercentOfTheEnergy() {
        // Energy 60, 30, 9.5, 0.3, 0.2 then silence: 99% is passed at the third frame (99.5%).
        let power = [60.0, 30, 9.5, 0.3, 0.2] + [Double](repeating: 0, count: 59)
        #expect(ClipWindow.soundingFrames(logMel: Self.logMel(power), nMels: 2, frames: 64) == 3)
        // A long, even ring: 99% of 64 equal frames (63.4) needs all 64; of 200, 198.
        #expect(ClipWindow.soundingFrames(logMel: Self.logMel([Double](repeating: 2, count: 64)), nMels: 2, frames: 64) == 64)
        #expect(ClipWindow.soundingFrames(logMel: (0 ..< 2).flatMap { _ in [Float](repeating: 1, count: 200) }, nMels: 2, frames: 200) == 198)
        #expect(ClipWindow.soundingFrames(logMel: [Float](repeating: 0, count: 128), nMels: 2, frames: 64) == 1)
    }

    @Test func windowIsTheSmallestMultipleOf16CoveringTheShare() {
        let lengths = Array(1 ... 100)   // the 90th smallest is 90
        let w = ClipWindow.choose(lengths: lengths, coverage: 0.9, config: SpectrogramConfig(), maximum: 512)
        #expect(w.frames == 96)
        #expect(w.covered == 0.96)
        #expect(abs(w.seconds - 95.0 * 256 / 22050) < 1e-12)
        // Bounded: never below 32 frames, never above the loaded window.
        #expect(ClipWindow.choose(lengths: [3, 4, 5], coverage: 0.9, config: SpectrogramConfig(), maximum: 512).frames == 32)
        #expect(ClipWindow.choose(lengths: [900, 1000], coverage: 0.5, config: SpectrogramConfig(), maximum: 512).frames == 512)
        #expect(ClipWindow.choose(lengths: [900, 1000], coverage: 0.5, config: SpectrogramConfig(), maximum: 512).covered == 0)
        #expect(ClipWindow.choose(lengths: [10, 20, 300], coverage: 1, config: SpectrogramConfig(), maximum: 512).frames == 304)
    }
}
