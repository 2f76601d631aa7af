import GAN

/// The whole dashboard: a pure function of the state, the terminal size and its capabilities.
///
///     ┌ header (title bar + progress, 2-3 rows) ──────────────────────────┐
///     ┌ Losses ───────────┐┌ Spectrogram: <class> ──────────────────────┐
///     │ D  sparkline      ││ heatmap                                    │
///     │ G  sparkline      ││                                            │
///     ┌ Classes ──────────┐│                                            │
///     │ 1 kick   40 clips ││                                            │
///     message line
///     key hints
public enum Screen {
    public static func render(_ state: AppState, width: Int, height: Int, capabilities caps: DisplayCapabilities) -> CellBuffer {
        var buf = CellBuffer(width: width, height: height)
        let theme = Theme(mode: caps.colorMode)
        let glyphs = caps.glyphs
        let area = buf.area
        if width < TooSmallScreen.minimumWidth || height < TooSmallScreen.minimumHeight {
            TooSmallScreen.render(area: area, theme: theme, into: &buf)
            return buf
        }
        let (header, rest) = area.splitTop(Header.height(state, width: width))
        Header.render(state, area: header, theme: theme, glyphs: glyphs, into: &buf)
        let body = Rect(x: rest.x, y: rest.y, width: rest.width, height: rest.height - 2)
        MessageLine.render(state, area: Rect(x: 0, y: height - 2, width: width, height: 1), theme: theme, glyphs: glyphs, into: &buf)
        HintLine.render(state, area: Rect(x: 0, y: height - 1, width: width, height: 1), theme: theme, glyphs: glyphs, into: &buf)

        let leftWidth = max(34, width * 36 / 100)
        let (left, right) = body.splitLeft(leftWidth)
        // The class list takes the rows its classes need (at least 3, at most half the column);
        // every spare row goes to the loss sparklines.
        let classRows = min(max(3, state.context.classNames.count), max(3, left.height / 2 - 2))
        let sparkRows = max(1, (left.height - classRows - 2 - 2 - 1) / 2 - 1)
        let (losses, classes) = left.splitTop(LossPanel.innerHeight(sparkRows: sparkRows) + 2)
        LossPanel.render(state, area: losses, theme: theme, glyphs: glyphs, into: &buf)
        ClassPicker.render(state, area: classes, theme: theme, glyphs: glyphs, into: &buf)
        renderSpectrogram(state, area: right, caps: caps, theme: theme, into: &buf)

        if state.showHelp {
            HelpOverlay.render(state, area: body, theme: theme, glyphs: glyphs, into: &buf)
        } else if state.showSkipped {
            SkippedOverlay.render(state, area: body, theme: theme, glyphs: glyphs, into: &buf)
        }
        if !caps.unicode { asciiOnly(&buf) }
        return buf
    }

    /// Without a UTF-8 locale nothing outside ASCII may reach the terminal (class names and
    /// messages included): swap the few symbols we use, "?" for anything else.
    static func asciiOnly(_ buf: inout CellBuffer) {
        for y in 0 ..< buf.height {
            for x in 0 ..< buf.width {
                let ch = buf[x, y].character
                guard ch == Cell.wideTail || !ch.isASCII else { continue }   // a wide character becomes "??"
                let swap: Character = switch ch {
                case "·", "│": "|"
                case "×": "x"
                case "…": "~"
                case "─": "-"
                case "→": ">"
                default: "?"
                }
                buf[x, y].character = swap
            }
        }
    }

    /// Width from which a real clip of the class is shown beside the generated one.
    static let comparisonWidth = 90

    static func renderSpectrogram(_ state: AppState, area: Rect, caps: DisplayCapabilities, theme: Theme, into buf: inout CellBuffer) {
        let c = state.context
        if area.width >= comparisonWidth, let real = c.realExamples[state.selected], real.count == c.nMels * c.frames {
            let (left, right) = area.splitLeft(area.width / 2)
            renderGenerated(state, area: left, caps: caps, theme: theme, title: "Generated", into: &buf)
            let inner = Panel.render(title: fit("Real: \(state.className) (from the dataset)", right.width - 4, caps.glyphs),
                                     caption: nil, area: right, theme: theme, glyphs: caps.glyphs, into: &buf)
            Heatmap.renderWithAxes(GeneratedSpectrogram(classIndex: state.selected, nMels: c.nMels, frames: c.frames, logMel: real),
                                   area: inner, bandHz: c.bandHz, capabilities: caps, theme: theme, into: &buf)
        } else {
            renderGenerated(state, area: area, caps: caps, theme: theme, into: &buf)
        }
    }

    static func renderGenerated(_ state: AppState, area: Rect, caps: DisplayCapabilities, theme: Theme,
                                title prefix: String = "Spectrogram", into buf: inout CellBuffer) {
        let glyphs = caps.glyphs
        let origin = state.spectrogramOrigin[state.selected].map { " · \($0)" } ?? ""
        let title = "\(prefix): \(state.className)\(origin)"
        let caption = glyphs == .unicode ? "time → · low frequencies at the bottom" : "time -> | low frequencies at the bottom"
        let inner = Panel.render(title: fit(title, area.width - 4, glyphs), caption: caption, area: area, theme: theme,
                                 glyphs: glyphs, into: &buf)
        guard inner.height > 0, inner.width > 0 else { return }
        if let spec = state.spectrograms[state.selected] {
            Heatmap.renderWithAxes(spec, area: inner, bandHz: state.context.bandHz, capabilities: caps, theme: theme, into: &buf)
        } else {
            let text = "waiting for the first samples of \(state.className)"
            let x = inner.x + max(0, (inner.width - text.count) / 2)
            buf.put(text, x: x, y: inner.y + inner.height / 2, width: inner.maxX - x, style: theme.dim)
        }
    }
}
