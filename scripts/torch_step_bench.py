#!/usr/bin/env python3
"""PyTorch's speed on the seed's training step, for comparison with `cgan-tui bench train`.

Same model (scripts/torch_reference.py), batch 16, 128 x 512, 4 classes, Adam as the seed.
Prints samples/s for 1 and 2 threads and the process's peak RSS. Run on an idle machine:
    python3 scripts/torch_step_bench.py [--steps 6]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn

from torch_reference import Discriminator, Generator, train_step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--classes", type=int, default=4)
    args = ap.parse_args()
    n, mels, frames, latent = 16, 128, 512, 100
    torch.manual_seed(0)
    G = Generator(latent, args.classes, mels, frames)
    D = Discriminator(args.classes, mels, frames)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit = nn.BCEWithLogitsLoss()
    real = torch.rand(n, 1, mels, frames) * 4
    labels = torch.randint(0, args.classes, (n,))
    print(f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()} kernels")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        train_step(G, D, opt_g, opt_d, real, labels, torch.randn(n, latent), crit)  # warm-up
        times = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            train_step(G, D, opt_g, opt_d, real, labels, torch.randn(n, latent), crit)
            times.append(time.perf_counter() - t0)
        times.sort()
        median = times[len(times) // 2]
        print(f"threads {threads}: median step {median:.3f} s -> {n / median:.1f} samples/s "
              f"(fastest {n / times[0]:.1f})")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
