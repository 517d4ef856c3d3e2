"""torch.nn.functional normalization: batch_norm, instance_norm, layer_norm, group_norm,
rms_norm, local_response_norm.

batch_norm's output comes from one op-table row (NativeBatchNormBackward0); in training the
running statistics are then updated in place like torch's kernel does: the batch mean and the
unbiased batch variance blended in with `momentum` (another row, `_batch_norm_update_stats`).
"""

from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ..._ops.dispatch import call
from ..._ops.registry import TABLE
from ..._tensor import Tensor

__all__ = [
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "rms_norm",
]


def _verify_batch_size(size) -> None:
    values = size[0]
    for n in size[2:]:
        values *= n
    if values == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def _update_running_stats(input: Tensor, running_mean, running_var, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch (unbiased variance), in place: the
    new values come from one op-table row, so a training loop runs one cached kernel for them."""
    args = (input, running_mean, running_var, momentum)
    blended = call(TABLE["_batch_norm_update_stats"], args, {})
    buffers = [buffer for buffer in (running_mean, running_var) if buffer is not None]
    for buffer, value in zip(buffers, blended):
        buffer._write(value._value)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """torch.nn.functional.batch_norm."""
    if training:
        _verify_batch_size(input.size())
    args = (input, weight, bias, running_mean, running_var, training, momentum, eps)
    out = call(TABLE["native_batch_norm"], args, {})
    if training and (running_mean is not None or running_var is not None):
        with _grad_mode.no_grad():
            _update_running_stats(input, running_mean, running_var, momentum)
    return out


def _verify_spatial_size(size) -> None:
    values = 1
    for n in size[2:]:
        values *= n
    if values == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {size}"
        )


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """torch.nn.functional.instance_norm: batch_norm over a (1, N*C, ...) view of the input."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    batch, channels = input.shape[0], input.shape[1]

    def repeated(t):
        return None if t is None else t.repeat(batch)

    folded = input.contiguous().view(1, batch * channels, *input.shape[2:])
    stats = [None if t is None else repeated(t).detach() for t in (running_mean, running_var)]
    out = batch_norm(
        folded, stats[0], stats[1], repeated(weight), repeated(bias), use_input_stats, momentum, eps
    )
    with _grad_mode.no_grad():
        for buffer, blended in zip((running_mean, running_var), stats):
            if buffer is not None and use_input_stats:
                buffer.copy_(blended.view(batch, channels).mean(0))
    return out.view(*input.shape)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """torch.nn.functional.layer_norm."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return call(TABLE["layer_norm"], (input, shape, weight, bias, eps), {})


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """torch.nn.functional.group_norm."""
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups, *input.size()[2:]])
    return call(TABLE["group_norm"], (input, num_groups, weight, bias, eps), {})


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _check_rms_norm(input: Tensor, shape: tuple, weight) -> None:
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{_sizes(weight.shape)} and normalized_shape = {_sizes(shape)}"
        )
    if input.dim() < len(shape) or tuple(input.shape[input.dim() - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={_sizes(shape)}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{_sizes(input.shape)}"
        )


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps=None) -> Tensor:
    """torch.nn.functional.rms_norm: x / sqrt(mean(x^2) + eps) over the trailing dims, * weight."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_rms_norm(input, shape, weight)
    if eps is None:  # torch's default is the machine epsilon of the input's dtype
        eps = float(np.finfo(input.dtype._np).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    scale = input.pow(2).mean(dims, keepdim=True).add(eps).rsqrt()
    out = input.mul(scale)
    return out if weight is None else out.mul(weight)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """torch.nn.functional.local_response_norm: x / (k + alpha * mean of x^2 over `size`
    neighbouring channels)^beta."""
    if input.dim() < 3:
        gap = " " * 26  # torch's message carries its source line's indentation
        raise ValueError(
            f"Expected 3D or higher dimensionality{gap}input (got {input.dim()} dimensions)"
        )
    if input.numel() == 0:
        return input
    from ..functional import avg_pool2d, pad

    sizes = input.size()
    # channels become the height of a one-channel image; the window slides along it
    squares = input.mul(input).reshape(sizes[0], 1, sizes[1], -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(squares, (size, 1), stride=1).squeeze(1).view(sizes)
    return input / div.mul(alpha).add(k).pow(beta)
