"""Continuous distributions of torch's CPU generator, returning numpy arrays in C order.

Each function draws exactly the engine words torch draws, in the same order, and rounds
exactly where torch rounds. For a non-contiguous target, draw the values for the element
count and place them with `layout.place_in_fill_order`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .dtypes import as_shape, float_dtype, fmt_double, numel, scalar_type_name
from .engine import CPUGeneratorState
from .exact_fma import add_round_f32, fma64
from .integers import randint, random_, random_from_to, randperm  # noqa: F401 (re-exported)
from .normal_kernels import _libm, normal_scalar_path, normal_vector_path

_TWO_POW_M24 = 2.0**-24


def _check_uniform_bounds(low: float, high: float, dtype: np.dtype) -> None:
    finite_max = float(np.finfo(dtype).max)
    cpp_name = "float" if dtype == np.float32 else "double"
    for name, value in (("from", low), ("to", high)):
        if not -finite_max <= value <= finite_max:
            raise RuntimeError(f"{name} is out of bounds for {cpp_name}")
    if not low <= high:
        raise RuntimeError(
            "uniform_ expects to return a [from, to) range, but found "
            f"from={fmt_double(low)} > to={fmt_double(high)}"
        )
    if not high - low <= finite_max:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{scalar_type_name(dtype)}>::max(), "
            f"but found to={fmt_double(high)} and from={fmt_double(low)} "
            "which result in to-from to exceed the limit"
        )


def _lowest_bit(value: float) -> Fraction:
    num, den = abs(value).as_integer_ratio()
    return Fraction(num & -num, den)


def _sum_exact_in_double(low: np.float32, span: np.float32) -> bool:
    """True when every k * 2**-24 * span + low (k < 2**24) is exactly a double."""
    if low == 0 or span == 0:
        return True
    grain = min(_lowest_bit(float(span)) * Fraction(1, 1 << 24), _lowest_bit(float(low)))
    return abs(Fraction(float(low))) + Fraction(float(span)) < grain * (1 << 53)


def _uniform_f32(gen: CPUGeneratorState, count: int, low: float, high: float) -> np.ndarray:
    low32, high32 = np.float32(low), np.float32(high)
    span = high32 - low32  # rounded in float32, as torch's kernel does
    numerators = gen.low24(count)
    if low32 == 0 and span == 1:
        return numerators.astype(np.float32) * np.float32(_TWO_POW_M24)
    # u * span is exact in double (24 x 24 bits); only the addition of `low` can round.
    product = numerators.astype(np.float64)
    product *= float(span) * _TWO_POW_M24
    if _sum_exact_in_double(low32, span):
        product += float(low32)
        values = product.astype(np.float32)
    else:
        values = add_round_f32(product, float(low32))
    values[values == high32] = low32  # torch maps a value rounded up onto `to` back to `from`
    return values


def _uniform_f64(gen: CPUGeneratorState, count: int, low: float, high: float) -> np.ndarray:
    span = high - low
    u = gen.uniform64(count)
    if low == 0 and span == 1:
        return u
    values = fma64(u, span, low)
    values[values == high] = low
    return values


def uniform(gen: CPUGeneratorState, shape, dtype="float32", low=0.0, high=1.0) -> np.ndarray:
    """Tensor.uniform_(low, high) / torch.rand (low=0, high=1) on a new tensor of `shape`."""
    dtype = float_dtype(dtype, "check_uniform_bounds")
    shape = as_shape(shape)
    low, high = float(low), float(high)
    _check_uniform_bounds(low, high, dtype)
    count = numel(shape)
    if count == 0:
        return np.empty(shape, dtype=dtype)
    fill = _uniform_f64 if dtype == np.float64 else _uniform_f32
    return fill(gen, count, low, high).reshape(shape)


def _check_std(std: float) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {fmt_double(std)}")


def normal(
    gen: CPUGeneratorState,
    shape,
    dtype="float32",
    mean=0.0,
    std=1.0,
    contiguous: bool = True,
) -> np.ndarray:
    """Tensor.normal_(mean, std) / torch.randn; `contiguous=False` forces torch's scalar path."""
    dtype = float_dtype(dtype, "normal_kernel_cpu")
    shape = as_shape(shape)
    mean, std = float(mean), float(std)
    _check_std(std)
    count = numel(shape)
    if count == 0:
        return np.empty(shape, dtype=dtype)
    if count >= 16 and contiguous:
        values = normal_vector_path(gen, count, dtype, mean, std)
    else:
        values = normal_scalar_path(gen, count, dtype, mean, std)
    return values.reshape(shape)


