import BLAS
import Engine
import Support
import Testing

/// Every layer's forward and all gradients against PyTorch (float64 references of the same
/// float32 inputs, see scripts/torch_reference.py).
/// Tolerance 1e-5 relative to the tensor's scale: the only difference left is our float32
/// rounding over sums of at most a few hundred terms (~1e-6 relative; OpenBLAS's blocked sums
/// and our Double-accumulated reductions stay well inside).
@Suite struct LayerReferenceTests {
    static let rtol: Float = 1e-5

    @Test func linear() throws {
        let f = try Fixture("layers.safetensors")
        let store = ParameterStore()
        let layer = Linear(store, name: "l", inFeatures: 7, outFeatures: 5)
        store.set(layer.weight, f["linear.weight"]); store.set(layer.bias, f["linear.bias"])
        let y = layer.forward(FloatBuffer(f["linear.x"]), batch: 4)
        expectClose("linear.y", y.array, f["linear.y"], rtol: Self.rtol)
        let dx = layer.backward(FloatBuffer(f["linear.dy"]))
        expectClose("linear.dx", dx.array, f["linear.dx"], rtol: Self.rtol)
        expectClose("linear.dweight", store.gradArray(layer.weight), f["linear.dweight"], rtol: Self.rtol)
        expectClose("linear.dbias", store.gradArray(layer.bias), f["linear.dbias"], rtol: Self.rtol)
    }

    @Test(arguments: ["conv_k4s2p1", "conv_full", "conv_k3s1p1"])
    func conv2d(_ name: String) throws {
        let f = try Fixture("layers.safetensors")
        let c = f["\(name).config"].map { Int($0) }
        let (n, cin, cout, kh, kw, s, p, h, w) = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
        let store = ParameterStore()
        let layer = Conv2d(store, name: "c", inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                           stride: s, padding: p)
        store.set(layer.weight, f["\(name).weight"]); store.set(layer.bias, f["\(name).bias"])
        let y = layer.forward(FloatBuffer(nchwToCnhw(f["\(name).x"], n: n, c: cin)), batch: n, height: h, width: w)
        expectClose("\(name).y", cnhwToNchw(y.array, n: n, c: cout), f["\(name).y"], rtol: Self.rtol)
        let dx = layer.backward(FloatBuffer(nchwToCnhw(f["\(name).dy"], n: n, c: cout)))
        expectClose("\(name).dx", cnhwToNchw(dx.array, n: n, c: cin), f["\(name).dx"], rtol: Self.rtol)
        expectClose("\(name).dweight", store.gradArray(layer.weight), f["\(name).dweight"], rtol: Self.rtol)
        expectClose("\(name).dbias", store.gradArray(layer.bias), f["\(name).dbias"], rtol: Self.rtol)
    }

    @Test func convTranspose2d() throws {
        let f = try Fixture("layers.safetensors")
        let store = ParameterStore()
        let layer = ConvTranspose2d(store, name: "t", inChannels: 3, outChannels: 4, kernel: 4, stride: 2, padding: 1,
                                    scratch: WorkerBuffers())
        store.set(layer.weight, f["convt.weight"]); store.set(layer.bias, f["convt.bias"])
        let y = layer.forward(FloatBuffer(nchwToCnhw(f["convt.x"], n: 2, c: 3)), batch: 2, height: 4, width: 6)
        #expect(y.count == 2 * 4 * 8 * 12)
        expectClose("convt.y", cnhwToNchw(y.array, n: 2, c: 4), f["convt.y"], rtol: Self.rtol)
        let dx = layer.backward(FloatBuffer(nchwToCnhw(f["convt.dy"], n: 2, c: 4)))
        expectClose("convt.dx", cnhwToNchw(dx.array, n: 2, c: 3), f["convt.dx"], rtol: Self.rtol)
        expectClose("convt.dweight", store.gradArray(layer.weight), f["convt.dweight"], rtol: Self.rtol)
        expectClose("convt.dbias", store.gradArray(layer.bias), f["convt.dbias"], rtol: Self.rtol)
    }

