"""torch.nn.functional losses beyond nll/mse/l1/cross_entropy.

Losses torch computes in one kernel (smooth_l1, huber, binary_cross_entropy, with_logits,
soft_margin) call their op-table row; the ones torch composes from other ops (kl_div,
margin_ranking, cosine_embedding, triplet_margin, hinge_embedding, poisson/gaussian NLL,
multilabel soft margin) are composed here the same way, so their grad_fn names match too.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as dt
from ..._ops.creation import zeros_like
from ..._ops.dispatch import call
from ..._ops.registry import TABLE
from ..._tensor import Tensor
from .._reduction import reduction_arg, warn_size_mismatch

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "margin_ranking_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss",
    "triplet_margin_loss",
]  # fmt: skip


def _where(condition: Tensor, input: Tensor, other: Tensor) -> Tensor:
    return call(TABLE["where"], (condition, input, other), {})


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _broadcast(input: Tensor, target: Tensor):
    if input.shape == target.shape:
        return input, target
    from ..._ops import FUNCTIONS

    return FUNCTIONS["broadcast_tensors"](input, target)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """torch.nn.functional.smooth_l1_loss."""
    warn_size_mismatch(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    input, target = _broadcast(input, target)
    if beta == 0.0:  # torch takes the l1 path, which shows as Abs/Mean nodes
        return _reduce((input - target).abs(), reduction)
    return call(TABLE["smooth_l1_loss"], (input, target, reduction, beta), {})


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """torch.nn.functional.huber_loss."""
    warn_size_mismatch(input, target)
    reduction = reduction_arg(None, None, reduction)
    input, target = _broadcast(input, target)
    if weight is None:
        return call(TABLE["huber_loss"], (input, target, reduction, delta), {})
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    return _reduce(
        call(TABLE["huber_loss"], (input, target, "none", delta), {}) * weight, reduction
    )


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """torch.nn.functional.binary_cross_entropy."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        weight = weight.expand(*target.size()) if weight.size() != target.size() else weight
    # torch's kernel checks the values eagerly; kept out of the row so compiled kernels keep it
    if bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return call(TABLE["binary_cross_entropy"], (input, target, weight, reduction), {})


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """torch.nn.functional.binary_cross_entropy_with_logits."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Target size ({target.size()}) must be the same as input size ({input.size()})"
        )
    row = TABLE["binary_cross_entropy_with_logits"]
    return call(row, (input, target, weight, pos_weight, reduction), {})


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.soft_margin_loss: log(1 + exp(-target * input))."""
    reduction = reduction_arg(size_average, reduce, reduction)
    return call(TABLE["soft_margin_loss"], (input, target, reduction), {})


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """torch.nn.functional.kl_div: target * (log(target) - input), input in log space."""
    if size_average is not None or reduce is not None:
        reduction = reduction_arg(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    elif reduction != "batchmean":
        reduction = reduction_arg(None, None, reduction)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = target.xlogy(target) - target * input
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.size()[0] if input.dim() != 0 else total
    return _reduce(losses, reduction)


def margin_ranking_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """torch.nn.functional.margin_ranking_loss: max(0, -target * (input1 - input2) + margin)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """torch.nn.functional.cosine_embedding_loss: 1 - cos for target 1, max(0, cos - margin)
    for target -1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _check_cosine_embedding(input1, input2, target)
    dim = input1.dim() - 1
    epsilon = 1e-12  # torch's guard against zero-length vectors
    dot = (input1 * input2).sum(dim)
    squares1 = (input1 * input1).sum(dim) + epsilon
    squares2 = (input2 * input2).sum(dim) + epsilon
    cosine = dot / (squares1 * squares2).sqrt()
    zeros = zeros_like(cosine)
    positive = _where(target == 1, 1 - cosine, zeros)
    negative = _where(target == -1, (cosine - margin).clamp_min(0), zeros)
    return _reduce(positive + negative, reduction)


def _check_cosine_embedding(input1, input2, target) -> None:
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = target.dim() + 1
    if input1.dim() != expected or input2.dim() != expected:
        raise RuntimeError(
            f"{target.dim()}D target tensor expects {expected}D input tensors, but found inputs "
            f"with sizes {list(input1.shape)} and {list(input2.shape)}."
        )


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """torch.nn.functional.triplet_margin_loss: max(0, d(a, p) - d(a, n) + margin)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    to_positive = _pairwise_distance(anchor, positive, p, eps)
    to_negative = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = to_negative.minimum(_pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + to_positive - to_negative).clamp_min(0), reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """torch.pairwise_distance: the p-norm of x1 - x2 + eps along the last dim."""
    return (x1 - x2 + eps).norm(p, -1)


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """torch.nn.functional.hinge_embedding_loss: input for target 1, max(0, margin - input)
    for target -1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    zeros = zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    output_margin = _where(target != 1, margin_clamp, zeros)
    output_self = _where(target != -1, input, zeros)
    return _reduce(output_margin + output_self, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """torch.nn.functional.poisson_nll_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (2 * math.pi * target).log() * 0.5
        losses = losses + stirling.masked_fill(target <= 1, 0)
    return _reduce(losses, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """torch.nn.functional.gaussian_nll_loss: 0.5 * (log(var) + (input - target)^2 / var)."""
    from ..._grad_mode import no_grad
    from ..._ops.creation import ones_like

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif not (
            input.dim() == var.dim()
            and sum(v for i, v in zip(input.size(), var.size()) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    losses = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """torch.nn.functional.multilabel_soft_margin_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    log_sigmoid = TABLE["log_sigmoid"]
    positive = call(log_sigmoid, (input,), {})
    negative = call(log_sigmoid, (-input,), {})
    losses = -(target * positive + (1 - target) * negative)
    if weight is not None:
        losses = losses * weight
    class_dim = input.dim() - 1
    losses = losses.sum(dim=class_dim) / input.size(class_dim)
    return _reduce(losses, reduction)


def _check_labels(target: Tensor, low: int, high: int, message: str) -> None:
    """torch's eager checks of class-index targets: int64, and every value in [low, high)."""
    if target.dtype != dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_word(target)}")
    labels = target.numpy()
    if ((labels < low) | (labels >= high)).any():
        raise RuntimeError(message)


def _type_word(tensor: Tensor) -> str:
    return tensor.type().removeprefix("torch.").removesuffix("Tensor")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):  # fmt: skip
    """torch.nn.functional.multi_margin_loss: sum over other classes of the hinge
    max(0, margin - x[y] + x[j])^p, over the number of classes."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    classes = input.shape[-1] if input.dim() else 1
    _check_labels(target, 0, classes, "target out of range")
    row = TABLE["multi_margin_loss"]
    return call(row, (input, target, p, margin), {"weight": weight, "reduction": reduction})


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.multilabel_margin_loss: hinge between each listed label and every
    unlisted class (labels end at the first -1)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    classes = input.shape[-1] if input.dim() else 1
    _check_labels(target, -1, classes, "argument #2 'target' is out of range")
    return call(TABLE["multilabel_margin_loss"], (input, target, reduction), {})
