"""torch.testing.make_tensor: random test tensors drawn the way torch draws them.

The same generator calls as torch (randint for integers and bools, uniform_ for floats), so with
the same `manual_seed` the values are torch's.
"""

from __future__ import annotations

import collections.abc
import math
import warnings

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._tensor import from_array

_DEFAULT_RANGE = {"bool": (0, 2), "unsigned": (0, 10), "signed": (-9, 10), "floating": (-9, 9)}


def _family(dtype: dt.dtype) -> str:
    if dtype is dt.bool_:
        return "bool"
    if dtype._category == dt._INT:
        return "signed" if dtype.is_signed else "unsigned"
    return "floating"


def _representable(dtype: dt.dtype) -> tuple[float, float]:
    """[lowest, highest) values make_tensor may draw for the dtype."""
    if dtype is dt.bool_:
        return 0, 2
    if dtype._category == dt._INT:
        info = np.iinfo(dtype._np)
        return int(info.min), int(info.max) + (0 if dtype is dt.int64 else 1)
    info = jnp.finfo(dtype.to_real()._np)
    return float(info.min), float(info.max)


def _checked_range(low, high, dtype: dt.dtype) -> tuple[float, float]:
    default_low, default_high = _DEFAULT_RANGE[_family(dtype)]
    low = default_low if low is None else low
    high = default_high if high is None else high
    lowest, highest = _representable(dtype)
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got {low=} and {high=}")
    if low == high and dtype._category >= dt._FLOAT:
        warnings.warn(
            "Passing `low==high` to `torch.testing.make_tensor` for floating or complex types "
            "is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
            FutureWarning,
            stacklevel=3,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), "
            f"but {dtype} only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype._category <= dt._INT:
        return math.ceil(low), math.ceil(high)
    return low, high


def _uniform(shape, dtype: dt.dtype, device, low, high):
    from .._ops.creation import empty

    result = empty(shape, dtype=dtype, device=device)
    # A span past the dtype's largest value would overflow: draw half of it, then double.
    if high - low >= float(jnp.finfo(dtype._np).max):
        return result.uniform_(low / 2, high / 2).mul_(2)
    return result.uniform_(low, high)


def _random_values(shape, dtype: dt.dtype, device, low, high):
    from .._ops.random import randint

    if dtype._category <= dt._INT:
        return randint(low, high, shape, device=device, dtype=dtype)
    if dtype._category == dt._FLOAT:
        return _uniform(shape, dtype, device, low, high)
    # Complex: torch fills the (real, imaginary) pairs of each element in order.
    parts = _uniform((*shape, 2), dtype.to_real(), device, low, high)
    values = parts._value
    return from_array(jnp.asarray(values[..., 0] + 1j * values[..., 1], dtype=dtype._np))


def _parse_shape(shape) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    return tuple(shape)


def make_tensor(
    *shape,
    dtype,
    device,
    low=None,
    high=None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format=None,
):
    """torch.testing.make_tensor: a `shape` tensor with values drawn uniformly from [low, high)."""
    shape = _parse_shape(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
            f"but got {noncontiguous=} and {memory_format=}"
        )
    if not isinstance(dtype, dt.dtype) or dtype._name.startswith("float8"):
        raise TypeError(f"The requested dtype '{dtype}' is not supported by make_tensor().")
    if requires_grad and dtype._category <= dt._INT:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, "
            f"but got {dtype=}"
        )
    low, high = _checked_range(low, high, dtype)
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])  # every other column is kept below
    result = _random_values(shape, dtype, device, low, high)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        replacement = 1 if dtype._category <= dt._INT else _smallest_normal(dtype)
        result[result == 0] = replacement
    if dtype._category >= dt._FLOAT:
        result.requires_grad = requires_grad
    return result


def _smallest_normal(dtype: dt.dtype) -> float:
    return float(jnp.finfo(dtype.to_real()._np).tiny)
