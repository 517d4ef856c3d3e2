"""Module.to / cpu / cuda / float / ...: convert every parameter and buffer, keeping identities.

A parameter keeps its id across a conversion: its storage is swapped (`param.data = new`), as
torch does by default, so optimizers built before `model.to(...)` still hold the same objects.
"""

from __future__ import annotations

from ... import _dtype as dt
from ... import _grad_mode
from ..._device import device as Device
from ..._tensor import Tensor


def apply_to_tensors(self, fn, recurse: bool = True):
    """Module._apply: replace every parameter's (and grad's) data and every buffer by fn(t)."""
    if recurse:
        for module in self.children():
            module._apply(fn)
    with _grad_mode.no_grad():
        for param in self._parameters.values():
            if param is None:
                continue
            param.data = fn(param)
            if param.grad is not None:
                param.grad.data = fn(param.grad)
        for name, buf in self._buffers.items():
            if buf is not None:
                self._buffers[name] = fn(buf)
    return self


def _parse_to(args: tuple, kwargs: dict):
    """(device, dtype) from Module.to's overloads: (device, dtype), (dtype), (tensor)."""
    target_device = kwargs.pop("device", None)
    target_dtype = kwargs.pop("dtype", None)
    for ignored in ("non_blocking", "memory_format", "copy"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, dt.dtype):
            target_dtype = arg
        elif isinstance(arg, Tensor):
            target_device, target_dtype = arg.device, arg.dtype
        elif isinstance(arg, bool):
            continue  # non_blocking
        elif isinstance(arg, str | Device | int):
            target_device = arg
        else:
            raise TypeError(
                f"to() received an invalid combination of arguments - got ({type(arg).__name__})"
            )
    return target_device, target_dtype


def _is_float_like(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def to(self, *args, **kwargs):
    """torch.nn.Module.to: move to a device and/or cast floating point tensors to a dtype."""
    target_device, target_dtype = _parse_to(args, dict(kwargs))
    if target_dtype is not None and not (target_dtype.is_floating_point or target_dtype.is_complex):
        raise TypeError(
            "nn.Module.to only accepts floating point or complex dtypes, but got desired "
            f"dtype={target_dtype}"
        )

    def convert(t: Tensor) -> Tensor:
        return t.to(device=target_device, dtype=target_dtype if _is_float_like(t) else None)

    return self._apply(convert)


def cpu(self):
    """torch.nn.Module.cpu."""
    return self._apply(lambda t: t.cpu())


def cuda(self, device=None):
    """torch.nn.Module.cuda."""
    return self._apply(lambda t: t.cuda(device))


def to_type(self, dst_type):
    """torch.nn.Module.type: cast every parameter and buffer to dst_type."""
    return self._apply(lambda t: t.type(dst_type))


def _float_cast(target: dt.dtype, name: str):
    def cast(self):
        return self._apply(lambda t: t.to(target) if t.is_floating_point() else t)

    cast.__name__ = name
    cast.__doc__ = f"torch.nn.Module.{name}: cast floating point parameters and buffers."
    return cast


to_float = _float_cast(dt.float32, "float")
to_double = _float_cast(dt.float64, "double")
to_half = _float_cast(dt.float16, "half")
to_bfloat16 = _float_cast(dt.bfloat16, "bfloat16")
