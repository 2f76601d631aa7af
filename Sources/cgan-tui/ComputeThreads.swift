/// How many threads the numeric code may use (`--threads`).
enum ComputeThreads {
    static func set(_ n: Int) {}
}
