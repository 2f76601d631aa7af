/// `train.py`, written into every `export --pytorch` folder (see the script's own docstring).
/// Kept in the binary, not a resource file, so an installed or copied `cgan-tui` can export too.
extension PyTorchExport {
    public static let trainScript = #"""
#!/usr/bin/env python3
"""Continue a cgan-tui run in PyTorch, on GPUs or CPUs, with DistributedDataParallel.

Written by `cgan-tui export RUN --pytorch DIR` beside the run's config.json, metrics.csv,
checkpoints/latest.safetensors and its training spectrograms (data/*.npy, in the scale the
model learns, exactly the tensors cgan-tui trained on). Needs torch and numpy, nothing else.

  torchrun --standalone --nproc_per_node=N train.py --epochs E   # N GPUs (nccl), or N CPU processes (gloo)
  python3 train.py --epochs E                        # one process

continues the run up to epoch E with the run's model and recipe (cgan-tui's step: the same
loss, Adam, real target, discriminator learning rate, projection, instance noise, generator
weight average), writes checkpoints/latest.safetensors (and epoch_NNN.safetensors every
checkpointEvery epochs, weights only) in cgan-tui's format, atomically, and appends to
metrics.csv in its columns. Each process takes a batch of the run's batch size; DDP averages
the gradients, so one optimizer step sees N batches and an epoch has N times fewer steps.
Random streams are PyTorch's, not cgan-tui's. Ctrl-C or SIGTERM stops after the step and saves
latest (a second one exits at once). Come back with `cgan-tui --resume DIR`.

--replay FILE --replay-out OUT (a debugging hook for the equality test): one step from
checkpoints/latest.safetensors on the batch, latents and noise draws FILE holds; the state
after it goes to OUT.
"""
import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- safetensors (no extra package)
DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out, meta


def atomic_write(path, blobs):
    """A temporary file beside the target, flushed, renamed over it: a crash leaves the old file
    or the new one (cgan-tui's rule for every output)."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name[:40]}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as f:
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.realpath(path))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_safetensors(path, tensors, meta):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        t = t.detach().to("cpu").contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    atomic_write(path, [struct.pack("<Q", len(text)), text] + blobs)


# ---------------------------------------------------------------- the run's model
class Generator(nn.Module):
    """The original script's generator (the same in every recipe)."""

    def __init__(self, latent_dim, num_classes, n_mels, frames):
        super().__init__()
        self.num_classes, self.h, self.w = num_classes, n_mels // 16, frames // 16
        self.fc = nn.Linear(latent_dim + num_classes, 256 * self.h * self.w)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(True),
            nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.ReLU())

    def forward(self, z, labels):
        onehot = F.one_hot(labels, self.num_classes).to(z.dtype)
        return self.net(self.fc(torch.cat([z, onehot], 1)).view(-1, 256, self.h, self.w))


