#!/usr/bin/env python3
"""DCGAN training throughput in PyTorch: the reference for bench/train.ts (CPU) and bench/gpu (CUDA).

The model is the one GAN Studio trains (main/training/engine/models.ts), layer for layer:
G = Linear(latent -> 4*4*top) -> BN -> ReLU -> [ConvT k4 s2 p1 (no bias) -> BN -> ReLU]* ->
ConvT k4 s2 p1 (bias) -> tanh; D = Conv k4 s2 p1 (bias) -> LReLU(0.2) -> [Conv (no bias) -> BN ->
LReLU]* -> flatten -> Linear(1). One iteration is the DCGAN example's: G forward once, a D step on
the real batch and the detached fake batch, then a G step through the updated D (BCE on logits,
Adam lr 2e-4, betas 0.5/0.999). Synthetic data; warm-up iterations are not timed.

Prints one JSON line: {"images_per_s", "params_g", "params_d", "threads", "torch", "device"}.
Run with Debian's python3-torch: /usr/bin/python3 bench/torch_dcgan.py --res 32 --iters 20; on a GPU
add --device cuda (the loss read-back each iteration synchronises, as the studio reads each step's).
"""
import argparse
import json
import math
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed. On Debian/Ubuntu: apt-get install python3-torch"}))
    sys.exit(2)


def channels(width, i):
    return max(1, round(64 * width)) * 2 ** i


class Generator(nn.Module):
    def __init__(self, res, width, latent):
        super().__init__()
        n = int(math.log2(res // 4))
        self.top = channels(width, n - 1)
        self.dense = nn.Linear(latent, 4 * 4 * self.top)
        layers = [nn.BatchNorm2d(self.top), nn.ReLU(True)]
        for i in range(n - 1, 0, -1):
            layers += [
                nn.ConvTranspose2d(channels(width, i), channels(width, i - 1), 4, 2, 1, bias=False),
                nn.BatchNorm2d(channels(width, i - 1)),
                nn.ReLU(True),
            ]
        layers += [nn.ConvTranspose2d(channels(width, 0), 3, 4, 2, 1, bias=True), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.dense(z).view(-1, self.top, 4, 4))


class Discriminator(nn.Module):
    def __init__(self, res, width):
        super().__init__()
        n = int(math.log2(res // 4))
        layers = [nn.Conv2d(3, channels(width, 0), 4, 2, 1, bias=True), nn.LeakyReLU(0.2, True)]
        for i in range(1, n):
            layers += [
                nn.Conv2d(channels(width, i - 1), channels(width, i), 4, 2, 1, bias=False),
                nn.BatchNorm2d(channels(width, i)),
                nn.LeakyReLU(0.2, True),
            ]
        self.body = nn.Sequential(*layers)
        self.dense = nn.Linear(4 * 4 * channels(width, n - 1), 1)

    def forward(self, x):
        return self.dense(self.body(x).flatten(1))


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", type=int, default=32, choices=[32, 64, 128])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--latent", type=int, default=100)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="1 matches the wasm backend's single thread")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU comparison of bench/gpu")
    args = ap.parse_args()

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    g = Generator(args.res, args.width, args.latent).to(device)
    d = Discriminator(args.res, args.width).to(device)
    g.apply(init_weights)
    d.apply(init_weights)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(args.batch, 3, args.res, args.res, device=device) * 2 - 1
    ones = torch.ones(args.batch, 1, device=device)
    zeros = torch.zeros(args.batch, 1, device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def iteration():
        z = torch.randn(args.batch, args.latent, device=device)
        fake = g(z)
        opt_d.zero_grad(set_to_none=True)
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)
        loss_g.backward()
        opt_g.step()
        return loss_d.item() + loss_g.item()

    for _ in range(args.warmup):
        iteration()
    sync()
    start = time.perf_counter()
    for _ in range(args.iters):
        iteration()
    sync()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "images_per_s": args.batch * args.iters / seconds,
        "params_g": count(g),
        "params_d": count(d),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
    }))


if __name__ == "__main__":
    main()
