"""Conformance records for the normalization, activation and loss rows (see op_db.py)."""

from __future__ import annotations

import numpy as np
from op_db import NUMERIC, E, S, add, f32, functional, i64, through_row, unary


# ----- attention kernels (reached through F.scaled_dot_product_attention) -------------------
def _mask_with_empty_row(m, *shape):
    mask = m.mask(*shape)
    mask[..., 0, :] = False  # a fully masked row gives zeros, not NaN
    return mask


add(
    "_safe_softmax",
    lambda m: [
        S(m(3, 4), -1),
        S(m(2, 3, 4), 0),
        S(np.where(_mask_with_empty_row(m, 3, 4), m(3, 4), -np.inf).astype(m.dtype), 1),
    ],
)


def _additive(mask, dtype):
    return np.where(mask, 0.0, -np.inf).astype(dtype)


def sdpa_samples(m):
    def qkv(heads=3, kv_heads=3, length=4, source=5):
        return m(2, heads, length, 8), m(2, kv_heads, source, 8), m(2, kv_heads, source, 8)

    return [S(*qkv()), S(*qkv(), 0.0, True), S(*qkv(length=5), 0.0, True),
            S(*qkv(), attn_mask=_additive(_mask_with_empty_row(m, 4, 5), m.dtype)),
            S(*qkv(), attn_mask=m(2, 1, 4, 5)), S(*qkv(), scale=0.3),
            S(*qkv(kv_heads=1))]  # fmt: skip


add("_scaled_dot_product_flash_attention_for_cpu", sdpa_samples, tol=10.0, grad_args=(0, 1, 2))


# ----- normalization -------------------------------------------------------------------------
def batch_norm_samples(m):
    def stats(n):
        return m(n), m.within(0.5, 2.0)(n)

    return [S(m(4, 3, 5), m(3), m(3), *stats(3), True, 0.1, 1e-5),
            S(m(4, 3), None, None, *stats(3), False, 0.1, 1e-5),
            S(m(2, 3, 2, 2), m(3), m(3), None, None, True, 0.1, 1e-3),
            S(m(2, 2, 3, 2), m(2), None, *stats(2), False, 0.3, 1e-5)]  # fmt: skip


add(
    "native_batch_norm",
    batch_norm_samples,
    tol=10.0,
    grad_args=(0, 1, 2),
    internal=True,
    call=through_row("native_batch_norm", lambda torch: lambda *a: torch.native_batch_norm(*a)[0]),
)


def _torch_update_stats(torch):
    """The running statistics torch's training native_batch_norm writes in place."""

    def update(input, running_mean, running_var, momentum):
        mean, var = running_mean.clone(), running_var.clone()
        torch.native_batch_norm(input, None, None, mean, var, True, momentum, 1e-5)
        return mean, var

    return update


add(
    "_batch_norm_update_stats",
    lambda m: [
        S(m(4, 3, 5), m(3), m.within(0.5, 2.0)(3), 0.1),
        S(m(2, 3, 2, 2), m(3), m.within(0.5, 2.0)(3), 0.3),
        S(m(5, 2), m(2), m.within(0.5, 2.0)(2), 1.0),
    ],
    grad=False,
    internal=True,
    call=through_row("_batch_norm_update_stats", _torch_update_stats),
)
add(
    "layer_norm",
    lambda m: [
        S(m(2, 3, 4), [4], m(4), m(4)),
        S(m(2, 3, 4), [3, 4]),
        S(m(3, 4), (4,), None, m(4), 1e-3),
        S(m(0, 4), [4]),
    ],
    tol=10.0,
    gradgrad=True,
    errors=(
        E(RuntimeError, f32(2, 3, 4), [3], message=True),
        E(RuntimeError, f32(2, 3, 4), [4], f32(3), message=True),
    ),
)
add(
    "group_norm",
    lambda m: [S(m(2, 6, 3), 3, m(6), m(6)), S(m(2, 4), 2), S(m(2, 4, 2, 2), 1, None, None, 1e-3)],
    tol=10.0,
    errors=(
        E(RuntimeError, f32(2, 3, 4), 2, message=True),
        E(RuntimeError, f32(2, 4, 4), 2, f32(3), message=True),
    ),
)


# ----- activations ---------------------------------------------------------------------------
FLOAT_ONLY = (E(NotImplementedError, i64(3), message=True),)


def _activation(name, extra=(), low=-3.0, high=3.0, errors=FLOAT_ONLY, **fields):
    fields.setdefault("internal", True)
    if fields["internal"]:
        fields.setdefault("call", functional(name))
    fields.setdefault("gradgrad", True)
    add(name, unary(low, high, extra=extra), errors=errors, **fields)


# piecewise-linear rows have zero second derivatives: no second-order comparison for them
_activation("leaky_relu", extra=({"negative_slope": 0.2},), gradgrad=False)
_activation("elu", extra=({"alpha": 0.5},))
_activation("selu", internal=False)
_activation(
    "celu",
    extra=({"alpha": 0.7},),
    internal=False,
    errors=FLOAT_ONLY + (E(RuntimeError, f32(3), 0.0, message=True),),
)
_activation(
    "gelu",
    extra=({"approximate": "tanh"},),
    errors=FLOAT_ONLY + (E(RuntimeError, f32(3), approximate="bad", message=True),),
)
_activation("silu")
_activation("mish")
_activation("softplus", extra=({"beta": 2.0, "threshold": 1.0},))
_activation(
    "log_sigmoid", call=through_row("log_sigmoid", lambda torch: torch.nn.functional.logsigmoid)
)
_activation(
    "hardtanh",
    extra=({"min_val": -0.5, "max_val": 1.5},),
    dtypes=NUMERIC,
    gradgrad=False,
    errors=(E(RuntimeError, np.array([True]), message=True),),
)
_activation("hardswish", low=-4.0, high=4.0)
_activation("hardsigmoid", low=-4.0, high=4.0, gradgrad=False)  # torch has no double backward
_activation(
    "softshrink",
    extra=({"lambd": 0.3},),
    gradgrad=False,
    errors=FLOAT_ONLY + (E(RuntimeError, f32(3), -1.0, message=True),),
)
_activation("hardshrink", extra=({"lambd": 0.3},), internal=False, gradgrad=False)
add(
    "threshold",
    lambda m: [S(m(2, 3), 0.5, 2.0), S(m(), 0.1, -1.0), S(m(0, 3), 0.0, 0.0)],
    dtypes=NUMERIC,
    errors=(E(NotImplementedError, np.array([True]), 0, 1, message=True),),
)
add(
    "glu",
    lambda m: [S(m(2, 4)), S(m(4, 3), 0), S(m(2, 6, 2), 1)],
    call=functional("glu"),
    internal=True,
    gradgrad=True,
    errors=(E(RuntimeError, f32(2, 3), message=True), E(RuntimeError, f32(), message=True)),
)
add(
    "prelu",
    lambda m: [S(m(2, 3, 4), m(3)), S(m(2, 3), m(1)), S(m(4), m(1)), S(m(), m(1))],
    gradgrad=True,
    errors=(
        E(RuntimeError, f32(2, 3), f32(2), message=True),
        E(RuntimeError, f32(2, 3), f32(1, 3), message=True),
        E(RuntimeError, f32(2, 3), np.ones(3), message=True),
        E(NotImplementedError, i64(2, 3), i64(3), message=True),
    ),
)


# ----- losses ----------------------------------------------------------------------------------
def pair_loss_samples(knob):
    def samples(m):
        out = [
            S(m(2, 3), m(2, 3)),
            S(m(2, 3), m(2, 3), reduction="sum"),
            S(m(2, 3), m(2, 3), reduction="none"),
            S(m(), m()),
        ]
        return out + [
            S(m(3, 4), m(3, 4), reduction="mean", **{knob: 0.5}),
            S(m(3, 4), m(3, 4), reduction="none", **{knob: 2.0}),
        ]

    return samples


add(
    "smooth_l1_loss",
    pair_loss_samples("beta"),
    gradgrad=True,
    internal=True,
    call=functional("smooth_l1_loss"),
)
add(
    "huber_loss",
    pair_loss_samples("delta"),
    gradgrad=True,
    internal=True,
    call=functional("huber_loss"),
)
add(
    "soft_margin_loss",
    lambda m: [S(m(2, 3), np.sign(m(2, 3)) + 0.0, reduction=r) for r in ("mean", "sum", "none")],
    internal=True,
    call=functional("soft_margin_loss"),
    gradgrad=True,
    grad_args=(0,),
)


def bce_samples(m):
    p, t = m.within(0.05, 0.95), m.within(0.0, 1.0)
    return [S(p(2, 3), t(2, 3)), S(p(2, 3), t(2, 3), p(2, 3), reduction="sum"),
            S(p(2, 3), t(2, 3), p(3), reduction="none"), S(p(), t())]  # fmt: skip


add(
    "binary_cross_entropy",
    bce_samples,
    internal=True,
    grad_args=(0,),
    call=functional("binary_cross_entropy"),
)


def bce_logits_samples(m):
    t = m.within(0.0, 1.0)
    return [S(m(2, 3), t(2, 3)), S(m(2, 3), t(2, 3), m(2, 3), None, 2),
            S(m(2, 3), t(2, 3), None, m.within(0.5, 3)(3), 0), S(m(), t()),
            S(m(2, 3), t(2, 3), m(3), m(3), 1)]  # fmt: skip


add("binary_cross_entropy_with_logits", bce_logits_samples, grad_args=(0,), gradgrad=True)


def multi_margin_samples(m):
    return [
        S(m(3, 4), m.ints(0, 4, 3)),
        S(m(3, 4), m.ints(0, 4, 3), 2, 0.5, m.within(0.5, 2)(4), reduction="sum"),
        S(m(3, 4), m.ints(0, 4, 3), reduction="none"),
        S(m(4), np.array(2)),
    ]


add(
    "multi_margin_loss",
    multi_margin_samples,
    internal=True,
    grad_args=(0,),
    call=functional("multi_margin_loss"),
    errors=(E(RuntimeError, f32(3, 4), np.array([0, 1]), message=True),
            E(RuntimeError, f32(3, 4), np.array([0, 1, 2]), weight=f32(3), message=True)),
)  # fmt: skip


def multilabel_margin_samples(m):
    labels = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 0, 0]])
    return [
        S(m(3, 4), labels),
        S(m(3, 4), labels, reduction="sum"),
        S(m(3, 4), labels, reduction="none"),
        S(m(4), np.array([2, -1, 0, 0])),
    ]


add(
    "multilabel_margin_loss",
    multilabel_margin_samples,
    internal=True,
    grad_args=(0,),
    call=functional("multilabel_margin_loss"),
    errors=(E(RuntimeError, f32(3, 4), np.array([0, 1, 2]), message=True),),
)
