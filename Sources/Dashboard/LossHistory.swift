/// A loss series of bounded size that keeps the whole run: when the buffer fills, neighbouring
/// buckets are averaged in pairs and each bucket covers twice as many steps. A run of a
/// million steps ends up as at most `capacity` buckets that still show its whole trend.
public struct LossHistory: Sendable, Equatable {
    public let capacity: Int
    /// Mean of each bucket, oldest first.
    public private(set) var buckets: [Float] = []
    /// Steps per full bucket (a power of two).
    public private(set) var stepsPerBucket = 1
    private var partialSum: Float = 0
    private var partialCount = 0
    public private(set) var count = 0
    public private(set) var latest: Float?
    public private(set) var minimum: Float?
    public private(set) var maximum: Float?

    public init(capacity: Int = 512) {
        precondition(capacity >= 2 && capacity % 2 == 0, "capacity must be even")
        self.capacity = capacity
    }

    public mutating func append(_ value: Float) {
        guard value.isFinite else { return }     // a NaN step stops training; it is reported, not plotted
        count += 1
        latest = value
        minimum = Swift.min(minimum ?? value, value)
        maximum = Swift.max(maximum ?? value, value)
        partialSum += value
        partialCount += 1
        if partialCount == stepsPerBucket {
            buckets.append(partialSum / Float(partialCount))
            partialSum = 0; partialCount = 0
            if buckets.count == capacity {
                buckets = stride(from: 0, to: capacity, by: 2).map { (buckets[$0] + buckets[$0 + 1]) / 2 }
                stepsPerBucket *= 2
            }
        }
    }

    /// The series as plotted: full buckets plus the partial one being filled.
    public var series: [Float] {
        partialCount > 0 ? buckets + [partialSum / Float(partialCount)] : buckets
    }

    /// `series` resampled to exactly `columns` points when it is longer (mean of each span),
    /// unchanged when it fits.
    public func resampled(to columns: Int) -> [Float] {
        Self.resample(series, to: columns)
    }

    static func resample(_ values: [Float], to columns: Int) -> [Float] {
        guard columns > 0 else { return [] }
        guard values.count > columns else { return values }
        var out: [Float] = []
        out.reserveCapacity(columns)
        for c in 0 ..< columns {
            let lo = c * values.count / columns
            let hi = Swift.max(lo + 1, (c + 1) * values.count / columns)
            var s: Float = 0
            for i in lo ..< hi { s += values[i] }
            out.append(s / Float(hi - lo))
        }
        return out
    }
}
