#!/usr/bin/env python3
"""Reference numbers from scikit-learn, NumPy and SciPy for the Quality module's tests.

Writes Tests/QualityTests/Fixtures/quality_reference.json (small, committed) holding:
  features   a seeded 20 x 13 log-mel (uneven pooling: 20 rows into 16 bands, 13 frames into
             8 segments) and its features, computed here with NumPy from the definition in
             Sources/Quality/SpectrogramFeatures.swift
  logistic   a seeded toy problem (3 overlapping Gaussian classes, 5 features, 60 rows) and
             sklearn.linear_model.LogisticRegression fitted to convergence (lbfgs, tol 1e-12)
             at C = 1 / (l2 * n), the same objective as SoftmaxRegression's l2: coefficients,
             intercepts (shifted to sum to zero), probabilities on the training rows and on 10
             new rows, training accuracy
  eigen      a seeded symmetric 7 x 7 matrix and numpy.linalg.eigh's eigenvalues/vectors
  frechet    two seeded Gaussian samples (40 and 30 rows, 6 features): their means,
             sklearn.covariance.ShrunkCovariance(shrinkage=0.1) covariances, and the Fréchet
             distance through scipy.linalg.sqrtm, both for those and for the plain (1/n)
             covariances; the mean pairwise distance of the first sample (scipy pdist)

Usage: python3 scripts/quality_reference.py   (needs numpy, scipy, scikit-learn)
"""
import json
import os

import numpy as np
import scipy
import scipy.linalg
import sklearn
from scipy.spatial.distance import pdist
from sklearn.covariance import ShrunkCovariance
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "QualityTests", "Fixtures", "quality_reference.json")


def features(log_mel, bands=16, segments=8):
    n_mels, frames = log_mel.shape
    bands, segments = min(bands, n_mels), min(segments, frames)
    out = []
    for b in range(bands):
        series = log_mel[b * n_mels // bands:(b + 1) * n_mels // bands].mean(axis=0)
        out += [series.mean(), series.std()]
    level = log_mel.mean(axis=0)
    out.append(level.max())
    env = np.array([level[s * frames // segments:(s + 1) * frames // segments].mean() for s in range(segments)])
    out += list(env / env.sum())
    return out


def frechet(mu_a, cov_a, mu_b, cov_b):
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root.real))


def main():
    rng = np.random.default_rng(20251201)

    # Rounded to float32 first: the Swift side reads spectrograms as Float.
    log_mel = np.log1p(rng.exponential(2.0, size=(20, 13))).astype(np.float32).astype(np.float64)
    fixture = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
               "features": {"n_mels": 20, "frames": 13, "log_mel": log_mel.ravel().tolist(),
                            "values": features(log_mel)}}

    centres = np.array([[0, 0, 0, 0, 0], [1.5, 0.5, 0, -1, 0], [0, 1.5, 1, 0, -0.5]])
    labels = np.repeat(np.arange(3), 20)
    x = centres[labels] + rng.normal(size=(60, 5))
    x_new = rng.normal(size=(10, 5)) * 1.5
    l2 = 0.05
    model = LogisticRegression(C=1 / (l2 * len(x)), tol=1e-12, max_iter=100000).fit(x, labels)
    intercepts = model.intercept_ - model.intercept_.mean()
    fixture["logistic"] = {
        "l2": l2, "classes": 3, "x": x.tolist(), "labels": labels.tolist(), "x_new": x_new.tolist(),
        "coef": model.coef_.tolist(), "intercept": intercepts.tolist(),
        "probabilities": model.predict_proba(x).tolist(), "probabilities_new": model.predict_proba(x_new).tolist(),
        "accuracy": float(model.score(x, labels)), "lbfgs_iterations": int(model.n_iter_[0])}

    a = rng.normal(size=(7, 7))
    sym = (a + a.T) / 2
    values, vectors = np.linalg.eigh(sym)
    fixture["eigen"] = {"n": 7, "matrix": sym.ravel().tolist(), "values": values.tolist(),
                        "vectors": vectors.ravel().tolist()}

    mix = rng.normal(size=(6, 6))
    sample_a = rng.normal(size=(40, 6)) @ mix * 0.5 + 0.3
    sample_b = rng.normal(size=(30, 6)) * np.array([1, 2, 0.5, 1, 1.5, 0.7]) - 0.2
    shrunk_a, shrunk_b = ShrunkCovariance(shrinkage=0.1).fit(sample_a), ShrunkCovariance(shrinkage=0.1).fit(sample_b)
    plain_a, plain_b = np.cov(sample_a.T, bias=True), np.cov(sample_b.T, bias=True)
    mu_a, mu_b = sample_a.mean(axis=0), sample_b.mean(axis=0)
    fixture["frechet"] = {
        "a": sample_a.tolist(), "b": sample_b.tolist(), "shrinkage": 0.1,
        "mean_a": mu_a.tolist(), "mean_b": mu_b.tolist(),
        "shrunk_cov_a": shrunk_a.covariance_.ravel().tolist(), "shrunk_cov_b": shrunk_b.covariance_.ravel().tolist(),
        "distance_shrunk": frechet(mu_a, shrunk_a.covariance_, mu_b, shrunk_b.covariance_),
        "distance_plain": frechet(mu_a, plain_a, mu_b, plain_b),
        "mean_pairwise_a": float(pdist(sample_a).mean())}

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes); lbfgs took {fixture['logistic']['lbfgs_iterations']} iterations,"
          f" accuracy {fixture['logistic']['accuracy']:.3f}")


if __name__ == "__main__":
    main()
