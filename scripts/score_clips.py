#!/usr/bin/env python3
"""Scores generated clips the way an outside evaluator would, from the audio alone and with
none of cgan-tui's code: an independent classifier trained on the real clips says how often a
generated clip sounds like the class it was asked for, a Fréchet distance compares the feature
distributions, and a diversity ratio shows whether a class collapsed to one sound.

    python3 scripts/score_clips.py --train DATA/train --heldout DATA/heldout --generated GEN [--json]

DATA/train and DATA/heldout hold DATA/<split>/<class>/<clips> in any format libsndfile reads
(scripts/make_drum_set.py makes such a set); GEN holds `<class>_<k>.wav`, as written by
`cgan-tui generate RUN --all --count 20 --out GEN`. Class names may contain underscores: a file
name is matched against the known class names, longest first. Files that match no class are
listed and ignored.

Features, per clip: soundfile decode, mean of channels, resampled to 22050 Hz
(scipy.signal.resample_poly), the first 1.5 s (zero-padded), peak-normalised (generated clips
come peak-normalised, the real ones do not: level must not tell them apart). STFT with a
1024-point Hann window, hop 256; 40-band HTK mel (20 Hz - 11025 Hz, triangles, no norm) of the
power spectrum in dB relative to the clip's largest mel value, floored at -80 dB. Per band the
mean and the standard deviation over time (80 numbers); the RMS of 8 equal segments in dB
re full scale, floored at -80 (8); spectral centroid (log2 Hz) and flatness (dB) mean and
standard deviation over the frames within 60 dB of the loudest frame, and the share of such
frames (5). 93 numbers in all, standardised with the real training clips' mean and deviation.

Classifier: multinomial logistic regression (scikit-learn LogisticRegressionCV, L2, C chosen by
5-fold stratified cross-validation on the real training clips only). Its accuracy on the real
held-out clips is the ceiling a generator can hope for; fidelity is the share of generated clips
of a class that it assigns to that class (chance: 1 / classes). A clip that cannot be read,
is empty or silent (peak below 1e-5) or holds NaN/inf counts as misclassified.

Fréchet distance: the standardised features are projected on the first 16 principal components
of the real training clips (a 93-dimensional covariance from 60-100 clips would be singular and
noisy; 16 components keep most of the variance, printed), a Gaussian is fitted to each set with
every class weighing the same (the real sets are not balanced, `generate --all` is: a plain
fit would charge a perfect generator for the class mix), and
FD = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^1/2) (scipy.linalg.sqrtm). Reported: generated vs
real held-out, and as references real train vs real held-out, once with all training clips and
once with training clips drawn to the generated set's count per class (mean of 20 seeded
draws): FD grows as the sets shrink, so the second is the fair yardstick. Silent clips enter the
FD (as the features of silence), unreadable ones do not.

Diversity, per class: mean pairwise Euclidean distance between the generated clips' standardised
features over that between the real training clips of the class (1: as varied as the real
clips; near 0: one sound over and over).

--json prints one JSON object with every figure as the last line. Needs numpy, scipy, soundfile
and scikit-learn (pip install soundfile scikit-learn).
"""
import argparse
import json
import os
import sys
import warnings
from math import gcd

import numpy as np
from scipy.linalg import sqrtm
from scipy.signal import resample_poly

try:
    import soundfile as sf
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    sys.exit(f"score_clips: {e.name} missing: pip install soundfile scikit-learn")

SR = 22050
SECONDS = 1.5
N_FFT, HOP, N_MELS = 1024, 256, 40
FLOOR_DB = -80.0
SEGMENTS = 8
PCA_DIMS = 16
REFERENCE_DRAWS = 20
SILENT_PEAK = 1e-5
AUDIO_EXT = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3", ".caf", ".w64", ".au", ".snd"}


def mel_filterbank(n_fft=N_FFT, sr=SR, n_mels=N_MELS, fmin=20.0, fmax=SR / 2):
    hz_to_mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    mel_to_hz = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    fb = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb, freqs


FB, FREQS = mel_filterbank()
WINDOW = np.hanning(N_FFT + 1)[:-1]   # periodic Hann


