#!/usr/bin/env python3
"""Measures whether a model trained on the demo dataset generates spectrograms that look like
their class and unlike the other classes.

For each checkpoint given, it runs `cgan-tui generate CKPT --all --count N --npy` and compares
the generated log-mel spectrograms with the real demo clips, whose log-mels this script
computes itself with numpy (torchaudio's MelSpectrogram conventions: periodic Hann, centred
reflect padding, HTK mel without norm, power 2, log1p, crop/pad to the model's frames), so the
reference does not come from the code under test.

Figures printed per checkpoint:
  accuracy    nearest-class-centroid accuracy: a generated spectrogram counts as right when
              the real class mean nearest to it (Euclidean) is the class it was asked for
              (chance: 1 / classes)
  profile     per class, the correlation between the generated and the real band-energy
              profile (mean log-mel per band over time), and whether the matching real class
              has the highest correlation of all classes
  spread      mean distance between generated class means / mean distance between real
              class means (about 1: the classes are as far apart as the real ones; near 0:
              every class generates the same picture)

Usage: python3 scripts/demo_quality.py CKPT [CKPT ...] [--binary .build/release/cgan-tui]
       [--demo assets/demo] [--count 16]
Exit status 1 when the last checkpoint's accuracy is below --min-accuracy (default 0.9).
Needs numpy and scipy.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
from scipy.io import wavfile


def metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    meta = header.get("__metadata__", {})
    for v in meta.values():
        try:
            d = json.loads(v)
        except (TypeError, ValueError):
            continue
        if isinstance(d, dict) and ("classNames" in d or "class_names" in d):
            # The engine writes snake_case keys; accept camelCase too.
            snake = {"class_names": "classNames", "sample_rate": "sampleRate", "n_fft": "nFFT",
                     "n_mels": "nMels", "latent_dim": "latentDim"}
            return {snake.get(k, k): val for k, val in d.items()}
    raise SystemExit(f"{path}: no cgan-tui metadata")


def mel_filterbank(sr, n_fft, n_mels):
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    all_freqs = np.linspace(0, sr // 2, n_fft // 2 + 1)
    f_pts = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2))
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0, np.minimum(down, up))          # (n_fft/2+1, n_mels)


def log_mel(y, sr, n_fft, hop, n_mels, frames, fb):
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    y = np.pad(y, n_fft // 2, mode="reflect")
    count = 1 + (len(y) - n_fft) // hop
    stft = np.fft.rfft(np.stack([y[i * hop:i * hop + n_fft] * win for i in range(count)]), axis=1)
    m = np.log1p((np.abs(stft) ** 2) @ fb).T               # (n_mels, count)
    out = np.zeros((n_mels, frames))
    out[:, :min(frames, count)] = m[:, :frames]
    return out


def real_spectrograms(demo, classes, meta):
    fb = mel_filterbank(meta["sampleRate"], meta["nFFT"], meta["nMels"])
    out = {}
    for c in classes:
        folder = os.path.join(demo, c)
        specs = []
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".wav"):
                continue
            sr, y = wavfile.read(os.path.join(folder, name))
            assert sr == meta["sampleRate"], "demo clips are at the model's rate"
            y = y.astype(np.float64) / 32768.0
            specs.append(log_mel(y, sr, meta["nFFT"], meta["hop"], meta["nMels"], meta["frames"], fb))
        out[c] = np.stack(specs)
    return out


def evaluate(ckpt, args, real_cache):
    meta = metadata(ckpt)
    classes = meta["classNames"]
    key = (meta["nMels"], meta["frames"])
    if key not in real_cache:
        real_cache[key] = real_spectrograms(args.demo, classes, meta)
    real = real_cache[key]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.binary, "generate", ckpt, "--all", "--count", str(args.count), "--npy",
                        "--iterations", "1", "--seed", "1", "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        gen = {c: np.stack([np.load(os.path.join(tmp, f"{c}_{k}.npy")) for k in range(args.count)]) for c in classes}

    means = np.stack([real[c].mean(0) for c in classes])
    right = 0
    for i, c in enumerate(classes):
        d = ((gen[c][:, None] - means[None]) ** 2).sum(axis=(2, 3))
        right += int((d.argmin(1) == i).sum())
    accuracy = right / (args.count * len(classes))

    real_prof = np.stack([real[c].mean(axis=(0, 2)) for c in classes])
    gen_prof = np.stack([gen[c].mean(axis=(0, 2)) for c in classes])
    corr = np.corrcoef(np.concatenate([gen_prof, real_prof]))[:len(classes), len(classes):]
    gen_means = np.stack([gen[c].mean(0) for c in classes])

    def mean_pair_distance(m):
        return np.mean([np.linalg.norm(m[i] - m[j]) for i in range(len(m)) for j in range(i + 1, len(m))])

    spread = mean_pair_distance(gen_means) / mean_pair_distance(means)
    print(f"{ckpt}: epoch {meta['epoch']}, step {meta['step']}")
    print(f"  nearest-class-centroid accuracy {accuracy:.3f} ({right}/{args.count * len(classes)}; chance {1 / len(classes):.2f})")
    for i, c in enumerate(classes):
        best = classes[int(np.nanargmax(corr[i]))]
        print(f"  {c:>8}: band-profile correlation with real {c} {corr[i, i]:.3f}; best match {best}")
    print(f"  spread (generated / real distance between class means) {spread:.3f}")
    return accuracy


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoints", nargs="+")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--binary", default=os.path.join(here, ".build", "release", "cgan-tui"))
    p.add_argument("--demo", default=os.path.join(here, "assets", "demo"))
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--min-accuracy", type=float, default=0.9)
    args = p.parse_args()
    cache = {}
    accuracy = 0.0
    for ckpt in args.checkpoints:
        accuracy = evaluate(ckpt, args, cache)
    sys.exit(0 if accuracy >= args.min_accuracy else 1)


if __name__ == "__main__":
    main()
