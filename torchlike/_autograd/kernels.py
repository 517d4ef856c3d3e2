"""Per-node VJP kernels: jitted, cached by what the node computed, and what they read.

A node's backward is the VJP of the pure function it recorded. The kernel for it is cached
by (function key, input avals, differentiable inputs and outputs), so a repeated op costs one
cached call and no graph is replayed through an uncompiled jax.vjp over many ops.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp

from . import saved
from .graph import OpNode

_KERNEL_LIMIT = 4096
_kernels: OrderedDict = OrderedDict()
stats = {"kernel_compiles": 0}
# Per-node kernels and whole-graph replays compile without XLA fusion, so both give the same
# bits: fused reductions and fused elementwise chains round differently from unfused ones.
COMPILER_OPTIONS = {"xla_disable_hlo_passes": "fusion"}


def vjp_kernel(fn, diff_inputs, diff_outputs):
    def kernel(primals, cotangents):
        def f(*diff):
            full = list(primals)
            for i, v in zip(diff_inputs, diff):
                full[i] = v
            out = fn(*full)
            outs = out if isinstance(out, tuple | list) else (out,)
            return tuple(outs[i] for i in diff_outputs)

        _, pullback = jax.vjp(f, *(primals[i] for i in diff_inputs))
        # torch's gradient of a complex tensor is the conjugate of JAX's cotangent.
        grads = pullback(tuple(_conj(c) for c in cotangents))
        return tuple(_conj(g) for g in grads)

    return kernel


def _conj(array):
    return jnp.conj(array) if jnp.iscomplexobj(array) else array


def kernel_key(node: OpNode):
    """(function key, input avals, differentiable inputs and outputs), computed once per node."""
    if node.kernel_key is not False:
        return node.kernel_key
    key = getattr(node.fn, "key", None)
    if key is not None:
        avals = tuple((a.shape, a.dtype) for a in node.primals)
        key = (key, avals, node.diff_inputs, node.diff_outputs)
    node.kernel_key = key
    return key


def kernel_for(node: OpNode, full_key):
    if full_key is None:
        return vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
    kernel = _kernels.get(full_key)
    if kernel is None:
        kernel = _Kernel(vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs))
        stats["kernel_compiles"] += 1
        _kernels[full_key] = kernel
        if len(_kernels) > _KERNEL_LIMIT:
            _kernels.popitem(last=False)
    else:
        _kernels.move_to_end(full_key)
    return kernel


class _Kernel:
    """A jitted VJP kernel; inside another trace (create_graph replays) it runs as plain jit."""

    __slots__ = ("top_level", "nested")

    def __init__(self, kernel):
        self.top_level = jax.jit(kernel, compiler_options=COMPILER_OPTIONS)
        self.nested = jax.jit(kernel)  # compiler options are allowed on top-level jits only

    def __call__(self, primals, cotangents):
        traced = any(isinstance(a, jax.core.Tracer) for a in (*primals, *cotangents))
        return (self.nested if traced else self.top_level)(primals, cotangents)


def vjp_facts(node: OpNode, full_key, create_graph: bool) -> tuple:
    """(primals the JAX VJP reads, pass-through gradients); skipped where nothing needs them."""
    if node.saves == "none" and full_key is not None and not create_graph:
        return (), {}
    reads, passthrough = saved.vjp_facts(
        node, full_key, lambda: vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
    )
    # A recorded backward (create_graph) reads all the primals it was given, as torch's
    # derivative formulas mention them (pow(x, 0)); only its cotangents can drop out.
    reads = tuple(sorted(set(reads) | set(getattr(node.fn, "formula_primals", ()))))
    return reads, passthrough


def zeros(aval):
    shape, dtype = aval
    return jnp.zeros(shape, dtype)


def concrete(primals) -> list:
    """Primals with released (shape-only) entries filled with zeros the VJP does not read."""
    return [
        jnp.zeros(p.shape, p.dtype) if isinstance(p, jax.ShapeDtypeStruct) else p for p in primals
    ]


def as_array(g):
    from .._tensor import Tensor

    return g._value if isinstance(g, Tensor) else g


def as_tensor(g):
    from .._tensor import Tensor, from_array

    return g if isinstance(g, Tensor) else from_array(g)
