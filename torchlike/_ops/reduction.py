"""Reductions: sum, mean, prod, max/min, arg-reductions, std/var, norm, logsumexp, scans."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _dtype as dt
from .. import return_types
from .registry import PROMOTE_BINARY, PROMOTE_INT_TO_LONG, op

_TYPE_WORDS = {
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
    "bfloat16": "BFloat16", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}  # fmt: skip


def type_word(np_dtype) -> str:
    return _TYPE_WORDS[str(jnp.dtype(np_dtype))]


def axes(dim, ndim: int):
    """torch's dim argument (None, int, or sequence) as a tuple of non-negative axes."""
    if dim is None or (isinstance(dim, list | tuple) and len(dim) == 0):
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = max(ndim, 1)
    out = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
                f"but got {d})"
            )
        out.append(d % rank)
    if ndim == 0:
        return None
    return tuple(out)


def _dim_given(args, kwargs, position=1):
    dim = args[position] if len(args) > position else kwargs.get("dim")
    return dim is not None and not (isinstance(dim, list | tuple) and len(dim) == 0)


def _named(base: str, with_dim: int, without_dim: int):
    def name(args, kwargs):
        return f"{base}Backward{with_dim if _dim_given(args, kwargs) else without_dim}"

    return name


def _cast(x, dtype):
    return x if dtype is None else x.astype(dt.as_dtype(dtype)._np)


def _accurate_sum(x, axis, keepdims):
    # torch's CPU cascade sum is close to correctly rounded; a float64 accumulator gets the
    # same float32 result far more often than XLA's float32 accumulation does.
    if x.dtype in (jnp.float32, jnp.float16, jnp.bfloat16):
        return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=jnp.float64).astype(x.dtype)
    return jnp.sum(x, axis=axis, keepdims=keepdims)


@op(grad_fn=_named("Sum", 1, 0), promote=PROMOTE_INT_TO_LONG)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return _accurate_sum(_cast(input, dtype), axes(dim, input.ndim), keepdim)


@op(grad_fn="NansumBackward0", promote=PROMOTE_INT_TO_LONG)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nansum(_cast(input, dtype), axis=axes(dim, input.ndim), keepdims=keepdim)


@op(grad_fn=_named("Mean", 1, 0))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    input = _cast(input, dtype)
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {type_word(input.dtype)}"
        )
    return jnp.mean(input, axis=axes(dim, input.ndim), keepdims=keepdim)


@op(grad_fn="DivBackward0")  # torch's nanmean is nansum / count
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nanmean(_cast(input, dtype), axis=axes(dim, input.ndim), keepdims=keepdim)


@op(grad_fn=_named("Prod", 1, 0), promote=PROMOTE_INT_TO_LONG)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and not isinstance(dim, int):
        raise TypeError("prod(): argument 'dim' must be int")
    return jnp.prod(_cast(input, dtype), axis=axes(dim, input.ndim), keepdims=keepdim)


def _extreme(name: str, jnp_reduce, jnp_arg, jnp_pair):
    def impl(input, dim=None, keepdim=False):
        if hasattr(dim, "shape"):  # max(input, other): the elementwise form
            return jnp_pair(input, dim)
        if dim is None:
            if input.size == 0:
                raise RuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
            return jnp_reduce(input)
        axis = axes(dim, input.ndim)
        if axis is None:
            return jnp_reduce(input, keepdims=keepdim), jnp.zeros((), jnp.int64)
        (axis,) = axis
        if input.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
        indices = jnp_arg(input, axis=axis, keepdims=True)
        values = jnp.take_along_axis(input, indices, axis=axis)
        if not keepdim:
            values, indices = jnp.squeeze(values, axis), jnp.squeeze(indices, axis)
        return values, indices.astype(jnp.int64)

    def grad_name(args, kwargs):
        other = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("other"))
        if hasattr(other, "shape"):
            return f"{name.capitalize()}imumBackward0"
        return f"{name.capitalize()}Backward{0 if other is not None else 1}"

    def returns(values, indices):
        return getattr(return_types, name)(values, indices)

    op(name, grad_fn=grad_name, tensors=("input",), promote=PROMOTE_BINARY,
       returns=returns)(impl)  # fmt: skip


_extreme("max", jnp.max, jnp.argmax, jnp.maximum)
_extreme("min", jnp.min, jnp.argmin, jnp.minimum)


@op(grad_fn="AmaxBackward0")
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=axes(dim, input.ndim), keepdims=keepdim)


@op(grad_fn="AminBackward0")
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=axes(dim, input.ndim), keepdims=keepdim)


def _arg(jnp_fn):
    def impl(input, dim=None, keepdim=False):
        if dim is None:
            result = jnp_fn(input.reshape(-1))
            return result.reshape((1,) * input.ndim) if keepdim else result
        (axis,) = axes(dim, input.ndim) or (0,)
        return jnp_fn(input, axis=axis, keepdims=keepdim) if input.ndim else jnp_fn(input)

    return impl


