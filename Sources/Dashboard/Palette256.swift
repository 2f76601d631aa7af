/// The xterm 256-colour palette: 16 system colours, a 6x6x6 colour cube (16-231) and a
/// 24-step grey ramp (232-255). RGB cells map to the nearest cube or grey entry (the system
/// colours are left out: terminals theme them differently).
public enum Palette256 {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    public static func rgb(_ index: Int) -> (Int, Int, Int) {
        if index >= 232 { let v = 8 + 10 * (index - 232); return (v, v, v) }
        let i = index - 16
        return (cubeLevels[i / 36], cubeLevels[i / 6 % 6], cubeLevels[i % 6])
    }

    public static func nearest(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        func level(_ v: UInt8) -> Int {
            var best = 0
            for (i, l) in cubeLevels.enumerated() where abs(l - Int(v)) < abs(cubeLevels[best] - Int(v)) { best = i }
            return best
        }
        let cube = 16 + 36 * level(r) + 6 * level(g) + level(b)
        let mean = (Int(r) + Int(g) + Int(b)) / 3
        let grey = 232 + min(23, max(0, (mean - 3) / 10))
        return distance(rgb(cube), (r, g, b)) <= distance(rgb(grey), (r, g, b)) ? cube : grey
    }

    /// The nearest of the 8 ANSI colours (for 8-colour terminals).
    public static func nearestANSI(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let ansi = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]
        return ansi.indices.min { distance(ansi[$0], (r, g, b)) < distance(ansi[$1], (r, g, b)) }!
    }

    static func distance(_ a: (Int, Int, Int), _ b: (UInt8, UInt8, UInt8)) -> Int {
        let dr = a.0 - Int(b.0), dg = a.1 - Int(b.1), db = a.2 - Int(b.2)
        return dr * dr + dg * dg + db * db
    }
}
