"""Tensor.to and friends: dtype casts and device moves, recorded as ToCopyBackward0."""

from __future__ import annotations

import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._device import device as Device
from .._device import jax_device
from .._tensor import Tensor
from . import dispatch
from .registry import op

# torch's float -> integer cast on x86 goes through a 32- or 64-bit signed conversion that
# yields INT_MIN for NaN, inf and out-of-range values, then wraps to the narrower type.
_VIA_INT32 = {np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.uint16)}
_UNSIGNED_WIDE = {np.dtype(np.uint32): 32, np.dtype(np.uint64): 64}
_E8M0 = np.dtype(jnp.float8_e8m0fnu)
_complex_warned = False


def _signed_convert(x, bits: int):
    """x (float64) truncated to a signed `bits` integer; INT_MIN where it does not fit."""
    int_type = jnp.int32 if bits == 32 else jnp.int64
    fits = (x >= -(2.0 ** (bits - 1))) & (x < 2.0 ** (bits - 1))
    truncated = jnp.trunc(jnp.where(fits, x, 0.0)).astype(int_type)
    return jnp.where(fits, truncated, jnp.iinfo(int_type).min)


def _float_to_int(x, target: np.dtype):
    x = x.astype(jnp.float64)
    if target in _UNSIGNED_WIDE:
        bits = _UNSIGNED_WIDE[target]
        low = _signed_convert(x, bits).astype(target)
        upper = (x >= 2.0 ** (bits - 1)) & (x < 2.0**bits)
        high = jnp.where(upper, x, 0.0).astype(target)
        return jnp.where(upper, high, jnp.where(x >= 2.0**bits, 0, low).astype(target))
    bits = 32 if target in _VIA_INT32 else 64
    return _signed_convert(x, bits).astype(target)


def _warn_complex_to_real() -> None:
    global _complex_warned
    if not _complex_warned:
        _complex_warned = True
        warnings.warn(
            "Casting complex values to real discards the imaginary part (Triggered internally "
            "at /pytorch/aten/src/ATen/native/Copy.cpp:307.)",
            UserWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """warnings.warn's stacklevel that points at the first frame outside torchlike."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchlike."):
        frame, level = frame.f_back, level + 1
    return level


def cast(x, target) -> jax.Array:
    """x as dtype `target` with torch's conversion rules (not JAX's saturating ones)."""
    target = np.dtype(target)
    if x.dtype == target:
        return x
    if target == np.bool_:
        return x != 0
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(
        target, jnp.complexfloating
    ):
        _warn_complex_to_real()
        x = jnp.real(x)
    if jnp.issubdtype(x.dtype, jnp.floating) and jnp.issubdtype(target, jnp.integer):
        return _float_to_int(x, target)
    if target == _E8M0:
        # torch keeps only the exponent: the sign is dropped and zero becomes the smallest value.
        magnitude = jnp.abs(x.astype(jnp.float32))
        x = jnp.where(magnitude == 0, jnp.float32(2.0**-127), magnitude)
    return x.astype(target)


@op(grad_fn="ToCopyBackward0", function=False, method=False, aten="aten::_to_copy",
    same_device=False)  # fmt: skip
def to_copy(input, *, dtype=None, jax_dev=None):
    out = input if dtype is None else cast(input, dtype)
    if jax_dev is not None:
        out = jax.device_put(out, jax_dev)
    return out if out is not input else jnp.array(input, copy=True)


_TO_FORMS = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)"
)


def _invalid_to(args, kwargs) -> TypeError:
    from .tensor_data import invalid_arguments

    return invalid_arguments("to", args, kwargs, _TO_FORMS)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise _invalid_to(args, kwargs)
    for arg in args:
        if isinstance(arg, dt.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype, dev = arg.dtype, arg.device
        elif isinstance(arg, bool):
            continue
        elif isinstance(arg, str | Device | int):
            dev = arg
        else:
            raise _invalid_to(args, {})
    return dtype, None if dev is None else Device(dev), copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Tensor.to(dtype | device | tensor, ...)."""
    dtype, dev, copy = _parse_to(args, dict(kwargs))
    new_dtype = None if dtype is None or dtype == self.dtype else dtype._np
    jax_dev = None
    here = self.device
    if dev is not None and (dev.type != here.type or dev.index not in (None, here.index)):
        jax_dev = jax_device(dev)
    if new_dtype is None and jax_dev is None and not copy:
        return self
    return dispatch.call(dispatch_row(), (self,), {"dtype": new_dtype, "jax_dev": jax_dev})


def dispatch_row():
    from .registry import TABLE

    return TABLE["to_copy"]
