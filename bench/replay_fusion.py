"""What keeping the per-node bits costs torchlike's compiled backward: its replay with XLA's
fusion off (as torchlike compiles it) against the same function compiled with fusion on.

Run: python bench/replay_fusion.py [--workloads W1,W2] [--device cuda]

For each training step it builds the model (on `--device`), runs forward and backward until
the backward is a compiled replay (`torchlike._autograd.compiled`), keeps that replay and the
arguments of its last call, and calls it back to back in five rounds of 300 calls, fusion off
and fusion on, waiting only at the end of a round. Prints the fastest round of each, the number
of kernels XLA made of each program (fusions and library calls), and whether the two give the
same bits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.workloads._threads import configure_before_imports  # noqa: E402

configure_before_imports(1)

import jax  # noqa: E402
import numpy as np  # noqa: E402

import torchlike  # noqa: E402
from bench.workloads import load  # noqa: E402
from bench.workloads._common import load_weights  # noqa: E402
from torchlike._autograd import compiled  # noqa: E402

ROUNDS, CALLS = 5, 300


def captured_replay(spec, device: str):
    """(the compiled replay of the step's backward, the arguments of its last call)."""
    seen = {}
    run = compiled._run

    def keep(replay, order, signature, root_grads, accumulate):
        primals = [
            [] if entry == "leaf" else compiled.traced_primals(node, entry[3])
            for node, entry in zip(order, signature[0])
        ]
        seen["call"] = (replay, primals, root_grads)
        return run(replay, order, signature, root_grads, accumulate)

    model = spec.build_model(torchlike)
    load_weights(torchlike, model, spec.weights)
    model.to(device)
    inputs = torchlike.from_numpy(spec.inputs.copy()).to(device)
    target = torchlike.from_numpy(spec.target.copy()).to(device)
    compiled._run = keep
    try:
        for _ in range(5):  # the replay compiles when the graph's signature repeats
            spec.loss(torchlike, model(inputs), target).backward()
    finally:
        compiled._run = run
    if "call" not in seen:
        raise SystemExit("the backward never ran as a compiled replay")
    return seen["call"]


def fastest_round(function, args) -> float:
    """Microseconds per call, the fastest of ROUNDS rounds of CALLS back-to-back calls."""
    jax.block_until_ready(function(*args))
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            out = function(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / CALLS)
    return min(times) * 1e6


def kernels(jitted, args) -> int:
    text = jitted.lower(*args).compile().as_text()
    return text.count(" fusion(") + text.count(" custom-call(")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args(argv)
    for workload_id in args.workloads.split(","):
        spec = load(workload_id.strip().upper()).spec()
        replay, primals, root_grads = captured_replay(spec, args.device)
        fused = jax.jit(replay.__wrapped__)
        call_args = (primals, root_grads)
        plain_out, fused_out = replay(*call_args), fused(*call_args)
        same = all(
            np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(plain_out, fused_out)
            if a is not None
        )
        off, on = fastest_round(replay, call_args), fastest_round(fused, call_args)
        print(
            f"{workload_id} on {args.device}: fusion off {off:.0f} us a call "
            f"({kernels(replay, call_args)} kernels), fusion on {on:.0f} us "
            f"({kernels(fused, call_args)} kernels); same bits: {same}",
            flush=True,
        )


if __name__ == "__main__":
    main()
