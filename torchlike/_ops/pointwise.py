"""Elementwise ops: arithmetic, math functions, comparisons, logical and bitwise ops."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _dtype as dt
from .registry import PROMOTE_BINARY, PROMOTE_FLOAT, op

_BINARY = dict(tensors=("input", "other"), promote=PROMOTE_BINARY, inplace=True)


def _default_float(x):
    return x.astype(dt.get_default_dtype()._np) if not jnp.issubdtype(x.dtype, jnp.inexact) else x


def _scaled(other, alpha):
    return other if alpha == 1 else other * jnp.asarray(alpha, other.dtype)






@op(grad_fn="AddBackward0", **_BINARY)
def add(input, other, *, alpha=1):
    return input + _scaled(other, alpha)


@op(grad_fn="SubBackward0", **_BINARY, saves="none")
def sub(input, other, *, alpha=1):
    return input - _scaled(other, alpha)


@op(grad_fn="RsubBackward1", tensors=("input", "other"), promote=PROMOTE_BINARY, method=False,
    scalar_edges=False)  # fmt: skip
def rsub(input, other, *, alpha=1):
    return other - _scaled(input, alpha)


@op(grad_fn="MulBackward0", **_BINARY)
def mul(input, other):
    return input * other


def _div_name(args, kwargs):
    return "DivBackward0" if kwargs.get("rounding_mode") is None else "DivBackward2"


@op(grad_fn=_div_name, **_BINARY)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _default_float(input) / _default_float(other)
    if rounding_mode == "trunc":
        if jnp.issubdtype(input.dtype, jnp.integer):
            return jax.lax.div(input, other)
        return jnp.trunc(input / other)
    if rounding_mode == "floor":
        return jnp.floor_divide(input, other)
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


@op(grad_fn="DivBackward0", **_BINARY)
def true_divide(input, other):
    return _default_float(input) / _default_float(other)


@op(grad_fn="FloorDivideBackward0", **_BINARY, differentiable=False)
def floor_divide(input, other):
    return jnp.floor_divide(input, other)


@op(grad_fn="RemainderBackward0", **_BINARY)
def remainder(input, other):
    return jnp.remainder(input, other)


@op(grad_fn="FmodBackward0", **_BINARY)
def fmod(input, other):
    return jnp.fmod(input, other)


@op(grad_fn="Atan2Backward0", tensors=("input", "other"), promote=PROMOTE_FLOAT, inplace=True)
def atan2(input, other):
    return jnp.arctan2(input, other)


@op(grad_fn="MaximumBackward0", tensors=("input", "other"), promote=PROMOTE_BINARY)
def maximum(input, other):
    return jnp.maximum(input, other)


@op(grad_fn="MinimumBackward0", tensors=("input", "other"), promote=PROMOTE_BINARY)
def minimum(input, other):
    return jnp.minimum(input, other)


@op(grad_fn="FmaxBackward0", tensors=("input", "other"), promote=PROMOTE_BINARY)
def fmax(input, other):
    return jnp.fmax(input, other)


@op(grad_fn="FminBackward0", tensors=("input", "other"), promote=PROMOTE_BINARY)
def fmin(input, other):
    return jnp.fmin(input, other)


@op(grad_fn="HypotBackward0", **_BINARY)
def hypot(input, other):
    return jnp.hypot(input, other)


@op(grad_fn="CopysignBackward0", tensors=("input", "other"), promote=PROMOTE_FLOAT, inplace=True)
def copysign(input, other):
    return jnp.copysign(input, other)


@op(grad_fn="LogaddexpBackward0", tensors=("input", "other"), promote=PROMOTE_FLOAT)
def logaddexp(input, other):
    return jnp.logaddexp(input, other)


@op(grad_fn="XlogyBackward0", **_BINARY)
def xlogy(input, other):
    return jax.scipy.special.xlogy(_default_float(input), _default_float(other))


def _lerp_name(args, kwargs):
    weight = args[2] if len(args) > 2 else kwargs.get("weight")
    return "LerpBackward1" if hasattr(weight, "shape") else "LerpBackward0"


@op(grad_fn=_lerp_name, tensors=("input", "end", "weight"), promote=PROMOTE_BINARY, inplace=True)
def lerp(input, end, weight):
    return input + weight * (end - input)


@op(grad_fn="AddcmulBackward0", tensors=("input", "tensor1", "tensor2"), promote=PROMOTE_BINARY,
    inplace=True)  # fmt: skip
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + _scaled(tensor1 * tensor2, value)


@op(grad_fn="AddcdivBackward0", tensors=("input", "tensor1", "tensor2"), promote=PROMOTE_BINARY,
    inplace=True)  # fmt: skip
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + _scaled(tensor1 / tensor2, value)


def _pow_name(args, kwargs):
    base = args[0] if args else kwargs.get("input", kwargs.get("self"))
    exponent = args[1] if len(args) > 1 else kwargs.get("exponent")
    if not hasattr(base, "shape"):
        return "PowBackward2"
    return "PowBackward1" if hasattr(exponent, "shape") else "PowBackward0"


@op(grad_fn=_pow_name, tensors=("input",), promote=PROMOTE_BINARY, inplace=True)
def pow(input, exponent):
    if not hasattr(exponent, "dtype"):
        if isinstance(exponent, float) and not jnp.issubdtype(input.dtype, jnp.inexact):
            input = _default_float(input)
        elif isinstance(exponent, int) and not isinstance(exponent, bool):
            return jax.lax.integer_pow(input, exponent) if exponent >= 0 else input**exponent
        return jnp.power(input, jnp.asarray(exponent, input.dtype))
    return jnp.power(input, exponent)


@op(grad_fn="PowBackward2", tensors=("exponent",), promote=PROMOTE_BINARY, function=False,
    method=False)  # fmt: skip
def pow_scalar_base(exponent, *, base):
    if isinstance(base, float) and not jnp.issubdtype(exponent.dtype, jnp.inexact):
        exponent = _default_float(exponent)
    return jnp.power(jnp.asarray(base, exponent.dtype), exponent)


def _clamp_name(args, kwargs):
    bounds = list(args[1:3]) + [kwargs.get("min"), kwargs.get("max")]
    return "ClampBackward0" if any(hasattr(b, "shape") for b in bounds) else "ClampBackward1"


@op(grad_fn=_clamp_name, tensors=("input",), promote=PROMOTE_BINARY, inplace=True,
    inplace_function=True)  # fmt: skip
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min is not None:
        input = jnp.maximum(input, jnp.asarray(min, input.dtype))
    if max is not None:
        input = jnp.minimum(input, jnp.asarray(max, input.dtype))
    return input


@op(grad_fn="WhereBackward0", tensors=("condition", "input", "other"), promote=PROMOTE_BINARY,
    promote_skip=1, method=False)  # fmt: skip
def where(condition, input, other):
    return jnp.where(condition, input, other)


@op(grad_fn="MaskedFillBackward0", tensors=("input", "mask"), inplace=True, function=True)
def masked_fill(input, mask, value):
    if not mask.dtype == jnp.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    value = value.astype(input.dtype) if hasattr(value, "astype") else value
    return jnp.where(mask, jnp.asarray(value, input.dtype), input)


def _unary(name, jnp_fn, grad_fn, promote=PROMOTE_FLOAT, inplace=True, saves="inputs", **kw):
    def impl(input):
        return jnp_fn(input)

    impl.__name__ = name
    op(name, grad_fn=grad_fn, promote=promote, inplace=inplace, saves=saves, **kw)(impl)


_FLOAT_UNARY = {
    "exp": (jnp.exp, "output"), "exp2": (jnp.exp2, "output"), "expm1": (jnp.expm1, "output"),
    "log": (jnp.log, "inputs"), "log2": (jnp.log2, "inputs"), "log10": (jnp.log10, "inputs"),
    "log1p": (jnp.log1p, "inputs"), "sqrt": (jnp.sqrt, "output"),
    "rsqrt": (jax.lax.rsqrt, "output"), "sin": (jnp.sin, "inputs"), "cos": (jnp.cos, "inputs"),
    "tan": (jnp.tan, "output"), "asin": (jnp.arcsin, "inputs"), "acos": (jnp.arccos, "inputs"),
    "atan": (jnp.arctan, "inputs"), "sinh": (jnp.sinh, "inputs"), "cosh": (jnp.cosh, "inputs"),
    "tanh": (jnp.tanh, "output"), "asinh": (jnp.arcsinh, "inputs"),
    "acosh": (jnp.arccosh, "inputs"), "atanh": (jnp.arctanh, "inputs"),
    "sigmoid": (jax.nn.sigmoid, "output"), "erf": (jax.scipy.special.erf, "inputs"),
    "erfc": (jax.scipy.special.erfc, "inputs"), "erfinv": (jax.scipy.special.erfinv, "inputs"),
    "reciprocal": (jnp.reciprocal, "output"), "lgamma": (jax.scipy.special.gammaln, "inputs"),
    "digamma": (jax.scipy.special.digamma, "inputs"), "sinc": (jnp.sinc, "inputs"),
}  # fmt: skip
for _name, (_fn, _saves) in _FLOAT_UNARY.items():
    _unary(_name, _fn, f"{_name.capitalize()}Backward0", saves=_saves, inplace_function=True)

_SAME_DTYPE_UNARY = {
    "neg": (jnp.negative, "NegBackward0"), "abs": (jnp.abs, "AbsBackward0"),
    "sign": (jnp.sign, "SignBackward0"), "floor": (jnp.floor, "FloorBackward0"),
    "ceil": (jnp.ceil, "CeilBackward0"), "trunc": (jnp.trunc, "TruncBackward0"),
    "frac": (lambda x: x - jnp.trunc(x), "FracBackward0"), "relu": (jax.nn.relu, "ReluBackward0"),
    "square": (jnp.square, "PowBackward0"), "sgn": (jnp.sign, "SgnBackward0"),
}  # fmt: skip
for _name, (_fn, _grad) in _SAME_DTYPE_UNARY.items():
    _unary(_name, _fn, _grad, promote=None, inplace_function=_name in ("relu", "neg", "abs"))

op("negative", grad_fn="NegBackward0", inplace=True)(lambda input: jnp.negative(input))
op("absolute", grad_fn="AbsBackward0", inplace=True)(lambda input: jnp.abs(input))
op("fix", grad_fn="TruncBackward0", inplace=True)(lambda input: jnp.trunc(input))


@op(grad_fn="RoundBackward0", inplace=True)
def round(input, *, decimals=0):
    if decimals == 0:
        return jnp.round(input)
    return jnp.round(input, decimals)


@op(grad_fn="NanToNumBackward0", inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@op(grad_fn="CloneBackward0", inplace=False)
def clone(input, *, memory_format=None):
    return jnp.array(input, copy=True)


@op(grad_fn=None, differentiable=False, inplace=False, promote=None)
def isnan(input):
    return jnp.isnan(input)


op("isinf", grad_fn=None, differentiable=False)(lambda input: jnp.isinf(input))
op("isfinite", grad_fn=None, differentiable=False)(lambda input: jnp.isfinite(input))
op("signbit", grad_fn=None, differentiable=False)(lambda input: jnp.signbit(input))


def _compare(name, jnp_fn, aliases=()):
    def impl(input, other):
        return jnp_fn(input, other)

    for alias in (name, *aliases):
        op(alias, grad_fn=None, tensors=("input", "other"), promote=PROMOTE_BINARY,
           differentiable=False, inplace=True)(impl)  # fmt: skip


_compare("eq", jnp.equal)
_compare("ne", jnp.not_equal, ("not_equal",))
_compare("lt", jnp.less, ("less",))
_compare("le", jnp.less_equal, ("less_equal",))
_compare("gt", jnp.greater, ("greater",))
_compare("ge", jnp.greater_equal, ("greater_equal",))


def _logical(name, jnp_fn):
    def impl(input, other):
        return jnp_fn(input.astype(bool), other.astype(bool))

    op(name, grad_fn=None, tensors=("input", "other"), differentiable=False, inplace=True)(impl)


_logical("logical_and", jnp.logical_and)
_logical("logical_or", jnp.logical_or)
_logical("logical_xor", jnp.logical_xor)
op("logical_not", grad_fn=None, differentiable=False, inplace=True)(
    lambda input: jnp.logical_not(input.astype(bool))
)


def _bitwise(name, jnp_fn):
    def impl(input, other):
        if jnp.issubdtype(input.dtype, jnp.inexact):
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        return jnp_fn(input, other)

    op(name, grad_fn=None, tensors=("input", "other"), promote=PROMOTE_BINARY,
       differentiable=False, inplace=True)(impl)  # fmt: skip


_bitwise("bitwise_and", jnp.bitwise_and)
_bitwise("bitwise_or", jnp.bitwise_or)
_bitwise("bitwise_xor", jnp.bitwise_xor)
_bitwise("bitwise_left_shift", jnp.left_shift)
_bitwise("bitwise_right_shift", jnp.right_shift)


@op(grad_fn="FillBackward0", tensors=("input", "value"), function=False, method=False,
    inplace=True, scalar_edges=False)  # fmt: skip
def fill(input, value):
    return jnp.full_like(input, value)


@op(grad_fn="ZeroBackward0", function=False, method=False, inplace=True)
def zero(input):
    return jnp.zeros_like(input)


@op(grad_fn="CopyBackwards", tensors=("input", "src"), function=False, method=False,
    inplace=True)  # fmt: skip
def copy(input, src, non_blocking=False):
    return jnp.broadcast_to(src.astype(input.dtype), input.shape)


@op(grad_fn=None, differentiable=False, inplace=True)
def bitwise_not(input):
    if jnp.issubdtype(input.dtype, jnp.inexact):
        raise TypeError("bitwise_not_cpu not implemented for 'Float'")
    return jnp.logical_not(input) if input.dtype == jnp.bool_ else jnp.bitwise_not(input)
