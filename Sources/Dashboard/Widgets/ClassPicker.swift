import Foundation
import Quality
import Support

/// Every class with its clip count and, once an epoch was scored, its fidelity (in the error
/// colour with a `!` when the class collapsed); the selected one highlighted, 1-9 shortcuts
/// shown. Scrolls to keep the selection visible when there are more classes than rows.
public enum ClassPicker {
    public static func render(_ state: AppState, area: Rect, theme: Theme, glyphs: Glyphs, into buf: inout CellBuffer) {
        let names = state.context.classNames
        let inner = Panel.render(title: "Classes", caption: names.count > 1 ? (glyphs == .unicode ? "↑↓ jk 1-9" : "jk 1-9") : nil,
                                 area: area, theme: theme, glyphs: glyphs, into: &buf)
        guard inner.height > 0, inner.width > 4 else { return }
        let first = max(0, min(state.selected - inner.height + 1, names.count - inner.height))
        let visible = first ..< min(names.count, first + inner.height)
        for (row, k) in visible.enumerated() {
            let y = inner.y + row
            let isSelected = k == state.selected
            let style = isSelected ? theme.selected : theme.plain
            if isSelected { buf.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), " ", style: style) }
            let count = k < state.context.clipCounts.count ? state.context.clipCounts[k] : 0
            let countText = counted(count, "clip")
            let key = k < 9 ? "\(k + 1)" : " "
            var x = buf.put(isSelected ? String(glyphs.pointer) : " ", x: inner.x, y: y, style: style)
            x = buf.put("\(key) ", x: x + 1, y: y, style: isSelected ? style : theme.key)
            let score = fidelityText(state.quality, k)
            let right = inner.maxX - score.count
            let nameWidth = right - x - countText.count - 1
            buf.put(fit(names[k], nameWidth, glyphs), x: x, y: y, width: nameWidth, style: style)
            buf.put(countText, x: right - countText.count, y: y, style: isSelected ? style : theme.label)
            let collapsed = state.quality?.collapsed.indices.contains(k) == true && state.quality!.collapsed[k]
            buf.put(score, x: right, y: y, style: collapsed ? theme.error : isSelected ? style : theme.value)
        }
        if first > 0 { buf.set(inner.maxX - 1, inner.y - 1, "^", theme.dim) }
        if visible.upperBound < names.count { buf.set(inner.maxX - 1, inner.maxY, "v", theme.dim) }
    }

    /// `"  0.85"`, `" !0.85"` for a collapsed class, `""` before the first score.
    static func fidelityText(_ q: QualityReport?, _ k: Int) -> String {
        guard let q, q.classFidelity.indices.contains(k) else { return "" }
        return (q.collapsed[k] ? " !" : "  ") + String(format: "%.2f", q.classFidelity[k])
    }
}
