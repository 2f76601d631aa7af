import Foundation
import Testing
@testable import Dashboard
import GAN

/// Whole screens, as the terminal would receive them, at the two reference sizes and in
/// every colour/character mode.
@Suite struct ScreenSnapshotTests {
    @Test func running80x24() {
        let s = Fixtures.state()
        let b = Screen.render(s, width: 80, height: 24, capabilities: .truecolor)
        assertSnapshot(b, "screen_80x24")
        // The parts the issue asks for, independent of the stored file.
        let text = b.text()
        for needle in ["demo", "3 classes", "77 clips", "32×64", "epoch 24/50", "step 120", "2.00 steps/s",
                       "32.0 samples/s", "elapsed 01:23", "ETA 01:05", "/tmp/cgan-runs/demo", "RUNNING",
                       "D 0.531", "G 2.031", "F 0.89/0.96", "kick", "40 clips  1.00", "snare", "hat", "? help", "q quit"] {
            #expect(text.contains(needle), "missing \(needle)")
        }
        #expect(text.contains("▀"))
    }

    /// A class collapses: the warning on the message line, the class marked in the list.
    @Test func collapseWarning80x24() {
        var s = Fixtures.state()
        _ = s.apply(.qualityScored(epoch: 25, Fixtures.quality(epoch: 25, collapsed: 2)), now: s.now)
        _ = s.apply(.epochFinished(epoch: 25, meanLossD: 0.5, meanLossG: 2, seconds: 2.5), now: s.now + 0.1)
        let b = Screen.render(s, width: 80, height: 24, capabilities: .truecolor)
        assertSnapshot(b, "screen_80x24_collapse")
        #expect(b.text().contains("! mode collapse at epoch 25 in hat: near-identical samples"))
        #expect(b.text().contains("1 clip !0.90"))
    }

    @Test func running160x48() {
        var s = Fixtures.state()
        _ = s.apply(key: .down, now: s.now)
        assertSnapshot(Screen.render(s, width: 160, height: 48, capabilities: .truecolor), "screen_160x48")
    }

    @Test func realBesideGenerated160x48() {
        var ctx = Fixtures.context
        // "Real" examples: the fixture spectrograms of the next class, so the two panels differ.
        ctx.realExamples = [0: Fixtures.spectrogram(1).logMel, 1: Fixtures.spectrogram(2).logMel]
        var s = AppState(context: ctx, now: 1000)
        _ = s.apply(.samplesReady(epoch: 1, step: 5, (0 ..< 3).map { Fixtures.spectrogram($0) }), now: 1000)
        let b = Screen.render(s, width: 160, height: 48, capabilities: .truecolor)
        assertSnapshot(b, "screen_160x48_real_beside_generated")
        #expect(b.text().contains("Real: kick"))
        // At 80 columns there is no room: the generated spectrogram alone.
        #expect(!Screen.render(s, width: 80, height: 24, capabilities: .truecolor).text().contains("Real:"))
    }

