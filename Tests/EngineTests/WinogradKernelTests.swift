import Engine
import Support
import Testing

/// The C transform kernels (portable, AVX2 and AVX-512: isa 0, 1, 2) against the Swift reference
/// loops, on tile counts around the 8- and 16-tile vector steps. They do the same additions in the same order, so the results
/// must be the same bits.
@Suite struct WinogradKernelTests {
    static let tileCounts = [1, 7, 8, 9, 16, 17, 19, 24, 32, 35]

    func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< n).map { _ in rng.nextUniform() * 2 - 1 }
    }

    @Test(arguments: tileCounts)
    func inputTransform(_ tiles: Int) {
        let stride = 2 * tiles + 5, step = tiles + 3
        let input = random(3 * stride + 2 * tiles + 24, seed: UInt64(tiles))   // rows padded as the layers pad them
        var expected = [Float](repeating: 0, count: 9 * step)
        input.withUnsafeBufferPointer { p in
            expected.withUnsafeMutableBufferPointer { v in
                WinogradConv.inputTransformReference(p.baseAddress!, stride: stride, into: v.baseAddress!, step: step, tiles: tiles)
            }
            for isa: Int32 in [0, 1, 2] {
                var got = [Float](repeating: 0, count: 9 * step)
                got.withUnsafeMutableBufferPointer { v in WinogradConv.inputTransform(p.baseAddress!, stride: stride, into: v.baseAddress!, step: step, tiles: tiles, isa: isa) }
                #expect(got == expected, "isa \(isa), \(tiles) tiles")
            }
        }
    }

    @Test(arguments: tileCounts)
    func outputTransforms(_ tiles: Int) {
        let plane = tiles + 2
        let m = random(9 * plane, seed: 100 + UInt64(tiles))
        m.withUnsafeBufferPointer { mp in
            let mb = mp.baseAddress!
            var r0 = [Float](repeating: -7, count: 4 * tiles), r1 = r0
            WinogradConv.outputReference(mb, plane: plane, tiles: tiles, bias: 0.25, &r0, &r1, spacing: 1)
            var p0 = r0.map { _ in Float(-7) }, p1 = p0
            WinogradConv.outputReference(mb, plane: plane, tiles: tiles, bias: 0.25, &p0, &p1, spacing: 2)
            for isa: Int32 in [0, 1, 2] {
                var y0 = [Float](repeating: -7, count: 4 * tiles), y1 = y0
                WinogradConv.outputRows(mb, plane: plane, tiles: tiles, bias: 0.25, &y0, &y1, isa: isa)
                #expect(y0 == r0 && y1 == r1, "rows, isa \(isa), \(tiles) tiles")
                // The phase output writes every other element only: the gaps keep their -7.
                var x0 = [Float](repeating: -7, count: 4 * tiles), x1 = x0
                WinogradConv.outputPhase(mb, plane: plane, tiles: tiles, bias: 0.25, &x0, &x1, isa: isa)
                #expect(x0 == p0 && x1 == p1, "phase, isa \(isa), \(tiles) tiles")
                #expect(x0.enumerated().allSatisfy { $0.offset % 2 == 1 ? $0.element == -7 : $0.element != -7 })
            }
        }
    }

    @Test(arguments: tileCounts)
    func filterTransform(_ tiles: Int) {
        let step = tiles + 1
        let d = random(4 * tiles, seed: 200 + UInt64(tiles))
        d.withUnsafeBufferPointer { dp in
            let d0 = dp.baseAddress!, d1 = d0 + 2 * tiles
            var expected = [Float](repeating: 0, count: 9 * step)
            WinogradConv.filterRowsReference(d0, d1, &expected, step: step, tiles: tiles)
            for isa: Int32 in [0, 1, 2] {
                var got = [Float](repeating: 0, count: 9 * step)
                WinogradConv.filterRows(d0, d1, &got, step: step, tiles: tiles, isa: isa)
                #expect(got == expected, "isa \(isa), \(tiles) tiles")
            }
        }
    }

    /// One input row into its two column phases, against the definition.
    @Test(arguments: [2, 14, 16, 18, 32, 34, 40, 64, 66, 70, 100])
    func splitRow(_ width: Int) {
        let src = random(width, seed: 300 + UInt64(width)), half = width / 2
        var expectedOdd = [Float](repeating: 0, count: half + 1), expectedEven = expectedOdd
        for q in 0 ..< half { expectedEven[q] = src[2 * q]; expectedOdd[q + 1] = src[2 * q + 1] }
        for isa: Int32 in [0, 1, 2] {
            var odd = [Float](repeating: 9, count: half + 1), even = odd
            WinogradConv.splitRow(src, width: width, odd: &odd, even: &even, isa: isa)
            #expect(odd == expectedOdd && even == expectedEven, "isa \(isa), width \(width)")
        }
    }
}
