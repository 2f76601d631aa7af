/// "1 class", "2 classes", "0 clips": a count with its noun, singular only for exactly one.
/// The plural is the noun + "s" ("es" after s, x, sh) unless given ("batch", "batches").
public func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    if n == 1 { return "1 \(singular)" }
    if let plural { return "\(n) \(plural)" }
    let es = ["s", "x", "sh"].contains { singular.hasSuffix($0) }
    return "\(n) \(singular)\(es ? "es" : "s")"
}
