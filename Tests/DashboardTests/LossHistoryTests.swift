import Testing
@testable import Dashboard

@Suite struct LossHistoryTests {
    @Test func downSamplesInsteadOfDropping() {
        var h = LossHistory(capacity: 8)
        for v in 1 ... 64 { h.append(Float(v)) }
        // Buckets merge in pairs whenever 8 are full: 64 steps end as 4 buckets of 16 steps,
        // the means of 1-16, 17-32, 33-48 and 49-64. The first steps are still represented.
        #expect(h.stepsPerBucket == 16)
        #expect(h.series == [8.5, 24.5, 40.5, 56.5])
        #expect(h.count == 64 && h.latest == 64 && h.minimum == 1 && h.maximum == 64)
    }

    @Test func partialBucketIsPlotted() {
        var h = LossHistory(capacity: 4)
        for v in [1, 2, 3, 4, 5] as [Float] { h.append(v) }
        // After 4 values: [1.5, 3.5] at 2 steps per bucket; the 5th is a partial bucket.
        #expect(h.series == [1.5, 3.5, 5])
    }

    @Test func boundedMemoryOverALongRun() {
        var h = LossHistory(capacity: 512)
        for i in 0 ..< 100_000 { h.append(Float(i % 7)) }
        #expect(h.buckets.count < 512)
        #expect(h.count == 100_000)
    }

    @Test func nonFiniteValuesAreSkipped() {
        var h = LossHistory()
        h.append(.nan); h.append(.infinity); h.append(0.5)
        #expect(h.count == 1 && h.series == [0.5])
    }

    @Test func resampleAveragesSpans() {
        #expect(LossHistory.resample([1, 2, 3, 4, 5, 6], to: 3) == [1.5, 3.5, 5.5])
        #expect(LossHistory.resample([1, 2], to: 5) == [1, 2])
    }
}
