"""How much of the hand-written jax.jit step's speed is fusion that rounds differently.

Run: python bench/unfused_step.py [--workloads W1,W2,W3] [--reps 7]

torchlike's eager ops round as their kernels do one at a time: no multiply is contracted into a
later add, no sum is reordered across ops. This times the bench's hand-written jax.jit training
step (`_trainer.jax_runner`) twice, in alternating blocks of about 0.3 s: as XLA compiles it
(fused), and as one program with XLA's fusion pass off, which is what any single program of
the step costs if it must give the eager ops' bits. Prints the median per step of each and
their ratio, with the bench's thread settings (XLA's single-thread flags).

A third program is the fused one with every product-like result (anything but the operations
`torchlike._ops.kernel_fusion` lists as exact: a multiply, a division, a transcendental, a dot,
a sum) passed through an identity XLA and LLVM cannot see through: its bits XORed with a zero
that arrives as an argument. No multiply can then be contracted into a later add, so it must
give the unfused program's bits (checked on the runner's `result()`: losses, gradients and
parameters after two steps) while keeping the rest of fusion. Where it does not, something
besides a contracted multiply-add rounds differently in the fused program.
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
import jax.extend.core as jex  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from bench.workloads import _trainer, load  # noqa: E402
from torchlike._ops.kernel_fusion import _EXACT  # noqa: E402

BLOCK_SECONDS = 0.3
UNFUSED = {"xla_disable_hlo_passes": "fusion"}
OPAQUE = "opaque products"  # the fused program with product-like results made opaque
STRICT = {"xla_allow_excess_precision": False}
_INT_OF = {np.dtype(np.float32): jnp.int32, np.dtype(np.float64): jnp.int64}
_INNER = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr"}  # fmt: skip


def _opaque(x, zero):
    """x, bit for bit, through an integer XOR with a zero the compilers cannot know is zero."""
    ints = _INT_OF.get(np.dtype(x.dtype))
    if ints is None:
        return x
    bits = jax.lax.bitcast_convert_type(x, ints) ^ zero.astype(ints)
    return jax.lax.bitcast_convert_type(bits, x.dtype)


def _evaluate(jaxpr, consts, args, zero):
    """Evaluate a jaxpr, inlining calls, with every result of an inexact operation opaque."""
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    for eqn in jaxpr.eqns:
        values = [v.val if isinstance(v, jex.Literal) else env[v] for v in eqn.invars]
        inner = eqn.params.get(_INNER.get(eqn.primitive.name, ""))
        if inner is not None:
            outs = _evaluate(inner.jaxpr, inner.consts, values, zero)
        else:
            outs = eqn.primitive.bind(*values, **eqn.params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            if eqn.primitive.name not in _EXACT:
                outs = [_opaque(out, zero) for out in outs]
        env.update(zip(eqn.outvars, outs))
    return [v.val if isinstance(v, jex.Literal) else env[v] for v in jaxpr.outvars]


def _opaque_jit(plain, fun):
    """fun as one fused program whose products and sums round as in the unfused program."""

    def with_zero(zero, *args):
        closed, out_shape = jax.make_jaxpr(fun, return_shape=True)(*args)
        flat = jax.tree_util.tree_leaves(args)
        outs = _evaluate(closed.jaxpr, closed.consts, flat, zero)
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out_shape), outs)

    jitted = plain(with_zero, compiler_options=STRICT)
    zero = jnp.int32(0)
    return lambda *args: jitted(zero, *args)


def _runner(spec, options):
    """The hand-written step, its jax.jit calls made with `options` (None: XLA's defaults;
    OPAQUE: fused, with product-like results opaque)."""
    plain = jax.jit

    def jit(fun=None, **kwargs):
        if options == OPAQUE:
            return _opaque_jit(plain, fun)
        return plain(fun, compiler_options=options, **kwargs)

    _trainer.jax.jit = plain if options is None else jit
    try:
        return _trainer.jax_runner(spec)
    finally:
        _trainer.jax.jit = plain


def same_bits(spec) -> bool:
    """Whether the opaque-product program's losses, gradients and parameters after two steps
    are bit for bit the unfused program's."""
    want = _runner(spec, UNFUSED).result()
    got = _runner(spec, OPAQUE).result()
    return all(_bytes(got[k]) == _bytes(want[k]) for k in want)


def _bytes(value) -> bytes:
    array = np.asarray(value)
    return array.dtype.str.encode() + array.tobytes()


def time_case(workload: str, reps: int) -> dict:
    """Median us per step of the fused and unfused programs, timed in alternating blocks."""
    spec = load(workload).spec()
    runners = {
        "fused": _runner(spec, None), "unfused": _runner(spec, UNFUSED),
        OPAQUE: _runner(spec, OPAQUE),
    }  # fmt: skip
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
        fused, unfused, opaque = medians["fused"], medians["unfused"], medians[OPAQUE]
        same = same_bits(load(workload).spec())
        print(
            f"{workload}: fused {fused:.0f} us, fusion off {unfused:.0f} us "
            f"({unfused / fused:.2f}x), fused with opaque products {opaque:.0f} us "
            f"({opaque / fused:.2f}x; bits {'equal to' if same else 'differ from'} fusion off)"
        )


if __name__ == "__main__":
    main()
