import BLAS
import CKernels
import CWinograd

/// 4x4 convolutions with stride 2 and padding 1 (every strided layer of the seed's model)
/// by Winograd's minimal filtering: F(2x2, 2x2), 9 multiplications per 2x2 output tile where
/// the direct method needs 16, or F(4x4, 2x2), 25 per 4x4 tile where it needs 64.
///
/// Stride 2 first becomes stride 1: pad the input by one and split it into its four phases
/// (even/odd row x even/odd column) on a grid of (H/2 + 1) x (W/2 + 1) cells per sample. Tap
/// (2u + a, 2v + b) of the kernel reads phase (a, b) shifted by (u, v), so the layer is a 2x2,
/// stride-1 convolution over 4C channels, and each 2x2 (4x4) output tile comes from a 3x3 (5x5)
/// input tile. F(2x2, 2x2)'s transforms have coefficients 0 and +-1, so its rounding stays at the
/// level of the direct method; F(4x4, 2x2)'s (points 0, +-1, 2) reach 8 in the output transform
/// and 1/6 in the filter's, and its results lie a few times further from the exact sums
/// (WinogradConvTests states the bound). `tile` chooses for all three products below.
///
/// Three products, each a batch of gemms over tiles (chunks of whole tile rows per worker):
/// - `convolve`: y = conv(x) (Conv2d forward, ConvTranspose2d input gradient);
/// - `convolveTransposed`: x = conv^T(y) (Conv2d input gradient, ConvTranspose2d forward): with
///   4x4 tiles the adjoint of `convolve`'s transforms, every phase of x from one transform of y
///   (WinogradConv+Adjoint.swift); with 2x2 tiles one stride-1 2x2 problem per phase of x, each
///   on the unpadded H/2 x W/2 grid;
/// - `weightGradient`: dW from dy and x.
/// `channels` is the convolution's input side, `outChannels` its output side; ConvTranspose2d
/// uses the adjoint convolution. Weights in Conv2d's layout [out, in, 4, 4] (= ConvTranspose2d's
/// [in, out, 4, 4] for the adjoint).
public struct WinogradConv {
    public let channels: Int, outChannels: Int, batch: Int, height: Int, width: Int
    /// Output tile side of the three products (`largeTiles`; the weight gradient's dy blocks), for layers whose
    /// output sides are multiples of 4: by default 4 where the packed product kernel runs
    /// (AVX-512: the products are most of the step there, and 4x4 tiles do 25/36 of 2x2 tiles'
    /// multiplications) and the layer is large enough that its chunks' products stay at least
    /// `PackedGemm.minimumColumns` wide; else 2. (A drum set's 128 x 192 window at batch 8 has
    /// 48 4x4 tiles in D's last Winograd layer: chunks of 12 ran its products at 37-65 GFLOP/s
    /// where 2x2 tiles' 48 run at 84-97, and the step took as long as with 2x2 tiles everywhere.)
    public private(set) var tile = 2
    /// Caps the tile rows per chunk (tests use it to exercise several chunks and workers).
    public var maxChunkTileRows = Int.max
    /// Workers, and the transform kernels: AVX-512 or AVX2 as the settings and the CPU allow, or portable C; the same bits either way.
    public let settings: ComputeSettings
    var isa: Int32 { settings.isaFlag }

    /// The Winograd plan of a strided layer (Conv2d, or ConvTranspose2d's adjoint convolution), or nil
    /// when the layer runs im2col + sgemm: its settings say so, or the geometry does not apply.
    public static func plan(_ g: ConvGeometry, outChannels: Int, settings: ComputeSettings,
                            maxChunkTileRows: Int = .max) -> WinogradConv? {
        guard settings.convolution != .im2col, applies(g, outChannels: outChannels) else { return nil }
        var wc = WinogradConv(g, outChannels: outChannels, settings: settings)
        wc.maxChunkTileRows = maxChunkTileRows
        return wc
    }

    /// Whether a layer takes this path: 4x4, stride 2, padding 1, output sides even, and
    /// channel counts wide enough for sgemm (the model's first and last strided layers, with
    /// 2 and 1 channels on one side, stay on im2col).
    public static func applies(_ g: ConvGeometry, outChannels: Int) -> Bool {
        g.kernelH == 4 && g.kernelW == 4 && g.stride == 2 && g.padding == 1
            && g.height % 4 == 0 && g.width % 4 == 0 && g.channels >= 8 && outChannels >= 8
    }

    public init(_ g: ConvGeometry, outChannels: Int, settings: ComputeSettings = .standard) {
        self.settings = settings
        channels = g.channels; self.outChannels = outChannels
        batch = g.batch; height = g.height; width = g.width
        guard Self.largeTiles(settings), g.height % 8 == 0, g.width % 8 == 0 else { return }
        tile = 4
        if settings.convolution == .winograd {
            let widths = gemmShapes
            if min(widths.convolve[1], widths.transposed[1]) < PackedGemm.minimumColumns { tile = 2 }
        }
    }

    /// Whether `settings` take 4x4 tiles where the layer's sides allow them.
    public static func largeTiles(_ settings: ComputeSettings) -> Bool {
        switch settings.convolution {
        case .winograd: PackedGemm.applies(settings)
        case .winograd4x4: true
        case .winograd2x2, .im2col: false
        }
    }

    var outHeight: Int { height / 2 }
    var outWidth: Int { width / 2 }
    var gridH: Int { height / 2 + 1 }
    var gridW: Int { width / 2 + 1 }
    var phaseRows: Int { 4 * channels }
    /// Tiles of side `side` along an output row, and tile rows of the whole batch.
    func tilesPerRow(_ side: Int) -> Int { outWidth / side }
    func tileRows(_ side: Int) -> Int { batch * outHeight / side }
    /// Transform points (products) per tile: 9 or 25.
    static func points(_ side: Int) -> Int { (side + 1) * (side + 1) }

