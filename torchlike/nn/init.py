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
from .._random import init as _random_init

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "trunc_normal_", "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]  # fmt: skip


def calculate_gain(nonlinearity: str, param=None):
    """torch.nn.init.calculate_gain: the recommended scale for a nonlinearity."""
    return _random_init.calculate_gain(nonlinearity, param)


def _calculate_fan_in_and_fan_out(tensor):
    """torch.nn.init._calculate_fan_in_and_fan_out: (in, out) times the receptive field."""
    return _random_init.fan_in_and_fan_out(tensor.shape)


def _calculate_correct_fan(tensor, mode: str) -> int:
    return _random_init.fan(tensor.shape, mode)


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
    bound = math.sqrt(3.0) * _random_init.xavier_std(tensor.shape, gain)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """torch.nn.init.xavier_normal_ (Glorot): N(0, gain**2 * 2 / (fan_in + fan_out))."""
    return normal_(tensor, 0.0, _random_init.xavier_std(tensor.shape, gain), generator)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """torch.nn.init.kaiming_uniform_ (He): U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan)."""
    if _random_init.warn_if_zero_element(tensor.shape):
        return tensor
    bound = math.sqrt(3.0) * _random_init.kaiming_std(tensor.shape, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """torch.nn.init.kaiming_normal_ (He): N(0, (gain / sqrt(fan))**2)."""
    if _random_init.warn_if_zero_element(tensor.shape):
        return tensor
    std = _random_init.kaiming_std(tensor.shape, a, mode, nonlinearity)
    return normal_(tensor, 0, std, generator)


from ._init_structured import deprecated, dirac_, eye_, orthogonal_, sparse_  # noqa: E402

uniform, normal, constant = deprecated(uniform_), deprecated(normal_), deprecated(constant_)
eye, dirac, orthogonal, sparse = map(deprecated, (eye_, dirac_, orthogonal_, sparse_))
xavier_uniform, xavier_normal = deprecated(xavier_uniform_), deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = deprecated(kaiming_uniform_), deprecated(kaiming_normal_)
__all__ += ["dirac_", "eye_", "orthogonal_", "sparse_"]


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn.init' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.init.{name} yet; see compat/COVERAGE.md)"
    )
