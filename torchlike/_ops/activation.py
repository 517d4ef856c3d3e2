"""Activation functions beyond the pointwise family (leaky_relu, gelu, elu, ...).

Rows follow torch's kernels: integer inputs are refused where torch's CPU kernel is
floating-only, and piecewise functions use `where` so the gradient at a boundary is the one
torch's backward formula gives.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .reduction import _cast, axes, type_word
from .registry import op

_NN = dict(function=False, method=False)  # reached only through torch.nn.functional
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _floating(input, kernel: str):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_word(input.dtype)}'")
    return input


def _scalar(value, like):
    return jnp.asarray(value, like.dtype)


@op(grad_fn="LeakyReluBackward0", **_NN)
def leaky_relu(input, negative_slope=0.01):
    x = _floating(input, "leaky_relu_cpu")
    return jnp.where(x > 0, x, x * _scalar(negative_slope, x))


def _elu(x, alpha, scale, input_scale):
    negative = (jnp.expm1(jnp.minimum(x, 0) * _scalar(input_scale, x))) * _scalar(alpha, x)
    return jnp.where(x > 0, x, negative) * _scalar(scale, x)


@op(grad_fn="EluBackward0", **_NN)
def elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu(_floating(input, "elu_cpu"), alpha, scale, input_scale)


@op(grad_fn="EluBackward0", method=False, inplace_function=True)
def selu(input):
    return _elu(_floating(input, "elu_cpu"), SELU_ALPHA, SELU_SCALE, 1.0)


@op(grad_fn="CeluBackward0", method=False, inplace_function=True)
def celu(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(_floating(input, "elu_cpu"), alpha, 1.0, 1.0 / alpha)


@op(grad_fn="GeluBackward0", **_NN)
def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = _floating(input, "GeluKernelImpl")
    if approximate == "tanh":
        inner = _scalar(math.sqrt(2 / math.pi), x) * (x + _scalar(0.044715, x) * x * x * x)
        return _scalar(0.5, x) * x * (1 + jnp.tanh(inner))
    return _scalar(0.5, x) * x * (1 + jax.scipy.special.erf(x * _scalar(math.sqrt(0.5), x)))


@op(grad_fn="SiluBackward0", **_NN)
def silu(input):
    x = _floating(input, "silu_cpu")
    return x * jax.nn.sigmoid(x)


def _softplus(x, beta, threshold):
    scaled = x * _scalar(beta, x)
    soft = jnp.log1p(jnp.exp(jnp.minimum(scaled, threshold))) / _scalar(beta, x)
    return jnp.where(scaled > threshold, x, soft)


@op(grad_fn="MishBackward0", **_NN)
def mish(input):
    x = _floating(input, "mish_cpu")
    return x * jnp.tanh(_softplus(x, 1.0, 20.0))


@op(grad_fn="SoftplusBackward0", **_NN)
def softplus(input, beta=1.0, threshold=20.0):
    return _softplus(_floating(input, "softplus_cpu"), beta, threshold)


@op(grad_fn="LogSigmoidBackward0", **_NN)
def log_sigmoid(input):
    x = _floating(input, "log_sigmoid_cpu")
    return -_softplus(-x, 1.0, 20.0)


def _clamp_between(x, low, high):
    """min(max(x, low), high) with zero gradient at and beyond both bounds (torch's rule)."""
    low, high = _scalar(low, x), _scalar(high, x)
    return jnp.where(x <= low, low, jnp.where(x >= high, high, x))


@op(grad_fn="HardtanhBackward0", **_NN)
def hardtanh(input, min_val=-1.0, max_val=1.0):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _clamp_between(input, min_val, max_val)


@op(grad_fn="HardswishBackward0", **_NN)
def hardswish(input):
    x = _floating(input, "hardswish_cpu")
    three = _scalar(3.0, x)
    return jnp.where(x <= -three, 0 * x, jnp.where(x >= three, x, x * (x + three) / 6))


@op(grad_fn="HardsigmoidBackward0", **_NN)
def hardsigmoid(input):
    x = _floating(input, "hardsigmoid_cpu")
    return _clamp_between(x / 6 + _scalar(0.5, x), 0.0, 1.0)


@op(grad_fn="ThresholdBackward0", method=False, inplace_function=True)
def threshold(input, threshold, value):
    if input.dtype == jnp.bool_:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    return jnp.where(input > threshold, input, jnp.asarray(value).astype(input.dtype))


@op(grad_fn="HardshrinkBackward0", inplace=False)
def hardshrink(input, lambd=0.5):
    x = _floating(input, "hardshrink_cpu")
    return jnp.where((x >= -lambd) & (x <= lambd), 0 * x, x)


@op(grad_fn="SoftshrinkBackward0", **_NN)
def softshrink(input, lambd=0.5):
    x = _floating(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be in range [0, 3.40282e+38] for input dtype Float, but found {lambd:g}"
        )
    lam = _scalar(lambd, x)
    return jnp.where(x > lam, x - lam, jnp.where(x < -lam, x + lam, 0 * x))


@op(grad_fn="GluBackward0", **_NN)
def glu(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    (axis,) = axes(dim, input.ndim)
    if input.shape[axis] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {axis} is size {input.shape[axis]}"
        )
    first, second = jnp.split(_floating(input, "glu_cpu"), 2, axis=axis)
    return first * jax.nn.sigmoid(second)


def _check_prelu(input, weight) -> None:
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.size != 1 and weight.size != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.size} and channel size = {channels}."
        )


