import Foundation
import Testing
@testable import Dashboard
import GAN
import Quality

@Suite struct AppStateTests {
    func clip(_ k: Int, seconds: Double = 2) -> SynthesizedClip {
        SynthesizedClip(classIndex: k, sampleRate: 100, samples: [Float](repeating: 0.1, count: Int(seconds * 100)),
                        spectrogram: Fixtures.spectrogram(k), requestedAt: 0)
    }

    @Test func selectionKeys() {
        var s = Fixtures.state()
        #expect(s.selected == 0)
        _ = s.apply(key: .down, now: 0); #expect(s.selected == 1)
        _ = s.apply(key: .char("j"), now: 0); #expect(s.selected == 2)
        _ = s.apply(key: .char("j"), now: 0); #expect(s.selected == 2)      // stays on the last class
        _ = s.apply(key: .char("k"), now: 0); #expect(s.selected == 1)
        _ = s.apply(key: .up, now: 0); _ = s.apply(key: .up, now: 0); #expect(s.selected == 0)
        _ = s.apply(key: .char("3"), now: 0); #expect(s.selected == 2)
        _ = s.apply(key: .char("9"), now: 0); #expect(s.selected == 2)      // no class 9: ignored
        _ = s.apply(key: .char("0"), now: 0); #expect(s.selected == 2)
    }

