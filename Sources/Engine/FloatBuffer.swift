/// A growable block of floats with reference semantics: layers keep their outputs and
/// gradients in these so a training step allocates nothing once shapes are known.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var count: Int
    private var capacity: Int

    public init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        self.count = count
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Sets the element count. Contents are kept up to the old count (when `preserve`),
    /// otherwise undefined; new storage is zeroed.
    public func resize(_ newCount: Int, preserve: Bool = false) {
        if newCount > capacity {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: newCount)
            p.initialize(repeating: 0, count: newCount)
            if preserve { p.update(from: pointer, count: count) }
            pointer.deallocate()
            pointer = p
            capacity = newCount
        }
        count = newCount
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from values: [Float]) {
        resize(values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
