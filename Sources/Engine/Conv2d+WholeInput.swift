import BLAS

/// Conv2d whose kernel is exactly its input plane (the discriminator's last layer: one output
/// per sample from 8 x 32 x 256 inputs). im2col turned each call into a 4 MB transpose on one
/// worker (the layer's single chunk) and 11 ms of every step ran on one core; here each product
/// reads the input where it lies (plane p of channel c of sample n at x[(c * N + n) * P + p]).
/// Work is split by sample (forward) or by channel (gradients), each with the same products
/// whatever the worker count: the same bits on 1 and 2 threads.
extension Conv2d {
    /// Whether geometry `g` takes this path: one output position, the kernel the whole plane.
    static func readsWholePlanes(_ g: ConvGeometry) -> Bool {
        g.padding == 0 && g.kernelH == g.height && g.kernelW == g.width
    }

    /// y[o, n] = act(bias[o] + sum over c, p of w[o, c, p] x[c, n, p]).
    func wholePlaneForward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           into y: UnsafeMutablePointer<Float>) {
        let n = g.batch, c = g.channels, o = outChannels, p = g.height * g.width
        scratch.prepare(workers: settings.threads, count: o)
        Parallel.forEachWorker(n, workers: settings.threads) { worker, samples in
            let sums = scratch.buffer(worker, count: o).pointer
            for s in samples {
                sums.update(repeating: 0, count: o)
                for ch in 0 ..< c {
                    BLAS.sgemv(m: o, n: p, a: w + ch * p, lda: c * p, x: x + (ch * n + s) * p, beta: 1, y: sums)
                }
                for oc in 0 ..< o { y[oc * n + s] = bias[oc] + sums[oc] }
            }
        }
        if activation != .identity {
            ElementwiseKernels.activation(y, y, count: o * n, activation, isa: settings.isa)
        }
    }

    /// dW[o, c, p] += sum over n of dy[o, n] x[c, n, p], and (when dx is given) dx[c, n, p] =
    /// sum over o of dy[o, n] w[o, c, p] for the channels in `channels`.
    func wholePlaneBackward(_ g: ConvGeometry, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                            grad: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?, channels: Range<Int>) {
        let n = g.batch, c = g.channels, o = outChannels, p = g.height * g.width
        Parallel.forEach(c, workers: settings.threads, minimumWork: 4) { ch in
            if let grad {
                BLAS.sgemm(m: o, n: p, k: n, a: dy, lda: n, b: x + ch * n * p, ldb: p, beta: 1, c: grad + ch * p, ldc: c * p)
            }
            if let dx, channels.contains(ch) {
                BLAS.sgemm(transA: true, m: n, n: p, k: o, a: dy, lda: n, b: w + ch * p, ldb: c * p, c: dx + ch * n * p, ldc: p)
            }
        }
    }
}
