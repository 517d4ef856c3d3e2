"""Which forward kernels may compile with XLA's fusion on, and keep the bits of the unfused ops.

Forward kernels compile without fusion (`kernels.COMPILER_OPTIONS`) because a fused kernel can
round differently from the same ops run one by one: XLA's CPU backend contracts a multiply and
a later add in one fused loop into a fused multiply-add, and a fused reduction may sum in
another order. Without fusion, though, every broadcast and layout change is a pass of its own
over memory: a ReLU materialises a whole array of zeros before taking the maximum, and a
convolution's bias add materialises the broadcast bias and transposes the result separately.

A kernel built only from operations whose results cannot depend on how they are fused runs
fused: data movement (broadcasts, reshapes, transposes, slices, ...), comparisons and selects,
max and min (also as reductions and pooling windows), negation, additions and subtractions
(with no product anywhere in the kernel, no multiply-add can be contracted), conversions
(with excess precision turned off, so a fused conversion still rounds), and convolutions.
Products, divisions, transcendental functions, sums and anything not listed keep the unfused
kernel, as do half-precision and complex kernels.
"""

from __future__ import annotations

import jax
import numpy as np

from .._autograd.kernels import COMPILER_OPTIONS

FUSED_OPTIONS = {"xla_allow_excess_precision": False}

_EXACT = frozenset({
    # data movement
    "broadcast_in_dim", "reshape", "squeeze", "expand_dims", "transpose", "slice",
    "dynamic_slice", "concatenate", "pad", "rev", "copy", "copy_p", "iota", "gather",
    "convert_element_type",
    # exact arithmetic and logic
    "add", "sub", "neg", "abs", "max", "min", "sign", "floor", "ceil", "round", "clamp",
    "select_n", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "xor",
    "reduce_max", "reduce_min", "argmax", "argmin", "reduce_window_max", "reduce_window_min",
    "reduce_and", "reduce_or",
    # a library call whose result does not depend on what surrounds it
    "conv_general_dilated",
})  # fmt: skip
_CALLS = frozenset({"jit", "pjit", "custom_jvp_call", "custom_vjp_call", "closed_call"})
_KINDS = frozenset("biuf")
_WIDE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def jitted_for(kernel, args):
    """`kernel` under jax.jit, with fusion where its operations allow (see module)."""
    try:
        fusable = _fusable(jax.make_jaxpr(kernel)(*args).jaxpr)
    except Exception:  # noqa: BLE001 - the unfused kernel traces again and raises there
        fusable = False
    return jax.jit(kernel, compiler_options=FUSED_OPTIONS if fusable else COMPILER_OPTIONS)


def _fusable(jaxpr) -> bool:
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name in _CALLS:
            inner = [v for v in eqn.params.values() if hasattr(v, "eqns") or hasattr(v, "jaxpr")]
            if not inner or not all(_fusable(getattr(v, "jaxpr", v)) for v in inner):
                return False
        elif name not in _EXACT:
            return False
        for var in (*eqn.invars, *eqn.outvars):
            dtype = getattr(var.aval, "dtype", None)
            if dtype is None or dtype.kind not in _KINDS:
                return False
            if dtype.kind == "f" and dtype not in _WIDE_FLOATS:
                return False
    return True
