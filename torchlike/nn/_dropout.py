"""Dropout functions: torch.nn.functional.dropout, dropout1d/2d/3d, alpha_dropout and the
torch.dropout / torch.feature_dropout family they call.

The noise is drawn like torch's CPU kernel (a Bernoulli(1 - p) tensor laid out like the input,
scaled in the input's dtype), then multiplied in through op-table rows so the result carries
torch's grad_fn (MulBackward0, or AddBackward0 for alpha dropout).
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _random as rng
from .._ops.creation import finish
from .._ops.random_fill import contiguous_strides, draw_strided, like_strides
from .._tensor import Tensor

__all__ = [
    "alpha_dropout", "alpha_dropout_", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "feature_dropout",
    "feature_dropout_", "functional_alpha_dropout", "functional_dropout",
    "functional_feature_alpha_dropout",
]  # fmt: skip

# SELU's negative saturation value, -scale * alpha, as alpha dropout's fill value.
_SELU_SATURATION = 1.7580993408473766


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, feature: bool) -> Tensor:
    """A 0/1 tensor in input's dtype: 1 with probability 1 - p, drawn in torch's fill order.

    Element dropout fills a tensor laid out like the input (memory order); feature dropout
    fills a contiguous (N, C, 1, ...) tensor.
    """
    shape = tuple(input.shape)
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:2] + (1,) * (len(shape) - 2)
        strides = contiguous_strides(shape)
    else:
        strides = like_strides(input)
    np_dtype = np.dtype(input.dtype._np)
    keep = 1.0 - p
    values = draw_strided(
        None,
        shape,
        strides,
        lambda state, s, contiguous: rng.bernoulli_scalar(state, s, keep, np_dtype),
        lambda key, s: jax.random.bernoulli(key, keep, s).astype(np_dtype),
    )
    return finish(values, input.dtype, input.device)


def _check_floating(input: Tensor) -> None:
    # torch divides the drawn noise in place in the input's dtype, which an integer type refuses.
    if not input.dtype.is_floating_point:
        word = input.type().removeprefix("torch.").removesuffix("Tensor")
        raise RuntimeError(f"result type Float can't be cast to the desired output type {word}")


def _multiply(input: Tensor, noise: Tensor, inplace: bool) -> Tensor:
    return input.mul_(noise) if inplace else input * noise


def _dropout_impl(input, p, train, inplace, feature=False, alpha=False) -> Tensor:
    """ATen's _dropout_impl on CPU: identity, all zeros, or input times scaled noise."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        return _multiply(input, finish(jnp.zeros((), input.dtype._np), input.dtype), inplace)
    mask = _keep_mask(input, p, feature)
    _check_floating(input)
    if not alpha:
        # noise / (1 - p) in the input's dtype (a tensor-by-scalar division, like torch's div_).
        return _multiply(input, mask / (1 - p), inplace)
    a = 1.0 / math.sqrt((_SELU_SATURATION**2 * p + 1) * (1 - p))
    shift = (mask - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    return _multiply(input, mask * a, inplace).add_(shift)


# ----- torch.dropout and friends (the ATen functions F.* call) ------------------------------------
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """torch.nn.functional.dropout: zero each element with probability p, scale by 1 / (1 - p)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def functional_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout_(input, p, train)."""
    return _dropout_impl(input, p, train, True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_dropout(input, p, train): one draw per (sample, channel)."""
    return _dropout_impl(input, p, train, False, feature=True)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_dropout_(input, p, train)."""
    return _dropout_impl(input, p, train, True, feature=True)


def functional_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.alpha_dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False, alpha=True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.alpha_dropout_(input, p, train)."""
    return _dropout_impl(input, p, train, True, alpha=True)


def functional_feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_alpha_dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False, feature=True, alpha=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_alpha_dropout_(input, p, train)."""
    return _dropout_impl(input, p, train, True, feature=True, alpha=True)


# ----- torch.nn.functional ----------------------------------------------------------------------
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """torch.nn.functional.alpha_dropout: dropout that keeps SELU's mean and variance."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input: Tensor, p=0.5, training: bool = False, inplace: bool = False):
    """torch.nn.functional.feature_alpha_dropout: alpha dropout of whole channels."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _channel_dropout(input: Tensor, p, training, inplace, batched: bool) -> Tensor:
    """feature_dropout on input, given a batch dim first when it has none (and removed after)."""
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout_impl(input, p, training, inplace, feature=True)
    if not batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """torch.nn.functional.dropout1d: zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _channel_dropout(input, p, training, inplace, batched=ndim == 3)


def _warn_rank(name: str, ndim: int, spatial: str, ranks: str) -> None:
    warnings.warn(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
        "an error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {name} exists to provide channel-wise dropout on "
        f"inputs with {spatial} spatial dimensions, a channel dimension, and an optional batch "
        f"dimension (i.e. {ranks} inputs).",
        stacklevel=3,
    )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """torch.nn.functional.dropout2d: zero whole channels of (N, C, H, W) inputs."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        _warn_rank("dropout2d", ndim, "2", "3D or 4D")
    if ndim == 3:
        # torch keeps reading a 3-D input as (N, C, L) here, and says so.
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """torch.nn.functional.dropout3d: zero whole channels of (N, C, D, H, W) inputs."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        _warn_rank("dropout3d", ndim, "3", "4D or 5D")
    return _channel_dropout(input, p, training, inplace, batched=ndim == 5)
