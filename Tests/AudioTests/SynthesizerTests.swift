import Foundation
import Testing
@testable import Audio
import Support

@Suite(.serialized) struct SynthesizerTests {
    struct Reference: Decodable {
        let mel_power_spectral_convergence_mean: Double
        let linear_magnitude_spectral_convergence_mean: Double
    }

    /// ||a - b||_F / ||b||_F
    static func convergence(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            num += d * d
            den += Double(b[i]) * Double(b[i])
        }
        return (num / den).squareRoot()
    }

    /// Linear STFT magnitudes (frames x bins) of `y`.
    static func magnitudes(_ y: [Float], stft: STFT) -> [Float] {
        let frames = stft.frameCount(y.count)
        let padded = y.withUnsafeBufferPointer { stft.reflectPadded($0, frames: frames) }
        var out = [Float](repeating: 0, count: frames * stft.bins)
        padded.withUnsafeBufferPointer { p in
            stft.forEachSpectrumBatch(p.baseAddress!, frames: frames) { first, count, s in
                for i in 0 ..< count * stft.bins {
                    out[first * stft.bins + i] = (s[2 * i] * s[2 * i] + s[2 * i + 1] * s[2 * i + 1]).squareRoot()
                }
            }
        }
        return out
    }

    /// torchaudio's reference (its README): mel power -> linear estimate -> Griffin-Lim
    /// (momentum 0.99, random init); spectral convergence of mel(y) against the target mel
    /// power, mean over 5 inits, at 8, 32 and 64 iterations. Ours: the production Griffin-Lim.
    /// Its linear SC against our NNLS estimate is no longer checked: production matches the mel
    /// power, not that estimate (one of many spectra with that mel power), so it moves away from
    /// it on purpose (0.31 / 0.25 / 0.23 against torchaudio's 0.23 / 0.17 / 0.16); the
    /// torchaudio mode's linear SC is checked in the next test.
    @Test func chirpReachesTorchaudioSpectralConvergence() throws {
        let refs = try JSONDecoder().decode([String: Reference].self,
                                            from: Data(contentsOf: Fixtures.url("griffinlim_reference_chirp.json")))
        let samples = try AudioIO.readMono(Fixtures.url("chirp_22050_mono_float.wav"), sampleRate: 22050)
        let frames = 1 + samples.count / 256
        let config = SpectrogramConfig(frames: frames)
        let extractor = LogMelExtractor(config: config)
        let synth = Synthesizer(config: config)
        let target = extractor.melPower(samples, frames: frames).mel
        let power = synth.melInverse.linearPower(mel: target, frames: frames, sweeps: synth.nnlsSweeps)
        let magnitude = power.map { $0.squareRoot() }
        for iterations in [8, 32, 64] {
            var melSC = 0.0
            for seed in 0 ..< 5 as Range<UInt64> {
                let y = synth.griffinLim(magnitude: magnitude, mel: target, frames: frames, iterations: iterations, momentum: 0.99, seed: seed)
                melSC += Self.convergence(extractor.melPower(y, frames: frames).mel, target) / 5
            }
            let ref = refs["\(iterations)"]!
            print("Griffin-Lim \(iterations) it: mel SC \(melSC) (torchaudio \(ref.mel_power_spectral_convergence_mean))")
            #expect(melSC <= ref.mel_power_spectral_convergence_mean)
        }
    }

    /// With no NNLS sweeps our linear estimate *is* torchaudio's (gelsd's minimum-norm
    /// solution, clamped), so Griffin-Lim in torchaudio's mode must land on the reference
    /// figures: this checks the conventions the production path shares (momentum form,
    /// istft/stft scaling) and the torchaudio init.
    /// 5 random inits give a spread of a few per cent, hence a 5% band.
    @Test func clampedLeastSquaresReproducesTorchaudio() throws {
        let refs = try JSONDecoder().decode([String: Reference].self,
                                            from: Data(contentsOf: Fixtures.url("griffinlim_reference_chirp.json")))
        let samples = try AudioIO.readMono(Fixtures.url("chirp_22050_mono_float.wav"), sampleRate: 22050)
        let frames = 1 + samples.count / 256
        let config = SpectrogramConfig(frames: frames)
        let extractor = LogMelExtractor(config: config)
        let synth = Synthesizer(config: config)
        let target = extractor.melPower(samples, frames: frames).mel
        let magnitude = synth.melInverse.linearPower(mel: target, frames: frames, sweeps: 0).map { $0.squareRoot() }
        for iterations in [8, 32] {
            var melSC = 0.0, linSC = 0.0
            for seed in 0 ..< 5 as Range<UInt64> {
                let y = synth.griffinLim(magnitude: magnitude, mel: target, frames: frames, iterations: iterations, momentum: 0.99,
                                         seed: seed + 100, mode: .torchaudio)
                melSC += Self.convergence(extractor.melPower(y, frames: frames).mel, target) / 5
                linSC += Self.convergence(Self.magnitudes(y, stft: synth.stft), magnitude) / 5
            }
            let ref = refs["\(iterations)"]!
            #expect(abs(melSC / ref.mel_power_spectral_convergence_mean - 1) < 0.05, "mel SC \(melSC)")
            #expect(abs(linSC / ref.linear_magnitude_spectral_convergence_mean - 1) < 0.05, "linear SC \(linSC)")
        }
    }

    /// The streaming Griffin-Lim against the textbook one (GriffinLimReference.swift), both
    /// modes, on a 64-frame test signal: same seed, same result up to rounding.
    @Test func streamingGriffinLimMatchesReference() throws {
        let config = SpectrogramConfig(frames: 64)
        let synth = Synthesizer(config: config)
        let samples = testSignal(seconds: Double(63 * 256) / 22050, sampleRate: 22050)
        let mel = LogMelExtractor(config: config).melPower(samples, frames: 64).mel
        let magnitude = synth.melInverse.linearPower(mel: mel, frames: 64, sweeps: 4).map { $0.squareRoot() }
        for mode in [Synthesizer.Mode.production, .torchaudio] {
            for iterations in [0, 1, 4] {
                let fast = synth.griffinLim(magnitude: magnitude, mel: mel, frames: 64, iterations: iterations,
                                            momentum: 0.99, seed: 7, mode: mode)
                let slow = synth.griffinLimReference(magnitude: magnitude, mel: mel, frames: 64, iterations: iterations,
                                                     momentum: 0.99, seed: 7, mode: mode)
                let peak = slow.map { abs($0) }.max()!
                print("fast vs reference, \(mode.matchMel ? "production" : "torchaudio"), \(iterations) it: max diff \(maxAbsDifference(fast, slow) / peak) of peak")
                #expect(maxAbsDifference(fast, slow) <= 1e-4 * peak)
            }
        }
    }

    /// The NNLS step: never negative or NaN whatever the input (a generator can emit
    /// anything), and each sweep only lowers the residual.
    @Test func melInverseIsNonNegativeAndImprovesWithSweeps() throws {
        let config = SpectrogramConfig(frames: 40)
        let synth = Synthesizer(config: config)
        let samples = testSignal(seconds: 0.5, sampleRate: 22050)
        let mel = LogMelExtractor(config: config).melPower(samples, frames: 40).mel
        var previous = Double.infinity
        for sweeps in [0, 1, 4, 16, 64] {
            let p = synth.melInverse.linearPower(mel: mel, frames: 40, sweeps: sweeps)
            #expect(p.allSatisfy { $0 >= 0 && $0.isFinite })
            var fitted = [Float](repeating: 0, count: mel.count)
            p.withUnsafeBufferPointer { pp in
                fitted.withUnsafeMutableBufferPointer { synth.filterbank.apply(power: pp.baseAddress!, frames: 40, into: $0.baseAddress!, melStride: 40) }
            }
            let residual = Self.convergence(fitted, mel)
            #expect(residual <= previous * (1 + 1e-6))
            previous = residual
        }
        // Real audio's mel power is exactly reachable with p >= 0: 64 sweeps get within 0.1%.
        #expect(previous < 1e-3)

        var rng = SplitMix64(seed: 3)
        var wild = (0 ..< 128 * 40).map { _ in rng.nextNormal() * 20 }   // negative, huge
        wild[5] = .nan; wild[6] = .infinity; wild[7] = -.infinity
        let p = synth.melInverse.linearPower(mel: wild.map { $0.isNaN ? 0 : expm1(min($0, 80)) }, frames: 40, sweeps: 4)
        #expect(p.allSatisfy { $0 >= 0 && $0.isFinite })
        let y = synth.waveform(logMel: wild, iterations: 4)
        #expect(y.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    /// audio -> log-mel -> audio -> log-mel: the second log-mel matches the first. Measure:
    /// mel-power spectral convergence after the best single gain (the synthesis is
    /// peak-normalised, so the level is free) below 0.15, and mean |log-mel difference|
    /// below 0.15 log1p units at that gain.
    @Test func roundTripStaysClose() throws {
        let config = SpectrogramConfig(frames: 128)
        let samples = testSignal(seconds: 1.5, sampleRate: 22050)
        let extractor = LogMelExtractor(config: config)
        let original = extractor.melPower(samples, frames: 128).mel
        let y = Synthesizer(config: config).waveform(logMel: original.map { log1p($0) })
        #expect(y.count == 127 * 256)
        #expect(abs(y.map { abs($0) }.max()! - 1) < 1e-6)
        let again = extractor.melPower(y, frames: 128).mel
        var dot = 0.0, norm = 0.0
        for i in again.indices { dot += Double(again[i]) * Double(original[i]); norm += Double(again[i]) * Double(again[i]) }
        let gain = Float(dot / norm)
        let scaled = again.map { $0 * gain }
        let sc = Self.convergence(scaled, original)
        var logDiff: Float = 0
        for i in scaled.indices { logDiff += abs(log1p(scaled[i]) - log1p(original[i])) }
        logDiff /= Float(scaled.count)
        print("round trip: mel SC \(sc), mean |log-mel diff| \(logDiff)")
        #expect(sc < 0.15)
        #expect(logDiff < 0.15)
    }
}

