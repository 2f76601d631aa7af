/// The Winograd transforms in Swift: the reference the C kernels (Sources/CWinograd, called
/// through the wrappers in WinogradConv.swift) are tested against, with the same arguments.
extension WinogradConv {
    /// Input tile: 3x3 values at `p` (rows `stride` apart) -> 9 values, 8 tiles at a time when
    /// tiles are 2 cells apart. Rows: (d0 - d1, d1, d2 - d1), then the same along columns.
    @inline(__always)
    public static func inputTransformReference(_ p: UnsafePointer<Float>, stride: Int, into v: UnsafeMutablePointer<Float>, step: Int, tiles: Int) {
        var t = 0
        while t + 8 <= tiles {
            let q = p + 2 * t
            func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let lo = UnsafeRawPointer(q + i * stride).loadUnaligned(as: SIMD16<Float>.self)
                let hi = UnsafeRawPointer(q + i * stride + 2).loadUnaligned(as: SIMD16<Float>.self)
                return (lo.evenHalf, lo.oddHalf, hi.evenHalf)
            }
            let (a0, a1, a2) = row(0), (b0, b1, b2) = row(1), (c0, c1, c2) = row(2)
            let t00 = a0 - b0, t01 = a1 - b1, t02 = a2 - b2
            let t20 = c0 - b0, t21 = c1 - b1, t22 = c2 - b2
            func put(_ e: Int, _ x: SIMD8<Float>) { UnsafeMutableRawPointer(v + e * step + t).storeBytes(of: x, as: SIMD8<Float>.self) }
            put(0, t00 - t01); put(1, t01); put(2, t02 - t01)
            put(3, b0 - b1); put(4, b1); put(5, b2 - b1)
            put(6, t20 - t21); put(7, t21); put(8, t22 - t21)
            t += 8
        }
        while t < tiles {
            let q = p + 2 * t
            let a0 = q[0], a1 = q[1], a2 = q[2]
            let b0 = q[stride], b1 = q[stride + 1], b2 = q[stride + 2]
            let c0 = q[2 * stride], c1 = q[2 * stride + 1], c2 = q[2 * stride + 2]
            let t00 = a0 - b0, t01 = a1 - b1, t02 = a2 - b2
            let t20 = c0 - b0, t21 = c1 - b1, t22 = c2 - b2
            v[t] = t00 - t01; v[step + t] = t01; v[2 * step + t] = t02 - t01
            v[3 * step + t] = b0 - b1; v[4 * step + t] = b1; v[5 * step + t] = b2 - b1
            v[6 * step + t] = t20 - t21; v[7 * step + t] = t21; v[8 * step + t] = t22 - t21
            t += 1
        }
    }


    /// `outputRows` (spacing 1: y0[2t], y0[2t + 1], ...) and `outputPhase` (spacing 2: x0[4t], x0[4t + 2], ...).
    public static func outputReference(_ m: UnsafePointer<Float>, plane: Int, tiles: Int, bias: Float,
                                       _ y0: UnsafeMutablePointer<Float>, _ y1: UnsafeMutablePointer<Float>, spacing: Int) {
        for t in 0 ..< tiles {
            let z = outputTransform((m[t], m[plane + t], m[2 * plane + t], m[3 * plane + t], m[4 * plane + t],
                                     m[5 * plane + t], m[6 * plane + t], m[7 * plane + t], m[8 * plane + t]))
            let at = 2 * spacing * t
            y0[at] = z.0 + bias; y0[at + spacing] = z.1 + bias
            y1[at] = z.2 + bias; y1[at + spacing] = z.3 + bias
        }
    }

    public static func filterRowsReference(_ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>,
                                           _ dst: UnsafeMutablePointer<Float>, step: Int, tiles: Int) {
        for t in 0 ..< tiles {
            filterTransform(d0[2 * t], d0[2 * t + 1], d1[2 * t], d1[2 * t + 1], into: dst + t, step: step)
        }
    }
}
