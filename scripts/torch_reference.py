#!/usr/bin/env python3
"""Reference tensors from PyTorch (CPU) for the engine's tests.

Writes, for small shapes:
  Tests/EngineTests/Fixtures/layers.safetensors   every layer's forward and all gradients
  Tests/GANTests/Fixtures/model_reference.safetensors
      the seed model (n_mels 16, frames 32, batch 4, 3 classes): initial state_dict, three
      batches, the losses of three training steps, every parameter / BN buffer / Adam moment
      after them, and the generator's eval-mode output afterwards
  Tests/GANTests/Fixtures/torch_from_swift_checkpoint.safetensors
      the generator output PyTorch computes after loading the Swift-written checkpoint
      Tests/GANTests/Fixtures/swift_checkpoint.safetensors (if present) with load_state_dict(strict)

Layer references are computed in float64 and stored as float32, so a Swift (float32) result
differs from them only by its own rounding. The whole-model reference is PyTorch's ordinary
float32 computation, as a PyTorch user would run it.

Usage: python3 scripts/torch_reference.py   (needs torch, numpy, safetensors)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_FIX = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures")
GAN_FIX = os.path.join(ROOT, "Tests", "GANTests", "Fixtures")


# ---------------------------------------------------------------- the seed's modules
class Generator(nn.Module):
    def __init__(self, latent_dim, num_classes, n_mels, frames):
        super().__init__()
        self.num_classes, self.h, self.w = num_classes, n_mels // 16, frames // 16
        self.fc = nn.Linear(latent_dim + num_classes, 256 * self.h * self.w)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(True),   # 0 1 2
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),     # 3 4 5
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(True),      # 6 7 8
            nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.ReLU())                               # 9 10

    def forward(self, z, labels):
        onehot = F.one_hot(labels, self.num_classes).to(self.fc.weight.dtype)
        x = self.fc(torch.cat([z, onehot], 1)).view(-1, 256, self.h, self.w)
        return self.net(x)


class Discriminator(nn.Module):
    def __init__(self, num_classes, n_mels, frames):
        super().__init__()
        self.num_classes, self.n_mels, self.frames = num_classes, n_mels, frames
        self.label_embedding = nn.Linear(num_classes, n_mels * frames)
        self.net = nn.Sequential(
            nn.Conv2d(2, 32, 4, 2, 1), nn.LeakyReLU(0.2, True),                          # 0 1
            nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, True),     # 2 3 4
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),   # 5 6 7
            nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),  # 8 9 10
            nn.Conv2d(256, 1, (n_mels // 16, frames // 16), 1, 0))                       # 11

    def forward(self, x, labels):
        onehot = F.one_hot(labels, self.num_classes).to(self.label_embedding.weight.dtype)
        label_map = self.label_embedding(onehot).view(-1, 1, self.n_mels, self.frames)
        return self.net(torch.cat([x, label_map], 1)).view(-1)


def train_step(G, D, opt_g, opt_d, real, labels, z, crit):
    """The seed's step: D on real (1) + detached fake (0), D update; G through D (1), G update."""
    n = real.shape[0]
    ones, zeros = torch.ones(n), torch.zeros(n)
    fake = G(z, labels)
    opt_d.zero_grad()
    loss_real = crit(D(real, labels), ones)
    loss_fake = crit(D(fake.detach(), labels), zeros)
    loss_d = loss_real + loss_fake
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    loss_g = crit(D(fake, labels), ones)
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


# ---------------------------------------------------------------- layer references
def grads_of(out, dy, *tensors):
    return torch.autograd.grad(out, tensors, dy)


def r32(x):
    """A float64 tensor holding float32 values, so Swift sees exactly the reference's inputs."""
    return x.float().double()


