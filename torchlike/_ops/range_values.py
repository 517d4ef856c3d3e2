"""Element values of torch.arange, linspace and logspace, bit for bit as PyTorch's CPU kernels.

PyTorch computes these with a fixed recipe (accumulate type, two-sided linspace formula,
vector chunks for arange) compiled with fused multiply-add on x86-64 AVX2 builds; the
helpers below reproduce that recipe on the host with numpy and the correctly rounded FMA
of torchlike._random.exact_fma.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._random import exact_fma
from .conversion import cast

_VECTOR_BYTES = 32  # one AVX2 register: arange writes chunks of 32 bytes
_F64 = np.float64


def fma(a, b, c, dtype):
    """a * b + c rounded once to `dtype` (float32 or float64), as an FMA instruction does."""
    if np.dtype(dtype) == np.float32:
        return exact_fma.fma32(a, b, c)
    return exact_fma.fma64(a, b, c)


def float_to_int(values, target: np.dtype) -> np.ndarray:
    """C++'s double -> integer conversion as torch's kernels do it (conversion.cast's rule)."""
    return np.asarray(cast(jnp.asarray(values, jnp.float64), np.dtype(target)))


def _to_dtype(values, dtype: dt.dtype) -> np.ndarray:
    if dtype._category in (dt._INT, dt._BOOL) and dtype is not dt.bool_:
        return float_to_int(values, dtype._np)
    if dtype in (dt.float16, dt.bfloat16):
        return np.asarray(values).astype(np.float32).astype(dtype._np)
    return np.asarray(values).astype(dtype._np)


# ----- arange ---------------------------------------------------------------------------------
def arange_values(start, step, count: int, dtype: dt.dtype) -> np.ndarray:
    """torch.arange's elements start + i * step (start, step already in the accumulate type)."""
    if dtype._category == dt._INT:
        # Integer arange runs in int64 and wraps into narrower types.
        index = np.arange(count, dtype=np.int64)
        return (np.int64(start) + index * np.int64(step)).astype(dtype._np)
    accumulate = _F64 if dtype in (dt.float32, dt.float64) else np.float32
    lanes = _VECTOR_BYTES // dtype.itemsize
    vector_count = count - count % (2 * lanes)
    chunk_starts = np.arange(0, vector_count, lanes)
    bases = _to_dtype(fma(step, chunk_starts, start, accumulate), dtype)
    lane = np.arange(lanes)
    vector_part = fma(lane[None, :], step, bases.astype(accumulate)[:, None], accumulate)
    tail = fma(step, np.arange(vector_count, count), start, accumulate)
    return _to_dtype(np.concatenate([vector_part.reshape(-1), tail]), dtype)


# ----- linspace -------------------------------------------------------------------------------
def _two_sided(start, end, step, steps, compute):
    """linspace's formula: from the start for the first half, from the end for the second."""
    index = np.arange(steps)
    from_start = compute(step, index, start)
    from_end = compute(-step, steps - index - 1, end)
    if np.isnan(step):
        from_end = np.full_like(from_end, step)  # x86 propagates the NaN operand, sign kept
    return np.where(index < steps // 2, from_start, from_end)


def _half_ops(half_type):
    """c10::Half/BFloat16 arithmetic: each operation in float32, rounded back to the half type."""

    def round_half(x):
        return np.asarray(x, np.float32).astype(half_type).astype(np.float32)

    def multiply_add(step, index, base):
        scaled = round_half(np.float32(step) * round_half(np.asarray(index, np.float32)))
        return round_half(np.float32(base) + scaled)

    return round_half, multiply_add


def linspace_values(start, end, steps: int, dtype: dt.dtype) -> np.ndarray:
    """torch.linspace's elements for steps >= 2 (start and end already converted to dtype)."""
    if dtype.is_complex:
        real = linspace_values(start.real, end.real, steps, dtype.to_real())
        imag = linspace_values(start.imag, end.imag, steps, dtype.to_real())
        return (real + 1j * imag).astype(dtype._np)
    if dtype in (dt.float32, dt.float64):
        kind = dtype._np.type
        step = kind(kind(end) - kind(start)) / kind(steps - 1)
        return _two_sided(kind(start), kind(end), step, steps, lambda a, b, c: fma(a, b, c, kind))
    if dtype in (dt.float16, dt.bfloat16):
        round_half, multiply_add = _half_ops(dtype._np)
        difference = round_half(np.float32(end) - np.float32(start))
        step = round_half(difference / round_half(np.float32(steps - 1)))
        values = _two_sided(start, end, step, steps, multiply_add)
        return values.astype(dtype._np)
    # Integer dtypes step in double from the already converted (wrapped) ends.
    step = (float(end) - float(start)) / (steps - 1)
    values = _two_sided(float(start), float(end), step, steps, lambda a, b, c: fma(a, b, c, _F64))
    return float_to_int(values, dtype._np)


# ----- logspace -------------------------------------------------------------------------------
def logspace_values(start, end, steps: int, base: float, dtype: dt.dtype) -> np.ndarray:
    """torch.logspace's elements for steps >= 2: pow(base, exponent) with exponents in double."""
    if dtype.is_complex:
        exponents = linspace_values(start, end, steps, dtype)
        return np.power(dtype._np.type(base), exponents).astype(dtype._np)
    if dtype._category == dt._INT:
        span = int(end) - int(start)  # C++ promotes narrow integers to int before subtracting
    else:
        span = np.asarray(end, dtype._np) - np.asarray(start, dtype._np)
    step = float(span) / (steps - 1)
    index = np.arange(steps)
    # This loop is compiled without FMA in torch: plain double multiply, then add.
    with np.errstate(invalid="ignore"):
        from_start = float(start) + step * index.astype(_F64)
        from_end = float(end) - step * (steps - index - 1).astype(_F64)
    exponents = np.where(index < steps // 2, from_start, from_end)
    powers = np.array([pow_(base, e) for e in exponents.tolist()], _F64)
    return _to_dtype(powers, dtype)


def pow_(base: float, exponent: float) -> float:
    """C's pow (math.pow), with inf and nan where Python would raise."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan
