#!/usr/bin/env python3
"""PyTorch's speed on the original script's training step, for comparison with `cgan-tui bench train`.

Same model (scripts/torch_reference.py), batch 16 (--batch-size), 128 x 512, 4 classes, Adam as the original script.
For each thread count (--threads, default 2) and memory format (--memory-format, default both:
NCHW and channels_last, i.e. the models `.to(memory_format=torch.channels_last)` and the real
batch `.contiguous(memory_format=torch.channels_last)`), it builds the models afresh (seed 0),
runs one warm-up step, then times --steps steps and prints the median as samples/s. It ends
with the process's peak RSS. With --json the last stdout line is one JSON object describing the
last thread count given: torch_version, cpu_capability, threads, nchw_samples_per_s,
channels_last_samples_per_s (null when not measured), best_samples_per_s, best_format,
peak_rss_mb, and `runs` with every configuration measured. `cgan-tui bench train --torch` runs
this script that way. Run on an idle machine:
    python3 scripts/torch_step_bench.py [--steps 6] [--threads 1 2] [--memory-format both] [--batch-size 16] [--json]
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn

from torch_reference import Discriminator, Generator, train_step

FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def measure(threads, fmt, steps, classes, n=16, mels=128, frames=512, latent=100):
    """Median seconds per step (after one warm-up step) and the fastest, for one configuration."""
    torch.set_num_threads(threads)
    memory_format = FORMATS[fmt]
    torch.manual_seed(0)
    G = Generator(latent, classes, mels, frames).to(memory_format=memory_format)
    D = Discriminator(classes, mels, frames).to(memory_format=memory_format)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit = nn.BCEWithLogitsLoss()
    real = (torch.rand(n, 1, mels, frames) * 4).contiguous(memory_format=memory_format)
    labels = torch.randint(0, classes, (n,))
    train_step(G, D, opt_g, opt_d, real, labels, torch.randn(n, latent), crit)  # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        train_step(G, D, opt_g, opt_d, real, labels, torch.randn(n, latent), crit)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=6, help="timed steps per configuration (after one warm-up step)")
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--batch-size", "--batch", dest="batch", type=int, default=16)
    ap.add_argument("--threads", type=int, nargs="+", default=[2],
                    help="thread counts to measure, e.g. --threads 1 2 (default: 2)")
    ap.add_argument("--memory-format", choices=["nchw", "channels_last", "both"], default="both")
    ap.add_argument("--json", action="store_true",
                    help="end with one JSON object on the last stdout line (for the last thread count given)")
    args = ap.parse_args()
    if args.steps < 1 or args.batch < 1 or any(t < 1 for t in args.threads):
        ap.error("--steps, --batch-size and --threads must be >= 1")
    n = args.batch
    formats = ["nchw", "channels_last"] if args.memory_format == "both" else [args.memory_format]
    capability = torch.backends.cpu.get_cpu_capability()
    print(f"torch {torch.__version__}, {capability} kernels", flush=True)
    runs = []
    for threads in args.threads:
        for fmt in formats:
            median, fastest = measure(threads, fmt, args.steps, args.classes, n=n)
            runs.append({"threads": threads, "format": fmt, "median_step_s": median,
                         "samples_per_s": n / median, "fastest_samples_per_s": n / fastest})
            print(f"threads {threads}, {fmt}: median step {median:.3f} s of {args.steps} -> "
                  f"{n / median:.1f} samples/s (fastest {n / fastest:.1f})", flush=True)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    print(f"peak RSS {peak_rss_mb:.0f} MB")
    if args.json:
        last = [r for r in runs if r["threads"] == args.threads[-1]]
        by_format = {r["format"]: r["samples_per_s"] for r in last}
        best = max(last, key=lambda r: r["samples_per_s"])
        print(json.dumps({
            "torch_version": torch.__version__, "cpu_capability": capability,
            "threads": args.threads[-1], "steps": args.steps, "batch": n,
            "nchw_samples_per_s": by_format.get("nchw"),
            "channels_last_samples_per_s": by_format.get("channels_last"),
            "best_samples_per_s": best["samples_per_s"], "best_format": best["format"],
            "peak_rss_mb": peak_rss_mb, "runs": runs,
        }, sort_keys=True))


if __name__ == "__main__":
    main()
