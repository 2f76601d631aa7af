/// A bordered panel with a title in the top border and an optional caption in the bottom
/// border. Returns the inside.
public enum Panel {
    @discardableResult
    public static func render(title: String, caption: String? = nil, area: Rect, theme: Theme, glyphs g: Glyphs,
                              into buf: inout CellBuffer) -> Rect {
        guard area.width >= 2, area.height >= 2 else { return Rect(x: area.x, y: area.y, width: 0, height: 0) }
        let b = theme.border
        buf.fill(area, " ", style: .plain)
        for x in area.x + 1 ..< area.maxX - 1 {
            buf.set(x, area.y, g.horizontal, b)
            buf.set(x, area.maxY - 1, g.horizontal, b)
        }
        for y in area.y + 1 ..< area.maxY - 1 {
            buf.set(area.x, y, g.vertical, b)
            buf.set(area.maxX - 1, y, g.vertical, b)
        }
        buf.set(area.x, area.y, g.topLeft, b)
        buf.set(area.maxX - 1, area.y, g.topRight, b)
        buf.set(area.x, area.maxY - 1, g.bottomLeft, b)
        buf.set(area.maxX - 1, area.maxY - 1, g.bottomRight, b)
        if !title.isEmpty, area.width > 4 {
            buf.put(" \(title) ", x: area.x + 1, y: area.y, width: area.width - 2, style: theme.panelTitle)
        }
        if let caption, !caption.isEmpty, area.width > 4 {
            let text = " \(caption) "
            let x = max(area.x + 1, area.maxX - 1 - text.count - 1)
            buf.put(text, x: x, y: area.maxY - 1, width: area.maxX - 1 - x, style: theme.dim)
        }
        return area.inset(1)
    }
}

/// Truncates text to `width` terminal columns (a CJK character takes two), ending in an
/// ellipsis when cut.
func fit(_ text: String, _ width: Int, _ glyphs: Glyphs) -> String {
    guard width > 0 else { return "" }
    if CellBuffer.displayWidth(text) <= width { return text }
    let e = glyphs.ellipsis
    let room = width <= e.count ? width : width - e.count
    var out = "", used = 0
    for ch in text {
        let w = CellBuffer.displayWidth(CellBuffer.printable(ch))
        if used + w > room { break }
        out.append(ch); used += w
    }
    return width <= e.count ? out : out + e
}