    /// Tile rows per chunk for tiles of `side` carrying `floatsPerTile` transformed floats.
    /// packedProducts: the chunks' products run on the packed kernel (forward and input gradient).
    func chunkTileRows(floatsPerTile: Int, side: Int, packedProducts: Bool = false) -> Int {
        let tilesPerRow = tilesPerRow(side), tileRows = tileRows(side)
        // About 2 MB of transformed tiles per chunk (measured: 1-8 MB all within noise, 16 MB slower),
        // but no less than the transformed filters: each chunk's products pack them again, and the
        // discriminator's widest layer (4.7 MB of filters, 64-tile chunks) ran its products at
        // 50-75 GFLOP per CPU-second; with chunks as large as its filters, 81-88.
        let budget = max(1 << 19, Self.points(side) * outChannels * phaseRows)
        var target = min(maxChunkTileRows, max(1, budget / max(1, floatsPerTile * tilesPerRow)))
        if packedProducts && PackedGemm.applies(settings) {
            // That kernel packs the filters once per call and runs 32-column blocks at full speed
            // (116 GFLOP/s at n 32, 64 and 128 alike, one core), so the deepest layers get at
            // least 8 chunks of 32 columns or more: with 4 (D's last Winograd layer at 512
            // frames, 4x4 tiles), one worker's last chunk was a quarter of the layer.
            target = min(target, max((PackedGemm.minimumColumns + tilesPerRow - 1) / tilesPerRow, tileRows / 8))
        }
        // Then equal chunks, as many as a multiple of `chunkMultiple`: 2 workers taking 29 chunks
        // of 9 rows, or 8 chunks the last of which held 1 row, waited on each other for 58 ms a
        // step. The count depends on the shape alone, so 1 and 2 workers still give the same bits.
        let chunks = (tileRows + target - 1) / target
        let balanced = min(tileRows, (chunks + Self.chunkMultiple - 1) / Self.chunkMultiple * Self.chunkMultiple)
        let rows = max(1, (tileRows + balanced - 1) / balanced)
        // Rounding the rows up can leave fewer chunks (128 rows in 44 chunks: 43 of 3): then the
        // largest smaller chunk that splits the rows into a multiple of 4 nearly equal chunks.
        func even(_ r: Int) -> Bool {
            let n = (tileRows + r - 1) / r
            return n % Self.chunkMultiple == 0 && r * n - tileRows < n
        }
        if even(rows) || rows >= tileRows { return rows }
        return stride(from: rows - 1, to: 0, by: -1).first(where: even) ?? rows
    }

    /// Chunks come in multiples of this (see chunkTileRows): 1, 2 and 4 workers share them evenly.
    static let chunkMultiple = 4

    /// The gemm each chunk runs (9 or 25 per chunk, 4 times that for `convolveTransposed`), as
    /// [m, n, k]: what `bench train` times for the layers on this path.
    public var gemmShapes: (convolve: [Int], transposed: [Int], weightGradient: [Int]) {
        let k = phaseRows, o = outChannels, p = Self.points(tile), tw = tilesPerRow(tile), th = tileRows(tile)
        let forward = min(th, chunkTileRows(floatsPerTile: p * (k + o), side: tile, packedProducts: true)) * tw
        // With 4x4 tiles the input gradient is the adjoint product (every phase at once), else one per phase.
        let adjoint = tile == 4, transposedRows = adjoint ? k : channels
        let transposed = min(th, chunkTileRows(floatsPerTile: p * (transposedRows + o), side: tile, packedProducts: true)) * tw
        let gradient = min(th, chunkTileRows(floatsPerTile: p * (k + o), side: tile)) * tw
        return ([o, forward, k], [transposedRows, transposed, o], [o, k, gradient])
    }

    /// The share of the direct method's multiplications the products perform: 9/16 or 25/64.
    public var productShare: Double { Double(Self.points(tile)) / Double(4 * tile * tile) }

    // MARK: Layouts

    /// The grid rows that tile rows r0 ..< r0 + nr of side `side` read: within a sample
    /// consecutive tile rows share one grid row, samples do not.
    func bandRows(firstTileRow r0: Int, tileRows nr: Int, side: Int) -> Range<Int> {
        let th = outHeight / side, last = r0 + nr - 1
        return (r0 / th) * gridH + side * (r0 % th) ..< (last / th) * gridH + side * (last % th) + side + 1
    }

    /// Floats of a band of at most `tileRows` tile rows (every phase plane, with 16 floats after
    /// each plane's rows that the 2x2 transform's vector loads may read), a multiple of 16.
    func bandFloats(tileRows nr: Int, side: Int) -> Int {
        (phaseRows * (((side + 1) * nr) * gridW + 16) + 15) / 16 * 16
    }

