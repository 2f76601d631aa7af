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
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, settings: ComputeSettings) {
        let isa = settings.isa
        Parallel.forEachWorker(count, workers: settings.threads, minimumWork: 1 << 16) { _, range in
            let lo = range.lowerBound
            ElementwiseKernels.activation(x + lo, y + lo, count: range.count, self, isa: isa)
        }
    }

    /// dx = dy * act'(x) from the saved output y, may be in place (dx == dy).
    public func backward(output y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, count: Int, settings: ComputeSettings) {
        let isa = settings.isa
        Parallel.forEachWorker(count, workers: settings.threads, minimumWork: 1 << 16) { _, range in
            let lo = range.lowerBound
            ElementwiseKernels.activationBackward(output: y + lo, dy + lo, dx + lo, count: range.count, self, isa: isa)
        }
    }
}
