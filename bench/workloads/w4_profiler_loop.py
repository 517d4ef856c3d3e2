"""W4: the tutorial's profiler loop, 1000 x `z = (z / x) * y` on 2x3 tensors, then backward.

One timed unit is one iteration: a fresh leaf z, the 1000-op forward, z.sum().backward().
x and y are drawn so z stays near 1 over 1000 steps (the tutorial's randn/rand draws drive z
into denormals, whose slow arithmetic would distort the timing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from ._common import (
    JAX_JIT,
    TORCH,
    TORCH_COMPILE,
    TORCHLIKE,
    Case,
    Runner,
    Unavailable,
    libraries,
    sync_jax,
    sync_torch,
    sync_torchlike,
    to_numpy,
)

SIZES = {"full": 1000, "tiny": 10}
SHAPE = (2, 3)


def _data():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 1.5, SHAPE).astype(np.float32)
    y = (x * (1 + 1e-3 * rng.uniform(-1, 1, SHAPE))).astype(np.float32)
    return x, y


def _backward_compiles() -> int | None:
    """torchlike's count of compilations the loop can cause: backward kernels and graph
    segments, and chunks of deferred forward ops."""
    from torchlike._autograd import engine

    stats = getattr(engine, "stats", None)
    if stats is None:
        return None
    try:
        from torchlike._deferred import stats as deferred
    except ImportError:
        deferred = {}
    return (stats.get("kernel_compiles", 0) + stats.get("segment_compiles", 0)
            + deferred.get("chunk_compiles", 0))  # fmt: skip


def torch_api_runner(impl: str, n_ops: int) -> Runner:
    """The loop on torch or torchlike, eager."""
    lib = libraries(impl)
    x_np, y_np = _data()
    x = lib.from_numpy(x_np).requires_grad_()
    y = lib.from_numpy(y_np).requires_grad_()
    counts = {"start": _backward_compiles() if impl == TORCHLIKE else None, "steps": 0}

    def iteration():
        x.grad = None
        y.grad = None
        z0 = lib.ones(*SHAPE, requires_grad=True)
        z = z0
        for _ in range(n_ops):
            z = (z / x) * y
        total = z.sum()
        total.backward()
        return total, z0

    def step():
        total, z0 = iteration()
        counts["steps"] += 1
        if counts["steps"] == 1 and counts["start"] is not None:
            counts["after_first"] = _backward_compiles()
        return [total, x.grad, y.grad, z0.grad]

    def result():
        total, z0 = iteration()
        return {"loss": to_numpy(total), "grad/x": to_numpy(x.grad), "grad/y": to_numpy(y.grad),
                "grad/z": to_numpy(z0.grad)}  # fmt: skip

    def facts():
        if counts["start"] is None:
            return _fresh_process_facts(impl, n_ops)
        return {
            "compiles (backward kernels, segments, forward chunks), first iteration": (
                counts["after_first"] - counts["start"]
            ),
            "compiles (backward kernels, segments, forward chunks), all later iterations": (
                _backward_compiles() - counts["after_first"]
            ),
            **_fresh_process_facts(impl, n_ops),
        }

    sync = sync_torchlike if impl == TORCHLIKE else sync_torch
    return Runner(step, sync, result, facts)


# The first iterations in a new process (nothing compiled or cached in memory yet), printed as
# milliseconds: the timed runs above share one process, where earlier cases may have compiled
# the same kernels.
_FRESH_SCRIPT = """
import json, sys, time
import numpy as np
lib = __import__(sys.argv[1])
x = lib.from_numpy(np.asarray(json.loads(sys.argv[2]), np.float32)).requires_grad_()
y = lib.from_numpy(np.asarray(json.loads(sys.argv[3]), np.float32)).requires_grad_()
times = []
for _ in range(3):
    start = time.perf_counter()
    z = lib.ones(*x.shape, requires_grad=True)
    for _ in range(int(sys.argv[4])):
        z = (z / x) * y
    z.sum().backward()
    float(x.grad.sum())
    times.append((time.perf_counter() - start) * 1e3)
print(json.dumps(times))
"""


def _fresh_first_iterations(module: str, n_ops: int, env: dict) -> str:
    x, y = _data()
    args = [sys.executable, "-c", _FRESH_SCRIPT, module, json.dumps(x.tolist()),
            json.dumps(y.tolist()), str(n_ops)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **env},
                          timeout=600)  # fmt: skip
    if done.returncode:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    return ", ".join(f"{t:.3g} ms" for t in json.loads(done.stdout))


def _fresh_process_facts(impl: str, n_ops: int) -> dict:
    """First three iterations in new processes: torch; torchlike with its on-disk compile
    cache empty (the first run on a machine), then kept from that run (every later run)."""
    if impl == TORCH:
        return {"first 3 iterations in a new process": _fresh_first_iterations("torch", n_ops, {})}
    with tempfile.TemporaryDirectory() as cache:
        env = {"TORCHLIKE_COMPILE_CACHE": cache}
        cold = _fresh_first_iterations("torchlike", n_ops, env)
        warm = _fresh_first_iterations("torchlike", n_ops, env)
    return {
        "first 3 iterations in a new process, empty compile cache (first run)": cold,
        "first 3 iterations in a new process, compile cache kept from the run before": warm,
    }


def jax_runner(n_ops: int) -> Runner:
    """The loop as lax.fori_loop under jax.jit(value_and_grad)."""

    def loss(x, y, z0):
        return jax.lax.fori_loop(0, n_ops, lambda _, z: (z / x) * y, z0).sum()

    value_and_grads = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)))
    x, y = (jnp.asarray(a) for a in _data())
    z0 = jnp.ones(SHAPE, jnp.float32)

    def result():
        total, (gx, gy, gz) = value_and_grads(x, y, z0)
        return {"loss": to_numpy(total), "grad/x": to_numpy(gx), "grad/y": to_numpy(gy),
                "grad/z": to_numpy(gz)}  # fmt: skip

    return Runner(lambda: value_and_grads(x, y, z0), sync_jax, result)


def _no_compile() -> Runner:
    raise Unavailable(
        "skipped: compiling the unrolled 1000-op graph took 291 s on this machine class "
        "(DESIGN.md, measured facts)"
    )


def cases(size: str = "full") -> list[Case]:
    n_ops = SIZES[size]
    factories = {
        TORCHLIKE: lambda: torch_api_runner(TORCHLIKE, n_ops),
        TORCH: lambda: torch_api_runner(TORCH, n_ops),
        JAX_JIT: lambda: jax_runner(n_ops),
        TORCH_COMPILE: _no_compile,
    }
    notes = [
        "jax.jit runs the loop as lax.fori_loop; jax.jit of the unrolled loop took 142 s to "
        "compile (DESIGN.md), so it is not run here",
    ]
    title = "tutorial profiler loop: 1000 x z = (z / x) * y on 2x3, then backward (per iteration)"
    return [Case("W4", title, factories, notes=notes)]
