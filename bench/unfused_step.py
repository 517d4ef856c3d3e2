"""How much of the hand-written jax.jit step's speed is fusion that rounds differently.

Run: python bench/unfused_step.py [--workloads W1,W2,W3] [--reps 7]

torchlike's eager ops round as their kernels do one at a time: no multiply is contracted into a
later add, no sum is reordered across ops. This times the bench's hand-written jax.jit training
step (`_trainer.jax_runner`) twice, in alternating blocks of about 0.3 s: as XLA compiles it
(fused), and as one program with XLA's fusion pass off, which is what any single program of
the step costs if it must give the eager ops' bits. Prints the median per step of each and
their ratio, with the bench's thread settings (XLA single-threaded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.workloads._threads import configure_before_imports  # noqa: E402

configure_before_imports(1)

import jax  # noqa: E402

from bench.workloads import _trainer, load  # noqa: E402

BLOCK_SECONDS = 0.3
UNFUSED = {"xla_disable_hlo_passes": "fusion"}


def _runner(spec, options):
    """The hand-written step, its jax.jit calls made with `options` (None: XLA's defaults)."""
    plain = jax.jit

    def jit(fun=None, **kwargs):
        return plain(fun, compiler_options=options, **kwargs)

    _trainer.jax.jit = plain if options is None else jit
    try:
        return _trainer.jax_runner(spec)
    finally:
        _trainer.jax.jit = plain


def time_case(workload: str, reps: int) -> dict:
    """Median us per step of the fused and unfused programs, timed in alternating blocks."""
    spec = load(workload).spec()
    runners = {"fused": _runner(spec, None), "unfused": _runner(spec, UNFUSED)}
    for runner in runners.values():
        for _ in range(20):
            runner.sync(runner.step())
    times = {name: [] for name in runners}
    for _ in range(reps):
        for name, runner in runners.items():
            steps, start, last = 0, time.perf_counter(), None
            while time.perf_counter() - start < BLOCK_SECONDS:
                last = runner.step()
                steps += 1
            runner.sync(last)
            times[name].append((time.perf_counter() - start) / steps * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2,W3")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"jax {jax.__version__}; median per step of {args.reps} blocks each")
    for workload in args.workloads.split(","):
        medians = time_case(workload, args.reps)
        fused, unfused = medians["fused"], medians["unfused"]
        ratio = unfused / fused
        print(f"{workload}: fused {fused:.0f} us, fusion off {unfused:.0f} us, {ratio:.2f}x")


if __name__ == "__main__":
    main()