/// Issue #13 item 3: the inversion on a varied set of test signals (tones, chirps, FM, noise
/// bursts, real drum hits, speech-like formants, plucked strings; scripts/griffinlim_reference.py
/// made them and torchaudio's figures). For each signal as decoded from its FLAC: M its mel
/// power; y = the production `waveform` of log1p(M) with 10 seeds; SC = ||g mel(y) - M|| / ||M||
/// after the least-squares gain g (the output is peak-normalised); the mean must not exceed
/// torchaudio's (InverseMelScale gelsd + GriffinLim, momentum 0.99, 10 inits) at 8, 32 and 64
/// iterations. 10 rather than the issue's 3 inits on both sides: with 3, one draw moves a
/// signal's mean by more than the gap being tested (drums at 32 iterations: torchaudio's
/// single inits range 0.066-0.187, ours 0.065-0.117).
@Suite(.serialized) struct SynthesizerSetTests {
    static let iterationCounts = [8, 32, 64]
    /// As SEEDS in scripts/griffinlim_reference.py.
    static let seeds: UInt64 = 10

    /// ||g S - M||_F / ||M||_F with g = <S, M> / <S, S>.
    static func gainConvergence(_ s: [Float], _ m: [Float]) -> Double {
        var sm = 0.0, ss = 0.0, mm = 0.0
        for i in s.indices {
            sm += Double(s[i]) * Double(m[i])
            ss += Double(s[i]) * Double(s[i])
            mm += Double(m[i]) * Double(m[i])
        }
        let g = ss > 0 ? sm / ss : 0
        // ||g S - M||^2 = g^2 ss - 2 g sm + mm, summed directly to avoid cancellation.
        var num = 0.0
        for i in s.indices {
            let d = g * Double(s[i]) - Double(m[i])
            num += d * d
        }
        return (num / mm).squareRoot()
    }


