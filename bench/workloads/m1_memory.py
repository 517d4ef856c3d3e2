"""M1: resident memory (VmRSS) after many eager W1 steps versus after 100, one process per impl.

Each implementation runs in its own subprocess so one library's allocations cannot hide
another's; memory is read from /proc/self/status (VmRSS now, VmHWM the peak).
Run one by hand: python -m bench.workloads.m1_memory --impl torchlike --steps 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from ._threads import configure_before_imports, configure_torch

IMPLS = ("torchlike", "torch", "jax.jit")
REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = 100


def read_status_kib(field: str) -> int:
    """A memory field of /proc/self/status (such as VmRSS), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def run_steps(impl: str, steps: int) -> dict:
    """Run W1 `steps` times; RSS after CHECKPOINT steps and after all of them."""
    from ._trainer import jax_runner, torch_api_runner
    from .w1_tiny_model import spec

    runner = jax_runner(spec()) if impl == "jax.jit" else torch_api_runner(impl, spec())
    facts = {"impl": impl, "steps": steps}
    for index in range(1, steps + 1):
        handle = runner.step()
        if index % CHECKPOINT == 0 or index == steps:
            runner.sync(handle)  # bounds JAX's queue of dispatched steps
        if index == CHECKPOINT:
            facts["rss_kib_at_100"] = read_status_kib("VmRSS")
    facts["rss_kib_at_end"] = read_status_kib("VmRSS")
    facts["peak_kib"] = read_status_kib("VmHWM")
    return facts


def measure(impl: str, steps: int, threads: int) -> dict:
    """run_steps in a fresh subprocess; returns its facts, or {"error": ...}."""
    command = [sys.executable, "-m", "bench.workloads.m1_memory", "--impl", impl,
               "--steps", str(steps), "--threads", str(threads)]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"impl": impl, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=IMPLS, required=True)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.steps < CHECKPOINT:
        parser.error(f"--steps must be at least {CHECKPOINT}")
    configure_before_imports(args.threads)
    if args.impl == "torch":  # the torchlike process must not load torch at all
        configure_torch(args.threads)
    print(json.dumps(run_steps(args.impl, args.steps)))


if __name__ == "__main__":
    main()
