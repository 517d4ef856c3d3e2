"""Elementwise ops: arithmetic, math functions, comparisons, logical and bitwise ops."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._device import onto_device_of
from .._tensor import Tensor
from .reduction import type_word
from .registry import PROMOTE_BINARY, PROMOTE_FLOAT, op

_BINARY = dict(tensors=("input", "other"), promote=PROMOTE_BINARY, inplace=True)


def _default_float(x):
    return x.astype(dt.get_default_dtype()._np) if not jnp.issubdtype(x.dtype, jnp.inexact) else x


def _divide(input, other):
    """input / other dividing every element, as torch does. XLA's simplifier turns a division by
    a constant, a scalar or a broadcast value into a multiplication by its reciprocal, which
    rounds differently (5 / 3 in float32 comes out one ulp high); a divisor broadcast to the
    result's shape behind an optimization barrier reaches the division as a whole array."""
    input, other = _default_float(input), _default_float(other)
    shape = jnp.broadcast_shapes(jnp.shape(input), jnp.shape(other))
    dtype = jnp.result_type(input, other)
    if jnp.shape(other) != shape and jnp.issubdtype(dtype, jnp.floating):
        other = jax.lax.optimization_barrier(jnp.broadcast_to(other.astype(dtype), shape))
    return input / other


def _scaled(other, alpha):
    return other if alpha == 1 else other * jnp.asarray(alpha, other.dtype)


def check_broadcast(*arrays) -> None:
    """torch's error for shapes that do not broadcast (sizes compared from the right)."""
    shape = ()
    for array in arrays:
        other = jnp.shape(array)
        ndim = max(len(shape), len(other))
        a, b = (1,) * (ndim - len(shape)) + shape, (1,) * (ndim - len(other)) + other
        for i in reversed(range(ndim)):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i}"
                )
        shape = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def _broadcasting(impl):
    """impl with torch's shape-mismatch error in front of JAX's."""

    @functools.wraps(impl)
    def checked(*arrays, **kwargs):
        check_broadcast(*arrays)
        return impl(*arrays, **kwargs)

    return checked


def _by_argument(tensor_name: str, scalar_name: str, position: int = 1, key: str = "other"):
    """grad_fn name chooser: torch's overloads differ when an argument is a tensor or a scalar."""

    def name(args, kwargs):
        value = args[position] if len(args) > position else kwargs.get(key)
        return tensor_name if hasattr(value, "shape") else scalar_name

    return name


def _tensor_other(impl):
    """impl for ops whose `other` must be a tensor (no Scalar overload in torch)."""

    @functools.wraps(impl)
    def checked(input, other, **kwargs):
        if not hasattr(other, "shape"):
            raise TypeError(
                f"{impl.__name__}(): argument 'other' (position 2) must be Tensor, not "
                f"{type(other).__name__}"
            )
        return impl(input, other, **kwargs)

    return checked


def no_derivative(aten: str, fn=lambda x: x):
    """fn over arrays whose backward raises torch's error for an op torch cannot differentiate.

    Wrapping the whole computation (not only its output) matters: JAX never calls the backward
    of an output whose derivative is already known to be zero (floor_divide's).
    """

    @jax.custom_vjp
    def blocked(*arrays):
        return fn(*arrays)

    def backward(_, grad):
        raise RuntimeError(f"derivative for {aten} is not implemented")

    blocked.defvjp(lambda *arrays: (fn(*arrays), None), backward)
    return blocked


