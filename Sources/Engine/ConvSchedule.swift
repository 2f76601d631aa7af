/// How a convolution layer (Conv2d, ConvTranspose2d) cuts its batch into chunks of samples
/// that free workers take in turn, and each chunk's columns into cache-sized tiles.
/// `g` is the geometry of the im2col side (for ConvTranspose2d, the adjoint convolution's).
struct ConvSchedule {
    var workers: Int
    /// Caps the samples per chunk (tests use it to exercise several chunks and workers).
    var maxChunkSamples = Int.max
    /// Caps the columns per tile (tests use it to exercise tiles of a few rows).
    var maxTileColumns = Int.max

    func samplesPerChunk(_ g: ConvGeometry) -> Int {
        min(maxChunkSamples, Im2Col.chunkSamples(colRows: g.colRows, columnsPerSample: g.outHeight * g.outWidth, batch: g.batch))
    }

    func chunkCount(_ g: ConvGeometry) -> Int {
        let per = samplesPerChunk(g)
        return (g.batch + per - 1) / per
    }

    func tileColumns(_ g: ConvGeometry) -> Int { min(maxTileColumns, Im2Col.tileColumnTarget(colRows: g.colRows)) }

    /// Sizes each worker's column buffer in `scratch`, then runs
    /// body(worker, chunk, first sample, chunk geometry) for every chunk.
    func forEachChunk(_ g: ConvGeometry, scratch: WorkerBuffers, _ body: (Int, Int, Int, ConvGeometry) -> Void) {
        let per = samplesPerChunk(g)
        var full = g
        full.batch = per
        scratch.prepare(workers: workers, count: g.colRows * Im2Col.tileColumns(full, maxColumns: tileColumns(g)))
        Parallel.forEachDynamic(chunkCount(g), workers: workers) { worker, chunk in
            let n0 = chunk * per
            var cg = g
            cg.batch = min(per, g.batch - n0)
            body(worker, chunk, n0, cg)
        }
    }
}
