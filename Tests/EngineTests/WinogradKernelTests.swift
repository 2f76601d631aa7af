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

    // F(4x4, 2x2): B^T and A^T for points 0, 1, -1, 2 and infinity (the Toom-Cook construction,
    // checked in double here against the direct sums) and G.
    static let bt: [[Double]] = [[2, -1, -2, 1, 0], [0, -2, -1, 1, 0], [0, 2, -3, 1, 0], [0, -1, 0, 1, 0], [0, 2, -1, -2, 1]]
    static let at: [[Double]] = [[1, 1, 1, 1, 0], [0, 1, -1, 2, 0], [0, 1, 1, 4, 0], [0, 1, -1, 8, 1]]
    static let g: [[Double]] = [[0.5, 0], [-0.5, -0.5], [-1.0 / 6, 1.0 / 6], [1.0 / 6, 1.0 / 3], [0, 1]]
    // The weight gradient's F(2x2, 4x4): G' (F(2, 4)'s G with its rows scaled to integers) and
    // A' (F(2, 4)'s A^T over those scales).
    static let gradientG: [[Double]] = [[1, 0, 0, 0], [1, 1, 1, 1], [1, -1, 1, -1], [1, 2, 4, 8], [0, 0, 0, 1]]
    static let gradientA: [[Double]] = [[0.5, -0.5, -1.0 / 6, 1.0 / 6, 0], [0, -0.5, 1.0 / 6, 1.0 / 3, 1]]

    /// Runs `kernel` on the portable and the AVX-512 path, each into `count` floats set to `fill`,
    /// expects the same bits from both, and returns the AVX-512 path's.
    func onEveryPath(_ count: Int, fill: Float = 0, _ what: String, _ kernel: (UnsafeMutablePointer<Float>, Int32) -> Void) -> [Float] {
        sameBitsOnEveryPath([Float](repeating: fill, count: count), paths: [0, 2], what, kernel)
    }

    /// For each of `count` tiles (or filters) t and each of the 25 points (i, k): v[(5i + k) * step + t]
    /// accepted by `within` (got, want) against want = M X M^T [i][k] in double, X(a, b) = x(t, a, b).
    func expectPoints(_ v: [Float], step: Int, count: Int, of item: String = "tile", _ matrix: [[Double]],
                      within: (Double, Double) -> Bool, _ x: (Int, Int, Int) -> Double,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        for t in 0 ..< count {
            for i in 0 ..< 5 {
                for k in 0 ..< 5 {
                    let want = Self.sandwich(matrix[i], matrix[k]) { x(t, $0, $1) }
                    #expect(within(Double(v[(5 * i + k) * step + t]), want), "\(item) \(t) point \(5 * i + k)",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Sum over a, b of left[a] x(a, b) right[b] in double: one element of L X R^T.
    static func sandwich(_ left: [Double], _ right: [Double], _ x: (Int, Int) -> Double) -> Double {
        var sum = 0.0
        for a in left.indices { for b in right.indices { sum += left[a] * x(a, b) * right[b] } }
        return sum
    }

    /// The three matrices compute 4 outputs of a 2-tap correlation: A^T ((G g) * (B^T d)) = d (x) g.
    @Test func largeTileMatricesAreACorrelation() {
        let d: [Double] = [0.3, -1.2, 2.5, 0.7, -0.4], taps: [Double] = [1.5, -0.8]
        let gg = Self.g.map { $0[0] * taps[0] + $0[1] * taps[1] }
        let bd = Self.bt.map { row in zip(row, d).reduce(0) { $0 + $1.0 * $1.1 } }
        for i in 0 ..< 4 {
            let y = (0 ..< 5).reduce(0.0) { $0 + Self.at[i][$1] * gg[$1] * bd[$1] }
            #expect(abs(y - (d[i] * taps[0] + d[i + 1] * taps[1])) < 1e-12)
        }
    }

    /// With the output scales A', G' and B^T compute a 2-output correlation with 4 taps.
    @Test func gradientMatricesAreACorrelation() {
        let d: [Double] = [0.3, -1.2, 2.5, 0.7, -0.4], taps: [Double] = [1.5, -0.8, 0.25, 2]
        let gf = Self.gradientG.map { row in zip(row, taps).reduce(0) { $0 + $1.0 * $1.1 } }
        let bd = Self.bt.map { row in zip(row, d).reduce(0) { $0 + $1.0 * $1.1 } }
        for u in 0 ..< 2 {
            let y = (0 ..< 5).reduce(0.0) { $0 + Self.gradientA[u][$1] * gf[$1] * bd[$1] }
            #expect(abs(y - (0 ..< 4).reduce(0.0) { $0 + d[u + $1] * taps[$1] }) < 1e-12)
        }
    }

    /// The input transform of 5x5 tiles 4 apart: the same bits on every path, and within float
    /// rounding of B^T d B in double. The rows hold exactly the floats the tiles cover.
    @Test(arguments: tileCounts)
    func largeInputTransform(_ tiles: Int) {
        let stride = 4 * tiles + 3, step = tiles + 2
        let input = random(4 * stride + 4 * tiles + 1, seed: 400 + UInt64(tiles))
        let v = onEveryPath(25 * step, "\(tiles) tiles") {
            WinogradConv.largeInputTransform(input, stride: stride, into: $0, step: step, tiles: tiles, isa: $1)
        }
        expectPoints(v, step: step, count: tiles, Self.bt, within: { got, want in abs(got - want) < 1e-5 }) { t, a, b in
            Double(input[a * stride + 4 * t + b])
        }
    }

    /// The output transform as rows: the same bits on every path, within float rounding of
    /// A^T m A + bias in double, and nothing written past the last tile.
    @Test(arguments: tileCounts)
    func largeOutputTransform(_ tiles: Int) {
        let plane = tiles + 2, rowStride = 4 * tiles + 3, count = 3 * rowStride + 4 * tiles + 1
        let m = random(25 * plane, seed: 500 + UInt64(tiles))
        let rows = onEveryPath(count, fill: -7, "rows, \(tiles) tiles") {
            WinogradConv.largeOutputRows(m, plane: plane, tiles: tiles, bias: 0.25, $0, rowStride: rowStride, isa: $1)
        }
        for t in 0 ..< tiles {
            for r in 0 ..< 4 {
                for s in 0 ..< 4 {
                    let want = 0.25 + Self.sandwich(Self.at[r], Self.at[s]) { i, k in Double(m[(5 * i + k) * plane + t]) }
                    #expect(abs(Double(rows[r * rowStride + 4 * t + s]) - want) < 1e-5, "tile \(t) (\(r), \(s))")
                }
            }
        }
        #expect(rows[4 * tiles] == -7)
    }

    /// The adjoint of the input transform with its windows overlapped: cell q of row r is the sum,
    /// over the tiles t whose 5-wide window covers q (4t <= q <= 4t + 4), of (B M_t B^T)[r][q - 4t]
    /// in double; the same bits on every path, and nothing written past cell 4 tiles of a row.
    @Test(arguments: tileCounts)
    func largeAdjointCells(_ tiles: Int) {
        let plane = tiles + 3, rowStride = 4 * tiles + 6, count = 4 * rowStride + 4 * tiles + 2
        let m = random(25 * plane, seed: 700 + UInt64(tiles))
        let cells = onEveryPath(count, fill: -7, "\(tiles) tiles") {
            WinogradConv.adjointCells(m, plane: plane, tiles: tiles, into: $0, rowStride: rowStride, isa: $1)
        }
        // (B M B^T)[r][s] = sum over i, k of B^T[i][r] M[i][k] B^T[k][s].
        let b = (0 ..< 5).map { r in (0 ..< 5).map { i in Self.bt[i][r] } }
        for r in 0 ..< 5 {
            for q in 0 ... 4 * tiles {
                var want = 0.0
                for t in max(0, (q - 1) / 4) ... min(tiles - 1, q / 4) where q - 4 * t >= 0 && q - 4 * t <= 4 {
                    want += Self.sandwich(b[r], b[q - 4 * t]) { i, k in Double(m[(5 * i + k) * plane + t]) }
                }
                #expect(abs(Double(cells[r * rowStride + q]) - want) < 1e-4, "row \(r) cell \(q)")
            }
            #expect(cells[r * rowStride + 4 * tiles + 1] == -7, "row \(r) past the last cell")
        }
    }

    /// One x row from two column phases' cells: x[2j] = even[j] (+ evenAbove[j]) (+ bias),
    /// x[2j + 1] = odd[j + 1] (+ oddAbove[j + 1]) (+ bias), summed in that order, and nothing
    /// written past x[2 width - 1]; the same bits on every path.
    @Test(arguments: [1, 7, 8, 15, 16, 17, 33, 64])
    func adjointRow(_ width: Int) {
        let odd = random(width + 1, seed: 800), even = random(width + 1, seed: 801)
        let oddAbove = random(width + 1, seed: 802), evenAbove = random(width + 1, seed: 803)
        for (above, bias) in [(false, nil), (true, nil), (false, 0.25), (true, -0.5)] as [(Bool, Float?)] {
            let x = oddAbove.withUnsafeBufferPointer { oa in
                evenAbove.withUnsafeBufferPointer { ea in
                    onEveryPath(2 * width + 1, fill: -7, "width \(width), above \(above), bias \(String(describing: bias))") {
                        WinogradConv.adjointRow(odd: odd, even: even, above: above ? (oa.baseAddress!, ea.baseAddress!) : nil,
                                                width: width, bias: bias, into: $0, isa: $1)
                    }
                }
            }
            for j in 0 ..< width {
                var e = even[j], o = odd[j + 1]
                if above { e = e + evenAbove[j]; o = o + oddAbove[j + 1] }
                if let bias { e = e + bias; o = o + bias }
                #expect(x[2 * j] == e && x[2 * j + 1] == o, "j \(j)")
            }
            #expect(x[2 * width] == -7)
        }
    }

    /// G g G^T of 2x2 filters read with a stride: the same bits on every path (8 at a time on
    /// AVX-512, the rest one at a time) and within a float rounding of the double definition.
    @Test(arguments: [1, 7, 8, 9, 16, 19])
    func largeFilterTransform(_ count: Int) {
        let stride = 16, step = count + 1, taps = (5, 7, 13, 15)
        let w = random(count * stride, seed: 600 + UInt64(count))
        let u = onEveryPath(25 * step, "\(count) filters") {
            WinogradConv.largeFilters(w, stride: stride, taps: taps, into: $0, step: step, count: count, isa: $1)
        }
        expectPoints(u, step: step, count: count, of: "filter", Self.g, within: { got, want in abs(got - want) <= Double(Float(want).ulp) }) { f, a, b in
            let p = f * stride
            return Double(w[p + [[taps.0, taps.1], [taps.2, taps.3]][a][b]])
        }
    }

    /// The weight gradient's transform of 4x4 blocks of dy: the same bits on every path, within
    /// float rounding of G' f G'^T in double.
    @Test(arguments: tileCounts)
    func largeGradientRows(_ tiles: Int) {
        let rowStride = 4 * tiles + 3, step = tiles + 2
        let dy = random(3 * rowStride + 4 * tiles, seed: 700 + UInt64(tiles))
        let u = onEveryPath(25 * step, "\(tiles) tiles") {
            WinogradConv.largeGradientRows(dy, rowStride: rowStride, into: $0, step: step, tiles: tiles, isa: $1)
        }
        expectPoints(u, step: step, count: tiles, Self.gradientG, within: { got, want in abs(got - want) < 1e-4 }) { t, a, b in
            Double(dy[a * rowStride + 4 * t + b])
        }
    }

    /// The weight gradient's output transform A'^T M A' of every column: the same bits on every
    /// path (8 columns at a time on AVX-512, the rest one at a time), within a float rounding
    /// of the double definition.
    @Test(arguments: [1, 7, 8, 9, 16, 19])
    func largeGradientOutput(_ k: Int) {
        let m = random(25 * k, seed: 800 + UInt64(k))
        let out = onEveryPath(4 * k, "\(k) columns") { WinogradConv.largeGradientOutput(m, columns: k, into: $0, isa: $1) }
        for kk in 0 ..< k {
            for u in 0 ..< 2 {
                for v in 0 ..< 2 {
                    let want = Self.sandwich(Self.gradientA[u], Self.gradientA[v]) { Double(m[(5 * $0 + $1) * k + kk]) }
                    #expect(abs(Double(out[(2 * u + v) * k + kk]) - want) <= Double(Float(want).ulp), "column \(kk) (\(u), \(v))")
                }
            }
        }
    }
}