def rounded(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(r32(p))
    return module


def layer_fixtures():
    torch.manual_seed(1234)
    d = torch.float64
    t = {}
    randn = lambda *shape: r32(torch.randn(*shape, dtype=d))

    def put(prefix, **kw):
        for k, v in kw.items():
            t[f"{prefix}.{k}"] = v.detach().to(torch.float32).contiguous()

    # Linear 7 -> 5, batch 4
    x = randn(4, 7).requires_grad_(True)
    lin = rounded(nn.Linear(7, 5).to(d))
    y = lin(x)
    dy = r32(torch.randn_like(y))
    dx, dw, db = grads_of(y, dy, x, lin.weight, lin.bias)
    put("linear", x=x, weight=lin.weight, bias=lin.bias, y=y, dy=dy, dx=dx, dweight=dw, dbias=db)

    # Conv2d cases: the k4 s2 p1 downsampler, and the final full-extent kernel.
    cases = {"conv_k4s2p1": (2, 3, 4, (4, 4), 2, 1, 8, 12),
             "conv_full": (3, 5, 1, (2, 4), 1, 0, 2, 4),
             "conv_k3s1p1": (2, 2, 3, (3, 3), 1, 1, 5, 7)}
    for name, (n, cin, cout, k, s, p, h, w) in cases.items():
        conv = rounded(nn.Conv2d(cin, cout, k, s, p).to(d))
        x = randn(n, cin, h, w).requires_grad_(True)
        y = conv(x)
        dy = r32(torch.randn_like(y))
        dx, dw, db = grads_of(y, dy, x, conv.weight, conv.bias)
        put(name, x=x, weight=conv.weight, bias=conv.bias, y=y, dy=dy, dx=dx, dweight=dw, dbias=db)
        t[f"{name}.config"] = torch.tensor([n, cin, cout, k[0], k[1], s, p, h, w], dtype=torch.float32)

    # ConvTranspose2d k4 s2 p1 (the generator's upsampler), weight [in, out, 4, 4]
    ct = rounded(nn.ConvTranspose2d(3, 4, 4, 2, 1).to(d))
    x = randn(2, 3, 4, 6).requires_grad_(True)
    y = ct(x)
    dy = r32(torch.randn_like(y))
    dx, dw, db = grads_of(y, dy, x, ct.weight, ct.bias)
    put("convt", x=x, weight=ct.weight, bias=ct.bias, y=y, dy=dy, dx=dx, dweight=dw, dbias=db)

    # BatchNorm2d in training (batch stats, running-stat update) and in eval.
    bn = nn.BatchNorm2d(3).to(d)
    with torch.no_grad():
        bn.weight.copy_(r32(torch.rand(3, dtype=d) + 0.5))
        bn.bias.copy_(r32(torch.randn(3, dtype=d)))
        bn.running_mean.copy_(r32(torch.randn(3, dtype=d)))
        bn.running_var.copy_(r32(torch.rand(3, dtype=d) + 0.5))
    put("bn", weight=bn.weight, bias=bn.bias, running_mean_before=bn.running_mean.clone(),
        running_var_before=bn.running_var.clone())
    x = r32(torch.randn(4, 3, 5, 6, dtype=d) * 2 + 1).requires_grad_(True)
    bn.train()
    y = bn(x)
    dy = r32(torch.randn_like(y))
    dx, dw, db = grads_of(y, dy, x, bn.weight, bn.bias)
    put("bn", x=x, y=y, dy=dy, dx=dx, dweight=dw, dbias=db, running_mean=bn.running_mean,
        running_var=bn.running_var)
    bn.eval()
    put("bn", y_eval=bn(x))

    # Activations
    x = randn(64).requires_grad_(True)
    for name, f in (("relu", F.relu), ("leaky", lambda v: F.leaky_relu(v, 0.2))):
        y = f(x)
        dy = r32(torch.randn_like(y))
        (dx,) = grads_of(y, dy, x)
        put(name, x=x, y=y, dy=dy, dx=dx)

    # BCE with logits (mean), including large logits where a naive formula overflows.
    logits = torch.cat([r32(torch.randn(10, dtype=d) * 3), torch.tensor([40.0, -40.0, 100.0, -100.0], dtype=d)])
    logits.requires_grad_(True)
    targets = torch.tensor([1.0, 0.0] * 7, dtype=d)
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    (dl,) = torch.autograd.grad(loss, logits)
    put("bce", logits=logits, targets=targets, loss=loss.reshape(1), dlogits=dl)

    # Adam (lr 2e-4, betas 0.5/0.999, eps 1e-8) over three steps, float32 as in training.
    p = nn.Parameter(torch.randn(50))
    opt = torch.optim.Adam([p], lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    t["adam.p0"] = p.detach().clone()
    for i in range(3):
        g = torch.randn(50) * (10.0 ** (i - 1))
        t[f"adam.g{i}"] = g.clone()
        p.grad = g
        opt.step()
        t[f"adam.p{i + 1}"] = p.detach().clone()
    st = opt.state[p]
    t["adam.exp_avg"] = st["exp_avg"].clone()
    t["adam.exp_avg_sq"] = st["exp_avg_sq"].clone()

    save_file(t, os.path.join(ENGINE_FIX, "layers.safetensors"))


# ---------------------------------------------------------------- whole-model reference
SMALL = dict(num_classes=3, latent=100, n_mels=16, frames=32, batch=4)


class SplitMix64:
    """Support/SeededRandom.swift's generator, bit for bit."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def uniform(self, n):
        """nextUniform() * 2 - 1, as float32: exact (24-bit values)."""
        return np.array([(self.next() >> 40) for _ in range(n)], dtype=np.float32) * np.float32(2.0 ** -24) * 2 - 1


def seeded_init(modules, rng):
    """PyTorch's default init (kaiming_uniform a=sqrt(5) => U(+-1/sqrt(fan_in)), same bound for the
    bias), drawn from SplitMix64 in the Swift engine's order: weight then bias, module by module.
    fan_in comes from torch's own helper, so ConvTranspose2d uses weight.size(1) * k * k."""
    for m in modules:
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
        bound = np.float32(1) / np.sqrt(np.float32(fan_in))
        with torch.no_grad():
            for p in (m.weight, m.bias):
                u = rng.uniform(p.numel()) * bound
                p.copy_(torch.from_numpy(u.astype(np.float32)).view_as(p))


def make_models(seed):
    """The seed's modules initialised exactly as ConditionalGAN(config, seed: seed) does."""
    c = SMALL
    G = Generator(c["latent"], c["num_classes"], c["n_mels"], c["frames"])
    D = Discriminator(c["num_classes"], c["n_mels"], c["frames"])
    rng = SplitMix64(seed)
    seeded_init([G.fc, G.net[0], G.net[3], G.net[6], G.net[9]], rng)
    seeded_init([D.label_embedding, D.net[0], D.net[2], D.net[5], D.net[8], D.net[11]], rng)
    return G, D


def run_reference(dtype):
    """Three seed training steps from SplitMix64(42) weights, in the given precision."""
    c = SMALL
    G, D = make_models(42)
    G, D = G.to(dtype), D.to(dtype)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    crit = nn.BCEWithLogitsLoss()
    g = torch.Generator().manual_seed(7)
    out = {"batches": [], "losses": []}
    for s in range(3):
        # Log-mel-like inputs: non-negative, a few units large.
        real = torch.rand(c["batch"], 1, c["n_mels"], c["frames"], generator=g) * 4
        labels = torch.tensor([s % 3, (s + 1) % 3, 2, 0])
        z = torch.randn(c["batch"], c["latent"], generator=g)
        out["batches"].append((real, labels, z))
        if s == 0:
            # The first step's gradients, before any rounding has been amplified: D's from the D
            # step (PyTorch adds the G step's into them later), G's from the G step.
            grads = {}
            orig_step = opt_d.step

            def d_step_hook():
                for k, p in D.named_parameters():
                    grads[f"discriminator.{k}"] = p.grad.detach().clone()
                orig_step()
            opt_d.step = d_step_hook
        out["losses"].append(train_step(G, D, opt_g, opt_d, real.to(dtype), labels, z.to(dtype), crit))
        if s == 0:
            opt_d.step = orig_step
            for k, p in G.named_parameters():
                grads[f"generator.{k}"] = p.grad.detach().clone()
            out["grads"] = grads
    out["state"] = {}
    for prefix, m, opt in (("generator", G, opt_g), ("discriminator", D, opt_d)):
        for k, v in m.state_dict().items():
            out["state"][f"{prefix}.{k}"] = v.clone()
        for name, p in m.named_parameters():
            out["state"][f"optimizer.{prefix}.{name}.exp_avg"] = opt.state[p]["exp_avg"].clone()
            out["state"][f"optimizer.{prefix}.{name}.exp_avg_sq"] = opt.state[p]["exp_avg_sq"].clone()
    G.eval()
    z = torch.randn(3, c["latent"], generator=g)
    labels = torch.tensor([0, 1, 2])
    with torch.no_grad():
        out["eval"] = (z, labels, G(z.to(dtype), labels))
    return out


def sample(name, v):
    """Big tensors are stored as every 61st element to keep the fixture small."""
    v = v.reshape(-1)
    return v if v.numel() <= 65536 else v[::61]


def model_fixture():
    f32, f64 = run_reference(torch.float32), run_reference(torch.float64)
    t = {}
    G, D = make_models(42)
    # Initial weights are not stored (they are 5.7 MB): both sides draw them from SplitMix64(42).
    # A few checksums let the Swift test tell a wrong init from a wrong step.
    for prefix, m in (("generator", G), ("discriminator", D)):
        for k, v in m.named_parameters():
            t[f"initial_sum.{prefix}.{k}"] = v.detach().double().sum().float().reshape(1)
    t["initial.generator.fc.bias"] = G.fc.bias.detach().clone()
    for s, (real, labels, z) in enumerate(f32["batches"]):
        t[f"step{s}.real"], t[f"step{s}.labels"], t[f"step{s}.z"] = real, labels.float(), z
    t["losses"] = torch.tensor(f32["losses"], dtype=torch.float32)      # [step, (d, g)]
    t["losses_f64"] = torch.tensor(f64["losses"], dtype=torch.float32)
    # First-step gradients in float64 (exact up to storage): Swift's must match them closely.
    for k, v in f64["grads"].items():
        t[f"grad1.{k}"] = sample(k, v).float()
    # Final state from PyTorch float32, and per tensor how far float32 PyTorch itself lies from
    # the float64 run. After step 1 the state depends on each run's rounding (see the Swift test),
    # which prints these beside its own differences and compares only what every rounding satisfies.
    for k, v in f32["state"].items():
        if v.numel() > 65536:
            v = sample(k, v)
        if v.dtype == torch.int64:
            t[f"final.{k}"] = v.clone()
            continue
        t[f"final.{k}"] = v.float()
        w = f64["state"][k]
        if w.numel() > 65536:
            w = sample(k, w)
        t[f"spread.{k}"] = (v.double() - w.reshape(v.shape)).abs().max().float().reshape(1)
    z, labels, out = f32["eval"]
    t["eval.z"], t["eval.labels"], t["eval.output"] = z, labels.float(), out
    t["spread.eval.output"] = (out.double() - f64["eval"][2]).abs().max().float().reshape(1)
    save_file({k: v.contiguous() for k, v in t.items()}, os.path.join(GAN_FIX, "model_reference.safetensors"))
    print("losses f32", f32["losses"])
    print("losses f64", f64["losses"])


def load_swift_checkpoint():
    path = os.path.join(GAN_FIX, "swift_checkpoint.safetensors")
    if not os.path.exists(path):
        print("no Swift checkpoint yet: run CGAN_RECORD_FIXTURES=1 swift test --filter recordSwiftCheckpoint")
        return
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        meta = json.loads(f.metadata()["config"])
    sd = load_file(path)
    C = len(meta["class_names"])
    G = Generator(meta["latent_dim"], C, meta["n_mels"], meta["frames"])
    D = Discriminator(C, meta["n_mels"], meta["frames"])
    G.load_state_dict({k[len("generator."):]: v for k, v in sd.items() if k.startswith("generator.")}, strict=True)
    D.load_state_dict({k[len("discriminator."):]: v for k, v in sd.items() if k.startswith("discriminator.")}, strict=True)
    # The optimizer state, when the checkpoint has it, must fit the parameters it belongs to.
    for prefix, m in (("generator", G), ("discriminator", D)):
        if f"optimizer.{prefix}.step" not in sd:
            continue
        for name, p in m.named_parameters():
            assert sd[f"optimizer.{prefix}.{name}.exp_avg"].shape == p.shape
            assert sd[f"optimizer.{prefix}.{name}.exp_avg_sq"].shape == p.shape
        assert sd[f"optimizer.{prefix}.step"].dtype == torch.int64
    G.eval()
    g = torch.Generator().manual_seed(99)
    z = torch.randn(C, meta["latent_dim"], generator=g)
    labels = torch.arange(C)
    with torch.no_grad():
        out = G(z, labels)
    save_file({"z": z, "labels": labels.float(), "output": out.contiguous()},
              os.path.join(GAN_FIX, "torch_from_swift_checkpoint.safetensors"))
    print("loaded Swift checkpoint:", meta, "output mean", out.mean().item())


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(ENGINE_FIX, exist_ok=True)
    os.makedirs(GAN_FIX, exist_ok=True)
    layer_fixtures()
    model_fixture()
    load_swift_checkpoint()
