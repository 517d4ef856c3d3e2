"""Tensor.to and friends: dtype casts and device moves, recorded as ToCopyBackward0."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _dtype as dt
from .._device import device as Device
from .._device import jax_device
from .._tensor import Tensor
from . import dispatch
from .registry import op


@op(grad_fn="ToCopyBackward0", function=False, method=False, aten="aten::_to_copy")
def to_copy(input, *, dtype=None, jax_dev=None):
    out = input if dtype is None else input.astype(dtype)
    if jax_dev is not None:
        out = jax.device_put(out, jax_dev)
    return out if out is not input else jnp.array(input, copy=True)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, dt.dtype):
            dtype = arg
        elif isinstance(arg, str | Device | int):
            dev = arg
        elif isinstance(arg, Tensor):
            dtype, dev = arg.dtype, arg.device
        elif isinstance(arg, bool):
            continue
        else:
            raise TypeError(
                f"to() received an invalid combination of arguments - got ({type(arg).__name__})"
            )
    return dtype, None if dev is None else Device(dev), copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Tensor.to(dtype | device | tensor, ...)."""
    dtype, dev, copy = _parse_to(args, dict(kwargs))
    new_dtype = None if dtype is None or dtype == self.dtype else dtype._np
    jax_dev = None
    if dev is not None and dev.type != self.device.type or (
        dev is not None and dev.index not in (None, self.device.index)
    ):
        jax_dev = jax_device(dev)
    if new_dtype is None and jax_dev is None and not copy:
        return self
    return dispatch.call(
        dispatch_row(), (self,), {"dtype": new_dtype, "jax_dev": jax_dev}
    )


def dispatch_row():
    from .registry import TABLE

    return TABLE["to_copy"]
