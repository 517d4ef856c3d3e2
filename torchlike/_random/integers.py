"""Integer sampling of torch's CPU generator: randint, Tensor.random_ and randperm."""

from __future__ import annotations

import warnings

import numpy as np

from .dtypes import (
    CPP_TYPE_NAMES,
    INT64_MAX,
    INT64_MIN,
    as_shape,
    integer_bounds,
    is_float,
    numel,
    scalar_type_name,
)
from .engine import CPUGeneratorState

# Ranges of at least 2**28 take 64-bit draws (public builds; Meta-internal ones use 2**32).
_WIDE_RANGE = 1 << 28
# randperm switches to an inside-out shuffle with 64-bit draws from this n on.
RANDPERM_WIDE_MIN = (2**32 - 1) // 20
_FLOAT_DIGITS = {np.dtype(np.float32): 24, np.dtype(np.float64): 53}
_C_INT_NAMES = {
    np.dtype(np.int8): "int8_t",
    np.dtype(np.uint8): "uint8_t",
    np.dtype(np.int16): "int16_t",
    np.dtype(np.int32): "int32_t",
}


def _as_int64(value) -> int:
    value = int(value)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return value


def _supported(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype not in _FLOAT_DIGITS:
        raise NotImplementedError(f"random integers for {dtype} are not reproduced")
    return dtype


def _round_trip(value: int, dtype) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(value)) for a float dtype."""
    return int(np.array(value, dtype=np.int64).astype(dtype))


def _update_from(low: int, dtype) -> int:
    # Move `from` up when casting it to the float dtype would round it below itself.
    rounded = _round_trip(low + 1, dtype)
    if rounded < low:
        n = max(abs(low + 1).bit_length() - 1, 0)
        low = rounded + (1 << (n - _FLOAT_DIGITS[np.dtype(dtype)] + 1))
    return low


def _update_to(high: int, dtype) -> int:
    # Move `to` down when casting to - 1 to the float dtype would round it up to `to`.
    rounded = _round_trip(high - 1, dtype)
    if rounded >= high:
        n = max(abs(high - 1).bit_length() - 1, 0)
        high = rounded - (1 << (n - _FLOAT_DIGITS[np.dtype(dtype)] + 1))
    return high


def _check_in_range(low: int, to_inc: int, dtype: np.dtype) -> None:
    cpp_name = CPP_TYPE_NAMES.get(dtype, str(dtype))
    if is_float(dtype):
        digits = _FLOAT_DIGITS[dtype]
        for name, value in (("from", low), ("to - 1", to_inc)):
            if not -(1 << digits) <= value <= (1 << digits):
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {cpp_name} can support discrete uniform distribution only "
                    "within this range. This warning will become an error in version 1.7 "
                    "release, please fix the code in advance",
                    UserWarning,
                    stacklevel=4,
                )
        return
    lowest, highest = (0, INT64_MAX) if dtype == np.uint64 else integer_bounds(dtype)
    for name, value in (("from", low), ("to - 1", to_inc)):
        if not lowest <= value <= highest:
            raise RuntimeError(f"{name} is out of bounds for {cpp_name}")


def draw_from_to(gen: CPUGeneratorState, count: int, span: int, low: int) -> np.ndarray:
    """int64((x mod span) + low) per element, x a 32- or 64-bit draw depending on span."""
    if span >= _WIDE_RANGE:
        wide = gen.next64(count) % np.uint64(span)
        return (wide + np.uint64(low % (1 << 64))).view(np.int64)
    narrow = (gen.next32(count) % np.uint32(span)).astype(np.int64)
    return narrow + np.int64(low)


def random_from_to(gen: CPUGeneratorState, shape, dtype, low, high=None) -> np.ndarray:
    """Tensor.random_(from, to): integers in [low, high); high=None means up to dtype's max."""
    dtype = _supported(dtype)
    shape = as_shape(shape)
    low = _as_int64(low)
    count = numel(shape)
    if high is not None:
        high = _as_int64(high)
        if not low < high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        if is_float(dtype):
            low, high = _update_from(low, dtype), _update_to(high, dtype)
            if not low < high:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={low} >= to={high}"
                )
        _check_in_range(low, high - 1, dtype)
        span = (high - low) % (1 << 64)
    elif low != INT64_MIN:
        if is_float(dtype):
            to_inc = 1 << _FLOAT_DIGITS[dtype]
            low = _update_from(low, dtype)
            if not low < to_inc:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than or equal to "
                    f"'to_inc' casted to dtype, but got from={low} > to_inc={to_inc}"
                )
        else:
            to_inc = integer_bounds(dtype)[1]
        _check_in_range(low, to_inc, dtype)
        span = (to_inc - low + 1) % (1 << 64)
    else:
        return _full_64_bit_range(gen, shape, dtype)
    if count == 0:
        return np.empty(shape, dtype=dtype)
    return draw_from_to(gen, count, span, low).astype(dtype).reshape(shape)


