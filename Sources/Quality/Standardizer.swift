/// Per-feature mean and standard deviation of a training set: `apply` turns a row into
/// z-scores, so that no feature dominates the classifier's penalty or the distances by its unit.
struct Standardizer: Sendable, Equatable {
    let mean: [Double]
    let scale: [Double]

    init(_ rows: [[Double]]) {
        precondition(!rows.isEmpty, "no rows to standardise by")
        let d = rows[0].count, n = Double(rows.count)
        var mean = [Double](repeating: 0, count: d)
        for r in rows { for j in 0 ..< d { mean[j] += r[j] } }
        for j in 0 ..< d { mean[j] /= n }
        var variance = [Double](repeating: 0, count: d)
        for r in rows { for j in 0 ..< d { variance[j] += (r[j] - mean[j]) * (r[j] - mean[j]) } }
        // A feature that never varies in the training set (a band silent in every clip) keeps
        // unit scale: dividing by ~0 would turn float noise in generated clips into huge values.
        scale = variance.map { v in
            let s = (v / n).squareRoot()
            return s > 1e-8 ? s : 1
        }
        self.mean = mean
    }

    func apply(_ row: [Double]) -> [Double] {
        (0 ..< row.count).map { (row[$0] - mean[$0]) / scale[$0] }
    }
}