def load(path):
    """Mono float64 at SR, first SECONDS, zero-padded; status 'ok' | 'silent' | 'invalid: why'."""
    n = int(SR * SECONDS)
    try:
        x, rate = sf.read(path, dtype="float64", always_2d=True)
    except Exception as e:  # noqa: BLE001 -- any unreadable file is just a bad clip
        return None, f"invalid: {type(e).__name__}"
    if x.size == 0:
        return np.zeros(n), "silent"
    if not np.all(np.isfinite(x)):
        return None, "invalid: NaN/inf samples"
    x = x.mean(axis=1)
    if rate != SR:
        g = gcd(int(rate), SR)
        x = resample_poly(x[: int(np.ceil(rate * SECONDS)) + 64], SR // g, int(rate) // g)
    x = x[:n]
    x = np.pad(x, (0, n - len(x)))
    peak = np.abs(x).max()
    if peak < SILENT_PEAK:
        return np.zeros(n), "silent"
    return x / peak, "ok"


def features(x):
    frames = 1 + len(x) // HOP
    padded = np.pad(x, N_FFT // 2, mode="reflect" if np.any(x) else "constant")
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(padded[idx] * WINDOW, axis=1)) ** 2          # [frames, bins]
    mel = power @ FB.T                                                     # [frames, mels]
    ref = mel.max()
    if ref > 0:
        mel_db = np.maximum(10 * np.log10(np.maximum(mel, 1e-30) / ref), FLOOR_DB)
    else:
        mel_db = np.full_like(mel, FLOOR_DB)
    seg = np.array_split(x, SEGMENTS)
    env = [max(10 * np.log10(np.mean(s ** 2) + 1e-30), FLOOR_DB) for s in seg]
    frame_energy = power.sum(axis=1)
    active = frame_energy > frame_energy.max() * 1e-6 if frame_energy.max() > 0 else np.zeros(frames, bool)
    if active.any():
        p = power[active] + 1e-20
        centroid = np.log2(np.maximum((p * FREQS).sum(1) / p.sum(1), 1.0))
        flatness = 10 * np.log10(np.exp(np.log(p).mean(1)) / p.mean(1))
        spec = [centroid.mean(), centroid.std(), flatness.mean(), flatness.std(), active.mean()]
    else:
        spec = [0.0, 0.0, FLOOR_DB, 0.0, 0.0]
    return np.concatenate([mel_db.mean(0), mel_db.std(0), env, spec])


def audio_files(folder):
    out = []
    for root, _, files in os.walk(folder):
        for f in files:
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in AUDIO_EXT:
                out.append(os.path.join(root, f))
    return sorted(out)


def real_set(root, classes=None):
    if not os.path.isdir(root):
        sys.exit(f"score_clips: {root} is not a directory")
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if classes is not None:
        extra = set(names) - set(classes)
        if extra:
            sys.exit(f"score_clips: {root} has classes the training set lacks: {sorted(extra)}")
        names = classes
    X, y, bad = [], [], []
    for ci, c in enumerate(names):
        for path in audio_files(os.path.join(root, c)):
            x, status = load(path)
            if status != "ok":
                bad.append((path, status))
                continue
            X.append(features(x))
            y.append(ci)
    if not X:
        sys.exit(f"score_clips: no readable clips under {root}")
    return names, np.array(X), np.array(y), bad


def match_class(filename, classes):
    stem = os.path.splitext(filename)[0]
    for c in sorted(classes, key=len, reverse=True):
        if stem.startswith(c + "_") and stem[len(c) + 1:].isdigit():
            return c
    return None


def balanced_gaussian(z, labels):
    """Mean and covariance with every class weighing the same, whatever its clip count."""
    counts = np.bincount(labels)
    w = 1.0 / counts[labels]
    w /= w.sum()
    mu = w @ z
    d = z - mu
    cov = (d * w[:, None]).T @ d / (1.0 - np.sum(w ** 2))   # unbiased for weighted samples
    return mu, cov


def frechet(a, la, b, lb):
    (mu1, s1), (mu2, s2) = balanced_gaussian(a, la), balanced_gaussian(b, lb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covmean = sqrtm(s1 @ s2)
    if not np.all(np.isfinite(covmean)):
        eps = np.eye(len(s1)) * 1e-6
        covmean = sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def mean_pairwise(f):
    if len(f) < 2:
        return float("nan")
    d = np.sqrt(((f[:, None, :] - f[None, :, :]) ** 2).sum(-1))
    return float(d[np.triu_indices(len(f), 1)].mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="real training clips: DIR/<class>/*")
    ap.add_argument("--heldout", required=True, help="real held-out clips: DIR/<class>/*")
    ap.add_argument("--generated", required=True, help="generated clips: DIR/<class>_<k>.wav")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args()

    classes, Xtr, ytr, bad_tr = real_set(args.train)
    _, Xho, yho, bad_ho = real_set(args.heldout, classes)
    for path, status in bad_tr + bad_ho:
        print(f"skipped real clip {path}: {status}")
    k = len(classes)

    gen, unmatched = [], []
    if not os.path.isdir(args.generated):
        sys.exit(f"score_clips: {args.generated} is not a directory")
    for f in sorted(os.listdir(args.generated)):
        if os.path.splitext(f)[1].lower() not in AUDIO_EXT:
            continue
        c = match_class(f, classes)
        if c is None:
            unmatched.append(f)
            continue
        x, status = load(os.path.join(args.generated, f))
        gen.append(dict(file=f, cls=classes.index(c), status=status,
                        feat=features(x) if x is not None else None))
    if unmatched:
        print(f"ignored {len(unmatched)} files matching no class: {', '.join(unmatched[:8])}"
              + (" ..." if len(unmatched) > 8 else ""))
    if not gen:
        sys.exit(f"score_clips: no <class>_<k> audio files in {args.generated} (classes: {', '.join(classes)})")

    scaler = StandardScaler().fit(Xtr)
    Ztr, Zho = scaler.transform(Xtr), scaler.transform(Xho)
    with warnings.catch_warnings():   # scikit-learn 1.8+ announces changes of defaults
        warnings.simplefilter("ignore", FutureWarning)
        clf = LogisticRegressionCV(Cs=np.logspace(-3, 2, 11), cv=5, max_iter=5000,
                                   scoring="accuracy").fit(Ztr, ytr)
    C = float(np.atleast_1d(clf.C_)[0])
    ho_pred = clf.predict(Zho)
    ceiling = float(np.mean(ho_pred == yho))
    ceiling_per = {c: float(np.mean(ho_pred[yho == i] == i)) if np.any(yho == i) else None
                   for i, c in enumerate(classes)}

    valid = [g for g in gen if g["feat"] is not None]
    Zg = scaler.transform(np.array([g["feat"] for g in valid])) if valid else np.zeros((0, Ztr.shape[1]))
    pred = clf.predict(Zg) if valid else np.zeros(0, int)
    for g, p in zip(valid, pred):
        g["pred"] = int(p)
    for g in gen:
        g["right"] = g["status"] == "ok" and g.get("pred") == g["cls"]

    per_class, confusion = {}, {}
    for i, c in enumerate(classes):
        sel = [g for g in gen if g["cls"] == i]
        per_class[c] = dict(n=len(sel), fidelity=float(np.mean([g["right"] for g in sel])) if sel else None,
                            silent=sum(g["status"] == "silent" for g in sel),
                            invalid=sum(g["status"].startswith("invalid") for g in sel))
        confusion[c] = {classes[j]: sum(g["status"] == "ok" and g.get("pred") == j for g in sel)
                        for j in range(k)}
    scored = [v["fidelity"] for v in per_class.values() if v["fidelity"] is not None]
    mean_fidelity = float(np.mean(scored))
    overall = float(np.mean([g["right"] for g in gen]))

    pca = PCA(n_components=min(PCA_DIMS, Ztr.shape[1], len(Ztr) - 1), svd_solver="full").fit(Ztr)
    explained = float(pca.explained_variance_ratio_.sum())
    P = lambda z: pca.transform(z)
    yg = np.array([g["cls"] for g in valid], dtype=int)
    fd_ref = frechet(P(Ztr), ytr, P(Zho), yho)
    fd_gen = frechet(P(Zg), yg, P(Zho), yho) if len(Zg) >= 2 else float("nan")
    fd_gen_train = frechet(P(Zg), yg, P(Ztr), ytr) if len(Zg) >= 2 else float("nan")
    # FD grows as sets shrink: the fair reference draws from the real training clips as many
    # clips per class as the generated set has (without replacement), 20 seeded draws
    rng = np.random.default_rng(0)
    draws = []
    gen_counts = np.bincount(yg, minlength=k) if len(yg) else np.zeros(k, int)
    if gen_counts.sum() >= 2:
        for _ in range(REFERENCE_DRAWS):
            pick = np.concatenate([rng.choice(np.flatnonzero(ytr == i), min(n, np.sum(ytr == i)), replace=False)
                                   for i, n in enumerate(gen_counts) if n > 0])
            draws.append(frechet(P(Ztr[pick]), ytr[pick], P(Zho), yho))
    fd_matched = float(np.mean(draws)) if draws else float("nan")
    fd_matched_sd = float(np.std(draws)) if draws else float("nan")

    diversity = {}
    for i, c in enumerate(classes):
        zg = np.array([z for z, g in zip(Zg, valid) if g["cls"] == i])
        real = mean_pairwise(Ztr[ytr == i])
        diversity[c] = mean_pairwise(zg) / real if len(zg) >= 2 and real > 0 else float("nan")
    div_vals = [v for v in diversity.values() if np.isfinite(v)]
    mean_div = float(np.mean(div_vals)) if div_vals else float("nan")

    width = max(len(c) for c in classes + ["class"])
    print(f"real: {len(Xtr)} training clips, {len(Xho)} held-out; classes {', '.join(classes)}; "
          f"{Xtr.shape[1]} features; logistic regression C={C:g} (5-fold CV on train)")
    print(f"ceiling: accuracy on real held-out clips {ceiling:.1%} (chance {1 / k:.1%})")
    print(f"generated: {len(gen)} clips ({sum(g['status'] == 'silent' for g in gen)} silent, "
          f"{sum(g['status'].startswith('invalid') for g in gen)} unreadable)\n")
    print(f"{'class':<{width}} {'n':>4} {'fidelity':>9} {'ceiling':>8} {'diversity':>10}   assigned to "
          + " ".join(f"{c[:7]:>7}" for c in classes) + "  silent/bad")
    for c in classes:
        v = per_class[c]
        fid = f"{v['fidelity']:.1%}" if v["fidelity"] is not None else "-"
        ceil = f"{ceiling_per[c]:.1%}" if ceiling_per[c] is not None else "-"
        print(f"{c:<{width}} {v['n']:>4} {fid:>9} {ceil:>8} {diversity[c]:>10.2f}               "
              + " ".join(f"{confusion[c][d]:>7}" for d in classes) + f"  {v['silent'] + v['invalid']:>10}")
    print(f"{'mean':<{width}} {len(gen):>4} {mean_fidelity:>9.1%} {ceiling:>8.1%} {mean_div:>10.2f}")
    print(f"\nFréchet distance ({pca.n_components_} principal components of the standardised features, "
          f"{explained:.0%} of the real training variance):")
    print(f"  generated vs real held-out  {fd_gen:8.2f}")
    print(f"  real train vs real held-out {fd_ref:8.2f}   (reference: all {len(Ztr)} training clips)")
    print(f"  real train vs real held-out {fd_matched:8.2f}   (reference: training clips drawn to the "
          f"generated counts per class, mean of {len(draws)} draws, sd {fd_matched_sd:.2f})")
    print(f"  generated vs real train     {fd_gen_train:8.2f}")
    if args.json:
        def clean(v):   # NaN (a class with fewer than two clips) -> null: strict JSON
            if isinstance(v, dict):
                return {key: clean(val) for key, val in v.items()}
            if isinstance(v, list):
                return [clean(val) for val in v]
            return None if isinstance(v, float) and not np.isfinite(v) else v
        print(json.dumps(clean(dict(
            classes=classes, n_train=len(Xtr), n_heldout=len(Xho), n_generated=len(gen),
            n_silent=sum(g["status"] == "silent" for g in gen),
            n_invalid=sum(g["status"].startswith("invalid") for g in gen),
            unmatched=len(unmatched), C=C, chance=1 / k,
            ceiling_accuracy=ceiling, ceiling_per_class=ceiling_per,
            mean_fidelity=mean_fidelity, overall_fidelity=overall,
            fidelity={c: per_class[c]["fidelity"] for c in classes},
            assigned=confusion, diversity=diversity, mean_diversity=mean_div,
            pca_dims=int(pca.n_components_), pca_explained=explained,
            fd_generated_heldout=fd_gen, fd_train_heldout=fd_ref, fd_train_matched_heldout=fd_matched,
            fd_train_matched_heldout_sd=fd_matched_sd, fd_generated_train=fd_gen_train,
        )), allow_nan=False))


if __name__ == "__main__":
    main()