def _not_implemented(kernel: str, dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{type_word(dtype)}'")


def _refuse_bool(array, kernel: str) -> None:
    """torch has no bool kernel for this op (the promoted operands are both bool)."""
    if getattr(array, "dtype", None) == jnp.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


@op(grad_fn="AddBackward0", **_BINARY)
@_broadcasting
def add(input, other, *, alpha=1):
    return input + _scaled(other, alpha)


def _refuse_bool_subtraction(input, other=None, *rest) -> None:
    """torch refuses `-` when an operand (a Python bool included) is bool."""
    bools = sum(
        isinstance(v, bool | np.bool_) or (isinstance(v, Tensor) and v.dtype is dt.bool_)
        for v in (input, other)
    )
    if bools == 2:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if bools:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


@op(grad_fn="SubBackward0", **_BINARY, saves="none", check=_refuse_bool_subtraction)
@_broadcasting
def sub(input, other, *, alpha=1):
    return input - _scaled(other, alpha)


@op(grad_fn=_by_argument("RsubBackward0", "RsubBackward1"), tensors=("input", "other"),
    promote=PROMOTE_BINARY, method=False, scalar_edges=False,
    check=_refuse_bool_subtraction)  # fmt: skip
@_broadcasting
def rsub(input, other, *, alpha=1):
    return other - _scaled(input, alpha)


@op(grad_fn="MulBackward0", **_BINARY)
@_broadcasting
def mul(input, other):
    return input * other


def _div_name(args, kwargs):
    return "DivBackward0" if kwargs.get("rounding_mode") is None else "DivBackward2"


@op(grad_fn=_div_name, **_BINARY)
@_broadcasting
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _divide(input, other)
    if rounding_mode == "trunc":
        if jnp.issubdtype(input.dtype, jnp.integer):
            return jax.lax.div(input, other)
        return jnp.trunc(_divide(input, other))
    if rounding_mode == "floor":
        return jnp.floor_divide(input, other)
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


@op(grad_fn="DivBackward0", **_BINARY)
@_broadcasting
def true_divide(input, other):
    return _divide(input, other)


@op(grad_fn="DivBackward1", promote=PROMOTE_BINARY, function=False, method=False,
    aten="aten::div")  # fmt: skip
def div_scalar(input, other):
    """aten::div.Scalar, the overload torch's own composites (cross_entropy's mean) call."""
    return _divide(input, jnp.asarray(other, _default_float(input).dtype))


def _integral(value) -> str | None:
    """'bool' or 'int' for an integral tensor or Python/numpy number, else None."""
    kind = value._value.dtype.kind if isinstance(value, Tensor) else None
    if kind == "b" or isinstance(value, bool | np.bool_):
        return "bool"
    if kind in ("i", "u") or (kind is None and isinstance(value, int | np.integer)):
        return "int"
    return None


def _refuse_integer_zero_divisor(input, other=None, *rest) -> None:
    """torch's integer floor_divide/remainder/fmod kernels raise when the divisor holds a zero
    (checked on concrete values; bool operands get their own error from the kernel)."""
    kinds = (_integral(input), _integral(other))
    if None in kinds or kinds == ("bool", "bool"):
        return
    if not isinstance(other, Tensor):
        zero = other == 0
    else:
        value = other._value
        if isinstance(value, jax.core.Tracer) or value.size == 0:
            return
        zero = not np.asarray(value).all()
    if zero:
        raise RuntimeError("ZeroDivisionError")


_FLOOR_DIVIDE_BLOCKED = no_derivative("aten::floor_divide", jnp.floor_divide)


@op(grad_fn="NotImplemented", **_BINARY, check=_refuse_integer_zero_divisor)  # backward raises
@_broadcasting
def floor_divide(input, other):
    _refuse_bool(input, "div_floor_cpu")
    return _FLOOR_DIVIDE_BLOCKED(input, other)


@op(grad_fn=_by_argument("RemainderBackward1", "RemainderBackward0"), **_BINARY,
    check=_refuse_integer_zero_divisor)  # fmt: skip
@_broadcasting
def remainder(input, other):
    _refuse_bool(input, "remainder_cpu")
    return jnp.remainder(input, other)


@op(grad_fn=_by_argument("FmodBackward1", "FmodBackward0"), **_BINARY,
    check=_refuse_integer_zero_divisor)  # fmt: skip
@_broadcasting
def fmod(input, other):
    _refuse_bool(input, "fmod_cpu")
    return jnp.fmod(input, other)


@op(grad_fn="Atan2Backward0", promote=PROMOTE_FLOAT, inplace=True)
@_tensor_other
@_broadcasting
def atan2(input, other):
    return jnp.arctan2(input, other)


@op(grad_fn="MaximumBackward0", promote=PROMOTE_BINARY)
@_tensor_other
@_broadcasting
def maximum(input, other):
    return jnp.maximum(input, other)


@op(grad_fn="MinimumBackward0", promote=PROMOTE_BINARY)
@_tensor_other
@_broadcasting
def minimum(input, other):
    return jnp.minimum(input, other)


@op(grad_fn="FmaxBackward0", promote=PROMOTE_BINARY)
@_tensor_other
@_broadcasting
def fmax(input, other):
    return jnp.where((input >= other) | jnp.isnan(other), input, other)


@op(grad_fn="FminBackward0", promote=PROMOTE_BINARY)
@_tensor_other
@_broadcasting
def fmin(input, other):
    return jnp.where((input <= other) | jnp.isnan(other), input, other)


@op(grad_fn="HypotBackward0", promote=PROMOTE_BINARY, inplace=True)
@_tensor_other
@_broadcasting
def hypot(input, other):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise _not_implemented("hypot", input.dtype)
    return jnp.hypot(input, other)


@op(grad_fn=_by_argument("CopysignBackward0", "CopysignBackward1"), tensors=("input", "other"),
    promote=PROMOTE_FLOAT, inplace=True)  # fmt: skip
@_broadcasting
def copysign(input, other):
    return jnp.copysign(input, other)


@op(grad_fn="LogaddexpBackward0", promote=PROMOTE_FLOAT)
@_tensor_other
@_broadcasting
def logaddexp(input, other):
    return jnp.logaddexp(input, other)


def _xlogy_name(args, kwargs):
    if not hasattr(args[0] if args else kwargs.get("input"), "shape"):
        return "XlogyBackward1"
    return _by_argument("XlogyBackward0", "XlogyBackward2")(args, kwargs)


@op(grad_fn=_xlogy_name, **_BINARY, inplace_function=True)
@_broadcasting
def xlogy(input, other):
    return jax.scipy.special.xlogy(_default_float(input), _default_float(other))


def _lerp_name(args, kwargs):
    weight = args[2] if len(args) > 2 else kwargs.get("weight")
    return "LerpBackward1" if hasattr(weight, "shape") else "LerpBackward0"


@op(grad_fn=_lerp_name, tensors=("input", "end", "weight"), promote=PROMOTE_BINARY, inplace=True)
@_broadcasting
def lerp(input, end, weight):
    return input + weight * (end - input)


@op(grad_fn="AddcmulBackward0", tensors=("input", "tensor1", "tensor2"), promote=PROMOTE_BINARY,
    inplace=True)  # fmt: skip
@_broadcasting
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + _scaled(tensor1 * tensor2, value)


_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes."
)