    @Test func enterAndSpaceSynthesizeTheSelectedClass() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("2"), now: 0)
        #expect(s.apply(key: .enter, now: 10) == [.stopPlayback, .send(.synthesize(classIndex: 1))])
        #expect(s.apply(key: .char(" "), now: 11) == [.stopPlayback, .send(.synthesize(classIndex: 1))])
    }

    @Test func clipIsPlayedAndLatencyMeasuredFromTheKey() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("2"), now: 0)
        _ = s.apply(key: .enter, now: 10)
        let c = clip(1)
        #expect(s.apply(.clipSynthesized(c), now: 10.1) == [.play(c)])
        // The heatmap shows the auditioned spectrogram.
        #expect(s.spectrogramOrigin[1]?.hasPrefix("audition") == true)
        _ = s.apply(playback: .started(classIndex: 1, seconds: 2, firstSampleAt: 10.18), now: 10.18)
        #expect(abs(s.lastAuditionLatency! - 0.18) < 1e-9)
        #expect(s.message?.text == "playing snare, 2.0 s (180 ms from key to sound)")
    }

    @Test func noDeviceMessageNamesTheFile() {
        var s = Fixtures.state()
        _ = s.apply(key: .enter, now: 0)
        _ = s.apply(.clipSynthesized(clip(0)), now: 0.1)
        _ = s.apply(playback: .wroteFile(classIndex: 0, path: "runs/x/auditions/kick_0007.wav",
                                         reason: "audio device hw:9 failed: No such device"), now: 0.2)
        #expect(s.message?.text == "audio device hw:9 failed: No such device; wrote runs/x/auditions/kick_0007.wav instead")
    }

    @Test func auditionAllPlaysEveryClassInTurn() {
        var s = Fixtures.state()
        #expect(s.apply(key: .char("a"), now: 0) == [.stopPlayback, .send(.synthesize(classIndex: 0))])
        // Clip 0 plays at once, and the next class is synthesised while it plays.
        #expect(s.apply(.clipSynthesized(clip(0)), now: 1) == [.send(.synthesize(classIndex: 1)), .play(clip(0))])
        // Clip 1 arrives while 0 is still playing: held, class 2 requested.
        #expect(s.apply(.clipSynthesized(clip(1)), now: 2) == [.send(.synthesize(classIndex: 2))])
        #expect(s.apply(playback: .finished(classIndex: 0), now: 3) == [.play(clip(1))])
        #expect(s.apply(.clipSynthesized(clip(2)), now: 3.5) == [])
        #expect(s.apply(playback: .finished(classIndex: 1), now: 4) == [.play(clip(2))])
        #expect(s.apply(playback: .finished(classIndex: 2), now: 5) == [])
        // A later single audition plays at once.
        _ = s.apply(key: .enter, now: 6)
        #expect(s.apply(.clipSynthesized(clip(0)), now: 7) == [.play(clip(0))])
    }

    @Test func quitSavesFirstThenLeaves() {
        var s = Fixtures.state()
        #expect(s.apply(key: .char("q"), now: 0) == [.stopPlayback, .send(.stop)])
        #expect(s.displayedState == .saving)
        #expect(s.apply(.checkpointSaved(URL(fileURLWithPath: "/tmp/r/checkpoints/latest.safetensors")), now: 1) == [])
        #expect(s.message?.text == "checkpoint saved to /tmp/r/checkpoints/latest.safetensors")
        #expect(s.apply(.finished, now: 2) == [.quit(status: 0)])
    }

    @Test func secondQuitAbandons() {
        var s = Fixtures.state()
        _ = s.apply(key: .ctrlC, now: 0)
        #expect(s.apply(key: .ctrlC, now: 1) == [.stopPlayback, .send(.abandon), .quit(status: 130)])
    }

    /// Ctrl-C is a key in the dashboard (raw mode) but means what SIGINT means headless: save,
    /// then exit 130; q is the ordinary way out, exit 0.
    @Test func ctrlCQuitsLikeSIGINT() {
        var s = Fixtures.state()
        #expect(s.apply(key: .ctrlC, now: 0) == [.stopPlayback, .send(.stop)])
        #expect(s.apply(.finished, now: 1) == [.quit(status: 130)])
    }

    @Test func signalsQuitWithTheirStatus() {
        var s = Fixtures.state()
        #expect(s.quit(status: 143) == [.stopPlayback, .send(.stop)])
        #expect(s.apply(.finished, now: 1) == [.quit(status: 143)])
    }

    @Test func afterTrainingFinishedQLeavesAtOnce() {
        var s = Fixtures.state()
        _ = s.apply(.finished, now: 1)
        #expect(s.trainingState == .stopped)
        #expect(s.apply(key: .char("q"), now: 3) == [.stopPlayback, .quit(status: 0)])
    }

    /// After the last epoch the dashboard is a player of the final generator: Enter, a and n
    /// still reach the trainer (it keeps answering), p and s have nothing to do, the header
    /// says so and the clock has stopped.
    @Test func afterTrainingFinishedItStaysAPlayer() {
        var s = Fixtures.state()          // 120 steps, one each 0.5 s from t = 1000
        _ = s.apply(.stateChanged(.stopped), now: 1070)
        _ = s.apply(.finished, now: 1071)
        #expect(s.listening && s.stateLabel == "FINISHED · listening")
        #expect(s.message?.text == "training finished at epoch 24: Enter plays the final generator, r a real clip")
        #expect(s.apply(key: .enter, now: 1080) == [.stopPlayback, .send(.synthesize(classIndex: 0))])
        let c = clip(0)
        #expect(s.apply(.clipSynthesized(c), now: 1080.2) == [.play(c)])
        _ = s.apply(playback: .started(classIndex: 0, seconds: 2, firstSampleAt: 1080.3), now: 1080.3)
        #expect(s.message?.text == "playing kick, 2.0 s (300 ms from key to sound)")
        #expect(s.apply(key: .char("a"), now: 1090) == [.stopPlayback, .send(.synthesize(classIndex: 0))])
        #expect(s.apply(key: .char("n"), now: 1091) == [.send(.newLatent)])
        #expect(s.apply(key: .char("p"), now: 1092) == [])
        #expect(s.apply(key: .char("s"), now: 1093) == [])
        s.now = 5000
        #expect(s.elapsed == 70, "the clock stopped when training stopped")
    }

    /// The clock does not count paused time.
    @Test func clockStopsWhilePaused() {
        var s = AppState(context: Fixtures.context, now: 0)
        _ = s.apply(.stateChanged(.running), now: 0)
        _ = s.apply(.stateChanged(.paused), now: 10)
        s.now = 100
        #expect(s.elapsed == 10)
        _ = s.apply(.stateChanged(.running), now: 100)
        s.now = 105
        #expect(s.elapsed == 15)
    }

    func real(_ k: Int, _ name: String) -> RealClip {
        RealClip(classIndex: k, file: URL(fileURLWithPath: "/data/\(name)"), samples: [0.1, -0.1], sampleRate: 100)
    }

    static let realFiles = [[URL(fileURLWithPath: "/data/kick/k1.wav"), URL(fileURLWithPath: "/data/kick/k2.wav")],
                            [URL(fileURLWithPath: "/data/snare/s1.wav")], []]

    /// `r` plays a real clip of the selected class, the next file each press, and names it.
    @Test func realClipKeyPlaysTheNextFileEachPress() {
        var ctx = Fixtures.context
        ctx.realClips = Self.realFiles
        var s = AppState(context: ctx, now: 0)
        #expect(s.apply(key: .char("r"), now: 1) == [.stopPlayback, .loadReal(classIndex: 0, Self.realFiles[0][0])])
        let k1 = real(0, "kick/k1.wav")
        #expect(s.apply(realClip: k1, now: 1.1) == [.playReal(k1)])
        _ = s.apply(playback: .started(classIndex: 0, seconds: 0.5, firstSampleAt: 1.2, realFile: "k1.wav"), now: 1.2)
        #expect(s.message?.text == "playing real kick: k1.wav, 0.5 s")
        #expect(s.apply(key: .char("r"), now: 2) == [.stopPlayback, .loadReal(classIndex: 0, Self.realFiles[0][1])])
        #expect(s.apply(key: .char("r"), now: 3) == [.stopPlayback, .loadReal(classIndex: 0, Self.realFiles[0][0])])
        // A clip decoded after another request replaced it is dropped.
        _ = s.apply(key: .enter, now: 4)
        #expect(s.apply(realClip: k1, now: 4.1) == [])
        // A class without real clips says so.
        _ = s.apply(key: .char("3"), now: 5)
        #expect(s.apply(key: .char("r"), now: 5) == [.stopPlayback])
        #expect(s.message?.text == "no real clips of hat to play" && s.message?.kind == .error)
    }

    /// `b`: real, generated, real, generated... for the selected class, three rounds; the
    /// message says which is playing; `b` again stops.
    @Test func abAlternatesRealAndGenerated() {
        var ctx = Fixtures.context
        ctx.realClips = Self.realFiles
        var s = AppState(context: ctx, now: 0)
        _ = s.apply(key: .char("2"), now: 0)
        var actions = s.apply(key: .char("b"), now: 1)
        var played: [String] = []
        for round in 0 ..< 3 {
            #expect(actions.last == .loadReal(classIndex: 1, Self.realFiles[1][0]), "round \(round)")
            let r = real(1, "snare/s1.wav")
            #expect(s.apply(realClip: r, now: 2) == [.playReal(r)])
            _ = s.apply(playback: .started(classIndex: 1, seconds: 0.5, firstSampleAt: 2, realFile: "s1.wav"), now: 2)
            played.append(s.message!.text)
            #expect(s.apply(playback: .finished(classIndex: 1), now: 3) == [.send(.synthesize(classIndex: 1))])
            let c = clip(1)
            #expect(s.apply(.clipSynthesized(c), now: 3.1) == [.play(c)])
            _ = s.apply(playback: .started(classIndex: 1, seconds: 2, firstSampleAt: 3.2), now: 3.2)
            played.append(s.message!.text)
            actions = s.apply(playback: .finished(classIndex: 1), now: 5)
        }
        #expect(actions == [])
        #expect(played == Array(repeating: ["A/B: playing real snare: s1.wav, 0.5 s", "A/B: playing generated snare, 2.0 s"],
                                count: 3).flatMap { $0 })
        _ = s.apply(key: .char("b"), now: 10)
        #expect(s.apply(key: .char("b"), now: 11) == [.stopPlayback])
        #expect(s.message?.text == "A/B stopped")
    }

    /// While every class plays in turn, the panel shows the class the message names.
    @Test func auditionAllSelectsTheClassPlaying() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("a"), now: 0)
        _ = s.apply(.clipSynthesized(clip(0)), now: 1)
        _ = s.apply(.clipSynthesized(clip(1)), now: 2)
        _ = s.apply(playback: .finished(classIndex: 0), now: 3)
        _ = s.apply(playback: .started(classIndex: 1, seconds: 2, firstSampleAt: 3), now: 3)
        #expect(s.selected == 1 && s.message?.text.hasPrefix("playing snare") == true)
        let title = Screen.render(s, width: 80, height: 24, capabilities: .truecolor).text()
        #expect(title.contains("Spectrogram: snare"))
    }

    /// Epoch news does not replace "playing ..." while the clip plays, even a long one.
    @Test func epochNewsWaitsForTheClipToEnd() {
        var s = Fixtures.state()
        _ = s.apply(key: .enter, now: 10)
        _ = s.apply(.clipSynthesized(clip(0, seconds: 6)), now: 10.1)
        _ = s.apply(playback: .started(classIndex: 0, seconds: 6, firstSampleAt: 10.2), now: 10.2)
        _ = s.apply(.epochFinished(epoch: 9, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 15)
        #expect(s.message?.text.hasPrefix("playing kick") == true)
        _ = s.apply(playback: .finished(classIndex: 0), now: 16.2)
        _ = s.apply(.epochFinished(epoch: 10, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 17)
        #expect(s.message?.text.hasPrefix("epoch 10 done") == true)
    }

    /// A requested clip that never arrives holds epoch news back for 30 s at most.
    @Test func aClipThatNeverComesDoesNotSilenceTheLine() {
        var s = Fixtures.state()
        _ = s.apply(key: .enter, now: 10)
        _ = s.apply(.epochFinished(epoch: 9, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 20)
        #expect(s.message?.text.hasPrefix("synthesizing kick") == true)
        _ = s.apply(.epochFinished(epoch: 10, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 41)
        #expect(s.message?.text.hasPrefix("epoch 10 done") == true)
    }

    /// `w` lists the skipped files; any key closes the list and does nothing else.
    @Test func skippedFilesOverlay() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("w"), now: 0)
        #expect(!s.showSkipped && s.message?.text == "no files were skipped while reading the dataset")
        var ctx = Fixtures.context
        ctx.skippedFiles = ["/data/kick/notes.txt: not an audio file", "/data/hat/empty.wav: zero length"]
        s = AppState(context: ctx, now: 0)
        _ = s.apply(key: .char("w"), now: 0)
        #expect(s.showSkipped)
        let text = Screen.render(s, width: 80, height: 24, capabilities: .truecolor).text()
        #expect(text.contains("Skipped files: 2") && text.contains("/data/hat/empty.wav: zero length"))
        #expect(text.contains("2 skipped (w lists)"))
        #expect(s.apply(key: .char("q"), now: 1) == [] && !s.showSkipped)
    }

    @Test func pauseToggles() {
        var s = Fixtures.state()
        #expect(s.apply(key: .char("p"), now: 0) == [.send(.pause)])
        _ = s.apply(.stateChanged(.paused), now: 1)
        #expect(s.apply(key: .char("p"), now: 2) == [.send(.resume)])
        #expect(s.apply(key: .char("s"), now: 3) == [.send(.saveNow)])
        #expect(s.apply(key: .char("n"), now: 4) == [.send(.newLatent)])
    }

    @Test func helpOpensAndAnyKeyCloses() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("?"), now: 0)
        #expect(s.showHelp)
        _ = s.apply(key: .escape, now: 0)
        #expect(!s.showHelp)
        _ = s.apply(key: .char("?"), now: 0)
        #expect(s.apply(key: .down, now: 0) == [])            // closes only
        #expect(!s.showHelp && s.selected == 0)
    }

    /// A key that closes the help overlay only closes it (as in less, htop, vim): `?` then `q`
    /// does not quit, `?` then `p` does not pause, `?` then Enter does not play.
    @Test func keyThatClosesHelpDoesNothingElse() {
        var s = Fixtures.state()
        for key in [Key.char("q"), .char("p"), .enter, .char("s"), .char("a"), .char("r")] {
            _ = s.apply(key: .char("?"), now: 0)
            #expect(s.showHelp)
            #expect(s.apply(key: key, now: 0) == [], "\(key) acted while closing help")
            #expect(!s.showHelp && s.quitStatus == nil)
        }
        #expect(s.apply(key: .char("q"), now: 1) == [.stopPlayback, .send(.stop)])   // then q quits
    }

    /// Ctrl-C is an interrupt, not a key to close an overlay with: it quits even over help.
    @Test func ctrlCQuitsEvenOverHelp() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("?"), now: 0)
        #expect(s.apply(key: .ctrlC, now: 0) == [.stopPlayback, .send(.stop)])
    }

    @Test func stepsDriveRatesAndETA() {
        var s = AppState(context: Fixtures.context, now: 0)
        #expect(s.eta == nil)
        _ = s.apply(.stepFinished(StepReport(epoch: 1, step: 1, stepInEpoch: 1, stepsPerEpoch: 5, lossD: 1, lossG: 2,
                                             seconds: 0.25, samplesPerSecond: 64)), now: 1)
        #expect(s.stepsPerSecond == 4 && s.samplesPerSecond == 64)
        // 50 epochs x 5 steps = 250 steps, 1 done, 249 left at 4 steps/s.
        #expect(s.eta == 249.0 / 4)
        #expect(s.trainingState == .running)
        #expect(s.lossD.latest == 1 && s.lossG.latest == 2)
    }

    @Test func errorsShowAndFailTheRun() {
        var s = Fixtures.state()
        _ = s.apply(.error("loss became NaN at step 120; last good checkpoint kept"), now: 1)
        #expect(s.trainingState == .failed)
        #expect(s.message?.kind == .error)
        _ = s.apply(.finished, now: 2)
        #expect(s.trainingState == .failed)
    }

    @Test func routineNewsDoesNotHideAnAudition() {
        var s = Fixtures.state()
        _ = s.apply(key: .enter, now: 10)
        _ = s.apply(.clipSynthesized(clip(0)), now: 10.1)
        _ = s.apply(playback: .started(classIndex: 0, seconds: 2, firstSampleAt: 10.2), now: 10.2)
        _ = s.apply(.epochOutputsWritten(epoch: 3, png: URL(fileURLWithPath: "/tmp/p.png"), wavs: []), now: 11)
        #expect(s.message?.text.hasPrefix("playing kick") == true)
        _ = s.apply(playback: .finished(classIndex: 0), now: 12.2)
        _ = s.apply(.epochOutputsWritten(epoch: 4, png: URL(fileURLWithPath: "/tmp/p.png"), wavs: []), now: 20)
        #expect(s.message?.text == "epoch 4: wrote /tmp/p.png")
    }

    /// Scores are kept per epoch (the trend) and the latest shown; the epoch's message names
    /// its fidelity; a class that collapses is a warning that routine news does not hide.
    @Test func qualityScoresTrendAndCollapseWarning() {
        var s = Fixtures.state(steps: 10)
        #expect(s.qualityEpoch == 2 && s.fidelity.series.count == 2)
        #expect(s.fidelity.series == [Fixtures.quality(epoch: 1), Fixtures.quality(epoch: 2)].map { Float($0.fidelity) })
        _ = s.apply(.qualityScored(epoch: 3, Fixtures.quality(epoch: 3)), now: 2000)
        _ = s.apply(.epochFinished(epoch: 3, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 2000)
        #expect(s.message?.text == "epoch 3 done in 00:03: mean D 0.500, G 2.000 · fidelity 0.29 (ceiling 0.96)")
        #expect(s.message?.routine == true)

        _ = s.apply(.qualityScored(epoch: 4, Fixtures.quality(epoch: 4, collapsed: 1)), now: 2010)
        #expect(s.message?.text == "mode collapse at epoch 4 in snare: near-identical samples" && s.message?.kind == .error)
        _ = s.apply(.epochFinished(epoch: 4, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 2010.1)
        #expect(s.message?.kind == .error, "the warning stays for a few seconds")
        // Still collapsed next epoch: no new warning; the routine message may come back.
        _ = s.apply(.qualityScored(epoch: 5, Fixtures.quality(epoch: 5, collapsed: 1)), now: 2020)
        _ = s.apply(.epochFinished(epoch: 5, meanLossD: 0.5, meanLossG: 2, seconds: 3), now: 2020)
        #expect(s.message?.text.hasPrefix("epoch 5 done") == true)
        #expect(s.quality?.collapsed == [false, true, false] && s.fidelity.series.count == 5)
    }

    /// best.safetensors is written at many epoch ends: routine news, which neither hides the
    /// message the user is reading nor becomes the checkpoint named on the way out.
    @Test func bestCheckpointSavesAreRoutine() {
        var s = Fixtures.state()
        _ = s.apply(playback: .wroteFile(classIndex: 0, path: "run/auditions/kick_0001.wav", reason: "audio device default failed: x"), now: 3000)
        let best = URL(fileURLWithPath: "/tmp/r/checkpoints/best.safetensors")
        _ = s.apply(.bestCheckpointSaved(epoch: 7, best), now: 3001)
        #expect(s.message?.text == "audio device default failed: x; wrote run/auditions/kick_0001.wav instead")
        #expect(s.lastCheckpoint == nil)
        _ = s.apply(.bestCheckpointSaved(epoch: 8, best), now: 3005)
        #expect(s.message?.text == "epoch 8 is the best so far: saved /tmp/r/checkpoints/best.safetensors" && s.message?.routine == true)
    }
}