    @Test func batchNorm2d() throws {
        let f = try Fixture("layers.safetensors")
        let store = ParameterStore()
        let bn = BatchNorm2d(store, name: "bn", channels: 3)
        store.set(bn.weight, f["bn.weight"]); store.set(bn.bias, f["bn.bias"])
        bn.runningMean = f["bn.running_mean_before"]; bn.runningVar = f["bn.running_var_before"]
        let x = FloatBuffer(nchwToCnhw(f["bn.x"], n: 4, c: 3))
        let y = bn.forward(x, training: true)
        expectClose("bn.y", cnhwToNchw(y.array, n: 4, c: 3), f["bn.y"], rtol: Self.rtol)
        expectClose("bn.running_mean", bn.runningMean, f["bn.running_mean"], rtol: Self.rtol)
        expectClose("bn.running_var (unbiased)", bn.runningVar, f["bn.running_var"], rtol: Self.rtol)
        #expect(bn.numBatchesTracked == 1)
        let dx = bn.backward(FloatBuffer(nchwToCnhw(f["bn.dy"], n: 4, c: 3)))
        expectClose("bn.dx", cnhwToNchw(dx.array, n: 4, c: 3), f["bn.dx"], rtol: Self.rtol)
        expectClose("bn.dweight", store.gradArray(bn.weight), f["bn.dweight"], rtol: Self.rtol)
        expectClose("bn.dbias", store.gradArray(bn.bias), f["bn.dbias"], rtol: Self.rtol)
        // Evaluation uses the running statistics (after the training update, as PyTorch).
        let ye = bn.forward(x, training: false)
        expectClose("bn.y_eval", cnhwToNchw(ye.array, n: 4, c: 3), f["bn.y_eval"], rtol: Self.rtol)
    }

    @Test func activations() throws {
        let f = try Fixture("layers.safetensors")
        for (name, act) in [("relu", Activation.relu), ("leaky", Activation.leakyReLU(0.2))] {
            let x = f["\(name).x"]
            var y = [Float](repeating: 0, count: x.count), dx = y
            act.forward(x, &y, count: x.count, settings: .standard)
            expectClose("\(name).y", y, f["\(name).y"], rtol: Self.rtol)
            act.backward(output: y, f["\(name).dy"], &dx, count: x.count, settings: .standard)
            expectClose("\(name).dx", dx, f["\(name).dx"], rtol: Self.rtol)
        }
    }

    @Test func bceWithLogits() throws {
        let f = try Fixture("layers.safetensors")
        let logits = f["bce.logits"], targets = f["bce.targets"]
        let loss = BCEWithLogits.forward(logits: logits, targets: targets)
        #expect(loss.isFinite)
        expectClose("bce.loss", [loss], f["bce.loss"], rtol: Self.rtol)
        expectClose("bce.dlogits", BCEWithLogits.backward(logits: logits, targets: targets), f["bce.dlogits"], rtol: Self.rtol)
    }

    /// PyTorch's own float32 Adam over three steps with gradients of 0.1x, 1x and 10x scale.
    /// Tolerance 1e-6 absolute (parameters are O(1), one update is at most lr = 2e-4: a
    /// formula error such as a missing bias correction changes them by >= 1e-5).
    @Test func adam() throws {
        let f = try Fixture("layers.safetensors")
        let store = ParameterStore()
        let p = store.add("p", shape: [50])
        store.set(p, f["adam.p0"])
        var adam = Adam(learningRate: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8)
        for i in 0 ..< 3 {
            store.zeroGrad()
            let g = f["adam.g\(i)"]
            for j in 0 ..< 50 { store.grad(p)[j] = g[j] }
            adam.update(store)
            let d = maxAbsDiff(store.array(p), f["adam.p\(i + 1)"])
            print("  adam step \(i + 1): max |diff| = \(d)")
            #expect(d <= 1e-6)
        }
        expectClose("adam.exp_avg", store.expAvg.array, f["adam.exp_avg"], rtol: 1e-6)
        expectClose("adam.exp_avg_sq", store.expAvgSq.array, f["adam.exp_avg_sq"], rtol: 1e-6)
        #expect(adam.step == 3)
    }
}
