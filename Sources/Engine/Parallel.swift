import Dispatch

/// Splits loops over channels across the cores (the elementwise kernels beside the gemms).
public enum Parallel {
    /// Worker count for elementwise loops; 1 keeps everything on the calling thread.
    nonisolated(unsafe) public static var workers = 2

    /// Runs body(i) for i in 0..<count, in `workers` contiguous chunks when worth it.
    @inline(__always)
    public static func forEach(_ count: Int, minimumWork: Int = 1, _ body: (Int) -> Void) {
        let w = min(workers, count)
        if w <= 1 || count < minimumWork {
            for i in 0 ..< count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // The callers hand out disjoint indices; the box only tells the compiler so.
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: w) { chunk in
                let lo = count * chunk / w, hi = count * (chunk + 1) / w
                for i in lo ..< hi { box.value(i) }
            }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
