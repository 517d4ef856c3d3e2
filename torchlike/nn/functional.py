"""torch.nn.functional: activations, linear and losses, composed from op-table rows.

Each function calls the rows torch's own implementation reaches, so results carry torch's
grad_fn names (F.linear on a matrix is AddmmBackward0, F.cross_entropy is NllLossBackward0).
"""

from __future__ import annotations

import warnings

import jax

from .. import _dtype as dt
from .._ops import FUNCTIONS as _OP_FUNCTIONS
from .._ops import exact_matmul
from .._ops.dispatch import call
from .._ops.folded_linear import addmm_transposed, matmul_transposed
from .._ops.registry import TABLE
from .._tensor import Tensor
from ._dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ._reduction import reduction_arg, warn_size_mismatch

__all__ = [
    "alpha_dropout", "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "feature_alpha_dropout", "l1_loss", "linear", "log_softmax", "mse_loss", "nll_loss", "relu",
    "relu_", "sigmoid", "softmax", "tanh",
    "conv1d", "conv2d", "conv3d",
]  # fmt: skip

# torch.nn.functional.convNd are torch.convNd themselves
conv1d, conv2d, conv3d = (_OP_FUNCTIONS[f"conv{n}d"] for n in (1, 2, 3))


# ----- activations -------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """torch.nn.functional.relu."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """torch.nn.functional.relu_."""
    return input.relu_()


def sigmoid(input: Tensor) -> Tensor:
    """torch.nn.functional.sigmoid."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """torch.nn.functional.tanh."""
    return input.tanh()


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """torch.nn.functional.softmax."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """torch.nn.functional.log_softmax."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


# ----- linear ------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """torch.nn.functional.linear: input @ weight.T + bias, built the way torch builds it."""
    if bias is None:
        return matmul_transposed(input, weight)
    if input.dim() == 2:
        return _addmm_linear(bias, input, weight)
    # Other ranks: flatten the batch dims, one addmm, view back (ViewBackward0, like torch).
    flat = input.reshape(-1, input.shape[-1]) if input.dim() != 1 else input.view(1, -1)
    out = _addmm_linear(bias, flat, weight)
    return out.view(*input.shape[:-1], weight.shape[0])


def _addmm_linear(bias: Tensor, input: Tensor, weight: Tensor) -> Tensor:
    """bias.addmm(input, weight.t()), in torch's CPU summation order when TORCHLIKE_EXACT_MATMUL
    asks for it (torchlike/_ops/exact_matmul.py)."""
    threads = exact_matmul.emulated_threads()
    if threads is None:
        return addmm_transposed(bias, input, weight)
    return call(TABLE["_linear_addmm_exact"], (bias, input, weight.t()), {"threads": threads})


def _row(name: str, *args) -> Tensor:
    """Call an op-table row directly (for ops torch exposes only through nn.functional)."""
    return call(TABLE[name], args, {})


# ----- losses ------------------------------------------------------------------------------------
def _weighted(errors: Tensor, input: Tensor, weight: Tensor, reduction: str) -> Tensor:
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.sum() / weight.sum()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.mse_loss."""
    warn_size_mismatch(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).pow(2), input, weight, reduction)
    return _row("mse_loss", input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """torch.nn.functional.l1_loss: |input - target|, reduced (Sub, Abs, Mean/Sum like torch)."""
    warn_size_mismatch(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    errors = (input - target).abs()
    if weight is not None:
        return _weighted(errors, input, weight, reduction)
    if reduction == "none":
        return errors
    return errors.sum() if reduction == "sum" else errors.mean()


def _check_nll_args(input: Tensor, target: Tensor, weight, ignore_index: int) -> None:
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]})."
        )
    if target.dtype not in (dt.int64, dt.uint8):
        word = target.type().removeprefix("torch.").removesuffix("Tensor")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {word}")
    classes = input.shape[0 if input.dim() == 1 else 1]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: [{', '.join(map(str, weight.shape))}]"
        )
    array = target._value
    if isinstance(array, jax.core.Tracer):
        return  # inside torch.compile: the values are not known until the program runs
    key = (id(array), classes, ignore_index)
    if _checked_targets.get(key) is array:  # arrays never change: checked already
        return
    labels = target.numpy()  # torch checks the bounds on the host too: one copy, no extra ops
    out_of_range = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if out_of_range.any():
        raise IndexError(f"Target {labels[out_of_range][0]} is out of bounds.")
    if len(_checked_targets) >= 8:
        _checked_targets.clear()
    _checked_targets[key] = array  # held, so its id is not another array's


# (id of a target array, classes, ignore_index) -> the array, for targets found in bounds: a
# training loop's fixed targets are copied to the host once, not on every step.
_checked_targets: dict = {}


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """torch.nn.functional.nll_loss: -input[target], weighted and reduced."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _check_nll_args(input, target, weight, ignore_index)
    if input.dim() in (1, 2, 4):
        return _row("nll_loss", input, target, weight, reduction, ignore_index)
    # Other ranks go through the 4-d kernel like torch's nll_loss_nd: (N, C, 1, -1) views.
    out_size = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != out_size:
        raise RuntimeError(
            f"Expected target size [{', '.join(map(str, out_size))}], got "
            f"[{', '.join(map(str, target.shape))}]"
        )
    n, c = input.shape[0], input.shape[1]
    flat_input = input.contiguous().view(n, c, 1, -1)
    flat_target = target.contiguous().view(n, 1, -1)
    out = _row("nll_loss", flat_input, flat_target, weight, reduction, ignore_index)
    return out if reduction != "none" else out.view(*out_size)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """torch.nn.functional.cross_entropy: log_softmax over the class dim, then nll_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if target.shape == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    log_probs = input.log_softmax(class_dim)
    loss = nll_loss(log_probs, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return loss
    smooth = _smoothing_term(log_probs, target, weight, ignore_index, reduction, class_dim)
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / input.shape[class_dim])


def _class_weight_view(weight: Tensor, ndim: int) -> Tensor:
    """The per-class weight shaped to broadcast along dim 1 of an ndim input."""
    return weight if ndim == 1 else weight.view(1, -1, *([1] * (ndim - 2)))


def _smoothing_term(log_probs, target, weight, ignore_index, reduction, class_dim) -> Tensor:
    ignored = target == ignore_index
    if weight is None:
        smooth = -log_probs.sum(class_dim)
    else:
        smooth = -(log_probs * _class_weight_view(weight, log_probs.dim())).sum(class_dim)
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return smooth.sum()
    if weight is None:
        return smooth.sum() / (~ignored).sum()
    kept_weight = weight[target.masked_fill(ignored, 0)].masked_fill(ignored, 0.0)
    return smooth.sum() / kept_weight.sum()


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    """cross_entropy with class probabilities as the target: -sum(target * log_softmax)."""
    if not target.is_floating_point():
        word = target.type().removeprefix("torch.").removesuffix("Tensor")
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {word}"
        )
    classes = input.shape[class_dim]
    log_probs = input.log_softmax(class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + (label_smoothing / classes)
    products = log_probs * target
    if weight is not None:
        products = products * _class_weight_view(weight, input.dim())
    if reduction == "none":
        return -products.sum(class_dim)
    if reduction == "sum":
        return -products.sum()
    if input.numel() == 0:
        return -products.sum().fill_(float("nan"))
    return _row("div_scalar", -products.sum(), input.numel() // classes)


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn.functional' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.functional.{name} yet; see compat/COVERAGE.md)"
    )


# ----- attention, normalization, activations, losses (implemented in _functional/) ----------
from ._functional.activation import *  # noqa: E402, F403
from ._functional.activation import __all__ as _activation_names  # noqa: E402
from ._functional.attention import scaled_dot_product_attention  # noqa: E402
from ._functional.loss import *  # noqa: E402, F403
from ._functional.loss import __all__ as _loss_names  # noqa: E402
from ._functional.normalization import *  # noqa: E402, F403
from ._functional.normalization import __all__ as _normalization_names  # noqa: E402

__all__ += ["scaled_dot_product_attention", *_normalization_names, *_activation_names,
            *_loss_names]  # fmt: skip

# ----- pooling, embeddings, padding, resampling, conv transposes (layers) ---------------------
from ._functional.distance import normalize  # noqa: E402
from ._functional.pooling import *  # noqa: E402, F403
from ._functional.pooling import __all__ as _pooling_names  # noqa: E402
from ._functional.sparse import embedding, embedding_bag, one_hot  # noqa: E402
from ._functional.vision import interpolate, pad  # noqa: E402

conv_transpose1d, conv_transpose2d = (_OP_FUNCTIONS[f"conv_transpose{n}d"] for n in (1, 2))
bilinear = _OP_FUNCTIONS["bilinear"]
__all__ += [*_pooling_names, "bilinear", "conv_transpose1d", "conv_transpose2d", "embedding",
            "embedding_bag", "interpolate", "normalize", "one_hot", "pad"]  # fmt: skip

from ._functional.attention_mha import multi_head_attention_forward  # noqa: E402

__all__ += ["multi_head_attention_forward"]
