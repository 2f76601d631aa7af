import GAN

/// How much colour the terminal can show. Widgets draw differently per mode (the heatmap
/// switches from colours to a shading ramp), so the mode is part of what they render from.
public enum ColorMode: String, Sendable, CaseIterable {
    case truecolor      // 24-bit RGB (COLORTERM=truecolor or 24bit)
    case palette256     // the xterm 256-colour palette
    case eight          // the 8 ANSI colours: heatmap as a shading ramp, accents in colour
    case monochrome     // no colour at all (NO_COLOR, or a terminal without colours)

    /// Picks the mode from the environment and what the terminal reports (`colors` is
    /// ncurses' COLORS, 0 when it has no colours). NO_COLOR (any non-empty value) wins, as
    /// https://no-color.org asks.
    public static func detect(environment: [String: String], terminalColors: Int) -> ColorMode {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .monochrome }
        if terminalColors < 8 { return .monochrome }
        let colorterm = (environment["COLORTERM"] ?? "").lowercased()
        if colorterm == "truecolor" || colorterm == "24bit" { return .truecolor }
        if terminalColors >= 256 { return .palette256 }
        return .eight
    }

    /// Whether widgets may use RGB colours (the terminal maps them to its palette).
    var hasRGB: Bool { self == .truecolor || self == .palette256 }
}

/// The characters widgets draw with: Unicode blocks when the locale is UTF-8, ASCII otherwise
/// (without a UTF-8 locale ncurses prints block characters as blanks or garbage).
public struct Glyphs: Sendable, Equatable {
    public var sparkline: [Character]     // 9 levels, index 0 = empty
    public var ramp: [Character]          // shading ramp, darkest first
    public var upperHalf: Character?      // "▀" for two pixels per cell; nil: one pixel per cell
    public var horizontal: Character, vertical: Character
    public var topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character
    public var pointer: Character
    public var ellipsis: String
    public var play: Character

    public static let unicode = Glyphs(
        sparkline: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        ramp: [" ", "░", "▒", "▓", "█"], upperHalf: "▀",
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        pointer: "▶", ellipsis: "…", play: "♪")

    public static let ascii = Glyphs(
        sparkline: [" ", "_", ".", "-", "~", "=", "+", "*", "#"],
        ramp: [" ", ".", ":", "+", "#"], upperHalf: nil,
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        pointer: ">", ellipsis: "~", play: "*")
}

/// What a screen is rendered for: colour mode and character set.
public struct DisplayCapabilities: Sendable, Equatable {
    public var colorMode: ColorMode
    public var unicode: Bool
    public init(colorMode: ColorMode, unicode: Bool) { self.colorMode = colorMode; self.unicode = unicode }
    public var glyphs: Glyphs { unicode ? .unicode : .ascii }
    public static let truecolor = DisplayCapabilities(colorMode: .truecolor, unicode: true)
}

/// Named styles so widgets say what a thing is, not which colour it has.
public struct Theme: Sendable {
    public let mode: ColorMode
    public init(mode: ColorMode) { self.mode = mode }

    private func color(_ rgb: (UInt8, UInt8, UInt8), eight: UInt8) -> CellColor {
        switch mode {
        case .truecolor, .palette256: return .rgb(rgb.0, rgb.1, rgb.2)
        case .eight: return .indexed(eight)
        case .monochrome: return .terminalDefault
        }
    }

    // ANSI indices: 0 black 1 red 2 green 3 yellow 4 blue 5 magenta 6 cyan 7 white.
    public var plain: CellStyle { .plain }
    public var titleBar: CellStyle {
        mode == .monochrome ? CellStyle(attributes: [.reverse, .bold])
            : CellStyle(fg: color((16, 16, 24), eight: 0), bg: color((94, 201, 98), eight: 2), attributes: [.bold])
    }
    public var border: CellStyle { CellStyle(fg: color((88, 96, 112), eight: 4)) }
    public var panelTitle: CellStyle { CellStyle(fg: color((230, 230, 230), eight: 7), attributes: [.bold]) }
    public var label: CellStyle { CellStyle(fg: color((140, 148, 160), eight: 6)) }
    public var value: CellStyle { CellStyle(fg: color((235, 235, 235), eight: 7), attributes: [.bold]) }
    public var dim: CellStyle { mode == .monochrome ? CellStyle(attributes: [.dim]) : CellStyle(fg: color((110, 116, 128), eight: 7)) }
    public var lossD: CellStyle { CellStyle(fg: color((253, 231, 37), eight: 3)) }
    public var lossG: CellStyle { CellStyle(fg: color((53, 183, 121), eight: 2)) }
    public var selected: CellStyle {
        mode == .monochrome ? CellStyle(attributes: [.reverse, .bold])
            : CellStyle(fg: color((16, 16, 24), eight: 0), bg: color((253, 231, 37), eight: 3), attributes: [.bold])
    }
    public var key: CellStyle { CellStyle(fg: color((253, 231, 37), eight: 3), attributes: [.bold]) }
    public var error: CellStyle { CellStyle(fg: color((240, 80, 80), eight: 1), attributes: [.bold]) }
    public var good: CellStyle { CellStyle(fg: color((94, 201, 98), eight: 2), attributes: [.bold]) }

    public func state(_ s: TrainingState) -> CellStyle {
        switch s {
        case .running: return good
        case .paused, .saving, .loading: return key
        case .stopped: return value
        case .failed: return error
        }
    }
}
