"""Loss functions beyond nll/mse (smooth_l1, huber, binary_cross_entropy, soft_margin, ...).

`reduction` is torch's string ('none', 'mean', 'sum') or its enum value (0, 1, 2), which
torch.binary_cross_entropy_with_logits takes positionally.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .registry import PROMOTE_BINARY, op

_LOSS = dict(tensors=("input", "target"), promote=PROMOTE_BINARY, function=False, method=False)
_ENUM = {0: "none", 1: "mean", 2: "sum"}


def reduce_loss(losses, reduction):
    reduction = _ENUM.get(reduction, reduction)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return jnp.sum(losses)
    return jnp.mean(losses)


@op(grad_fn="SmoothL1LossBackward0", **_LOSS)
def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    error = jnp.abs(input - target)
    half = jnp.asarray(0.5, error.dtype)
    beta = jnp.asarray(beta, error.dtype)
    losses = jnp.where(error < beta, half * error * error / beta, error - half * beta)
    return reduce_loss(losses, reduction)


@op(grad_fn="HuberLossBackward0", **_LOSS)
def huber_loss(input, target, reduction="mean", delta=1.0):
    error = jnp.abs(input - target)
    half = jnp.asarray(0.5, error.dtype)
    delta = jnp.asarray(delta, error.dtype)
    losses = jnp.where(error < delta, half * error * error, delta * (error - half * delta))
    return reduce_loss(losses, reduction)


@op(
    grad_fn="BinaryCrossEntropyBackward0",
    tensors=("input", "target", "weight"),
    function=False,
    method=False,
)
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    floor = jnp.asarray(-100.0, input.dtype)  # torch clamps each log at -100
    log_p = jnp.maximum(jnp.log(input), floor)
    log_q = jnp.maximum(jnp.log1p(-input), floor)
    losses = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)


@op(
    grad_fn="BinaryCrossEntropyWithLogitsBackward0",
    method=False,
    tensors=("input", "target", "weight", "pos_weight"),
)
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    # torch.binary_cross_entropy_with_logits called without `reduction` does not reduce
    log_sigmoid = jax.nn.log_sigmoid(input)
    if pos_weight is None:
        losses = (1 - target) * input - log_sigmoid
    else:
        log_weight = (pos_weight - 1) * target + 1
        losses = (1 - target) * input - log_weight * log_sigmoid
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)


@op(grad_fn="SoftMarginLossBackward0", **_LOSS)
def soft_margin_loss(input, target, reduction="mean"):
    return reduce_loss(jnp.log1p(jnp.exp(-target * input)), reduction)


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _as_batch(input, target):
    """(N, C) scores and (N,) targets from torch's 1-d/0-d or 2-d forms."""
    if input.ndim <= 1:
        return input.reshape(1, -1), target.reshape(1)
    return input, target


@op(grad_fn="MultiMarginLossBackward0", tensors=("input", "target"), function=False,
    method=False)  # fmt: skip
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    batch = input.shape[0] if input.ndim == 2 else 1
    if target.ndim > 1 or target.size != batch:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{batch}], but got "
            f"{_sizes(target.shape)}. Input has shape {_sizes(input.shape)}."
        )
    scores, labels = _as_batch(input, target)
    classes = scores.shape[1]
    if weight is not None and weight.size != classes:
        raise RuntimeError(
            f"inconsistent weight size, expected {classes} but got {_sizes(weight.shape)}"
        )
    picked = jnp.take_along_axis(scores, labels[:, None], axis=1)
    hinge = jnp.maximum(margin - picked + scores, 0)
    hinge = hinge * hinge if p == 2 else hinge
    if weight is not None:
        hinge = hinge * weight[labels][:, None]
    others = jnp.arange(classes)[None, :] != labels[:, None]
    losses = jnp.sum(jnp.where(others, hinge, 0), axis=1) / classes
    return reduce_loss(losses.reshape(target.shape), reduction)


@op(grad_fn="MultilabelMarginLossBackward0", tensors=("input", "target"), function=False,
    method=False)  # fmt: skip
def multilabel_margin_loss(input, target, reduction="mean"):
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {_sizes(target.shape)} for input of size: "
            f"{_sizes(input.shape)}"
        )
    scores = input.reshape(1, -1) if input.ndim <= 1 else input
    labels = target.reshape(scores.shape)
    classes = scores.shape[1]
    # the labels of a sample are its target entries before the first -1
    listed = jnp.cumprod(labels >= 0, axis=1).astype(bool)
    safe = jnp.where(listed, labels, 0)
    is_label = jnp.any(
        listed[:, :, None] & (safe[:, :, None] == jnp.arange(classes)[None, None, :]), axis=1
    )
    label_scores = jnp.take_along_axis(scores, safe, axis=1)
    hinge = jnp.maximum(1 - label_scores[:, :, None] + scores[:, None, :], 0)
    counted = listed[:, :, None] & ~is_label[:, None, :]
    losses = jnp.sum(jnp.where(counted, hinge, 0), axis=(1, 2)) / classes
    return reduce_loss(losses.reshape(input.shape[:-1]), reduction)
