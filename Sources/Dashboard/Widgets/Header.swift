import Foundation
import GAN
import Support

/// The top of the screen: a title bar (dataset, classes, clips, shape, state) and the run's
/// progress (epoch/step, rates, elapsed, ETA, output folder) flowing over one or two lines.
public enum Header {
    /// Rows the header needs at this width.
    public static func height(_ state: AppState, width: Int) -> Int {
        1 + lines(segments(state) + kernels(state), width: width - 1).count
    }

    /// Which OpenBLAS kernels run, after everything else, where there is room.
    static func kernels(_ s: AppState) -> [Segment] { s.context.kernels.isEmpty ? [] : [Segment(label: "", value: s.context.kernels)] }

    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        guard area.height >= 1 else { return }
        let c = state.context
        buf.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), " ", style: theme.titleBar)
        let title = " cgan-tui  \(c.datasetName) · \(counted(c.classNames.count, "class")) · \(counted(c.totalClips, "clip")) · \(c.nMels)×\(c.frames) log-mel"
        let stateText = " \(glyphs == .unicode ? state.stateLabel : state.stateLabel.replacingOccurrences(of: "·", with: "|")) "
        let titleText = glyphs == .unicode ? title : title.replacingOccurrences(of: "·", with: "|").replacingOccurrences(of: "×", with: "x")
        buf.put(fit(titleText, area.width - stateText.count - 1, glyphs), x: area.x, y: area.y, style: theme.titleBar)
        var stateColour = state.displayedState
        if state.listening { stateColour = .running }
        var stateStyle = theme.state(stateColour)
        stateStyle.attributes.insert(.reverse)
        if theme.mode == .monochrome { stateStyle = CellStyle(attributes: [.bold]) }
        buf.put(stateText, x: area.maxX - stateText.count - 1, y: area.y, style: stateStyle)

        for (i, line) in lines(segments(state) + kernels(state), width: area.width - 1).enumerated() where i + 1 < area.height {
            var x = area.x + 1
            for seg in line {
                x = buf.put(seg.label, x: x, y: area.y + 1 + i, width: area.maxX - x, style: theme.label)
                x = buf.put(seg.value, x: x, y: area.y + 1 + i, width: area.maxX - x, style: theme.value)
                x += 2
            }
        }
    }

    struct Segment { var label: String; var value: String }

    static func segments(_ s: AppState) -> [Segment] {
        let c = s.context
        let epochs = c.totalEpochs > 0 ? "\(max(s.epoch, 0))/\(c.totalEpochs)" : "\(s.epoch)"
        let inEpoch = s.stepsPerEpoch > 0 ? " (\(s.stepInEpoch)/\(s.stepsPerEpoch))" : ""
        let skipped = c.skippedFiles.isEmpty ? [] : [Segment(label: "", value: "\(c.skippedFiles.count) skipped (w lists)")]
        if s.listening {
            // Rates and the ETA mean nothing any more; say what plays instead.
            let source = c.generatorSource ?? "the final generator"
            return [Segment(label: "epoch ", value: "\(s.epoch)"), Segment(label: "step ", value: "\(s.step)"),
                    Segment(label: "playing from ", value: source)]
                + (c.listenOnly ? [] : [Segment(label: "trained ", value: Format.duration(s.elapsed))])
                + skipped + [Segment(label: "out ", value: Format.path(c.outputFolder))]
        }
        return [
            Segment(label: "epoch ", value: epochs),
            Segment(label: "step ", value: "\(s.step)\(inEpoch)"),
            Segment(label: "", value: Format.rate(s.stepsPerSecond) + " steps/s"),
            Segment(label: "", value: Format.rate(s.samplesPerSecond) + " samples/s"),
            Segment(label: "elapsed ", value: Format.duration(s.elapsed)),
            Segment(label: "ETA ", value: s.eta.map(Format.duration) ?? "--:--"),
        ] + skipped + [
            Segment(label: "out ", value: Format.path(c.outputFolder)),
        ]
    }

    /// Flows segments into at most two lines of `width` columns (two spaces between).
    static func lines(_ segs: [Segment], width: Int) -> [[Segment]] {
        var out: [[Segment]] = [[]]
        var used = 0
        for seg in segs {
            let w = CellBuffer.displayWidth(seg.label + seg.value)
            if used > 0, used + 2 + w > width {
                if out.count == 2 { break }
                out.append([]); used = 0
            }
            out[out.count - 1].append(seg)
            used += (used > 0 ? 2 : 0) + w
        }
        return out
    }
}
