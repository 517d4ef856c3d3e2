"""Factory functions: tensor, zeros, ones, full, arange, linspace, eye, *_like, random draws."""

from __future__ import annotations

import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._device import _CPU, jax_device
from .._device import device as Device
from .._tensor import Tensor, from_array
from .shape import sizes_arg


def finish(array, dtype: dt.dtype, device=None, requires_grad=False) -> Tensor:
    """Wrap a host or device array as a new leaf on the requested device."""
    if device is not None and Device(device) != _CPU:
        value = jax.device_put(np.asarray(array, dtype._np), jax_device(Device(device)))
    else:
        value = jnp.asarray(array, dtype=dtype._np)
    tensor = from_array(value)
    if requires_grad:
        tensor.requires_grad = True
    return tensor


def _nested_dtype(data) -> dt.dtype | None:
    """torch's dtype for Python data: the highest category seen, scalars at default widths."""
    found = None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            d = item.dtype
        elif isinstance(item, np.ndarray | np.generic):
            d = dt.from_numpy_dtype(item.dtype)
        elif isinstance(item, list | tuple):
            stack.extend(item)
            continue
        elif isinstance(item, numbers.Number):
            d = dt.scalar_dtype(item)
        else:
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
        found = d if found is None or d._category > found._category else found
        if found is d and isinstance(item, Tensor | np.ndarray | np.generic):
            pass
    return found


def _to_host(data):
    if isinstance(data, Tensor):
        return np.asarray(data._value)
    if isinstance(data, list | tuple):
        return [_to_host(v) for v in data]
    return data


def _check_ragged(data, dim=0):
    if isinstance(data, list | tuple) and data:
        lengths = [len(v) if isinstance(v, list | tuple) else None for v in data]
        first = lengths[0]
        for v, length in zip(data, lengths):
            if length != first:
                raise ValueError(
                    f"expected sequence of length {first} at dim {dim + 1} (got {length})"
                )
        for v in data:
            _check_ragged(v, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """torch.tensor: copy data into a new leaf tensor."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.clone()."
            "detach() or sourceTensor.clone().detach().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    if dtype is None:
        if isinstance(data, np.ndarray | np.generic):
            dtype = dt.from_numpy_dtype(data.dtype)
        elif isinstance(data, Tensor):
            dtype = data.dtype
        else:
            dtype = _nested_dtype(data) or dt.get_default_dtype()
    else:
        dtype = dt.as_dtype(dtype)
    _check_ragged(data)
    host = np.asarray(_to_host(data))
    if host.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return finish(host.astype(dtype._np), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """torch.as_tensor: share the tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        if (dtype is None or dtype == data.dtype) and (device is None or Device(device) == data.device):
            return data
        return data.to(dtype=dtype, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """torch.from_numpy (the data is copied into JAX)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return finish(ndarray, dt.from_numpy_dtype(ndarray.dtype))


def _factory(fill):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
                pin_memory=False, memory_format=None):  # fmt: skip
        shape = sizes_arg(size)
        for s in shape:
            if s < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, shape))}]"
                )
        dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
        return finish(np.full(shape, fill, dtype._np), dtype, device, requires_grad)

    return factory


zeros = _factory(0)
ones = _factory(1)
empty = _factory(0)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """torch.full."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = dt.scalar_dtype(fill_value) if dtype is None else dt.as_dtype(dtype)
    return finish(np.full(tuple(size), fill_value, dtype._np), dtype, device, requires_grad)


def _like(factory_fill):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None, pin_memory=False):  # fmt: skip
        dtype = input.dtype if dtype is None else dt.as_dtype(dtype)
        device = input.device if device is None else device
        return finish(np.full(tuple(input.shape), factory_fill, dtype._np), dtype, device,
                      requires_grad)  # fmt: skip

    return like


zeros_like = _like(0)
ones_like = _like(1)
empty_like = _like(0)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    """torch.full_like."""
    dtype = input.dtype if dtype is None else dt.as_dtype(dtype)
    return finish(np.full(tuple(input.shape), fill_value, dtype._np), dtype,
                  device or input.device, requires_grad)  # fmt: skip


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """torch.arange."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dt.get_default_dtype() if any(isinstance(v, float) for v in values) else dt.int64
    dtype = dt.as_dtype(dtype)
    count = max(math.ceil((end - start) / step), 0)
    host = start + np.arange(count, dtype=np.float64 if dtype.is_floating_point else np.int64) * step
    return finish(host.astype(dtype._np), dtype, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """torch.linspace, with torch's two-sided formula evaluated in the output dtype."""
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    compute = dtype._np if dtype.is_floating_point else np.float64
    index = np.arange(steps)
    if steps == 1:
        host = np.full(1, start, compute)
    else:
        a, b = compute.type(start), compute.type(end)
        step = (b - a) / compute.type(steps - 1)
        half = steps // 2
        host = np.where(
            index < half,
            a + step * index.astype(compute),
            b - step * (steps - index - 1).astype(compute),
        ).astype(compute)
    return finish(host.astype(dtype._np), dtype, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """torch.logspace."""
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    exponents = np.asarray(linspace(start, end, steps, dtype=dt.float64)._value)
    return finish(np.power(base, exponents).astype(dtype._np), dtype, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:  # fmt: skip
    """torch.eye."""
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    return finish(np.eye(n, n if m is None else m, dtype=dtype._np), dtype, device, requires_grad)


def legacy_tensor_array(args, kwargs):
    """torch.Tensor(...) legacy constructor: sizes or data, always the default dtype."""
    dtype = dt.get_default_dtype()
    if len(args) == 1 and isinstance(args[0], list | tuple | np.ndarray):
        return jnp.asarray(np.asarray(_to_host(args[0]), dtype=dtype._np))
    if args and all(isinstance(a, int) for a in args):
        return jnp.zeros(args, dtype._np)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]._value
    return jnp.zeros((0,), dtype._np)
