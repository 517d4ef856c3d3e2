"""Time torchlike's random numbers against torch's CPU generator in the same process.

Run: python bench/bench_random.py [--repeat N]
Two tables of medians. The engine table times torchlike._random (numpy, bit-exact) against
torch; targets: rand / uniform_ within 5x, randn within 30x, the 784-512-512-10 MLP's
default initialisation within 3x. The API table times the public functions (torchlike.rand,
Tensor.uniform_, nn.Linear construction) bit-exact, in JAX mode (use_jax_prng), and a
hand-written jax.jit of jax.random, each as a ratio to torch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import torch

import torchlike
import torchlike._random as rnd
import torchlike.random as tlr
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


def _jitted(fn):
    """A jax.jit kernel called with a fresh key each time, blocking until the values exist."""
    kernel = jax.jit(fn)
    keys = iter(jax.random.split(jax.random.key(0), 10_000))
    return lambda: kernel(next(keys)).block_until_ready()


def _mlp(module):
    return lambda: [module.nn.Linear(i, o) for i, o in ((784, 512), (512, 512), (512, 10))]


def api_cases():
    """(torch, torchlike, hand-written jax.jit or None) per public-API case."""
    theirs_buffer, ours_buffer = torch.empty(N), torchlike.empty(N)
    rows = {
        "rand": (lambda: torch.rand(N), lambda: torchlike.rand(N),
                 _jitted(lambda k: jax.random.uniform(k, (N,), jnp.float32))),
        "randn": (lambda: torch.randn(N), lambda: torchlike.randn(N),
                  _jitted(lambda k: jax.random.normal(k, (N,), jnp.float32))),
        "uniform_": (lambda: theirs_buffer.uniform_(-0.05, 0.05),
                     lambda: ours_buffer.uniform_(-0.05, 0.05),
                     _jitted(lambda k: jax.random.uniform(k, (N,), jnp.float32, -0.05, 0.05))),
    }  # fmt: skip
    if hasattr(torchlike.nn, "Linear"):
        rows["mlp_linear"] = (_mlp(torch), _mlp(torchlike), None)
    else:
        print("note: torchlike.nn.Linear does not exist yet; the MLP case is skipped")
    return rows


def _block(fn):
    def run():
        out = fn()
        for t in out if isinstance(out, list) else [out]:
            for value in [t] if isinstance(t, torchlike.Tensor) else []:
                value._value.block_until_ready()

    return run


def engine_table(repeat: int) -> None:
    gen = rnd.CPUGeneratorState(0)
    print(f"{'engine case':<14}{'torch ms':>10}{'ours ms':>10}{'ratio':>8}{'target':>8}")
    for name, (theirs, ours) in cases(gen).items():
        t_torch = median_seconds(theirs, repeat)
        t_ours = median_seconds(ours, repeat)
        target = TARGETS.get(name)
        mark = "" if target is None else f"<{target}x"
        ratio = t_ours / t_torch
        print(f"{name:<14}{t_torch * 1e3:>10.3f}{t_ours * 1e3:>10.3f}{ratio:>7.1f}x{mark:>8}")


def api_table(repeat: int) -> None:
    header = ["torch ms", "exact ms", "ratio", "jax-mode", "ratio", "jax.jit", "ratio"]
    print(f"{'API case':<12}" + "".join(f"{h:>10}" for h in header))
    for name, (theirs, ours, jitted) in api_cases().items():
        t_torch = median_seconds(theirs, repeat)
        t_exact = median_seconds(_block(ours), repeat)
        tlr.use_jax_prng(True)
        try:
            t_jax_mode = median_seconds(_block(ours), repeat)
        finally:
            tlr.use_jax_prng(False)
        cells = [t_torch * 1e3, t_exact * 1e3, t_exact / t_torch, t_jax_mode * 1e3,
                 t_jax_mode / t_torch]  # fmt: skip
        if jitted is not None:
            t_jit = median_seconds(jitted, repeat)
            cells += [t_jit * 1e3, t_jit / t_torch]
        print(f"{name:<12}" + "".join(_cell(v, i) for i, v in enumerate(cells)))


def _cell(value: float, index: int) -> str:
    return f"{value:>9.1f}x" if index in (2, 4, 6) else f"{value:>10.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    torchlike.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, jax {jax.__version__} "
          f"on {jax.default_backend()}; medians of {args.repeat}")  # fmt: skip
    engine_table(args.repeat)
    print()
    api_table(args.repeat)


if __name__ == "__main__":
    main()
