"""Time torchlike._random against torch's CPU generator in the same process.

Run: python bench/bench_random.py [--repeat N]
Prints the median time of each case for torch and for the numpy reimplementation, and
their ratio (ours / torch). Targets: rand / uniform_ within 5x, randn within 30x, the
784-512-512-10 MLP's default initialisation within 3x.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import torchlike._random as rnd
from torchlike._random import init as rinit

N = 10**6
TARGETS = {"rand": 5, "uniform_": 5, "randn": 30, "mlp_init": 3}


def _mlp_torch():
    torch.nn.Linear(784, 512)
    torch.nn.Linear(512, 512)
    torch.nn.Linear(512, 10)


def _mlp_ours(gen):
    rinit.linear_default(gen, 784, 512)
    rinit.linear_default(gen, 512, 512)
    rinit.linear_default(gen, 512, 10)


def cases(gen):
    buffer = torch.empty(N)
    probs = torch.rand(64, 1000)
    probs_np = probs.numpy()
    x = torch.randn(1000, 1000)
    x_np = x.numpy()
    return {
        "rand": (lambda: torch.rand(N), lambda: rnd.uniform(gen, (N,))),
        "uniform_": (
            lambda: buffer.uniform_(-0.05, 0.05),
            lambda: rnd.uniform(gen, (N,), "float32", -0.05, 0.05),
        ),
        "randn": (lambda: torch.randn(N), lambda: rnd.normal(gen, (N,))),
        "randn_f64": (
            lambda: torch.randn(N, dtype=torch.float64),
            lambda: rnd.normal(gen, (N,), "float64"),
        ),
        "mlp_init": (_mlp_torch, lambda: _mlp_ours(gen)),
        "randint": (lambda: torch.randint(0, 1000, (N,)), lambda: rnd.randint(gen, (N,), 0, 1000)),
        "randperm_1e5": (lambda: torch.randperm(10**5), lambda: rnd.randperm(gen, 10**5)),
        "dropout": (
            lambda: torch.nn.functional.dropout(x, 0.5),
            lambda: rnd.dropout(gen, x_np, 0.5),
        ),
        "multinomial": (
            lambda: torch.multinomial(probs, 5),
            lambda: rnd.multinomial(gen, probs_np, 5),
        ),
    }


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    gen = rnd.CPUGeneratorState(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; medians of {args.repeat}")
    print(f"{'case':<14}{'torch ms':>10}{'ours ms':>10}{'ratio':>8}{'target':>8}")
    for name, (theirs, ours) in cases(gen).items():
        t_torch = median_seconds(theirs, args.repeat)
        t_ours = median_seconds(ours, args.repeat)
        target = TARGETS.get(name)
        mark = "" if target is None else f"<{target}x"
        ratio = t_ours / t_torch
        print(f"{name:<14}{t_torch * 1e3:>10.3f}{t_ours * 1e3:>10.3f}{ratio:>7.1f}x{mark:>8}")


if __name__ == "__main__":
    main()