    /// The split phase planes of the grid rows `rows` (`bandRows`), each plane `rows.count * gridW
    /// + 16` floats: band[(a, b, c)][(g - rows.lowerBound) * gridW + q] = x[c, n, 2m + a - 1,
    /// 2q + b - 1] (0 outside) for grid row g = n * gridH + m; x is (C, N, H, W). Each chunk splits
    /// the rows it reads just before transforming them (while they are in cache): splitting the
    /// whole input first wrote, and the transforms read back, 35 MB per call of the
    /// discriminator's widest layer. Both column phases of a row come from one pass over it.
    func splitBand(_ x: UnsafePointer<Float>, rows: Range<Int>, into band: UnsafeMutablePointer<Float>) -> Int {
        let plane = height * width, gh = gridH, gw = gridW, stride = rows.count * gw + 16
        // Channel by channel, each x row once in order (row 2m - 1 for phase a = 0, then 2m): a
        // pass over each phase's rows in turn read 1 KB runs 2 KB apart, and the discriminator's
        // forward took 2-3% longer.
        for c in 0 ..< channels {
            // Plane (a, b = 0, c) of row phase a; its b = 1 plane lies `channels` planes on.
            func odd(_ a: Int) -> UnsafeMutablePointer<Float> { band + (2 * a * channels + c) * stride }
            for g in rows {
                let n = g / gh, m = g % gh, at = (g - rows.lowerBound) * gw
                for a in 0 ..< 2 {
                    let dst = odd(a) + at, r = 2 * m + a - 1
                    if r < 0 || r >= height {
                        dst.update(repeating: 0, count: gw)
                        (dst + channels * stride).update(repeating: 0, count: gw)
                    } else {
                        wg_split_row(x + (c * batch + n) * plane + r * width, width, dst, dst + channels * stride, isa)
                    }
                }
            }
            for a in 0 ..< 2 {
                let end = odd(a) + rows.count * gw
                end.update(repeating: 0, count: 16)
                (end + channels * stride).update(repeating: 0, count: 16)
            }
        }
        return stride
    }

    /// One row of `splitBand` (the kernel above), named for tests.
    public static func splitRow(_ src: UnsafePointer<Float>, width: Int, odd: UnsafeMutablePointer<Float>,
                                even: UnsafeMutablePointer<Float>, isa: Int32) { wg_split_row(src, width, odd, even, isa) }

    /// The grid rows `rows` of every plane of y (O, N, H/2, W/2) on the split's cell addressing,
    /// each plane 1 + rows.count * gridW + 16 floats: band[o][1 + (g - rows.lowerBound) * gridW + q]
    /// = y[o, n, m, q] for grid row g = n * gridH + m, m < H/2, q < W/2, else 0 (row -1, the zero
    /// row after each sample, column W/2; the leading float is column -1 of the first row). Each
    /// chunk of `convolveTransposed` expands the rows it reads just before transforming them: the
    /// whole layer expanded first went out to memory and came back (17 MB per call of the
    /// discriminator's widest input gradient). Returns the plane stride.
    func expandBand(_ y: UnsafePointer<Float>, rows: Range<Int>, into band: UnsafeMutablePointer<Float>) -> Int {
        let oh = outHeight, ow = outWidth, gh = gridH, gw = gridW, stride = 1 + rows.count * gw + 16
        for o in 0 ..< outChannels {
            let base = band + o * stride
            base[0] = 0
            for g in rows {
                let d = base + 1 + (g - rows.lowerBound) * gw, n = g / gh, m = g % gh
                if g < 0 || m == oh { d.update(repeating: 0, count: gw); continue }
                d.update(from: y + ((o * batch + n) * oh + m) * ow, count: ow)
                d[ow] = 0
            }
            (base + 1 + rows.count * gw).update(repeating: 0, count: 16)
        }
        return stride
    }

    /// Floats of an `expandBand` of at most `tileRows` tile rows (a multiple of 16).
    func expandedBandFloats(tileRows nr: Int, side: Int) -> Int {
        (outChannels * (1 + ((side + 1) * nr + 1) * gridW + 16) + 15) / 16 * 16
    }

    // MARK: Transforms (F(2x2, 2x2): B^T d B, G g G^T, A^T m A)

    /// Filter 2x2 -> 9 values at f[0], f[step], ...: rows (g0, g0 + g1, g1), then the same along columns.
    @inline(__always)
    static func filterTransform(_ g00: Float, _ g01: Float, _ g10: Float, _ g11: Float,
                                into f: UnsafeMutablePointer<Float>, step: Int) {
        let s0 = g00 + g10, s1 = g01 + g11
        f[0] = g00; f[step] = g00 + g01; f[2 * step] = g01
        f[3 * step] = s0; f[4 * step] = s0 + s1; f[5 * step] = s1
        f[6 * step] = g10; f[7 * step] = g10 + g11; f[8 * step] = g11
    }

    /// 9 values -> 2x2: rows (m0 + m1, m1 + m2), then the same along columns.
    @inline(__always)
    static func outputTransform(_ m: (Float, Float, Float, Float, Float, Float, Float, Float, Float)) -> (Float, Float, Float, Float) {
        let r00 = m.0 + m.3, r01 = m.1 + m.4, r02 = m.2 + m.5
        let r10 = m.3 + m.6, r11 = m.4 + m.7, r12 = m.5 + m.8
        return (r00 + r01, r01 + r02, r10 + r11, r11 + r12)
    }