@op(grad_fn="AddcdivBackward0", tensors=("input", "tensor1", "tensor2"), promote=PROMOTE_BINARY,
    inplace=True)  # fmt: skip
@_broadcasting
def addcdiv(input, tensor1, tensor2, *, value=1):
    if not jnp.issubdtype(tensor1.dtype, jnp.inexact):
        raise RuntimeError(_ADDCDIV_INTEGER)
    return input + _scaled(tensor1 / tensor2, value)


def _pow_name(args, kwargs):
    base = args[0] if args else kwargs.get("input", kwargs.get("self"))
    exponent = args[1] if len(args) > 1 else kwargs.get("exponent")
    if not hasattr(base, "shape"):
        return "PowBackward2"
    return "PowBackward1" if hasattr(exponent, "shape") else "PowBackward0"


@op(grad_fn=_pow_name, tensors=("input",), promote=PROMOTE_BINARY, inplace=True)
def pow(input, exponent):
    if hasattr(exponent, "dtype"):  # tensor ** tensor: both promoted to one dtype
        _refuse_bool(input, "pow")
    if not hasattr(exponent, "dtype"):
        if isinstance(exponent, float) and not jnp.issubdtype(input.dtype, jnp.inexact):
            input = _default_float(input)
        elif isinstance(exponent, int) and not isinstance(exponent, bool):
            if exponent < 0 and not jnp.issubdtype(input.dtype, jnp.inexact):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            return jax.lax.integer_pow(input, exponent) if exponent >= 0 else input**exponent
        return jnp.power(input, jnp.asarray(exponent, input.dtype))
    return _power(input, exponent)


def _power(base, exponent):
    """base ** exponent; integer negative powers as torch: 1 and -1 keep magnitude, others 0."""
    dtype = jnp.result_type(base, exponent)
    if not jnp.issubdtype(dtype, jnp.integer):
        return jnp.power(base, exponent)
    base, exponent = jnp.broadcast_arrays(base.astype(dtype), exponent.astype(dtype))
    odd = exponent % 2 != 0
    negative = jnp.where(base == 1, 1, jnp.where(base == -1, jnp.where(odd, -1, 1), 0))
    return jnp.where(
        exponent < 0, negative.astype(dtype), jnp.power(base, jnp.maximum(exponent, 0))
    )


