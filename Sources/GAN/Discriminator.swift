import Engine
import Support

/// The seed's discriminator, PyTorch module names in comments:
/// label_embedding: Linear(C -> nMels * frames), viewed as (1, nMels, frames) and put after the
/// spectrogram as a second channel -> net.0 Conv(2->32, k4 s2 p1), net.1 LeakyReLU(0.2),
/// net.2 Conv(32->64), net.3 BN, net.4 LReLU, net.5 Conv(64->128), net.6 BN, net.7 LReLU,
/// net.8 Conv(128->256), net.9 BN, net.10 LReLU, net.11 Conv(256->1, kernel (nMels/16, frames/16)).
/// With `projection` (not in the seed) the logit also gets <projection(onehot), mean of net.10's output
/// over positions>: a class embedding times the last features (projection discriminator).
final class Discriminator {
    let config: ModelConfig
    let store: ParameterStore
    let settings: ComputeSettings
    let labelEmbedding: Linear
    let conv0: Conv2d
    let conv2: Conv2d, bn3: BatchNorm2d
    let conv5: Conv2d, bn6: BatchNorm2d
    let conv8: Conv2d, bn9: BatchNorm2d
    let conv11: Conv2d
    let projection: Linear?
    var batchNorms: [(name: String, layer: BatchNorm2d)] { [("net.3", bn3), ("net.6", bn6), ("net.9", bn9)] }
    static let slope: Float = 0.2

    let onehot = FloatBuffer()
    let input = FloatBuffer()      // (2, N, nMels, frames)
    let dLabelMap = FloatBuffer()
    let dLogits = FloatBuffer()
    let pooled = FloatBuffer()     // [N, 256]: net.10's output averaged over positions
    let dEmbedding = FloatBuffer()
    private(set) var batch = 0