    // The C transform kernels (isa 2: AVX-512, 1: AVX2, each when the CPU has it, 0: portable), named for tests.
    public static func inputTransform(_ p: UnsafePointer<Float>, stride: Int, into v: UnsafeMutablePointer<Float>,
                                      step: Int, tiles: Int, isa: Int32) { wg_input_transform(p, stride, v, step, tiles, isa) }
    public static func outputRows(_ m: UnsafePointer<Float>, plane: Int, tiles: Int, bias: Float, _ y0: UnsafeMutablePointer<Float>,
                                  _ y1: UnsafeMutablePointer<Float>, isa: Int32) { wg_output_rows(m, plane, tiles, bias, y0, y1, isa) }
    public static func outputPhase(_ m: UnsafePointer<Float>, plane: Int, tiles: Int, bias: Float, _ x0: UnsafeMutablePointer<Float>,
                                   _ x1: UnsafeMutablePointer<Float>, isa: Int32) { wg_output_phase(m, plane, tiles, bias, x0, x1, isa) }
    public static func filterRows(_ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  step: Int, tiles: Int, isa: Int32) { wg_filter_rows(d0, d1, dst, step, tiles, isa) }
    // F(4x4, 2x2)'s (isa 2: AVX-512 when the CPU has it, else portable).
    public static func largeInputTransform(_ p: UnsafePointer<Float>, stride: Int, into v: UnsafeMutablePointer<Float>,
                                           step: Int, tiles: Int, isa: Int32) { wg4_input_transform(p, stride, v, step, tiles, isa) }
    public static func largeOutputRows(_ m: UnsafePointer<Float>, plane: Int, tiles: Int, bias: Float, _ y: UnsafeMutablePointer<Float>,
                                       rowStride: Int, isa: Int32) { wg4_output_rows(m, plane, tiles, bias, y, rowStride, isa) }
    public static func adjointCells(_ m: UnsafePointer<Float>, plane: Int, tiles: Int, into cells: UnsafeMutablePointer<Float>,
                                    rowStride: Int, isa: Int32) { wg4_adjoint_cells(m, plane, tiles, cells, rowStride, isa) }
    public static func adjointRow(odd: UnsafePointer<Float>, even: UnsafePointer<Float>, above: (odd: UnsafePointer<Float>, even: UnsafePointer<Float>)?,
                                  width: Int, bias: Float?, into x: UnsafeMutablePointer<Float>, isa: Int32) {
        wg4_adjoint_row(odd, even, above?.odd, above?.even, width, bias ?? 0, bias == nil ? 0 : 1, x, isa)
    }
    public static func largeGradientRows(_ dy: UnsafePointer<Float>, rowStride: Int, into dst: UnsafeMutablePointer<Float>,
                                         step: Int, tiles: Int, isa: Int32) { wg4_gradient_rows(dy, rowStride, dst, step, tiles, isa) }
    public static func largeGradientOutput(_ m: UnsafePointer<Float>, columns k: Int, into out: UnsafeMutablePointer<Float>,
                                           isa: Int32) { wg4_gradient_output(m, k, out, isa) }
    public static func largeFilters(_ w: UnsafePointer<Float>, stride: Int, taps: (Int, Int, Int, Int), into dst: UnsafeMutablePointer<Float>,
                                    step: Int, count: Int, isa: Int32) {
        wg4_filters(w, stride, taps.0, taps.1, taps.2, taps.3, dst, step, count, isa)
    }

    /// Indices in a 4x4 kernel of the 2x2 sub-kernel (g00, g01, g10, g11) of phase (a, b) =
    /// (phase / 2, phase % 2): taps (a + 2t, b + 2s) for `convolve`, (3 - a - 2t, 3 - b - 2s) for
    /// `convolveTransposed`, t, s in {0, 1}.
    static func taps(phase: Int, transposed: Bool) -> (Int, Int, Int, Int) {
        let a = phase / 2, b = phase % 2
        let (r0, r1, c0, c1) = transposed ? (3 - a, 1 - a, 3 - b, 1 - b) : (a, 2 + a, b, 2 + b)
        return (r0 * 4 + c0, r0 * 4 + c1, r1 * 4 + c0, r1 * 4 + c1)
    }

    /// Which products a layer call's transformed filters are for.
    public enum FilterLayout: CaseIterable, Sendable {
        /// `convolve`: U[e][o, (a, b, c)] with g(u, v) = w[o, c, 2u + a, 2v + b], 9 or 25 matrices [O, 4C].
        case forward
        /// `convolveTransposed` with 2x2 tiles, per phase (a', b') of x: U[a'b'][e][c, o] with
        /// g(t, s) = w[o, c, 3 - a' - 2t, 3 - b' - 2s].
        case transposed
        /// `convolveTransposed` with 4x4 tiles (the adjoint of `convolve`, 4x4 tiles only): the
        /// forward's matrices transposed, U[e][(a, b, c), o], 25 matrices [4C, O].
        case adjoint

        /// Rows, columns and count of the matrices for a layer of c input and o output channels.
        func shape(channels c: Int, outChannels o: Int, points: Int) -> (m: Int, k: Int, count: Int) {
            switch self {
            case .forward: (o, 4 * c, points)
            case .transposed: (c, o, 4 * points)
            case .adjoint: (4 * c, o, points)
            }
        }
    }

    /// The transformed filters (G g G^T) of every 2x2 sub-kernel for `tile`, in `layout`.
    public func filters(_ w: UnsafePointer<Float>, into u: FloatBuffer, layout: FilterLayout) {
        let o = outChannels, c = channels, k = phaseRows, points = Self.points(tile), large = tile == 4
        precondition(large || layout != .adjoint, "the adjoint layout is for 4x4 tiles")
        u.resize(4 * points * c * o)
        let up = u.pointer, transposed = layout == .transposed
        // Each worker takes a range of output channels; the loops run along the destination's
        // contiguous index (input channels, or for the transposed and adjoint layouts output
        // channels), since the 9 values of each filter land step floats apart (as one filter at a
        // time, 8% of a step at a 192-frame window).
        let step = transposed ? c * o : o * k
        Parallel.forEachWorker(o, workers: settings.threads, minimumWork: 2) { _, range in
            for phase in 0 ..< 4 {
                let taps = Self.taps(phase: phase, transposed: transposed)
                if large {   // F(4x4, 2x2): a run of filters at a time, in C
                    if layout != .forward {
                        for ch in 0 ..< c {
                            let row = transposed ? phase * points * c + ch : phase * c + ch
                            wg4_filters(w + (range.lowerBound * c + ch) * 16, 16 * c, taps.0, taps.1, taps.2, taps.3,
                                        up + row * o + range.lowerBound, step, range.count, isa)
                        }
                    } else {
                        for oc in range {
                            wg4_filters(w + oc * c * 16, 16, taps.0, taps.1, taps.2, taps.3, up + oc * k + phase * c, step, c, isa)
                        }
                    }
                    continue
                }
                func transform(_ oc: Int, _ ch: Int) {
                    let wp = w + (oc * c + ch) * 16
                    let dst = transposed ? up + (phase * points * c + ch) * o + oc : up + oc * k + phase * c + ch
                    Self.filterTransform(wp[taps.0], wp[taps.1], wp[taps.2], wp[taps.3], into: dst, step: step)
                }
                if transposed {
                    for ch in 0 ..< c { for oc in range { transform(oc, ch) } }
                } else {
                    for oc in range { for ch in 0 ..< c { transform(oc, ch) } }
                }
            }
        }
    }

