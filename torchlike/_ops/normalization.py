"""Normalization: batch_norm, layer_norm, group_norm (instance_norm is batch_norm reshaped).

Statistics accumulate in float64 for float32 inputs, as torch's CPU kernels accumulate in
double; outputs are cast back to the input's dtype.
"""

from __future__ import annotations

import jax.numpy as jnp

from .registry import op


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def accumulation_dtype(dtype):
    return jnp.float64 if dtype in (jnp.float32, jnp.float16, jnp.bfloat16) else dtype


def moments(x, axes):
    """Mean and biased variance over axes (kept), in the accumulation dtype."""
    wide = x.astype(accumulation_dtype(x.dtype))
    mean = jnp.mean(wide, axis=axes, keepdims=True)
    return mean, jnp.mean(jnp.square(wide - mean), axis=axes, keepdims=True)


def _affine(normalized, weight, bias, shape):
    if weight is not None:
        normalized = normalized * weight.astype(normalized.dtype).reshape(shape)
    if bias is not None:
        normalized = normalized + bias.astype(normalized.dtype).reshape(shape)
    return normalized


def _check_channel_vector(name: str, vector, channels: int) -> None:
    if vector is not None and vector.size != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {vector.size}")


@op(
    grad_fn="NativeBatchNormBackward0",
    function=False,
    method=False,
    tensors=("input", "weight", "bias", "running_mean", "running_var"),
)
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """The output of torch.native_batch_norm (the running-stat update happens in F.batch_norm)."""
    channels = input.shape[1] if input.ndim > 1 else 1
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    for name, vector in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_channel_vector(name, vector, channels)
    shape = (1, channels) + (1,) * (input.ndim - 2)
    axes = (0, *range(2, input.ndim))
    acc = accumulation_dtype(input.dtype)
    if training:
        mean, var = moments(input, axes)
    else:
        mean, var = running_mean.astype(acc).reshape(shape), running_var.astype(acc).reshape(shape)
    normalized = (input.astype(acc) - mean) / jnp.sqrt(var + eps)
    return _affine(normalized, weight, bias, shape).astype(input.dtype)


@op(
    grad_fn=None,
    differentiable=False,
    function=False,
    method=False,
    tensors=("input", "running_mean", "running_var"),
)
def _batch_norm_update_stats(input, running_mean, running_var, momentum):
    """The running statistics a training batch_norm leaves, one per buffer given: the batch mean
    and the unbiased batch variance blended in with `momentum`, in each buffer's dtype (what
    torch's kernel writes in place; F.batch_norm writes these back)."""
    axes = (0, *range(2, input.ndim))
    count = input.size // input.shape[1]
    mean, var = moments(input, axes)
    mean, var = mean.reshape(-1), var.reshape(-1)
    unbiased = var * (count / (count - 1)) if count > 1 else jnp.full_like(var, jnp.nan)
    blended = []
    for buffer, batch in ((running_mean, mean), (running_var, unbiased)):
        if buffer is not None:
            old = buffer.astype(batch.dtype)
            blended.append((momentum * batch + (1 - momentum) * old).astype(buffer.dtype))
    return tuple(blended)


@op(grad_fn="NativeLayerNormBackward0", method=False)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    shape = tuple(normalized_shape)
    count = len(shape)
    if count == 0 or tuple(input.shape[input.ndim - count :]) != shape or input.ndim < count:
        raise RuntimeError(
            f"Given normalized_shape={_sizes(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{_sizes(input.shape)}"
        )
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {_sizes(tensor.shape)} and normalized_shape = {_sizes(shape)}"
            )
    axes = tuple(range(input.ndim - count, input.ndim))
    mean, var = moments(input, axes)
    normalized = (input.astype(mean.dtype) - mean) / jnp.sqrt(var + eps)
    return _affine(normalized, weight, bias, shape).astype(input.dtype)


def _check_group_norm(input, num_groups, weight, bias) -> None:
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    channels = input.shape[1]
    if channels % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {_sizes(input.shape)} and num_groups={num_groups}"
        )
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and (tensor.ndim != 1 or tensor.size != channels):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {_sizes(tensor.shape)} and input of shape "
                f"{_sizes(input.shape)}"
            )


@op(grad_fn="NativeGroupNormBackward0", method=False)
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    _check_group_norm(input, num_groups, weight, bias)
    batch, channels = input.shape[:2]
    grouped = input.reshape(batch, num_groups, -1)
    mean, var = moments(grouped, (2,))
    normalized = (grouped.astype(mean.dtype) - mean) / jnp.sqrt(var + eps)
    normalized = normalized.reshape(input.shape)
    shape = (1, channels) + (1,) * (input.ndim - 2)
    return _affine(normalized, weight, bias, shape).astype(input.dtype)
