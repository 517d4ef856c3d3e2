"""torch.nn.init: in-place weight initialisation recipes.

Every bound is computed with Python floats in the same order as torch, then drawn with
Tensor.uniform_ / Tensor.normal_ from torch's generator, so after the same manual_seed the
weights are bit-identical to torch's.
"""

from __future__ import annotations

import math
import warnings

import torchlike

from .. import _grad_mode

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]  # fmt: skip

_LINEAR_LIKE = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
)  # fmt: skip


def calculate_gain(nonlinearity: str, param=None):
    """torch.nn.init.calculate_gain: the recommended scale for a nonlinearity."""
    if nonlinearity in _LINEAR_LIKE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """torch.nn.init._calculate_fan_in_and_fan_out: (in, out) times the receptive field."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = 1
    for size in tensor.shape[2:]:
        receptive_field *= size
    return tensor.size(1) * receptive_field, tensor.size(0) * receptive_field


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """torch.nn.init.uniform_: fill with U(a, b)."""
    with _grad_mode.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """torch.nn.init.normal_: fill with N(mean, std**2)."""
    with _grad_mode.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """torch.nn.init.trunc_normal_: N(mean, std**2) restricted to [a, b] by rejection sampling."""

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
            "values may be incorrect.",
            stacklevel=2,
        )
    with _grad_mode.no_grad():
        mass = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
        if mass > 0.3:
            return _redraw_normal_outside(tensor, mean, std, a, b, generator)
        return _uniform_rejection(tensor, mean, std, a, b, generator)


def _redraw_normal_outside(tensor, mean, std, a, b, generator):
    """Most of the mass is inside [a, b]: draw normals, redraw (whole batches) the outliers."""
    low, high = (torchlike.tensor(bound, dtype=tensor.dtype).item() for bound in (a, b))
    result = tensor.normal_(mean, std, generator=generator)
    while True:
        outside = (result < low) | (result > high)
        if not outside.any():
            break
        fresh = torchlike.empty_like(result).normal_(mean, std, generator=generator)
        result = torchlike.where(outside, fresh, result)
    if result is not tensor:
        tensor.copy_(result)
    return tensor


def _uniform_rejection(tensor, mean, std, a, b, generator):
    """Little mass inside [a, b]: uniform proposals on [a, b], accepted with pdf / peak pdf."""
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def rejected(candidates, draws):
        # log u > log pdf(x) - log pdf(mode) means reject, with pdf's log computed in place
        candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
        return draws.uniform_(generator=generator).log_().gt(candidates)

    candidates, draws = torchlike.empty_like(tensor), torchlike.empty_like(tensor)
    tensor.uniform_(a, b, generator=generator)
    candidates.copy_(tensor)
    pending = rejected(candidates, draws)
    if not pending.any():
        return tensor
    result = tensor
    while True:
        candidates.uniform_(a, b, generator=generator)
        result = torchlike.where(pending, candidates, result)
        pending = torchlike.where(pending, rejected(candidates, draws), pending)
        if not pending.any():
            break
    tensor.copy_(result)
    return tensor


def constant_(tensor, val: float):
    """torch.nn.init.constant_."""
    with _grad_mode.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """torch.nn.init.ones_."""
    with _grad_mode.no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor):
    """torch.nn.init.zeros_."""
    with _grad_mode.no_grad():
        return tensor.zero_()


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """torch.nn.init.xavier_uniform_ (Glorot): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """torch.nn.init.xavier_normal_ (Glorot): N(0, gain**2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """torch.nn.init.kaiming_uniform_ (He): U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """torch.nn.init.kaiming_normal_ (He): N(0, (gain / sqrt(fan))**2)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn.init' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.init.{name} yet; see compat/COVERAGE.md)"
    )
