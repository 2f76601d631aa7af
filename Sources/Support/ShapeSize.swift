/// Sizes of arrays whose shapes come from files: a crafted shape ([2^32, 2^32]) must be
/// refused, not trap on overflow.
public enum ShapeSize {
    /// `elementSize` times the product of `shape`, or nil when it overflows Int.
    public static func bytes(_ shape: [Int], elementSize: Int) -> Int? {
        var n = elementSize
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }
}