@op(grad_fn="PowBackward2", tensors=("exponent",), promote=PROMOTE_BINARY, function=False,
    method=False)  # fmt: skip
def pow_scalar_base(exponent, *, base):
    if isinstance(base, float) and not jnp.issubdtype(exponent.dtype, jnp.inexact):
        exponent = _default_float(exponent)
    return _power(jnp.asarray(base, exponent.dtype), exponent)


def _clamp_name(args, kwargs):
    bounds = list(args[1:3]) + [kwargs.get("min"), kwargs.get("max")]
    return "ClampBackward0" if any(hasattr(b, "shape") for b in bounds) else "ClampBackward1"


@op(grad_fn=_clamp_name, tensors=("input", "min", "max"), promote=PROMOTE_BINARY, inplace=True,
    inplace_function=True, scalar_edges=False)  # fmt: skip
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    # torch's gradient: 1 to input where min <= input <= max (bounds included, NaN excluded),
    # to a tensor bound where that bound is the result.
    held = jax.lax.stop_gradient(input)
    keep, clipped = jnp.ones(input.shape, bool), held
    if min is not None:
        keep = keep & (input >= min)
        clipped = jnp.where(clipped < min, min, clipped)
    if max is not None:
        keep = keep & (input <= max)
        clipped = jnp.where(clipped > max, max, clipped)
    return jnp.where(keep, input, clipped)


def _bound_name(stem):
    def name(args, kwargs):
        bound = args[1] if len(args) > 1 else next(iter(kwargs.values()), None)
        return f"{stem}Backward1" if hasattr(bound, "shape") else f"{stem}Backward0"

    return name


@op(grad_fn=_bound_name("ClampMin"), tensors=("input", "min"), promote=PROMOTE_BINARY,
    inplace=True, inplace_function=True, scalar_edges=False)  # fmt: skip
def clamp_min(input, min):
    return clamp.impl(input, min=min)


@op(grad_fn=_bound_name("ClampMax"), tensors=("input", "max"), promote=PROMOTE_BINARY,
    inplace=True, inplace_function=True, scalar_edges=False)  # fmt: skip
def clamp_max(input, max):
    return clamp.impl(input, max=max)


@op(grad_fn="WhereBackward0", tensors=("condition", "input", "other"), promote=PROMOTE_BINARY,
    promote_skip=1, method=False)  # fmt: skip
@_broadcasting
def where(condition, input, other):
    if condition.dtype != jnp.bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{type_word(condition.dtype)}"
        )
    return jnp.where(condition, input, other)


# masked_fill names the mask's dtype by its C++ element type
_CPP_TYPE_NAMES = {
    "float32": "float", "float64": "double", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
}  # fmt: skip


@op(grad_fn=_by_argument("MaskedFillBackward1", "MaskedFillBackward0", 2, "value"),
    tensors=("input", "mask"), inplace=True)  # fmt: skip
def masked_fill(input, mask, value):
    if not mask.dtype == jnp.bool_:
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_CPP_TYPE_NAMES.get(str(mask.dtype), str(mask.dtype))}"
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
_GRAD_FN_NAMES = {"log1p": "Log1PBackward0"}
# torch has no torch.digamma_, torch.erfinv_ or torch.lgamma_ (only the Tensor methods)
_NO_INPLACE_FUNCTION = ("digamma", "erfinv", "lgamma")
for _name, (_fn, _saves) in _FLOAT_UNARY.items():
    _unary(_name, _fn, _GRAD_FN_NAMES.get(_name, f"{_name.capitalize()}Backward0"), saves=_saves,
           inplace_function=_name not in _NO_INPLACE_FUNCTION)  # fmt: skip


def _sign(x):
    return x if x.dtype == jnp.bool_ else jnp.sign(x)


def _negative(x):
    if x.dtype == jnp.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return jnp.negative(x)


def _abs(x):
    if x.dtype == jnp.bool_:
        raise _not_implemented("abs", x.dtype)
    return jnp.abs(x)


def _frac(x):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise _not_implemented("frac", x.dtype)
    return x - jnp.trunc(x)


def _relu(x):
    if x.dtype == jnp.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return jax.nn.relu(x)


def _square(x):
    return jnp.square(x.astype(jnp.int64) if x.dtype == jnp.bool_ else x)  # bool squares to long