class Discriminator(nn.Module):
    """The original script's discriminator; with the recipe's `projection`, plus
    <projection(onehot), net.10's output averaged over positions> on the logit."""

    def __init__(self, num_classes, n_mels, frames, projection):
        super().__init__()
        self.num_classes, self.n_mels, self.frames = num_classes, n_mels, frames
        self.label_embedding = nn.Linear(num_classes, n_mels * frames)
        self.net = nn.Sequential(
            nn.Conv2d(2, 32, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
            nn.Conv2d(256, 1, (n_mels // 16, frames // 16), 1, 0))
        self.projection = nn.Linear(num_classes, 256) if projection else None

    def forward(self, x, labels):
        onehot = F.one_hot(labels, self.num_classes).to(x.dtype)
        label_map = self.label_embedding(onehot).view(-1, 1, self.n_mels, self.frames)
        features = self.net[:11](torch.cat([x, label_map], 1))
        logits = self.net[11](features).view(-1)
        if self.projection is not None:
            logits = logits + (self.projection(onehot) * features.mean(dim=(2, 3))).sum(1)
        return logits


def f32(x):
    return np.float32(x)


class Recipe:
    """Recipe.swift's fields and the two schedules the step uses, in float32 as cgan-tui computes them."""

    def __init__(self, d):
        self.name = d["name"]
        self.d_lr_scale = f32(d["discriminator_lr_scale"])
        self.real_target = f32(d["real_target"])
        self.instance_noise = f32(d["instance_noise"])
        self.instance_noise_steps = int(d["instance_noise_steps"])
        self.projection = bool(d["projection"])
        self.generator_ema = f32(d["generator_ema"])

    def noise(self, step):
        """Instance-noise sigma for optimizer step `step` (0-based), falling linearly to 0."""
        if self.instance_noise <= 0 or step >= self.instance_noise_steps:
            return f32(0)
        return self.instance_noise * f32(self.instance_noise_steps - step) / f32(self.instance_noise_steps)

    def ema_decay(self, step):
        """The weight average's decay after optimizer step `step` (1-based), with warm-up."""
        return min(self.generator_ema, f32(1 + step) / f32(10 + step))


class Run:
    """The model, optimizers and weight average of a checkpoint, and the way back to one."""

    def __init__(self, path, device):
        tensors, meta = read_safetensors(path)
        self.meta = meta
        self.config = json.loads(meta["config"])
        model = json.loads(meta["model"])
        self.recipe = Recipe(json.loads(meta["recipe"]))
        c = self.config
        self.classes = len(c["class_names"])
        self.latent_dim, self.n_mels, self.frames = c["latent_dim"], c["n_mels"], c["frames"]
        self.G = Generator(self.latent_dim, self.classes, self.n_mels, self.frames).to(device)
        self.D = Discriminator(self.classes, self.n_mels, self.frames, self.recipe.projection).to(device)
        for prefix, m in (("generator", self.G), ("discriminator", self.D)):
            m.load_state_dict({k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}, strict=True)
        lr = f32(model["learning_rate"])
        betas = (float(f32(model["beta1"])), float(f32(model["beta2"])))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=float(lr), betas=betas, eps=1e-8)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=float(lr * self.recipe.d_lr_scale), betas=betas, eps=1e-8)
        self.step = c["step"]
        for prefix, m, opt in (("generator", self.G, self.opt_g), ("discriminator", self.D, self.opt_d)):
            key = f"optimizer.{prefix}.step"
            if key not in tensors:
                sys.exit(f"train.py: {path} holds no optimizer state; export the run's latest.safetensors")
            step = int(tensors[key].item())
            for name, p in m.named_parameters():
                opt.state[p] = {"step": torch.tensor(float(step)),
                                "exp_avg": tensors[f"optimizer.{prefix}.{name}.exp_avg"].to(device),
                                "exp_avg_sq": tensors[f"optimizer.{prefix}.{name}.exp_avg_sq"].to(device)}
        self.ema = None
        if self.recipe.generator_ema > 0:
            # Weights from elsewhere start the average at the weights, as cgan-tui does.
            self.ema = {name: tensors.get(f"generator_ema.{name}", p.detach()).to(device).clone()
                        for name, p in self.G.named_parameters()}

    def train_step(self, real, labels, z, noise, ddp=None):
        """ConditionalGAN.trainStep: fake = G(z); D on real (the recipe's target) and on the detached
        fake (0), D update; G through the updated D (1), G update; then the weight average.
        real: (n, 1, H, W) in the model's scale; noise(shape) gives the two instance-noise draws;
        ddp: the DistributedDataParallel wrappers (G, D) when there are several processes."""
        G, D = ddp or (self.G, self.D)
        n = labels.shape[0]
        fake = G(z, labels)
        sigma = self.recipe.noise(self.step)
        if sigma > 0:
            noise_real, noise_fake = noise(real.shape)
            real = real + float(sigma) * noise_real
            fake = fake + float(sigma) * noise_fake
        self.opt_d.zero_grad()
        loss_real = F.binary_cross_entropy_with_logits(D(real, labels), torch.full((n,), float(self.recipe.real_target), device=real.device))
        loss_fake = F.binary_cross_entropy_with_logits(D(fake.detach(), labels), torch.zeros(n, device=real.device))
        loss_d = loss_real + loss_fake
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        # D's parameter gradients from this pass are discarded (zeroed before D's next step):
        # no need to average them across processes.
        with (D.no_sync() if ddp else contextlib.nullcontext()):
            loss_g = F.binary_cross_entropy_with_logits(D(fake, labels), torch.ones(n, device=real.device))
            loss_g.backward()
        self.opt_g.step()
        self.step += 1
        if self.ema is not None:
            keep = self.recipe.ema_decay(self.step)
            with torch.no_grad():
                for name, p in self.G.named_parameters():
                    a = self.ema[name]
                    a.add_((p - a) * float(f32(1) - keep))
        return loss_d.detach(), loss_g.detach()

    def save(self, path, epoch, optimizer=True):
        t = {}
        for prefix, m in (("generator", self.G), ("discriminator", self.D)):
            for k, v in m.state_dict().items():
                t[f"{prefix}.{k}"] = v
        if self.ema is not None:
            for name, v in self.ema.items():
                t[f"generator_ema.{name}"] = v
        if optimizer:
            for prefix, m, opt in (("generator", self.G, self.opt_g), ("discriminator", self.D, self.opt_d)):
                for name, p in m.named_parameters():
                    t[f"optimizer.{prefix}.{name}.exp_avg"] = opt.state[p]["exp_avg"]
                    t[f"optimizer.{prefix}.{name}.exp_avg_sq"] = opt.state[p]["exp_avg_sq"]
                t[f"optimizer.{prefix}.step"] = torch.tensor(self.step, dtype=torch.int64)
        meta = dict(self.meta)
        config = dict(self.config, epoch=epoch, step=self.step)
        meta["config"] = json.dumps(config, sort_keys=True, separators=(",", ":"))
        write_safetensors(path, t, meta)


def f32_text(x):
    """A float as Swift prints a Float: the shortest text that reads back as the same float32."""
    return str(np.float32(x))


# ---------------------------------------------------------------- the data
def load_clips(folder):
    with open(os.path.join(folder, "data", "index.json")) as f:
        index = json.load(f)
    specs = [np.load(os.path.join(folder, "data", s["spectrograms"]), mmap_mode="r") for s in index["shards"]]
    labels = np.concatenate([np.load(os.path.join(folder, "data", s["labels"])) for s in index["shards"]]).astype(np.int64)
    starts = np.cumsum([0] + [len(s) for s in specs])
    return index, specs, starts, labels


def gather(specs, starts, indices):
    out = []
    for i in indices:
        k = int(np.searchsorted(starts, i, side="right") - 1)
        out.append(np.asarray(specs[k][i - starts[k]]))
    return np.stack(out)


# ---------------------------------------------------------------- metrics.csv
def keep_metrics(path, last_step):
    """The header and the rows up to the checkpoint's step (rows a killed run wrote after its
    last checkpoint are trained again), rewritten atomically; returns the column count."""
    with open(path) as f:
        lines = f.read().splitlines()
    header, rows = lines[0], []
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) >= 2 and fields[1].isdigit() and int(fields[1]) <= last_step:
            rows.append(line)
    atomic_write(path, [("\n".join([header] + rows) + "\n").encode()])
    return len(header.split(","))


def append_metrics(folder, rows):
    # The quality columns stay empty: the yardstick (Sources/Quality) is cgan-tui's.
    with open(os.path.join(folder, "metrics.csv"), "a") as f:
        f.write("".join(r + "\n" for r in rows))


def stop_on_signals():
    """As cgan-tui: SIGINT, SIGTERM or SIGHUP stops after the step and saves; a second one exits at
    once (the last checkpoint is intact). A SIGHUP ignored at start (nohup) stays ignored.
    Returns the box the handler puts the signal number in."""
    box = {"signal": 0}

    def on_signal(signum, frame):
        if box["signal"]:
            os._exit(128 + signum)
        box["signal"] = signum
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if s != signal.SIGHUP or signal.getsignal(s) is not signal.SIG_IGN:
            signal.signal(s, on_signal)
    # A parent that blocks them (a launcher's own signal handling) passes the mask on through exec.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    return box


# ---------------------------------------------------------------- main
def replay(args, folder):
    """One step on the draws FILE holds: real (n, H, W), labels (n), z (n, latent), and when the
    recipe adds instance noise noise_real / noise_fake (n, H, W), standard normal."""
    run = Run(os.path.join(folder, "checkpoints", "latest.safetensors"), "cpu")
    t, _ = read_safetensors(args.replay)
    real = t["real"].unsqueeze(1)
    loss_d, loss_g = run.train_step(real, t["labels"], t["z"], lambda shape: (t["noise_real"].reshape(shape), t["noise_fake"].reshape(shape)))
    run.save(args.replay_out, run.config["epoch"])
    print(json.dumps({"loss_d": float(loss_d), "loss_g": float(loss_g), "step": run.step}))


def main():
    p = argparse.ArgumentParser(description="Continue a cgan-tui run in PyTorch (see the top of this file).")
    p.add_argument("--epochs", type=int, help="train until this epoch (as cgan-tui's --epochs)")
    p.add_argument("--dir", default=HERE, help="the exported run folder (default: this file's)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: PyTorch's choice)")
    p.add_argument("--checkpoint-every", type=int, help="also keep weights-only epoch_NNN checkpoints every N epochs (default: the run's)")
    p.add_argument("--replay", help=argparse.SUPPRESS)
    p.add_argument("--replay-out", help=argparse.SUPPRESS)
    args = p.parse_args()
    folder = os.path.abspath(args.dir)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.replay:
        return replay(args, folder)
    if args.epochs is None:
        p.error("--epochs E is required: the epoch to train up to")

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    cuda = torch.cuda.is_available()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)   # before the process group, so nccl binds this process's GPU
    if distributed:
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)

    def say(text):
        if rank == 0:
            print(text, flush=True)

    with open(os.path.join(folder, "config.json")) as f:
        run_config = json.load(f)
    options = run_config["options"]
    ckpt_dir = os.path.join(folder, "checkpoints")
    run = Run(os.path.join(ckpt_dir, "latest.safetensors"), device)
    start_epoch = run.config["epoch"]
    if args.epochs <= start_epoch:
        sys.exit(f"train.py: --epochs {args.epochs} is not more than the {start_epoch} epochs already trained")
    index, specs, starts, labels = load_clips(folder)
    n, batch = len(labels), options["batchSize"]
    steps_per_epoch = math.ceil(n / (batch * world))
    every = options.get("checkpointEvery", 10) if args.checkpoint_every is None else args.checkpoint_every
    digits = max(3, len(str(args.epochs)))
    seed = int(run.config["seed"])
    ddp = None
    if distributed:
        ddp = tuple(nn.parallel.DistributedDataParallel(m, device_ids=[local] if cuda else None) for m in (run.G, run.D))
    columns = keep_metrics(os.path.join(folder, "metrics.csv"), run.step) if rank == 0 else 0
    how = f"{world} processes, DDP over {'nccl' if cuda else 'gloo'}" if distributed else "1 process"
    if rank == 0:
        # cgan-tui's --resume takes the epoch count from here when --epochs is not given.
        run_config["options"]["epochs"] = args.epochs
        atomic_write(os.path.join(folder, "config.json"), [(json.dumps(run_config, indent=2, sort_keys=True) + "\n").encode()])
    stop = stop_on_signals()
    say(f"train.py: recipe {run.recipe.name}, {n} clips of {run.n_mels} x {run.frames}, {how} on {device.type}, batch {batch}"
        f" per process, {steps_per_epoch} steps per epoch; epochs {start_epoch + 1} to {args.epochs} from step {run.step}")

    for epoch in range(start_epoch + 1, args.epochs + 1):
        # The same shuffle in every process; each takes its part of every global batch.
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch)).numpy()
        draws = torch.Generator(device=device).manual_seed((seed * 1_000_003 + epoch) * 4099 + rank)
        rows = []
        for s in range(steps_per_epoch):
            chunk = order[s * batch * world:(s + 1) * batch * world]
            if len(chunk) < world:
                chunk = np.concatenate([chunk, order[:world - len(chunk)]])
            mine = np.array_split(chunk, world)[rank]
            real = torch.from_numpy(gather(specs, starts, mine)).unsqueeze(1).to(device)
            lab = torch.from_numpy(labels[mine]).to(device)
            z = torch.randn(len(mine), run.latent_dim, generator=draws, device=device)
            t0 = time.perf_counter()
            loss_d, loss_g = run.train_step(real, lab, z, lambda shape: (torch.randn(shape, generator=draws, device=device),
                                                                         torch.randn(shape, generator=draws, device=device)), ddp)
            losses = torch.stack([loss_d, loss_g]).float()
            clips = torch.tensor(float(len(mine)), device=device)
            if distributed:
                dist.all_reduce(losses)
                dist.all_reduce(clips)
                losses /= world
            seconds = time.perf_counter() - t0
            ld, lg = losses.tolist()
            if not (math.isfinite(ld) and math.isfinite(lg)):
                say(f"train.py: losses became non-finite at epoch {epoch}, step {run.step} (loss_d {ld}, loss_g {lg});"
                    f" training stopped and checkpoints/latest.safetensors holds epoch {epoch - 1}")
                sys.exit(1)
            line = f"{epoch},{run.step},{f32_text(ld)},{f32_text(lg)},{seconds:.4f},{float(clips) / max(seconds, 1e-9):.2f}"
            rows.append(line + "," * (columns - 6))
            # Every process stops after the same step when any of them was told to.
            flag = torch.tensor(float(stop["signal"]), device=device)
            if distributed:
                dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            if flag.item() > 0:
                if rank == 0:
                    append_metrics(folder, rows)
                    run.save(os.path.join(ckpt_dir, "latest.safetensors"), epoch - 1)
                    print(f"train.py: stopped at epoch {epoch}, step {run.step}; checkpoints/latest.safetensors saved "
                          f"(continuing here starts epoch {epoch} again).\nCome back: cgan-tui --resume {folder}", flush=True)
                if distributed:
                    dist.barrier()
                    dist.destroy_process_group()
                sys.exit(128 + int(flag.item()))
        if rank == 0:
            append_metrics(folder, rows)
            run.save(os.path.join(ckpt_dir, "latest.safetensors"), epoch)
            if every > 0 and epoch % every == 0:
                run.save(os.path.join(ckpt_dir, f"epoch_{epoch:0{digits}d}.safetensors"), epoch, optimizer=False)
            print(f"epoch {epoch}/{args.epochs}  step {run.step}  loss_d {f32_text(ld)}  loss_g {f32_text(lg)}", flush=True)
    if rank == 0:
        print(f"train.py: trained to epoch {args.epochs} (step {run.step}); checkpoints/latest.safetensors is in cgan-tui's format.\n"
              f"Come back: cgan-tui --resume {folder}  (dashboard, generate and eval read it; --epochs N trains on)", flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
"""#
}