    /// The chunks' products by the transformed filters of weights w (`filters` in `layout`),
    /// `widest` the widest chunk. With 4x4 tiles on the packed kernel (chunks at least
    /// `PackedGemm.minimumColumns` wide) the filters are transformed straight into its packed
    /// layout (`packFilters`); else into U in `scratch`, which `Products` packs where the kernel runs.
    func filterProducts(_ w: UnsafePointer<Float>, layout: FilterLayout, widest: Int, scratch: WorkerBuffers) -> PackedGemm.Products {
        let (m, k, count) = layout.shape(channels: channels, outChannels: outChannels, points: Self.points(tile))
        if tile == 4 && PackedGemm.applies(settings) && widest >= PackedGemm.minimumColumns {
            packFilters(w, layout: layout, into: scratch.packedFilters)
            return PackedGemm.Products(packed: scratch.packedFilters.pointer, m: m, k: k, settings: settings)
        }
        filters(w, into: scratch.winogradFilters, layout: layout)
        return PackedGemm.Products(scratch.winogradFilters.pointer, matrices: count, m: m, k: k, widest: widest,
                                   settings: settings, buffer: scratch.packedFilters)
    }

    /// `filters` for 4x4 tiles written in kg_pack's layout of each matrix (8-row panels, k-major
    /// within them, tail rows 0), which is what `filters` then PackedGemm.pack gave, bit for bit:
    /// a panel's 8 rows at one column are 8 filters that wg4_filters transforms together. The U in
    /// between (52 MB for the discriminator's widest layer) took 3-6% of a step to write and pack.
    public func packFilters(_ w: UnsafePointer<Float>, layout: FilterLayout, into buffer: FloatBuffer) {
        precondition(tile == 4, "packFilters is for 4x4 tiles")   // the 2x2 filter transform is Swift, above
        let o = outChannels, c = channels, points = Self.points(tile), transposed = layout == .transposed
        // Rows (panels of 8) and columns of each matrix, and the matrices' count.
        let (m, k, count) = layout.shape(channels: c, outChannels: o, points: points)
        let each = PackedGemm.packedCount(matrices: 1, m: m, k: k), panels = (m + 7) / 8
        buffer.resize(count * each)
        let packed = buffer.pointer
        // A last panel of fewer than 8 rows: its other rows at one column, in every point's matrix, are 0.
        func clearTail(_ dst: UnsafeMutablePointer<Float>, rows: Int) {
            if rows < 8 { for e in 0 ..< points { (dst + e * each + rows).update(repeating: 0, count: 8 - rows) } }
        }
        if layout == .adjoint {
            // Matrix e, row (a, b, c), column o: a panel's rows are runs of consecutive input
            // channels of one phase (two runs where a phase ends inside the panel).
            Parallel.forEach(panels, workers: settings.threads, minimumWork: 2) { panel in
                let first = 8 * panel, rows = min(8, m - first), base = packed + first * k
                for col in 0 ..< o {
                    var i = 0
                    while i < rows {
                        let phase = (first + i) / c, ch = (first + i) % c, run = min(rows - i, c - ch)
                        let taps = Self.taps(phase: phase, transposed: false)
                        wg4_filters(w + (col * c + ch) * 16, 16, taps.0, taps.1, taps.2, taps.3, base + col * 8 + i, each, run, isa)
                        i += run
                    }
                    clearTail(base + col * 8, rows: rows)
                }
            }
            return
        }
        let filterStride = transposed ? 16 : 16 * c   // between the filters of a panel
        Parallel.forEach(4 * panels, workers: settings.threads, minimumWork: 2) { item in
            let phase = item % 4, panel = item / 4, first = 8 * panel, rows = min(8, m - first)
            let taps = Self.taps(phase: phase, transposed: transposed)
            // Forward: matrix e, row o, column (phase, c). Transposed: matrix (phase, e), row c, column o.
            let base = packed + (transposed ? phase * points * each : 0) + first * k
            for col in 0 ..< (transposed ? o : c) {
                let (src, dst) = transposed ? (w + (col * c + first) * 16, base + col * 8)
                                            : (w + (first * c + col) * 16, base + (phase * c + col) * 8)
                wg4_filters(src, filterStride, taps.0, taps.1, taps.2, taps.3, dst, each, rows, isa)
                clearTail(dst, rows: rows)
            }
        }
    }

    // MARK: The three products

    /// Floats between the transform points' matrices of a chunk's buffers (`planes` rows of
    /// `tiles`): one cache line more than the matrix, so that the 9 or 25 streams a transform
    /// writes (or the output transform reads) do not all fall in the same cache sets (with
    /// matrices a multiple of 4 KB apart, the F(4x4) input transform over 512 planes took 6.1-6.7
    /// ns per tile, with this line 4.2-4.7).
    static func pointStride(planes: Int, tiles: Int) -> Int { planes * tiles + 16 }

