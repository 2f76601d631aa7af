import Testing

/// Runs `kernel` on a copy of `start` on each instruction-set path (`isa` 0 portable, 1 AVX2,
/// 2 AVX-512, or what this CPU runs for each), expects every path to give the first one's bits,
/// and returns the last path's result.
func sameBitsOnEveryPath(_ start: [Float], paths: [Int32] = [0, 1, 2], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation,
                         _ kernel: (UnsafeMutablePointer<Float>, Int32) -> Void) -> [Float] {
    let results = paths.map { isa in
        var out = start
        out.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, isa) }
        return out
    }
    for (isa, result) in zip(paths, results).dropFirst() {
        #expect(result.map(\.bitPattern) == results[0].map(\.bitPattern), "\(what): path \(isa) (or what this CPU runs for it)",
                sourceLocation: sourceLocation)
    }
    return results.last!
}