@op(grad_fn="PreluKernelBackward0", tensors=("input", "weight"))
def prelu(input, weight):
    _check_prelu(input, weight)
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {type_word(input.dtype)} and "
            f"{type_word(weight.dtype)}"
        )
    x = _floating(input, "prelu_cpu")
    if weight.size != 1 and input.ndim >= 2:
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return jnp.where(x > 0, x, x * weight.reshape(weight.shape if weight.size != 1 else ()))


# ----- attention -------------------------------------------------------------------------------
def _safe_softmax_array(x, axis):
    """softmax along axis, with rows that are all -inf giving zeros instead of NaN."""
    top = jnp.max(x, axis=axis, keepdims=True)
    top = jnp.where(jnp.isfinite(top), top, jnp.zeros((), x.dtype))
    exps = jnp.exp(x - top)
    total = jnp.sum(exps, axis=axis, keepdims=True)
    return exps / jnp.where(total == 0, jnp.ones((), x.dtype), total)


@op(grad_fn="SafeSoftmaxBackward0", method=False)
def _safe_softmax(input, dim, dtype=None):
    return _safe_softmax_array(_cast(input, dtype), axes(dim, input.ndim)[0])


def _attention_scores(query, key, attn_mask, is_causal, scale):
    """scale * query @ key^T with the causal or explicit mask applied (-inf where masked)."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    hi = jax.lax.Precision.HIGHEST
    scores = jnp.einsum("...le,...se->...ls", query, key, precision=hi) * scale
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = jnp.tril(jnp.ones((length, source), jnp.bool_))
    if attn_mask is None:
        return scores
    if attn_mask.dtype == jnp.bool_:
        return jnp.where(attn_mask, scores, jnp.asarray(-jnp.inf, scores.dtype))
    return scores + attn_mask.astype(scores.dtype)


@op(
    grad_fn="ScaledDotProductFlashAttentionForCpuBackward0",
    method=False,
    tensors=("query", "key", "value"),
    nondiff_outputs=(1,),
)
def _scaled_dot_product_flash_attention_for_cpu(
    query, key, value, dropout_p=0.0, is_causal=False, *, attn_mask=None, scale=None
):
    if dropout_p > 0.0:
        raise NotImplementedError(
            "torchlike: _scaled_dot_product_flash_attention_for_cpu(dropout_p>0) is not supported"
        )
    heads, kv_heads = query.shape[-3], key.shape[-3]
    if kv_heads != heads:  # grouped-query attention: each key/value head serves a group
        key = jnp.repeat(key, heads // kv_heads, axis=-3)
        value = jnp.repeat(value, heads // kv_heads, axis=-3)
    dtype = query.dtype
    acc = jnp.float64 if dtype == jnp.float64 else jnp.float32
    scores = _attention_scores(query.astype(acc), key.astype(acc), attn_mask, is_causal, scale)
    probs = _safe_softmax_array(scores, -1)
    hi = jax.lax.Precision.HIGHEST
    out = jnp.einsum("...ls,...sd->...ld", probs, value.astype(acc), precision=hi)
    top = jnp.max(scores, axis=-1)
    finite = jnp.isfinite(top)
    safe_top = jnp.where(finite, top, jnp.zeros((), acc))
    lse = safe_top + jnp.log(jnp.sum(jnp.exp(scores - safe_top[..., None]), axis=-1))
    lse = jnp.where(finite, lse, jnp.zeros((), acc))  # a fully masked row reports 0
    return out.astype(dtype), lse.astype(acc)