    /// Floats of a chunk buffer: the transformed tiles of `planes` and of `outPlanes` rows.
    static func chunkFloats(points: Int, planes: Int, outPlanes: Int, tiles: Int) -> Int {
        points * (pointStride(planes: planes, tiles: tiles) + pointStride(planes: outPlanes, tiles: tiles))
    }

    /// `transformTiles` of tile rows r0 ..< r0 + nr of the input x (C, N, H, W) of `convolve` and
    /// `weightGradient`: their grid rows split into `band` (`bandFloats` floats) first.
    func transformInput(_ x: UnsafePointer<Float>, band: UnsafeMutablePointer<Float>, firstTileRow r0: Int, tileRows nr: Int,
                        into v: UnsafeMutablePointer<Float>, columns: Int? = nil) {
        let grid = bandRows(firstTileRow: r0, tileRows: nr, side: tile)
        let bandStride = splitBand(x, rows: grid, into: band)
        transformTiles(band, planeStride: bandStride, first: 0, firstGridRow: grid.lowerBound, planes: phaseRows, side: tile,
                       firstTileRow: r0, tileRows: nr, into: v, columns: columns)
    }

    /// B^T d B of every (side + 1)^2 window for tile rows r0 ..< r0 + nr of `planes` planes, into
    /// v[e][plane][tile] (nr * tilesPerRow(side) tiles; or rows of `columns` tiles, these the first
    /// nr * tilesPerRow(side), matrices pointStride(planes, columns) apart). Grid row g of plane p starts at
    /// base + p * planeStride + first + (g - firstGridRow) * gridW (a band from `splitBand`, or the
    /// expanded buffer); tile (n, ti, tj) reads grid rows from side * ti (+ rowShift, within
    /// `first`) and columns from side * tj.
    func transformTiles(_ base: UnsafePointer<Float>, planeStride: Int, first: Int, firstGridRow g0: Int, planes: Int,
                        side: Int, firstTileRow r0: Int, tileRows nr: Int, into v: UnsafeMutablePointer<Float>, columns: Int? = nil) {
        let tw = tilesPerRow(side), th = outHeight / side, nt = columns ?? nr * tw, gh = gridH, gw = gridW
        let step = Self.pointStride(planes: planes, tiles: nt)
        for row in 0 ..< planes {
            for r in 0 ..< nr {
                let n = (r0 + r) / th, ti = (r0 + r) % th
                let p = base + row * planeStride + first + (n * gh + side * ti - g0) * gw, dst = v + row * nt + r * tw
                if side == 4 {
                    wg4_input_transform(p, gw, dst, step, tw, isa)
                } else {
                    wg_input_transform(p, gw, dst, step, tw, isa)
                }
            }
        }
    }

    /// y (O, N, H/2, W/2) = act(conv(x) + bias), x (C, N, H, W), from filters(w, transposed: false).
    public func convolve(input x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         activation: Activation, into y: UnsafeMutablePointer<Float>, scratch: WorkerBuffers) {
        let k = phaseRows, o = outChannels, side = tile, points = Self.points(side)
        let tw = tilesPerRow(side), tileRows = tileRows(side), th = outHeight / side, oh = outHeight, ow = outWidth
        let rows = chunkTileRows(floatsPerTile: points * (k + o), side: side, packedProducts: true), chunks = (tileRows + rows - 1) / rows
        let bandSize = bandFloats(tileRows: rows, side: side)
        scratch.prepare(workers: settings.threads, count: bandSize + Self.chunkFloats(points: points, planes: k, outPlanes: o, tiles: rows * tw))
        let products = filterProducts(w, layout: .forward, widest: min(rows, tileRows) * tw, scratch: scratch)
        Parallel.forEachDynamic(chunks, workers: settings.threads) { worker, chunk in
            let r0 = chunk * rows, nr = min(rows, tileRows - r0), nt = nr * tw
            let vs = Self.pointStride(planes: k, tiles: nt), plane = Self.pointStride(planes: o, tiles: nt)
            let band = scratch.buffer(worker, count: 0).pointer, v = band + bandSize, mm = v + points * vs
            transformInput(x, band: band, firstTileRow: r0, tileRows: nr, into: v)
            for e in 0 ..< points { products.multiply(e, n: nt, b: v + e * vs, ldb: nt, c: mm + e * plane, ldc: nt) }
            for ch in 0 ..< o {
                let bc = bias?[ch] ?? 0
                for r in 0 ..< nr {
                    let n = (r0 + r) / th, ti = (r0 + r) % th
                    let y0 = y + ((ch * batch + n) * oh + side * ti) * ow
                    let m = mm + ch * nt + r * tw
                    if side == 4 {
                        wg4_output_rows(m, plane, tw, bc, y0, ow, isa)
                    } else {
                        wg_output_rows(m, plane, tw, bc, y0, y0 + ow, isa)
                    }
                    if activation != .identity {   // while the rows are in cache
                        ElementwiseKernels.activation(y0, y0, count: side * ow, activation, isa: settings.isa)
                    }
                }
            }
        }
    }

