import Foundation
import Testing
@testable import Dashboard
import GAN

/// Each widget on its own, in a buffer just big enough, against stored snapshots.
@Suite struct WidgetSnapshotTests {
    let theme = Theme(mode: .truecolor)

    @Test func header() {
        let s = Fixtures.state()
        var b = CellBuffer(width: 80, height: Header.height(s, width: 80))
        Header.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_header_80")
        var wide = CellBuffer(width: 120, height: Header.height(s, width: 120))
        Header.render(s, area: wide.area, theme: theme, glyphs: .unicode, into: &wide)
        assertSnapshot(wide, "widget_header_120")
    }

    @Test func lossPanel() {
        let s = Fixtures.state()
        var b = CellBuffer(width: 40, height: LossPanel.innerHeight(sparkRows: 3) + 2)
        LossPanel.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_losses")
    }

    @Test func lossPanelBeforeTheFirstStep() {
        let s = Fixtures.state(steps: 0)
        var b = CellBuffer(width: 40, height: LossPanel.innerHeight(sparkRows: 1) + 2)
        LossPanel.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_losses_empty")
    }

    @Test func heatmapTruecolor() {
        var b = CellBuffer(width: 32, height: 8)
        Heatmap.render(Fixtures.spectrogram(0), area: b.area, capabilities: .truecolor, into: &b)
        assertSnapshot(b, "widget_heatmap_kick")
    }

    @Test func heatmapMonochrome() {
        for k in 0 ..< 3 {
            var b = CellBuffer(width: 32, height: 8)
            Heatmap.render(Fixtures.spectrogram(k), area: b.area,
                           capabilities: DisplayCapabilities(colorMode: .monochrome, unicode: true), into: &b)
            assertSnapshot(b, "widget_heatmap_mono_\(Fixtures.context.classNames[k])", styles: false)
        }
    }

    @Test func classPicker() {
        var s = Fixtures.state()
        _ = s.apply(key: .char("2"), now: s.now)
        var b = CellBuffer(width: 34, height: 6)
        ClassPicker.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_classes")
    }

    /// A collapsed class's fidelity in the error colour with a `!`; the others as before.
    @Test func classPickerWithACollapsedClass() {
        var s = Fixtures.state()
        _ = s.apply(.qualityScored(epoch: 25, Fixtures.quality(epoch: 25, collapsed: 2)), now: s.now)
        var b = CellBuffer(width: 34, height: 6)
        ClassPicker.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_classes_collapsed")
        let rows = b.text().split(separator: "\n")
        #expect(rows[1].hasSuffix("40 clips  1.00│") && rows[3].hasSuffix("1 clip !0.90│"), "\(b.text())")
        #expect(b[31, 3].style == theme.error && b[31, 1].style != theme.error)
    }

    /// Before the first score the class list keeps its old look: no fidelity column.
    @Test func classPickerBeforeTheFirstScore() {
        var b = CellBuffer(width: 34, height: 6)
        ClassPicker.render(Fixtures.state(steps: 4), area: b.area, theme: theme, glyphs: .unicode, into: &b)
        #expect(b.text().split(separator: "\n")[1].hasSuffix("40 clips│"))
    }

    @Test func classPickerScrollsToTheSelection() {
        let names = (1 ... 14).map { "class-\($0)" }
        var ctx = Fixtures.context
        ctx.classNames = names
        ctx.clipCounts = Array(repeating: 3, count: 14)
        var s = AppState(context: ctx, now: 0)
        for _ in 0 ..< 11 { _ = s.apply(key: .down, now: 0) }
        var b = CellBuffer(width: 30, height: 7)
        ClassPicker.render(s, area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_classes_scrolled")
        #expect(b.text().contains("class-12"))
        #expect(!b.text().contains("class-1 "))
    }

    @Test func messageLine() {
        var s = Fixtures.state()
        var b = CellBuffer(width: 60, height: 3)
        MessageLine.render(s, area: Rect(x: 0, y: 0, width: 60, height: 1), theme: theme, glyphs: .unicode, into: &b)
        _ = s.apply(.checkpointSaved(URL(fileURLWithPath: "/tmp/cgan-runs/demo/checkpoints/latest.safetensors")), now: s.now)
        MessageLine.render(s, area: Rect(x: 0, y: 1, width: 60, height: 1), theme: theme, glyphs: .unicode, into: &b)
        _ = s.apply(.error("loss became NaN at step 121: stopped, last good checkpoint kept"), now: s.now)
        MessageLine.render(s, area: Rect(x: 0, y: 2, width: 60, height: 1), theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_message")
    }

    @Test func hintLine() {
        var b = CellBuffer(width: 120, height: 4)
        var s = Fixtures.state()
        HintLine.render(s, area: Rect(x: 0, y: 0, width: 80, height: 1), theme: theme, glyphs: .unicode, into: &b)
        HintLine.render(s, area: Rect(x: 0, y: 1, width: 80, height: 1), theme: theme, glyphs: .ascii, into: &b)
        HintLine.render(s, area: Rect(x: 0, y: 2, width: 120, height: 1), theme: theme, glyphs: .unicode, into: &b)
        _ = s.apply(.finished, now: s.now)
        HintLine.render(s, area: Rect(x: 0, y: 3, width: 120, height: 1), theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_hint")
        let rows = b.text().split(separator: "\n")
        // Narrow: q, play and help stay; wide: every key; finished: nothing to pause or save.
        #expect(rows[0].contains("q quit") && rows[0].contains("⏎ play") && rows[0].contains("? help"))
        #expect(rows[2].contains("r real clip") && rows[2].contains("b A/B") && rows[2].contains("p pause"))
        #expect(rows[3].contains("r real clip") && !rows[3].contains("p pause") && !rows[3].contains("s save"))
    }

    @Test func helpOverlay() {
        var b = CellBuffer(width: 70, height: 20)
        HelpOverlay.render(Fixtures.state(), area: b.area, theme: theme, glyphs: .unicode, into: &b)
        assertSnapshot(b, "widget_help")
    }

    @Test func tooSmall() {
        var b = CellBuffer(width: 60, height: 10)
        TooSmallScreen.render(area: b.area, theme: theme, into: &b)
        assertSnapshot(b, "widget_too_small")
    }
}