    @Test func helpOverlay80x24() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("?"), now: s.now)
        assertSnapshot(Screen.render(s, width: 80, height: 24, capabilities: .truecolor), "screen_80x24_help")
    }

    @Test func helpOverlay160x48() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("?"), now: s.now)
        assertSnapshot(Screen.render(s, width: 160, height: 48, capabilities: .truecolor), "screen_160x48_help")
    }

    @Test func tooSmall() {
        let b = Screen.render(Fixtures.state(), width: 79, height: 24, capabilities: .truecolor)
        assertSnapshot(b, "screen_79x24_too_small")
        #expect(b.text().contains("terminal too small"))
        #expect(Screen.render(Fixtures.state(), width: 80, height: 23, capabilities: .truecolor).text().contains("terminal too small"))
        #expect(!Screen.render(Fixtures.state(), width: 80, height: 24, capabilities: .truecolor).text().contains("terminal too small"))
    }

    @Test func monochrome() {
        let caps = DisplayCapabilities(colorMode: .monochrome, unicode: true)
        let b = Screen.render(Fixtures.state(), width: 80, height: 24, capabilities: caps)
        assertSnapshot(b, "screen_80x24_monochrome")
        // No colour anywhere: only attributes (reverse/bold/dim) tell things apart.
        #expect(b.cells.allSatisfy { $0.style.fg == .terminalDefault && $0.style.bg == .terminalDefault })
        #expect(b.text().contains("█") && b.text().contains("░"))
    }

    @Test func monochrome160x48() {
        let caps = DisplayCapabilities(colorMode: .monochrome, unicode: true)
        assertSnapshot(Screen.render(Fixtures.state(), width: 160, height: 48, capabilities: caps), "screen_160x48_monochrome")
    }

    @Test func eightColours() {
        let caps = DisplayCapabilities(colorMode: .eight, unicode: true)
        let b = Screen.render(Fixtures.state(), width: 80, height: 24, capabilities: caps)
        assertSnapshot(b, "screen_80x24_8colour")
        #expect(b.cells.allSatisfy {
            if case .rgb = $0.style.fg { return false }
            if case .rgb = $0.style.bg { return false }
            return true
        })
    }

    @Test func asciiLocale() {
        let caps = DisplayCapabilities(colorMode: .monochrome, unicode: false)
        let b = Screen.render(Fixtures.state(), width: 80, height: 24, capabilities: caps)
        assertSnapshot(b, "screen_80x24_ascii")
        // Nothing outside ASCII reaches a terminal without a UTF-8 locale.
        #expect(b.cells.allSatisfy { $0.character.unicodeScalars.allSatisfy { $0.value < 0x7f } })
    }

    @Test func beforeTheFirstStep() {
        let s = AppState(context: Fixtures.context, now: 1000)
        assertSnapshot(Screen.render(s, width: 80, height: 24, capabilities: .truecolor), "screen_80x24_loading")
    }

    /// After the last epoch: the header says it is a player, the clock has stopped, the hint
    /// line has no pause or save, the panel says what the clips come from.
    @Test func listeningAfterTraining80x24() {
        var ctx = Fixtures.context
        ctx.generatorSource = "the final generator"
        var s = AppState(context: ctx, now: 1000)
        let state = Fixtures.state()
        s.lossD = state.lossD; s.lossG = state.lossG; s.epoch = 24; s.step = 120
        _ = s.apply(.samplesReady(epoch: 24, step: 120, (0 ..< 3).map { Fixtures.spectrogram($0) }), now: 1060)
        _ = s.apply(.stateChanged(.stopped), now: 1060)
        _ = s.apply(.finished, now: 1061)
        s.now = 2000
        let b = Screen.render(s, width: 80, height: 24, capabilities: .truecolor)
        assertSnapshot(b, "screen_80x24_listening")
        let text = b.text()
        for needle in ["FINISHED · listening", "playing from the final generator", "trained 01:00", "r real clip",
                       "training finished at epoch 24: Enter plays the final generator"] {
            #expect(text.contains(needle), "missing \(needle)")
        }
        #expect(!text.contains("p pause") && !text.contains("ETA"))
    }

    /// Class names in other scripts: two columns per CJK character, the borders stay put.
    @Test func nonASCIIClassNames80x24() {
        var ctx = Fixtures.context
        ctx.classNames = ["日本語", "café", "hat"]
        var s = AppState(context: ctx, now: 1000)
        _ = s.apply(.samplesReady(epoch: 1, step: 5, (0 ..< 3).map { Fixtures.spectrogram($0) }), now: 1000)
        let b = Screen.render(s, width: 80, height: 24, capabilities: .truecolor)
        assertSnapshot(b, "screen_80x24_non_ascii")
        let rows = b.text().split(separator: "\n").map(String.init)
        let row = rows.first { $0.contains("▶ 1 日本語") }
        #expect(row != nil)
        #expect(rows.contains { $0.contains("2 café") })
        #expect(rows.contains { $0.contains("Spectrogram: 日本語") })
        // Every row is 80 columns wide on screen (CJK counted twice).
        #expect(rows.allSatisfy { CellBuffer.displayWidth($0) == 80 }, "\(rows.map { CellBuffer.displayWidth($0) })")
        // Without a UTF-8 locale each column of a name becomes "?", so the rows keep their width.
        let ascii = Screen.render(s, width: 80, height: 24, capabilities: DisplayCapabilities(colorMode: .monochrome, unicode: false))
        let asciiRows = ascii.text().split(separator: "\n")
        #expect(asciiRows.allSatisfy { $0.count == 80 && $0.allSatisfy(\.isASCII) })
        #expect(asciiRows.contains { $0.contains("> 1 ??????") } && asciiRows.contains { $0.contains("2 caf?") })
    }

    /// At 200 x 60 the three classes get their rows and no more; the spare rows go to the loss
    /// sparklines (the heatmap has the full height on the right).
    @Test func spareRowsGoToTheCharts200x60() {
        let b = Screen.render(Fixtures.state(), width: 200, height: 60, capabilities: .truecolor)
        let rows = b.text().split(separator: "\n").map(String.init)
        let classesTop = rows.firstIndex { $0.hasPrefix("┌ Classes") }!
        let classesBottom = rows.indices.first { $0 > classesTop && rows[$0].hasPrefix("└") }!
        #expect(classesBottom - classesTop - 1 <= 4, "class panel has \(classesBottom - classesTop - 1) rows for 3 classes")
        let dRow = rows.firstIndex { $0.hasPrefix("│D ") }!, gRow = rows.firstIndex { $0.hasPrefix("│G ") }!
        #expect(gRow - dRow - 1 >= 20, "D sparkline has \(gRow - dRow - 1) rows")
        let heatmapRows = rows.filter { $0.contains("▀") }.count
        #expect(heatmapRows >= 50)
    }

    /// The heatmap's frequency axis and colour scale.
    @Test func heatmapAxes() {
        let text = Screen.render(Fixtures.state(), width: 80, height: 24, capabilities: .truecolor).text()
        // Fixture: 32 HTK bands to 11025 Hz; the top row's band peaks at 10.2 kHz, the lowest at 130 Hz.
        #expect(text.contains("│10k  ") && text.contains("│130  ") && text.contains("│Hz   low -6.91"))
        #expect(text.contains("0.00 high"))
    }

    @Test func playingAndQuitting() {
        var s = Fixtures.state()
        let t = s.now
        _ = s.apply(key: .char("3"), now: t)
        _ = s.apply(key: .enter, now: t)
        let clip = SynthesizedClip(classIndex: 2, sampleRate: 22050, samples: [Float](repeating: 0, count: 22050 * 3),
                                   spectrogram: Fixtures.spectrogram(2), requestedAt: t)
        _ = s.apply(.clipSynthesized(clip), now: t + 0.1)
        _ = s.apply(playback: .started(classIndex: 2, seconds: 3, firstSampleAt: t + 0.15), now: t + 0.15)
        #expect(s.message?.text == "playing hat, 3.0 s (150 ms from key to sound)")
        assertSnapshot(Screen.render(s, width: 80, height: 24, capabilities: .truecolor), "screen_80x24_playing")
        _ = s.apply(key: .char("q"), now: s.now)
        assertSnapshot(Screen.render(s, width: 80, height: 24, capabilities: .truecolor), "screen_80x24_quitting")
    }
}
