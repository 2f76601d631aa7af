/// Elementwise activations on flat buffers. Backward uses the saved *output*: its sign is the
/// sign of the input for both ReLU and LeakyReLU(slope > 0), so nothing else is kept.
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyReLU(Float)

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        case let .leakyReLU(s): return x > 0 ? x : x * s
        }
    }

    /// d(act)/dx given the activation's output y.
    @inline(__always)
    public func derivative(output y: Float) -> Float {
        switch self {
        case .identity: return 1
        case .relu: return y > 0 ? 1 : 0
        case let .leakyReLU(s): return y > 0 ? 1 : s
        }
    }

    /// y = act(x), may be in place. Split across workers for large buffers.
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        if count >= 1 << 16 {
            Parallel.forEachWorker(count, workers: workers) { _, range in
                forwardSerial(x + range.lowerBound, y + range.lowerBound, count: range.count)
            }
        } else {
            forwardSerial(x, y, count: count)
        }
    }

    func forwardSerial(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: if UnsafePointer(y) != x { y.update(from: x, count: count) }
        case .relu: for i in 0 ..< count { y[i] = x[i] > 0 ? x[i] : 0 }
        case let .leakyReLU(s): for i in 0 ..< count { y[i] = x[i] > 0 ? x[i] : x[i] * s }
        }
    }

    /// dx = dy * act'(x) from the saved output y, may be in place (dx == dy).
    public func backward(output y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, count: Int, workers: Int) {
        if count >= 1 << 16 {
            Parallel.forEachWorker(count, workers: workers) { _, range in
                let lo = range.lowerBound
                backwardSerial(output: y + lo, dy + lo, dx + lo, count: range.count)
            }
        } else {
            backwardSerial(output: y, dy, dx, count: count)
        }
    }

    func backwardSerial(output y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                        _ dx: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        case .relu: for i in 0 ..< count { dx[i] = y[i] > 0 ? dy[i] : 0 }
        case let .leakyReLU(s): for i in 0 ..< count { dx[i] = y[i] > 0 ? dy[i] : dy[i] * s }
        }
    }
}