_SAME_DTYPE_UNARY = {
    "neg": (_negative, "NegBackward0"), "negative": (_negative, "NegBackward0"),
    "abs": (_abs, "AbsBackward0"), "absolute": (_abs, "AbsBackward0"),
    "sign": (_sign, "SignBackward0"), "sgn": (_sign, "SgnBackward0"),
    "floor": (jnp.floor, "FloorBackward0"), "ceil": (jnp.ceil, "CeilBackward0"),
    "trunc": (jnp.trunc, "TruncBackward0"), "fix": (jnp.trunc, "TruncBackward0"),
    "frac": (_frac, "FracBackward0"), "relu": (_relu, "ReluBackward0"),
    "square": (_square, "PowBackward0"),
}  # fmt: skip
for _name, (_fn, _grad) in _SAME_DTYPE_UNARY.items():
    _unary(_name, _fn, _grad, promote=None,
           inplace_function=_name not in ("sign", "sgn", "absolute"),
           saves="output" if _name == "relu" else "inputs")  # fmt: skip  # relu saves its result


@op(grad_fn=lambda args, kwargs: "RoundBackward1" if kwargs.get("decimals") else "RoundBackward0",
    inplace=True, inplace_function=True)  # fmt: skip
def round(input, *, decimals=0):
    if decimals == 0:
        return jnp.round(input)
    return jnp.round(input, decimals)


@op(grad_fn="NanToNumBackward0", inplace=True, inplace_function=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@op(grad_fn="CloneBackward0", inplace=False)
def clone(input, *, memory_format=None):
    return jnp.array(input, copy=True)


@op(grad_fn=None, differentiable=False, inplace=False, promote=None)
def isnan(input):
    return jnp.isnan(input)


def _same_dtype(input, other, *rest) -> None:
    """isclose/allclose compare tensors of one dtype only, as torch does."""
    if isinstance(other, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(
            f"{type_word(input.dtype._np)} did not match {type_word(other.dtype._np)}"
        )


@op(grad_fn=None, tensors=("input", "other"), differentiable=False, check=_same_dtype)
@_broadcasting
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


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

    impl.__name__ = name
    op(name, grad_fn=None, differentiable=False, inplace=True)(_tensor_other(impl))


_logical("logical_and", jnp.logical_and)
_logical("logical_or", jnp.logical_or)
_logical("logical_xor", jnp.logical_xor)
op("logical_not", grad_fn=None, differentiable=False, inplace=True)(
    lambda input: jnp.logical_not(input.astype(bool))
)


def _bitwise(name, jnp_fn, kernel):
    def impl(input, other):
        if jnp.issubdtype(input.dtype, jnp.inexact):
            raise _not_implemented(kernel, input.dtype)
        return jnp_fn(input, other)

    op(name, grad_fn=None, tensors=("input", "other"), promote=PROMOTE_BINARY,
       differentiable=False, inplace=True)(impl)  # fmt: skip


_bitwise("bitwise_and", jnp.bitwise_and, "bitwise_and")
_bitwise("bitwise_or", jnp.bitwise_or, "bitwise_or")
_bitwise("bitwise_xor", jnp.bitwise_xor, "bitwise_xor")
_bitwise("bitwise_left_shift", jnp.left_shift, "lshift")
_bitwise("bitwise_right_shift", jnp.right_shift, "rshift")


@op(grad_fn=_by_argument("FillBackward1", "FillBackward0", 1, "value"), tensors=("input", "value"),
    method=False, inplace=True,
    inplace_function=True, scalar_edges=False)  # fmt: skip
def fill(input, value):
    return jnp.full_like(input, value)


@op(grad_fn="ZeroBackward0", function=False, method=False, inplace=True, inplace_function=True)
def zero(input):
    return jnp.zeros_like(input)


@op(grad_fn="CopyBackwards", tensors=("input", "src"), function=False, method=False,
    inplace=True, same_device=False)  # fmt: skip
def copy(input, src, non_blocking=False):
    src = onto_device_of(jnp.asarray(src), input)  # copy_ moves data across devices
    return jnp.broadcast_to(src.astype(input.dtype), input.shape)


@op(grad_fn=None, differentiable=False, inplace=True)
def bitwise_not(input):
    if jnp.issubdtype(input.dtype, jnp.inexact):
        raise _not_implemented("bitwise_not", input.dtype)
    return jnp.logical_not(input) if input.dtype == jnp.bool_ else jnp.bitwise_not(input)
