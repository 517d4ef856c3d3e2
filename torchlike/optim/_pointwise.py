"""torch's CPU pointwise kernels as optimizers use them, rounded the way torch rounds them.

Each helper computes one torch kernel (`add(other, alpha=)`, `addcmul`, `addcdiv`, `lerp`,
`mul` by a Python scalar, ...) over JAX arrays. A Python-float scalar is first rounded to the
kernel's math dtype, as torch does. The arithmetic runs in float64 and is rounded to the tensor's
precision exactly where torch's kernel rounds (once after a fused multiply-add, where torch's
vectorised kernel uses one). The rounding is explicit (`reduce_precision`) because the CPU
compiler otherwise contracts a multiply and a later add into one fused multiply-add, even across
a float32 -> float64 conversion, which would make results depend on how XLA fuses the step; a
float32 tensor times a float32 value is a float32 multiply kept out of later adds (`_kept`).
Float64 tensors get plain float64 arithmetic. Each helper is its own cached `jax.jit` kernel, so
the per-tensor path (`foreach=False`) costs one dispatch per torch kernel and gives the same bits
as the whole-group program.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

_HALF = (jnp.float16, jnp.bfloat16)
# XLA may otherwise keep float64 intermediates where the program rounds to float32 (it drops
# float32 -> float64 round trips on GPU), so compiled steps would differ from torch's rounding.
STRICT_ROUNDING = {"xla_allow_excess_precision": False}


def _kernel(fn):
    """`fn` as its own compiled kernel when called eagerly; inlined when traced in a program."""
    compiled = jax.jit(fn, compiler_options=STRICT_ROUNDING)

    @functools.wraps(fn)
    def run(*args):
        if any(isinstance(arg, jax.core.Tracer) for arg in args):
            return fn(*args)
        return compiled(*args)

    return run


def math_dtype(dtype):
    """The dtype torch's CPU kernels compute in for tensors of `dtype` (float for half types)."""
    return jnp.float32 if dtype in _HALF else dtype


def _wide(dtype):
    return jnp.float64 if dtype in (jnp.float32, *_HALF) else dtype


def _widen(x):
    return x.astype(_wide(x.dtype))


def _round(value, dtype):
    """A float64 intermediate rounded to `dtype`'s precision (kept in float64 if wider).

    To float32 this is a conversion round trip: the same bits as `reduce_precision` (XLA's CPU
    runtime flushes subnormals in both), about 14x faster on XLA's CPU backend. A rounded
    product must use `_round_product` instead (see there).
    """
    if value.dtype == dtype:
        return value
    if dtype == jnp.float32:
        return value.astype(dtype).astype(value.dtype)
    return _round_product(value, dtype)


def _kept(product, x):
    """A float32 product of float32 operands, kept rounded to float32.

    A float32 multiply rounds exactly as `_round_product` of the float64 product (which is
    exact) but costs a fraction of reduce_precision's bit operations. The select stops LLVM from
    fusing the multiply into a later add (a product that feeds only a select is no
    multiply-add operand); it changes no value, as a NaN `x` makes the product NaN anyway.
    """
    return jnp.where(jnp.isnan(x), x, product)


def _round_product(value, dtype):
    """`_round` for a product of two float32 values, with `reduce_precision`: LLVM narrows such
    a rounded product to a float32 multiply and then fuses it into a later add (one rounding
    fewer) across a conversion round trip, but not across reduce_precision's bit operations."""
    if value.dtype == dtype:
        return value
    info = jnp.finfo(dtype)
    return jax.lax.reduce_precision(value, exponent_bits=info.nexp, mantissa_bits=info.nmant)


def _finish(value, dtype, rounding=_round):
    """The kernel's result: rounded to its math dtype, then stored in the tensor's dtype."""
    math = math_dtype(dtype)
    value = rounding(value, math)
    if math != dtype:  # a half type: rounded once more (rounding again to float32 changes nothing)
        value = rounding(value, dtype)
    return value.astype(dtype)


def scalar(value, dtype):
    """A Python (or traced float64) scalar rounded to the kernel math dtype of `dtype`, widened."""
    rounded = jnp.asarray(value, jnp.float64).astype(math_dtype(dtype))
    return rounded.astype(_wide(dtype))


@_kernel
def mul(x, value):
    """torch `x.mul(python_scalar)`."""
    if x.dtype == jnp.float32:
        return _kept(x * jnp.asarray(value, jnp.float64).astype(x.dtype), x)
    return _finish(_widen(x) * scalar(value, x.dtype), x.dtype, _round_product)


@_kernel
def mul_tensor(x, y):
    """torch `x * y`."""
    if x.dtype == jnp.float32 and y.dtype == jnp.float32:
        return _kept(x * y, x)
    return _finish(_widen(x) * _widen(y), x.dtype, _round_product)


@_kernel
def div_tensor(x, y):
    """torch `x / y`."""
    return _finish(_widen(x) / _widen(y), x.dtype)


@_kernel
def add(x, other, alpha=1.0):
    """torch `x.add(other, alpha=alpha)`: one fused multiply-add, fma(other, alpha, x)."""
    return _finish(_widen(other) * scalar(alpha, x.dtype) + _widen(x), x.dtype)


@_kernel
def add_scalar(x, value):
    """torch `x.add(python_scalar)`."""
    return _finish(_widen(x) + scalar(value, x.dtype), x.dtype)


@_kernel
def div_scalar(x, value):
    """torch `x / python_scalar`: a true division (XLA's `x * (1 / c)` rewrite of it happens in
    float64, far below float32 rounding)."""
    return _finish(_widen(x) / scalar(value, x.dtype), x.dtype)


@_kernel
def rdiv_scalar(value, x):
    """torch `python_scalar / x`."""
    return _finish(scalar(value, x.dtype) / _widen(x), x.dtype)


@_kernel
def addcmul(x, t1, t2, value=1.0):
    """torch `x.addcmul(t1, t2, value=value)`: fma(value * t1, t2, x)."""
    math = math_dtype(x.dtype)
    scaled = _round(scalar(value, x.dtype) * _widen(t1), math)
    return _finish(scaled * _widen(t2) + _widen(x), x.dtype)


@_kernel
def addcdiv(x, t1, t2, value=1.0):
    """torch `x.addcdiv(t1, t2, value=value)`: x + (value * t1) / t2."""
    math = math_dtype(x.dtype)
    scaled = _round(scalar(value, x.dtype) * _widen(t1), math)
    quotient = _round(scaled / _widen(t2), math)
    return _finish(_widen(x) + quotient, x.dtype)


@_kernel
def lerp(start, end, weight):
    """torch `start.lerp(end, python_scalar_weight)` with its two-sided formula."""
    math = math_dtype(start.dtype)
    w = scalar(weight, start.dtype)
    s, e = _widen(start), _widen(end)
    diff = _round(e - s, math)
    # |w| < 0.5: fma(w, end - start, start); else fma(w - 1, end - start, end). The scalar
    # picks the coefficient and the base first, so each element computes one multiply-add.
    small = jnp.abs(w) < 0.5
    coefficient = jnp.where(small, w, _round(w - 1, math))
    return _finish(coefficient * diff + jnp.where(small, s, e), start.dtype)


def maximum(a, b):
    """torch.maximum (NaN-propagating)."""
    return jnp.maximum(a, b)


@_kernel
def sqrt(x):
    """torch.sqrt, correctly rounded."""
    return _finish(jnp.sqrt(_widen(x)), x.dtype)


def neg(x):
    """torch `-x`."""
    return -x