def broadcast_shape(shape_a, shape_b) -> tuple[int, ...]:
    """Broadcast two shapes with torch's error message on mismatch."""
    ndim = max(len(shape_a), len(shape_b))
    out = []
    for dim in range(ndim):
        offset = ndim - 1 - dim
        size_a = shape_a[len(shape_a) - 1 - offset] if offset < len(shape_a) else 1
        size_b = shape_b[len(shape_b) - 1 - offset] if offset < len(shape_b) else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise RuntimeError(
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                f"at non-singleton dimension {dim}"
            )
        out.append(size_b if size_a == 1 else size_a)
    return tuple(out)


def _check_std_array(std: np.ndarray) -> None:
    if std.size and not std.min() >= 0:
        raise RuntimeError("normal expects all elements of std >= 0.0")


def normal_tensor(gen: CPUGeneratorState, mean, std) -> np.ndarray:
    """torch.normal(mean, std) where mean and/or std is a tensor (the three tensor overloads)."""
    mean_is_array = isinstance(mean, np.ndarray)
    std_is_array = isinstance(std, np.ndarray)
    if mean_is_array and not std_is_array:
        _check_std(float(std))
        out = normal(gen, mean.shape, mean.dtype, 0.0, float(std))
        return out + mean
    if std_is_array and not mean_is_array:
        _check_std_array(std)
        out = normal(gen, std.shape, std.dtype, 0.0, 1.0)
        out = out * std
        return out + out.dtype.type(mean)  # torch adds mean as a 0-d tensor of out's dtype
    if not (mean_is_array and std_is_array):
        raise TypeError("normal_tensor needs mean or std as an array; use normal() for floats")
    _check_std_array(std)
    shape = broadcast_shape(mean.shape, std.shape)
    out = normal(gen, shape, mean.dtype, 0.0, 1.0)
    out = (out * std).astype(mean.dtype)
    return (out + mean).astype(mean.dtype)


def exponential(gen: CPUGeneratorState, shape, dtype="float32", lambd=1.0) -> np.ndarray:
    """Tensor.exponential_(lambd): (-1/lambd) * log1p(-u) in double, then rounded."""
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(
            f"exponential_ expects lambda > 0.0, but found lambda={fmt_double(lambd)}"
        )
    shape = as_shape(shape)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. "
            f"dtype must be a floating point but you specified {scalar_type_name(dtype)}"
        )
    dtype = float_dtype(dtype, "exponential_cpu")
    u = gen.uniform64(numel(shape))
    values = (-1.0 / lambd) * _libm(math.log1p, -u)
    return values.astype(dtype).reshape(shape)


def log_normal(gen: CPUGeneratorState, shape, dtype="float32", mean=1.0, std=2.0) -> np.ndarray:
    """Tensor.log_normal_(mean, std): exp of the scalar-path normal sample, in double."""
    std = float(std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={fmt_double(std)}")
    dtype = float_dtype(dtype, "log_normal_cpu")
    shape = as_shape(shape)
    z = normal_scalar_path(gen, numel(shape), np.float64, float(mean), std)
    return _libm(_exp, z).astype(dtype).reshape(shape)


def cauchy(gen: CPUGeneratorState, shape, dtype="float32", median=0.0, sigma=1.0) -> np.ndarray:
    """Tensor.cauchy_(median, sigma): median + sigma * tan(pi * (u - 0.5)) in double."""
    sigma = float(sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={fmt_double(sigma)}")
    dtype = float_dtype(dtype, "cauchy_cpu")
    shape = as_shape(shape)
    u = gen.uniform64(numel(shape))
    tangent = _libm(math.tan, math.pi * (u - 0.5))
    return fma64(sigma, tangent, float(median)).astype(dtype).reshape(shape)


def geometric(gen: CPUGeneratorState, shape, dtype="float32", p=0.5) -> np.ndarray:
    """Tensor.geometric_(p): ceil(log(u) / log1p(-p)) in double."""
    p = float(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={fmt_double(p)}")
    shape = as_shape(shape)
    u = gen.uniform64(numel(shape))
    with np.errstate(divide="ignore"):
        values = np.ceil(_libm(_safe_log, u) / math.log1p(-p))
    return values.astype(np.dtype(dtype)).reshape(shape)


def _safe_log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _exp(x: float) -> float:
    # C's exp overflows to inf where Python's math.exp raises.
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf
