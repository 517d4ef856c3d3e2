"""torch.nn.functional.scaled_dot_product_attention.

torch's CPU dispatcher picks one of two kernels, and the choice shows in the result's grad_fn:
the fused kernel (ScaledDotProductFlashAttentionForCpuBackward0) for 4-d inputs without dropout,
and the composite "math" kernel (scaled query @ scaled key^T, mask, safe softmax, dropout,
@ value) otherwise. Both are reproduced here, choosing as torch chooses.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ... import _dtype as dt
from ..._ops.conv import _c_type
from ..._ops.dispatch import call
from ..._ops.registry import TABLE
from ..._tensor import Tensor, from_array
from .._dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def _type_name(tensor: Tensor) -> str:
    return "c10::Half" if tensor.dtype == dt.float16 else _c_type(tensor.dtype._np)


def _check_inputs(query, key, value, attn_mask) -> None:
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_type_name(query)} key.dtype: {_type_name(key)} and value.dtype: "
            f"{_type_name(value)} instead."
        )
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            "instead."
        )
    if attn_mask is not None and attn_mask.dtype not in (dt.bool_, query.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_type_name(attn_mask)} and  query.dtype: {_type_name(query)} "
            "instead."
        )


def _fused_kernel_applies(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """torch's conditions for its fused CPU kernel (otherwise the math kernel runs)."""
    if dropout_p > 0.0 or any(t.dim() != 4 for t in (query, key, value)):
        return False
    if attn_mask is not None and (attn_mask.requires_grad or attn_mask.dim() > 4):
        return False
    if not query.shape[-1] == key.shape[-1] == value.shape[-1]:
        return False
    if query.shape[-2] == 0 or key.shape[-2] == 0 or query.shape[0] != key.shape[0]:
        return False
    heads, kv_heads = query.shape[1], key.shape[1]
    same_heads = heads == kv_heads == value.shape[1]
    grouped = enable_gqa and kv_heads == value.shape[1] and heads % kv_heads == 0
    return (same_heads or grouped) and key.shape[0] == value.shape[0]


def _repeat_heads(tensor: Tensor, groups: int) -> Tensor:
    """repeat_interleave(groups, dim=-3), written as unsqueeze, expand and reshape."""
    shape = list(tensor.shape)
    grown = tensor.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return grown.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


def _additive_mask(mask: Tensor, dtype) -> Tensor:
    """A bool mask as 0 where attending and -inf where not, in the query's dtype."""
    values = jnp.where(mask._value, 0.0, -jnp.inf).astype(dtype._np)
    return from_array(values)


def _math_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """torch's composite kernel: both operands pre-scaled by sqrt(scale) for stability."""
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        length, source = query.shape[-2], key.shape[-2]
        attn_mask = from_array(jnp.tril(jnp.ones((length, source), jnp.bool_)))
    if enable_gqa and key.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key = _repeat_heads(key, query.shape[-3] // key.shape[-3])
        value = _repeat_heads(value, query.shape[-3] // value.shape[-3])
    factor = math.sqrt(1.0 / math.sqrt(query.shape[-1]) if scale is None else abs(scale))
    scaled_query = query * (-factor if scale is not None and scale < 0 else factor)
    scores = scaled_query.matmul(key.transpose(-2, -1) * factor)
    if attn_mask is not None:
        if attn_mask.dtype == dt.bool_:
            attn_mask = _additive_mask(attn_mask, query.dtype)
        scores = scores + attn_mask
    weights = call(TABLE["_safe_softmax"], (scores, -1), {})
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """torch.nn.functional.scaled_dot_product_attention."""
    _check_inputs(query, key, value, attn_mask)
    if _fused_kernel_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
        mask = None if is_causal else attn_mask
        kwargs = {"attn_mask": mask, "scale": scale}
        row = TABLE["_scaled_dot_product_flash_attention_for_cpu"]
        return call(row, (query, key, value, 0.0, is_causal), kwargs)[0]
    return _math_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