    @Test func everySignalAtLeastAsGoodAsTorchaudio() throws {
        let refs = try JSONDecoder().decode([String: [String: Double]].self,
                                            from: Data(contentsOf: Fixtures.url("griffinlim_reference_set.json")))
        #expect(refs.count >= 10)
        let config = SpectrogramConfig()
        let extractor = LogMelExtractor(config: config)
        let synth = Synthesizer(config: config)
        var failures: [String] = []
        for name in refs.keys.sorted() {
            let samples = try AudioIO.readMono(Fixtures.url("gl_\(name).flac"), sampleRate: config.sampleRate)
            #expect(samples.count == config.synthesisLength, "\(name)")
            let target = extractor.melPower(samples, frames: config.frames).mel
            let logMel = target.map { log1p($0) }
            var line = name.padding(toLength: 22, withPad: " ", startingAt: 0)
            for iterations in Self.iterationCounts {
                var sc = 0.0
                for seed in 0 ..< Self.seeds {
                    let y = synth.waveform(logMel: logMel, iterations: iterations, seed: seed)
                    sc += Self.gainConvergence(extractor.melPower(y, frames: config.frames).mel, target) / Double(Self.seeds)
                }
                let ref = try #require(refs[name]?["\(iterations)"])
                line += String(format: "  %2d: %.4f (torchaudio %.4f)", iterations, sc, ref)
                if sc > ref {
                    failures.append(String(format: "%@ at %d: %.4f > %.4f", name, iterations, sc, ref))
                }
            }
            print(line)
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
