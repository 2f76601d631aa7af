import BLAS

/// How many threads the numeric code may use (`--threads`): OpenBLAS's thread count, which
/// every matrix product of the training step goes through.
enum ComputeThreads {
    static func set(_ n: Int) { BLAS.threads = max(1, n) }
}