    init(config: ModelConfig, scratch: WorkerBuffers, settings: ComputeSettings = .standard, projection: Bool = false,
         storage: ParameterStore.Storage = .training) {
        self.config = config; self.settings = settings
        store = ParameterStore(storage: storage)
        let leaky = Activation.leakyReLU(Discriminator.slope)
        labelEmbedding = Linear(store, name: "label_embedding", inFeatures: config.numClasses,
                                outFeatures: config.nMels * config.frames, settings: settings)
        conv0 = Conv2d(store, name: "net.0", inChannels: 2, outChannels: 32, kernelH: 4, kernelW: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        conv0.activation = leaky
        conv2 = Conv2d(store, name: "net.2", inChannels: 32, outChannels: 64, kernelH: 4, kernelW: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn3 = BatchNorm2d(store, name: "net.3", channels: 64, activation: leaky, settings: settings)
        conv5 = Conv2d(store, name: "net.5", inChannels: 64, outChannels: 128, kernelH: 4, kernelW: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn6 = BatchNorm2d(store, name: "net.6", channels: 128, activation: leaky, settings: settings)
        conv8 = Conv2d(store, name: "net.8", inChannels: 128, outChannels: 256, kernelH: 4, kernelW: 4, stride: 2, padding: 1, scratch: scratch, settings: settings)
        bn9 = BatchNorm2d(store, name: "net.9", channels: 256, activation: leaky, settings: settings)
        conv11 = Conv2d(store, name: "net.11", inChannels: 256, outChannels: 1, kernelH: config.baseH,
                        kernelW: config.baseW, stride: 1, padding: 0, scratch: scratch, settings: settings)
        self.projection = projection ? Linear(store, name: "projection", inFeatures: config.numClasses, outFeatures: 256, settings: settings) : nil
    }

    func initialize(rng: inout SplitMix64) {
        labelEmbedding.initialize(rng: &rng)
        for c in [conv0, conv2, conv5, conv8, conv11] { c.initialize(rng: &rng) }
        projection?.initialize(rng: &rng)
    }

    /// x: [N, nMels * frames] spectrograms; returns N logits. Always training mode (as the seed).
    func forward(_ x: UnsafePointer<Float>, labels: [Int]) -> [Float] {
        let n = labels.count, classes = config.numClasses, hw = config.nMels * config.frames
        batch = n
        onehot.resize(n * classes)
        onehot.fill(0)
        for i in 0 ..< n {
            precondition(labels[i] >= 0 && labels[i] < classes, "label out of range")
            onehot.pointer[i * classes + labels[i]] = 1
        }
        let map = labelEmbedding.forward(onehot, batch: n)
        input.resize(2 * n * hw)
        // Channel 0: the spectrogram, channel 1: the label map (4 MB each, one per core).
        let dst = input.pointer, mapSrc = UnsafePointer(map.pointer)
        Parallel.forEach(2, workers: settings.threads) { channel in
            (dst + channel * n * hw).update(from: channel == 0 ? x : mapSrc, count: n * hw)
        }
        let H = config.nMels, W = config.frames
        var a = conv0.forward(input, batch: n, height: H, width: W)
        // net.1 LeakyReLU: applied by conv0 to each output tile while it is in cache.
        a = conv2.forward(a, batch: n, height: H / 2, width: W / 2)
        a = bn3.forward(a, training: true)
        a = conv5.forward(a, batch: n, height: H / 4, width: W / 4)
        a = bn6.forward(a, training: true)
        a = conv8.forward(a, batch: n, height: H / 8, width: W / 8)
        a = bn9.forward(a, training: true)
        let features = a
        var logits = conv11.forward(a, batch: n, height: H / 16, width: W / 16).array
        if let projection {
            let e = projection.forward(onehot, batch: n), positions = config.baseH * config.baseW, channels = projection.outFeatures
            pooled.resize(n * channels)
            for c in 0 ..< channels {
                for i in 0 ..< n {
                    let row = features.pointer + (c * n + i) * positions
                    var s: Float = 0
                    for p in 0 ..< positions { s += row[p] }
                    pooled.pointer[i * channels + c] = s / Float(positions)
                }
            }
            for i in 0 ..< n {
                var dot: Float = 0
                for c in 0 ..< channels { dot += e.pointer[i * channels + c] * pooled.pointer[i * channels + c] }
                logits[i] += dot
            }
        }
        return logits
    }

    /// dLogits: N values. paramGrads: add into D's gradients (D step); without them (G step)
    /// only the gradient for the spectrogram is computed. Returns d(spectrogram), [N, nMels*frames]
    /// (valid when inputGrad).
    @discardableResult
    func backward(_ dLogitValues: [Float], paramGrads: Bool, inputGrad: Bool) -> UnsafePointer<Float> {
        let n = batch, hw = config.nMels * config.frames
        dLogits.copy(from: dLogitValues)
        var d = conv11.backward(dLogits, paramGrads: paramGrads)
        if let projection {
            // logit += sum_c e[n,c] * mean_p f[c,n,p]: df[c,n,p] += dlogit[n] e[n,c] / P; de[n,c] = dlogit[n] pooled[n,c].
            let e = projection.output, channels = projection.outFeatures, positions = config.baseH * config.baseW
            for c in 0 ..< channels {
                for i in 0 ..< n {
                    let add = dLogitValues[i] * e.pointer[i * channels + c] / Float(positions)
                    let row = d.pointer + (c * n + i) * positions
                    for p in 0 ..< positions { row[p] += add }
                }
            }
            if paramGrads {
                dEmbedding.resize(n * channels)
                for i in 0 ..< n {
                    for c in 0 ..< channels { dEmbedding.pointer[i * channels + c] = dLogitValues[i] * pooled.pointer[i * channels + c] }
                }
                projection.backward(dEmbedding, inputGrad: false)
            }
        }
        d = bn9.backward(d, paramGrads: paramGrads)
        d = conv8.backward(d, paramGrads: paramGrads)
        d = bn6.backward(d, paramGrads: paramGrads)
        d = conv5.backward(d, paramGrads: paramGrads)
        d = bn3.backward(d, paramGrads: paramGrads)
        d = conv2.backward(d, paramGrads: paramGrads)
        // net.1 LeakyReLU's backward: conv0 applies it (it applied the activation in forward).
        // The D step needs only the label-map channel's gradient (for label_embedding), the G step
        // only the spectrogram's: compute just that channel of conv0's input gradient.
        let wanted: Range<Int>? = inputGrad == paramGrads ? nil : (inputGrad ? 0 ..< 1 : 1 ..< 2)
        d = conv0.backward(d, inputGrad: inputGrad || paramGrads, paramGrads: paramGrads, inputChannels: wanted)
        if paramGrads {
            dLabelMap.resize(n * hw)
            dLabelMap.pointer.update(from: d.pointer + n * hw, count: n * hw)
            labelEmbedding.backward(dLabelMap, inputGrad: false)
        }
        return UnsafePointer(d.pointer)
    }
}
