import Support

/// PyTorch's default initialisation for Linear / Conv2d / ConvTranspose2d:
/// kaiming_uniform_(a = sqrt(5)) on the weight, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
/// and the bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). fan_in = weight.size(1) * kernel area,
/// so for ConvTranspose2d (weight [in, out, kh, kw]) it is out * kh * kw.
public enum Initialization {
    public static func bound(fanIn: Int) -> Float { fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0 }

    public static func uniform(_ p: UnsafeMutablePointer<Float>, count: Int, bound: Float,
                               rng: inout SplitMix64) {
        for i in 0 ..< count { p[i] = (rng.nextUniform() * 2 - 1) * bound }
    }
}
