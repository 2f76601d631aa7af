import BLAS
import Foundation
import Testing
@testable import Audio

/// The transform and the inversion take the widest instructions their C kernels may use as a
/// value (the commands pass `CGAN_TUI_MAX_ISA`'s cap): every level gives the same bits.
@Suite struct AudioISALevelTests {
    let config = SpectrogramConfig(frames: 64)

    @Test func everyLevelGivesTheSameBits() {
        let x = testSignal(seconds: 0.7, sampleRate: config.sampleRate, seed: 3)
        let logMel = LogMelExtractor(config: config, isa: .avx512).logMel(x)
        let audio = Synthesizer(config: config, isa: .avx512).waveform(logMel: logMel, iterations: 4, seed: 1)
        for level in [ISALevel.avx2, .baseline] {
            #expect(LogMelExtractor(config: config, isa: level).logMel(x) == logMel, "\(level.name)")
            #expect(Synthesizer(config: config, isa: level).waveform(logMel: logMel, iterations: 4, seed: 1) == audio, "\(level.name)")
        }
        #expect(Synthesizer(config: config, isa: .baseline).isa == 0 && LogMelExtractor(config: config, isa: .avx2).stft.isa == .avx2)
    }
}