    /// x (C, N, H, W) = conv^T(y) + bias, y (O, N, H/2, W/2). With 4x4 tiles, the adjoint of
    /// `convolve` (`convolveAdjoint`); with 2x2 tiles, from filters(w, layout: .transposed): phase
    /// (a', b') of x at (i, j) sums y over rows i - 1 + a' + t and columns j - 1 + b' + s, t, s in
    /// {0, 1}, one stride-1 problem per phase. Every element of x is written once (no clearing needed).
    public func convolveTransposed(_ y: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, into x: UnsafeMutablePointer<Float>, scratch: WorkerBuffers) {
        if tile == 4 { return convolveAdjoint(y, weights: weights, bias: bias, into: x, scratch: scratch) }
        let c = channels, o = outChannels, side = tile, points = Self.points(side)
        let tw = tilesPerRow(side), tileRows = tileRows(side), th = outHeight / side, h = height, w = width
        let rows = chunkTileRows(floatsPerTile: points * (c + o), side: side, packedProducts: true), chunks = (tileRows + rows - 1) / rows
        let bandSize = expandedBandFloats(tileRows: rows, side: side)
        scratch.prepare(workers: settings.threads, count: bandSize + Self.chunkFloats(points: points, planes: o, outPlanes: c, tiles: rows * tw))
        let products = filterProducts(weights, layout: .transposed, widest: min(rows, tileRows) * tw, scratch: scratch)
        Parallel.forEachDynamic(chunks, workers: settings.threads) { worker, chunk in
            let r0 = chunk * rows, nr = min(rows, tileRows - r0), nt = nr * tw
            let vs = Self.pointStride(planes: o, tiles: nt), plane = Self.pointStride(planes: c, tiles: nt)
            let band = scratch.buffer(worker, count: 0).pointer, v = band + bandSize, mm = v + points * vs
            // The grid rows the tiles read: one above the first tile's (phase a = 0) to its last.
            let grid = bandRows(firstTileRow: r0, tileRows: nr, side: side), rows = grid.lowerBound - 1 ..< grid.upperBound
            let bandStride = expandBand(y, rows: rows, into: band)
            for a in 0 ..< 2 {
                for b in 0 ..< 2 {
                    transformTiles(band, planeStride: bandStride, first: (a - 1) * gridW + b, firstGridRow: rows.lowerBound, planes: o,
                                   side: side, firstTileRow: r0, tileRows: nr, into: v)
                    for e in 0 ..< points {
                        products.multiply((2 * a + b) * points + e, n: nt, b: v + e * vs, ldb: nt, c: mm + e * plane, ldc: nt)
                    }
                    for ch in 0 ..< c {
                        let bc = bias?[ch] ?? 0
                        for r in 0 ..< nr {
                            let n = (r0 + r) / th, ti = (r0 + r) % th
                            // Output rows i = side * ti ... of this phase are x rows 2i + a, columns 2j + b.
                            let x0 = x + ((ch * batch + n) * h + 2 * side * ti + a) * w
                            wg_output_phase(mm + ch * nt + r * tw, plane, tw, bc, x0 + b, x0 + b + 2 * w, isa)
                        }
                    }
                }
            }
        }
    }

    /// The 2x2 (4x4) blocks of dy (O, N, H/2, W/2) of tile rows r0 ..< r0 + nr, transformed as
    /// filters (G g G^T) into u[e][o][tile], with `columns` as in `transformTiles`.
    func transformGradient(_ dy: UnsafePointer<Float>, firstTileRow r0: Int, tileRows nr: Int,
                           into u: UnsafeMutablePointer<Float>, columns: Int? = nil) {
        let side = tile, tw = tilesPerRow(side), th = outHeight / side, oh = outHeight, ow = outWidth
        let nt = columns ?? nr * tw, step = Self.pointStride(planes: outChannels, tiles: nt)
        for ch in 0 ..< outChannels {
            for r in 0 ..< nr {
                let n = (r0 + r) / th, ti = (r0 + r) % th
                let d0 = dy + ((ch * batch + n) * oh + side * ti) * ow, dst = u + ch * nt + r * tw
                if side == 4 {
                    wg4_gradient_rows(d0, ow, dst, step, tw, isa)
                } else {
                    wg_filter_rows(d0, d0 + ow, dst, step, tw, isa)
                }
            }
        }
    }

    /// One transform point's weight-gradient product on the packed kernel: dW_e (o x 4C) = (or +=,
    /// each chain started from dW_e) Ud_e (o x tiles, packed) times V_e^T (tiles x 4C, transposed),
    /// Ud_e and V_e with rows of `tiles`; `scratch` holds `gradientProductFloats(tiles:)`.
    func gradientProduct(_ ud: UnsafePointer<Float>, _ v: UnsafePointer<Float>, tiles: Int, add: Bool,
                         into dw: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let o = outChannels, k = phaseRows, vt = scratch + kg_packed_count(o, tiles)
        kg_pack(ud, tiles, o, tiles, scratch, isa)
        PackedGemm.transpose(v, lda: tiles, rows: k, columns: tiles, into: vt, ldd: k, isa: isa)
        PackedGemm.multiply(scratch, matrix: 0, m: o, n: k, k: tiles, b: vt, ldb: k, c: dw, ldc: k, add: add, isa: isa)
    }

    /// Floats of `gradientProduct`'s scratch for `tiles` tiles: packed Ud_e and V_e^T.
    func gradientProductFloats(tiles: Int) -> Int { kg_packed_count(outChannels, tiles) + tiles * phaseRows }

    /// Chunks of the weight gradient are summed in this many fixed groups (each in chunk order,
    /// then the groups in order), whatever the worker count: the same bits for 1 or 2 threads.
    static let gradientGroups = 4