def _full_64_bit_range(gen: CPUGeneratorState, shape, dtype: np.dtype) -> np.ndarray:
    count = numel(shape)
    if count == 0:
        return np.empty(shape, dtype=dtype)
    if dtype not in (np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.float64)):
        raise RuntimeError(
            "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16"
        )
    return gen.next64(count).view(np.int64).astype(dtype).reshape(shape)


def randint(gen: CPUGeneratorState, shape, low, high, dtype="int64") -> np.ndarray:
    """torch.randint(low, high, size): random_(low, high) on a new tensor."""
    return random_from_to(gen, shape, dtype, low, high)


def random_(gen: CPUGeneratorState, shape, dtype) -> np.ndarray:
    """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for integers."""
    dtype = _supported(dtype)
    shape = as_shape(shape)
    count = numel(shape)
    if dtype in (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64)):
        raise NotImplementedError(
            f"\"random_kernel_cpu\" not implemented for '{scalar_type_name(dtype)}'"
        )
    if count == 0:
        return np.empty(shape, dtype=dtype)
    if dtype == np.bool_:
        values = gen.next32(count) & np.uint32(1)
    elif dtype == np.int64:
        values = gen.next64(count) & np.uint64(INT64_MAX)
    elif dtype == np.float64:
        values = gen.next64(count) % np.uint64((1 << 53) + 1)
    elif dtype == np.float32:
        values = gen.next32(count) % np.uint32((1 << 24) + 1)
    else:
        values = gen.next32(count) % np.uint32(integer_bounds(dtype)[1] + 1)
    return values.astype(dtype).reshape(shape)


def _check_randperm(n: int, dtype: np.dtype) -> None:
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dtype == np.bool_:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if dtype == np.float32 and n > (1 << 24) + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if dtype == np.float64 and n > (1 << 53) + 1:
        raise RuntimeError("n cannot be greater than 2^53+1 for Double type.")
    if dtype in _C_INT_NAMES and n - 1 > integer_bounds(dtype)[1]:
        raise RuntimeError(
            f"value cannot be converted to type {_C_INT_NAMES[dtype]} without overflow"
        )


def randperm(gen: CPUGeneratorState, n: int, dtype="int64") -> np.ndarray:
    """torch.randperm(n): Fisher-Yates with 32-bit draws, or inside-out with 64-bit ones."""
    dtype = _supported(dtype)
    n = int(n)
    _check_randperm(n, dtype)
    if n >= RANDPERM_WIDE_MIN:
        return _randperm_inside_out(gen, n).astype(dtype)
    offsets = gen.next32(max(n - 1, 0)).astype(np.int64) % np.arange(n, 1, -1, dtype=np.int64)
    perm = list(range(n))
    for i, offset in enumerate(offsets.tolist()):
        j = i + offset
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64).astype(dtype)


def _randperm_inside_out(gen: CPUGeneratorState, n: int) -> np.ndarray:
    # Slow in Python (n >= 214748364); kept for exactness, drawn in bounded chunks.
    perm = np.empty(n, dtype=np.int64)
    chunk = 1 << 20
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        bounds = np.arange(start + 1, stop + 1, dtype=np.uint64)
        targets = (gen.next64(stop - start) % bounds).tolist()
        for i, z in zip(range(start, stop), targets):
            perm[i] = perm[z]
            perm[z] = i
    return perm
