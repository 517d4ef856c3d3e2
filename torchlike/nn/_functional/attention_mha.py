"""torch.nn.functional.multi_head_attention_forward and its mask and projection helpers.

The op sequence follows torch's (linear, unflatten/transpose, baddbmm or bmm, softmax, bmm,
linear, view), so outputs carry torch's grad_fn names; with need_weights=False the heads go
through F.scaled_dot_product_attention like torch's.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as dt
from ..._ops import FUNCTIONS
from ..._ops.creation import zeros as _zeros
from ..._ops.creation import zeros_like as _zeros_like
from ..._tensor import Tensor
from .._dropout import dropout
from ..functional import linear, softmax

_cat = FUNCTIONS["cat"]


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask as an additive float mask (-inf where True); float masks pass through."""
    if mask is None:
        return None
    if mask.dtype != dt.bool_ and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            stacklevel=3,
        )
    if not mask.is_floating_point():
        mask = _zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _check_batched(query, key, value, key_padding_mask, attn_mask) -> None:
    if key.dim() != 3 or value.dim() != 3:
        raise AssertionError(
            "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
            f"{key.dim()}-D and {value.dim()}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.dim() != 2:
        raise AssertionError(
            "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found "
            f"{key_padding_mask.dim()}-D tensor instead"
        )
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(
            "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.dim()}-D tensor instead"
        )


def _check_unbatched(query, key, value, key_padding_mask, attn_mask, num_heads) -> None:
    if key.dim() != 2 or value.dim() != 2:
        raise AssertionError(
            "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
            f"{key.dim()}-D and {value.dim()}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.dim() != 1:
        raise AssertionError(
            "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
            f"found {key_padding_mask.dim()}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead"
            )
        expected = (num_heads, query.shape[0], key.shape[0])
        if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
            )


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """torch's input-rank checks; True when the query is batched."""
    if query.dim() == 3:
        _check_batched(query, key, value, key_padding_mask, attn_mask)
        return True
    if query.dim() == 2:
        _check_unbatched(query, key, value, key_padding_mask, attn_mask, num_heads)
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def _split_heads_packed(proj, parts: int, embed_dim: int):
    proj = proj.unflatten(-1, (parts, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(-2)
    proj = proj.contiguous()
    return [proj[i] for i in range(parts)]


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v projected by one packed (3E, E) weight, sharing work when inputs coincide."""
    embed_dim = q.size(-1)
    if k is v:
        if q is k:
            return _split_heads_packed(linear(q, w, b), 3, embed_dim)
        w_q, w_kv = w.split([embed_dim, embed_dim * 2])
        b_q, b_kv = (None, None) if b is None else b.split([embed_dim, embed_dim * 2])
        return [linear(q, w_q, b_q), *_split_heads_packed(linear(k, w_kv, b_kv), 2, embed_dim)]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """q, k, v projected by separate weights (kdim/vdim differ from embed_dim)."""
    e_q, e_k, e_v = q.size(-1), k.size(-1), v.size(-1)
    for name, weight, shape in (("query", w_q, (e_q, e_q)), ("key", w_k, (e_q, e_k)),
                                ("value", w_v, (e_q, e_v))):  # fmt: skip
        if tuple(weight.shape) != shape:
            raise AssertionError(
                f"expecting {name} weights shape of {shape}, but got {weight.shape}"
            )
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _prepare_masks(query, attn_mask, key_padding_mask, is_causal, need_weights):
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        return None, key_padding_mask, is_causal  # sdpa applies the causal mask itself
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
    if key_padding_mask is not None:
        is_causal = False
    return attn_mask, key_padding_mask, is_causal


def _shape_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    if attn_mask is None:
        return None
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                f"{(tgt_len, src_len)}."
            )
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _pad_last(mask):
    from ..functional import pad

    return None if mask is None else pad(mask, (0, 1))


def _add_key_bias(k, v, bias_k, bias_v, attn_mask, key_padding_mask, bsz):
    """add_bias_kv: one learned key/value appended to every sequence (masks padded by one)."""
    if bias_k is None and bias_v is None:
        return k, v, attn_mask, key_padding_mask
    if bias_k is None:
        raise AssertionError("bias_v is set but bias_k is None")
    if bias_v is None:
        raise AssertionError("bias_k is set but bias_v is None")
    k = _cat([k, bias_k.repeat(1, bsz, 1)])
    v = _cat([v, bias_v.repeat(1, bsz, 1)])
    return k, v, _pad_last(attn_mask), _pad_last(key_padding_mask)


def _add_zero_attn(k, v, attn_mask, key_padding_mask):
    shape = (k.shape[0], 1, k.shape[2])
    k = _cat([k, _zeros(shape, dtype=k.dtype, device=k.device)], dim=1)
    v = _cat([v, _zeros(shape, dtype=v.dtype, device=v.device)], dim=1)
    return k, v, _pad_last(attn_mask), _pad_last(key_padding_mask)


def _merge_padding(attn_mask, key_padding_mask, bsz, num_heads, src_len):
    if key_padding_mask is None:
        return attn_mask
    if key_padding_mask.shape[0] != bsz:
        raise AssertionError(
            f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}"
        )
    if key_padding_mask.shape[1] != src_len:
        raise AssertionError(
            f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
            f"{key_padding_mask.shape[1]}"
        )
    key_padding_mask = (
        key_padding_mask.view(bsz, 1, 1, src_len)
        .expand(-1, num_heads, -1, -1)
        .reshape(bsz * num_heads, 1, src_len)
    )
    return key_padding_mask if attn_mask is None else attn_mask + key_padding_mask


def _weighted_heads(q, k, v, attn_mask, dropout_p, average, dims):
    """need_weights=True: explicit softmax(q k^T / sqrt(d) + mask) v, weights kept."""
    tgt_len, bsz, embed_dim, num_heads, src_len = dims
    q_scaled = q * math.sqrt(1.0 / float(q.shape[2]))
    if attn_mask is not None:
        weights = FUNCTIONS["baddbmm"](attn_mask, q_scaled, k.transpose(-2, -1))
    else:
        weights = FUNCTIONS["bmm"](q_scaled, k.transpose(-2, -1))
    weights = softmax(weights, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, p=dropout_p)
    output = FUNCTIONS["bmm"](weights, v)
    output = output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    weights = weights.view(bsz, num_heads, tgt_len, src_len)
    return output, (weights.mean(dim=1) if average else weights)


def _sdpa_heads(q, k, v, attn_mask, dropout_p, is_causal, dims):
    """need_weights=False: the heads through F.scaled_dot_product_attention."""
    from .attention import scaled_dot_product_attention

    tgt_len, bsz, embed_dim, num_heads, src_len = dims
    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, q.shape[2])
    k = k.view(bsz, num_heads, src_len, k.shape[2])
    v = v.view(bsz, num_heads, src_len, v.shape[2])
    output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    return output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim), None


def _project(query, key, value, in_proj_weight, in_proj_bias, separate):
    if not separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        return _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    q_w, k_w, v_w = separate
    for name, weight in (("q", q_w), ("k", k_w), ("v", v_w)):
        if weight is None:
            raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    return _in_projection(query, key, value, q_w, k_w, v_w, *biases)


def _check_dims(embed_dim, embed_dim_to_check, num_heads, key, value, separate) -> int:
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if separate and tuple(key.shape[:2]) != tuple(value.shape[:2]):
        raise AssertionError(
            f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
        )
    if not separate and key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    return head_dim


def multi_head_attention_forward(
    query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
    bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True,
    key_padding_mask=None, need_weights=True, attn_mask=None, use_separate_proj_weight=False,
    q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
    average_attn_weights=True, is_causal=False,
):  # fmt: skip
    """torch.nn.functional.multi_head_attention_forward: (attn_output, attn_weights or None)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError(
            "torchlike: F.multi_head_attention_forward(static_k=, static_v=) is not supported"
        )
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    attn_mask, key_padding_mask, is_causal = _prepare_masks(
        query, attn_mask, key_padding_mask, is_causal, need_weights
    )
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    head_dim = _check_dims(embed_dim, embed_dim_to_check, num_heads, key, value, separate)
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, separate)
    attn_mask = _shape_attn_mask(attn_mask, tgt_len, key.shape[0], bsz, num_heads)
    k, v, attn_mask, key_padding_mask = _add_key_bias(k, v, bias_k, bias_v, attn_mask,
                                                      key_padding_mask, bsz)  # fmt: skip
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k, v, attn_mask, key_padding_mask = _add_zero_attn(k, v, attn_mask, key_padding_mask)
    src_len = k.size(1)
    attn_mask = _merge_padding(attn_mask, key_padding_mask, bsz, num_heads, src_len)
    dropout_p = dropout_p if training else 0.0
    dims = (tgt_len, bsz, embed_dim, num_heads, src_len)
    if need_weights:
        output, weights = _weighted_heads(q, k, v, attn_mask, dropout_p, average_attn_weights,
                                          dims)  # fmt: skip
    else:
        output, weights = _sdpa_heads(q, k, v, attn_mask, dropout_p, is_causal, dims)
    output = linear(output, out_proj_weight, out_proj_bias)
    output = output.view(tgt_len, bsz, output.size(1))
    if not is_batched:
        output = output.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return output, weights