    /// grad[o, c, 2u + a, 2v + b] += sum over n, i, j of dy[o, n, i, j] * split[(a, b, c)](i + u, j + v).
    /// Per tile the 2x2 (with 4x4 tiles: 4x4) block of dy is the "filter" and the 3x3 (5x5) block
    /// of x the data: F(2x2, 2x2) again, or F(2x2, 4x4), whose data transform is F(4x4, 2x2)'s;
    /// the sum over tiles is a gemm per transform point, then one output transform per weight.
    public func weightGradient(dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                               addInto grad: UnsafeMutablePointer<Float>, partials: WorkerBuffers, scratch: WorkerBuffers) {
        let side = tile, points = Self.points(side), k = phaseRows, o = outChannels
        let tw = tilesPerRow(side), tileRows = tileRows(side)
        let rows = chunkTileRows(floatsPerTile: points * (k + o), side: side), chunks = (tileRows + rows - 1) / rows
        let groups = min(Self.gradientGroups, chunks), size = points * o * k
        let bandSize = bandFloats(tileRows: rows, side: side), chunkSize = Self.chunkFloats(points: points, planes: k, outPlanes: o, tiles: rows * tw)
        // On the packed kernel (where it runs) each point's product dW_e (o x 4C) is Ud_e (o x tiles,
        // packed) times V_e^T (tiles x 4C, transposed from V_e): OpenBLAS, packing both itself, ran
        // these at 73-83 GFLOP per CPU-second. Chunks under `minimumColumns` tiles stay on OpenBLAS,
        // as the forward's narrow products do (a small layer gives the same bits on every ISA).
        let packed = PackedGemm.applies(settings) && rows * tw >= PackedGemm.minimumColumns
        let total = tileRows * tw, vs = Self.pointStride(planes: k, tiles: total), us = Self.pointStride(planes: o, tiles: total)
        let parts: [UnsafeMutablePointer<Float>]
        if packed && points * (vs + us) <= groups * size {
            // The whole layer's transformed tiles take less memory than the groups' partial sums
            // (the discriminator's deepest layer and the generator's first: 20 MB against 52 MB,
            // written by the products, then read back and summed below): every chunk is
            // transformed into one matrix per point, then each point's product runs over all tiles.
            scratch.prepare(workers: settings.threads, count: max(bandSize, gradientProductFloats(tiles: total)))
            partials.prepare(workers: 1, count: points * (vs + us) + size)
            let v = partials.buffer(0, count: 0).pointer, ud = v + points * vs, c = ud + points * us
            Parallel.forEachDynamic(chunks, workers: settings.threads) { worker, chunk in
                let r0 = chunk * rows, nr = min(rows, tileRows - r0)
                transformInput(x, band: scratch.buffer(worker, count: 0).pointer, firstTileRow: r0, tileRows: nr,
                               into: v + r0 * tw, columns: total)
                transformGradient(dy, firstTileRow: r0, tileRows: nr, into: ud + r0 * tw, columns: total)
            }
            Parallel.forEachDynamic(points, workers: settings.threads) { worker, e in
                gradientProduct(ud + e * us, v + e * vs, tiles: total, add: false, into: c + e * o * k,
                                scratch: scratch.buffer(worker, count: 0).pointer)
            }
            parts = [c]
        } else {
            scratch.prepare(workers: settings.threads, count: bandSize + chunkSize + (packed ? gradientProductFloats(tiles: rows * tw) : 0))
            partials.prepare(workers: groups, count: size)
            Parallel.forEachDynamic(groups, workers: settings.threads) { worker, group in
                let band = scratch.buffer(worker, count: 0).pointer, v = band + bandSize, p = partials.buffer(group, count: 0).pointer
                let range = chunks * group / groups ..< chunks * (group + 1) / groups
                for chunk in range {
                    let r0 = chunk * rows, nr = min(rows, tileRows - r0), nt = nr * tw
                    let vs = Self.pointStride(planes: k, tiles: nt), us = Self.pointStride(planes: o, tiles: nt)
                    let ud = v + points * vs
                    transformInput(x, band: band, firstTileRow: r0, tileRows: nr, into: v)
                    transformGradient(dy, firstTileRow: r0, tileRows: nr, into: ud)
                    for e in 0 ..< points {
                        if packed {
                            gradientProduct(ud + e * us, v + e * vs, tiles: nt, add: chunk != range.lowerBound, into: p + e * o * k,
                                            scratch: v + chunkSize)
                        } else {
                            BLAS.sgemm(transB: true, m: o, n: k, k: nt, a: ud + e * us, lda: nt, b: v + e * vs, ldb: nt,
                                       beta: chunk == range.lowerBound ? 0 : 1, c: p + e * o * k, ldc: k)
                        }
                    }
                }
            }
            parts = (0 ..< groups).map { partials.buffer($0, count: 0).pointer }
        }
        // Per output channel, first each transform point's row summed over the groups (0 + the
        // first + the second ..., as one element at a time did it, but along contiguous rows that
        // vectorise: element by element this took 8% of a step at a 192-frame window), then the
        // output transform of every column. The worker's chunk buffer holds the rows.
        Parallel.forEachWorker(o, workers: settings.threads, minimumWork: 2) { worker, range in
            let sums = scratch.buffer(worker, count: (points + 4) * k).pointer, large = sums + points * k
            for oc in range {
                for e in 0 ..< points {
                    let row = sums + e * k, at = (e * o + oc) * k
                    row.update(repeating: 0, count: k)
                    for part in parts {
                        let src = part + at
                        for kk in 0 ..< k { row[kk] += src[kk] }
                    }
                }
                if side == 4 { wg4_gradient_output(sums, k, large, isa) }
                for kk in 0 ..< k {
                    let z = side == 4 ? (large[kk], large[k + kk], large[2 * k + kk], large[3 * k + kk])
                        : Self.outputTransform((sums[kk], sums[k + kk], sums[2 * k + kk], sums[3 * k + kk], sums[4 * k + kk],
                                                sums[5 * k + kk], sums[6 * k + kk], sums[7 * k + kk], sums[8 * k + kk]))
                    let phase = kk / channels, c = kk % channels, a = phase / 2, b = phase % 2
                    let g = grad + (oc * channels + c) * 16
                    g[a * 4 + b] += z.0; g[a * 4 + 2 + b] += z.1
                    g[(2 + a) * 4 + b] += z.2; g[(2 + a) * 4 + 2 + b] += z.3
                }
            }
        }
    }
}
