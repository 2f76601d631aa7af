/// One named tensor inside a ParameterStore: `offset` into the flat buffers.
public struct Parameter: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int
}

/// All trainable parameters of a model in one flat block, with their gradients and Adam
/// moments in blocks of the same layout (llm.c style): the optimizer is one loop and
/// zeroGrad one fill.
public final class ParameterStore: @unchecked Sendable {
    public private(set) var entries: [Parameter] = []
    public let values = FloatBuffer()
    public let grads = FloatBuffer()
    public let expAvg = FloatBuffer()
    public let expAvgSq = FloatBuffer()

    /// What the store allocates per tensor.
    public enum Storage: Sendable {
        /// Values, gradients and Adam moments.
        case training
        /// Values only (a quarter of the memory).
        case inference
        /// Nothing: names, shapes and offsets only, to check a checkpoint before building the model.
        case layoutOnly
    }
    public let storage: Storage

    /// Without gradients and Adam moments (inference only: a quarter of the memory).
    public var inferenceOnly: Bool { storage != .training }

    public init(inferenceOnly: Bool = false) { storage = inferenceOnly ? .inference : .training }
    public init(storage: Storage) { self.storage = storage }

    public var count: Int { values.count }

    /// Adds a zero-filled tensor and returns its handle.
    public func add(_ name: String, shape: [Int]) -> Parameter {
        let n = shape.reduce(1, *)
        let p = Parameter(name: name, shape: shape, offset: entries.last.map { $0.offset + $0.count } ?? 0, count: n)
        let buffers: [FloatBuffer] = switch storage {
        case .training: [values, grads, expAvg, expAvgSq]
        case .inference: [values]
        case .layoutOnly: []
        }
        for b in buffers {
            let old = b.count
            b.resize(old + n, preserve: true)
            (b.pointer + old).update(repeating: 0, count: n)
        }
        entries.append(p)
        return p
    }

    public func value(_ p: Parameter) -> UnsafeMutablePointer<Float> { values.pointer + p.offset }
    public func grad(_ p: Parameter) -> UnsafeMutablePointer<Float> { grads.pointer + p.offset }

    /// Zeroes every gradient, split across `workers` (the generator's are 30 MB: 2-3 ms on one core).
    public func zeroGrad(workers: Int = 1) {
        let g = grads.pointer
        Parallel.forEachWorker(grads.count, workers: workers, minimumWork: 1 << 18) { _, range in
            (g + range.lowerBound).update(repeating: 0, count: range.count)
        }
    }

    /// Sets every value of `p` (nothing to set in a layout-only store).
    public func fill(_ p: Parameter, with v: Float) {
        if storage != .layoutOnly { value(p).update(repeating: v, count: p.count) }
    }

    public func entry(named name: String) -> Parameter? { entries.first { $0.name == name } }

    public func array(_ p: Parameter) -> [Float] { Array(UnsafeBufferPointer(start: value(p), count: p.count)) }
    public func gradArray(_ p: Parameter) -> [Float] { Array(UnsafeBufferPointer(start: grad(p), count: p.count)) }

    public func set(_ p: Parameter, _ v: [Float]) {
        precondition(v.count == p.count, "\(p.name): expected \(p.count) values, got \(v.count)")
        v.withUnsafeBufferPointer { value(p).update(from: $0.baseAddress!, count: p.count) }
    }
}
