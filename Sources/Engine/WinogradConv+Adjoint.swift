import CWinograd

extension WinogradConv {
    /// `convolveTransposed` with 4x4 tiles: the adjoint of `convolve`'s own algorithm. Per chunk of
    /// tile rows, y's 4x4 blocks are transformed (A y A^T: `transformGradient`, the transform the
    /// weight gradient gives dy), each point's product by U_e^T (filters in the `.adjoint` layout,
    /// 4C x O) gives every phase of x at once, and B m B^T of each tile lands on the split grid's
    /// cells, neighbouring windows summed (`wg4_adjoint_cells`); then each row phase's two column
    /// phases are interleaved into x (`wg4_adjoint_row`). The per-phase form (`.transposed`, kept
    /// for 2x2 tiles) transformed y's shifted windows once for each of x's four phases, 4 x O
    /// planes where `convolve` transforms 4C, and multiplied C x O matrices.
    ///
    /// Grid row 4 of a tile row is row 0 of the next one in its sample. Within a chunk the two
    /// rows' cells are summed before their x rows are written; where a chunk starts inside a
    /// sample, its first row's cells (head) and the previous chunk's last row's (tail) are kept
    /// per chunk and summed after the section the same way, so chunks and workers never change a bit.
    func convolveAdjoint(_ y: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         into x: UnsafeMutablePointer<Float>, scratch: WorkerBuffers) {
        let c = channels, o = outChannels, k = phaseRows, points = Self.points(4)
        let tw = tilesPerRow(4), tileRows = tileRows(4), th = outHeight / 4, h = height, w = width, ow = outWidth
        let rows = chunkTileRows(floatsPerTile: points * (k + o), side: 4, packedProducts: true), chunks = (tileRows + rows - 1) / rows
        // One grid row of one phase plane: 4 tw + 1 cells, padded to whole vectors. Two sets (this
        // tile row's and the one above's) of 5 rows for each of the 2 column phases.
        let cellStride = (4 * tw + 1 + 15) / 16 * 16, cellSet = 2 * 5 * cellStride
        scratch.prepare(workers: settings.threads,
                        count: Self.chunkFloats(points: points, planes: o, outPlanes: k, tiles: rows * tw) + 2 * cellSet)
        // Per chunk, for every (a, c), both column phases' cells of its head and its tail row.
        let slotFloats = 2 * cellStride, chunkCarry = 2 * c * slotFloats
        let heads = scratch.buffer(settings.threads, count: 2 * chunks * chunkCarry).pointer, tails = heads + chunks * chunkCarry
        func slot(_ base: UnsafeMutablePointer<Float>, chunk: Int, a: Int, channel: Int) -> UnsafeMutablePointer<Float> {
            base + chunk * chunkCarry + (a * c + channel) * slotFloats
        }
        let addBias: Int32 = bias == nil ? 0 : 1
        func xRow(_ channel: Int, sample n: Int, _ row: Int) -> UnsafeMutablePointer<Float> { x + ((channel * batch + n) * h + row) * w }

        let products = filterProducts(weights, layout: .adjoint, widest: min(rows, tileRows) * tw, scratch: scratch)
        Parallel.forEachDynamic(chunks, workers: settings.threads) { worker, chunk in
            let r0 = chunk * rows, nr = min(rows, tileRows - r0), nt = nr * tw
            let ts = Self.pointStride(planes: o, tiles: nt), plane = Self.pointStride(planes: k, tiles: nt)
            let t = scratch.buffer(worker, count: 0).pointer, mm = t + points * ts, sets = mm + points * plane
            transformGradient(y, firstTileRow: r0, tileRows: nr, into: t)
            for e in 0 ..< points { products.multiply(e, n: nt, b: t + e * ts, ldb: nt, c: mm + e * plane, ldc: nt) }
            for ch in 0 ..< c {
                let bc = bias?[ch] ?? 0
                for a in 0 ..< 2 {
                    for r in 0 ..< nr {
                        let n = (r0 + r) / th, ti = (r0 + r) % th
                        let cells = sets + (r % 2) * cellSet, above = sets + (1 - r % 2) * cellSet
                        // Row i of column phase b of a set.
                        func row(_ set: UnsafeMutablePointer<Float>, _ b: Int, _ i: Int) -> UnsafeMutablePointer<Float> {
                            set + (b * 5 + i) * cellStride
                        }
                        for b in 0 ..< 2 {
                            wg4_adjoint_cells(mm + ((2 * a + b) * c + ch) * nt + r * tw, plane, tw, row(cells, b, 0), cellStride, isa)
                        }
                        for i in 0 ..< 5 {
                            let shared = (i == 0 && ti > 0) || (i == 4 && ti < th - 1)
                            if shared && (i == 4 || r == 0) {
                                // Summed with the next tile row's row 0 (below, or after the section),
                                // or the chunk's head, summed with the previous chunk's tail.
                                if i == 4 && r < nr - 1 { continue }
                                let carry = slot(i == 4 ? tails : heads, chunk: chunk, a: a, channel: ch)
                                for b in 0 ..< 2 { (carry + b * cellStride).update(from: row(cells, b, i), count: 4 * tw + 1) }
                                continue
                            }
                            // Grid row m = 4 ti + i of phase a is x row 2m + a - 1 (rows -1 and H are padding).
                            let xr = 2 * (4 * ti + i) + a - 1
                            if xr < 0 || xr >= h { continue }
                            wg4_adjoint_row(row(cells, 0, i), row(cells, 1, i), shared ? row(above, 0, 4) : nil,
                                            shared ? row(above, 1, 4) : nil, ow, bc, addBias, xRow(ch, sample: n, xr), isa)
                        }
                    }
                }
            }
        }
        // The rows where a chunk starts inside a sample: its head's cells + the previous chunk's tail's.
        let inside = (1 ..< max(1, chunks)).filter { ($0 * rows) % th != 0 }
        Parallel.forEach(inside.count, workers: settings.threads) { i in
            let chunk = inside[i], n = chunk * rows / th, ti = chunk * rows % th
            for ch in 0 ..< c {
                for a in 0 ..< 2 {
                    let head = slot(heads, chunk: chunk, a: a, channel: ch), tail = slot(tails, chunk: chunk - 1, a: a, channel: ch)
                    wg4_adjoint_row(head, head + cellStride, tail, tail + cellStride, ow, bias?[ch] ?? 0, addBias,
                                    xRow(ch, sample: n, 2 * 4 * ti + a - 1), isa)
                }
            }
        }
    }
}