op("argmax", grad_fn=None, differentiable=False)(_arg(jnp.argmax))
op("argmin", grad_fn=None, differentiable=False)(_arg(jnp.argmin))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _moment(name: str, jnp_fn):
    def impl(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # legacy var(input, unbiased)
            dim, unbiased = None, dim
        if not jnp.issubdtype(input.dtype, jnp.inexact):
            raise RuntimeError(
                f"{name}(): input dtype should be either floating point or complex dtypes. "
                f"Got {type_word(input.dtype)} instead."
            )
        ddof = _correction(unbiased, correction)
        return jnp_fn(input, axis=axes(dim, input.ndim), ddof=ddof, keepdims=keepdim)

    def with_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if not jnp.issubdtype(input.dtype, jnp.inexact):
            raise RuntimeError(f"{name}_mean only support floating point and complex dtypes")
        moment = impl(input, dim, unbiased, keepdim, correction=correction)
        dim = None if isinstance(dim, bool) else dim
        return moment, jnp.mean(input, axis=axes(dim, input.ndim), keepdims=keepdim)

    op(name, grad_fn=f"{name.capitalize()}Backward0")(impl)
    op(f"{name}_mean", grad_fn=f"{name.capitalize()}MeanBackward0", method=False)(with_mean)


_moment("std", jnp.std)
_moment("var", jnp.var)


@op(grad_fn="LinalgVectorNormBackward0")
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    input = _cast(input, dtype)
    axis = axes(dim, input.ndim)
    if p in ("fro", None) or p == 2:
        return jnp.sqrt(jnp.sum(jnp.abs(input) ** 2, axis=axis, keepdims=keepdim))
    if p == "nuc":
        return jnp.linalg.norm(input, "nuc", axis=axis, keepdims=keepdim)
    if p == float("inf"):
        return jnp.max(jnp.abs(input), axis=axis, keepdims=keepdim)
    if p == float("-inf"):
        return jnp.min(jnp.abs(input), axis=axis, keepdims=keepdim)
    if p == 0:
        return jnp.sum(input != 0, axis=axis, keepdims=keepdim).astype(input.dtype)
    return jnp.sum(jnp.abs(input) ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)


@op(grad_fn="LogsumexpBackward0")
def logsumexp(input, dim, keepdim=False):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        input = input.astype(dt.get_default_dtype()._np)
    return jax.nn.logsumexp(input, axis=axes(dim, input.ndim), keepdims=keepdim)


def _logical_reduce(jnp_fn):
    def impl(input, dim=None, keepdim=False):
        result = jnp_fn(input, axis=axes(dim, input.ndim), keepdims=keepdim)
        return result.astype(jnp.uint8) if input.dtype == jnp.uint8 else result

    return impl


op("all", grad_fn=None, differentiable=False)(_logical_reduce(jnp.all))
op("any", grad_fn=None, differentiable=False)(_logical_reduce(jnp.any))


@op(grad_fn=None, differentiable=False)
def count_nonzero(input, dim=None):
    return jnp.count_nonzero(input, axis=axes(dim, input.ndim)).astype(jnp.int64)


def _scan(name, jnp_fn):
    def impl(input, dim, *, dtype=None):
        input = _cast(input, dtype)
        if dtype is None and not jnp.issubdtype(input.dtype, jnp.inexact):
            input = input.astype(jnp.int64)
        if input.ndim == 0:
            return input
        (axis,) = axes(dim, input.ndim)
        return jnp_fn(input, axis=axis)

    op(name, grad_fn=f"{name.capitalize()}Backward0", inplace=True)(impl)


_scan("cumsum", jnp.cumsum)
_scan("cumprod", jnp.cumprod)


# ----- softmax and losses: rows torch.nn.functional builds on ---------------------------------
@op(grad_fn="SoftmaxBackward0", saves="output")
def softmax(input, dim, dtype=None):
    return jax.nn.softmax(_cast(input, dtype), axis=axes(dim, input.ndim))


@op(grad_fn="LogSoftmaxBackward0", saves="output")
def log_softmax(input, dim, dtype=None):
    return jax.nn.log_softmax(_cast(input, dtype), axis=axes(dim, input.ndim))


def _reduce_loss(losses, reduction: str):
    if reduction == "none":
        return losses
    return jnp.sum(losses) if reduction == "sum" else jnp.mean(losses)


@op(grad_fn="MseLossBackward0", tensors=("input", "target"), promote=PROMOTE_BINARY,
    function=False, method=False)  # fmt: skip
def mse_loss(input, target, reduction="mean"):
    return _reduce_loss(jnp.square(input - target), reduction)


def _nll_name(args, kwargs):
    return "NllLoss2DBackward0" if args[0].ndim == 4 else "NllLossBackward0"


@op(grad_fn=_nll_name, tensors=("input", "target", "weight"), function=False, method=False)
def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    class_axis = 0 if input.ndim == 1 else 1
    kept = target != ignore_index
    safe_target = jnp.where(kept, target, 0)
    picked = jnp.take_along_axis(input, jnp.expand_dims(safe_target, class_axis), class_axis)
    class_weight = jnp.ones((), input.dtype) if weight is None else weight[safe_target]
    class_weight = jnp.where(kept, class_weight, jnp.zeros((), input.dtype))
    losses = -jnp.squeeze(picked, class_axis) * class_weight
    if reduction != "mean":
        return _reduce_loss(losses, reduction)
    # torch's mean is the weighted mean: sum(w[t] * -x[t]) / sum(w[t]) over kept targets
    return jnp.sum(losses) / jnp.sum(jnp.broadcast_to(class_weight, losses.shape))
