"""Forward kernels: each call signature of an op runs as one cached kernel instead of eager jnp.

An op's eager implementation dispatches each jnp primitive separately (several microseconds
each, plus casts and scalar conversions, and an XLA compile per new primitive and shape). So
each call signature (same row, attributes, Python-scalar values, input shapes and dtypes) gets
one `_tiers.TieredKernel`: interpreted in numpy while that is cheaper than compiling, then one
compiled kernel, so later calls cost one cached jit dispatch. A call the interpreter cannot
evaluate runs eagerly the first time and compiles the second, so one-off ops never pay for a
compile.

Python scalars are baked into the kernel as constants (jnp treats a concrete exponent of 2
differently from a traced one, and eager and compiled results must have the same bits); a
call whose scalars keep changing stops compiling after a few values. Kernels compile without
XLA fusion, like the backward kernels, so they round exactly like the eager ops, except those
built only from operations fusion cannot change (`kernel_fusion.py`).
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict

import jax
import numpy as np

from .._autograd.kernels import COMPILER_OPTIONS
from .._tiers import TieredKernel
from . import kernel_fusion

_KERNEL_LIMIT = 4096
_SCALAR_VARIANTS = 8  # distinct scalar values one call site may compile before staying eager
EAGER = _EAGER = object()  # a call that stays eager

_enabled = {"on": os.environ.get("TORCHLIKE_FORWARD_KERNELS", "1") not in ("", "0")}
_kernels: OrderedDict = OrderedDict()  # full key -> TieredKernel, or _EAGER
_variants: dict = {}  # function key -> distinct scalar values compiled for it
stats = {"forward_compiles": 0, "forward_kernel_runs": 0}
# Dispatch plans (dispatch.Plan) by call signature, and F.linear folds' (direct call, kernel,
# small-result facts) by fold;
# they hold kernels, so they go with them.
plans: dict = {}


def set_enabled(enabled: bool) -> None:
    """Turn forward kernels on or off (TORCHLIKE_FORWARD_KERNELS=0 starts with them off)."""
    _enabled["on"] = bool(enabled)
    plans.clear()


def clear() -> None:
    _kernels.clear()
    plans.clear()
    _variants.clear()


def compiled_kernel_for(fn, arrays):
    """The TieredKernel `run(fn, arrays)` calls once it has compiled, else None."""
    kernel = kernel_for(fn, arrays)
    if kernel is None or kernel is EAGER or kernel.compiled is None:
        return None
    return kernel


def run(fn, arrays):
    """fn(*arrays), through a cached kernel once the same call has been seen before."""
    keys = _keys(fn, arrays) if _enabled["on"] else None
    if keys is None:
        return fn(*arrays)
    key, statics, full_key = keys
    kernel = _kernels.get(full_key)
    if kernel is None:
        kernel = _on_miss(fn, key, statics, full_key)
    if kernel is _EAGER:
        return fn(*arrays)
    try:
        out = kernel(*(a for a in arrays if not isinstance(a, np.ndarray)))
    except Exception:  # noqa: BLE001 - the eager run raises torch's error, or proves it jit-unsafe
        out = fn(*arrays)
        _kernels[full_key] = _EAGER
        return out
    stats["forward_kernel_runs"] += 1
    return out


def kernel_for(fn, arrays):
    """The kernel `run(fn, arrays)` now calls: a TieredKernel of the non-numpy arrays, EAGER
    when the call runs eagerly for good, or None before the call has been seen."""
    if not _enabled["on"]:
        return None
    keys = _keys(fn, arrays)
    if keys is None:
        return EAGER
    return _kernels.get(keys[2])


def _keys(fn, arrays):
    """(function key, Python-scalar constants, full cache key), or None when fn runs eagerly."""
    row = getattr(fn, "row", None)
    # Device moves (to, copy_) stay eager: a jitted move would leave the result where its
    # inputs are. Rows whose implementation is one jitted kernel already gain nothing.
    if row is None or not row.same_device or not row.forward_kernel:
        return None
    key = fn.key
    if key is None:
        return None
    statics, dynamic = [], []
    for i, array in enumerate(arrays):
        if isinstance(array, np.ndarray):
            statics.append((i, array.dtype.str, array.tobytes()))
        elif isinstance(array, jax.core.Tracer):
            return None  # inside a trace: the caller compiles
        else:
            dynamic.append((array.shape, array.dtype, array.weak_type))
    statics = tuple(statics)
    return key, statics, (key, statics, tuple(dynamic))


def _on_miss(fn, key, statics, full_key):
    """The new call's kernel, or _EAGER when its scalars have taken too many values."""
    variants = _variants.setdefault(key, set())
    variants.add(statics)
    kernel = _EAGER if len(variants) > _SCALAR_VARIANTS else _compile(fn, statics)
    _kernels[full_key] = kernel
    if len(_kernels) > _KERNEL_LIMIT:
        _kernels.popitem(last=False)
    return kernel


def _compile(fn, statics):
    constants = {i: np.frombuffer(raw, np.dtype(code)).reshape(()) for i, code, raw in statics}
    count = len(constants)

    def kernel(*dynamic):
        it = iter(dynamic)
        arrays = [constants[i] if i in constants else next(it) for i in range(len(dynamic) + count)]
        return fn(*arrays)

    jitted = jax.jit(kernel, compiler_options=COMPILER_OPTIONS)
    choose = functools.partial(kernel_fusion.jitted_for, kernel)
    return TieredKernel(kernel, jitted, _count_compile, eager_first=True, choose=choose)


def _count_compile():
    stats["forward_compiles"] += 1
