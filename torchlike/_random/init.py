"""nn.init's random recipes and the default initialisation of Linear and Conv layers.

Every bound is computed with Python doubles in torch's order: `bound` and `b_bound` below
are mathematically equal for some fans but can differ in the last bit, which changes the
float32 weights.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .dtypes import as_shape, numel
from .engine import CPUGeneratorState
from .sampling import normal, uniform

_UNIT_GAIN = {
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
}
_LINEAR_DEFAULT_A = math.sqrt(5)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain torch.nn.init.calculate_gain recommends for a nonlinearity."""
    if nonlinearity in _UNIT_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """nn.init._calculate_fan_in_and_fan_out for a weight of `shape`."""
    shape = as_shape(shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = numel(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def fan(shape, mode: str) -> int:
    """nn.init._calculate_correct_fan: fan_in or fan_out of a weight of `shape`."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_std(shape, a, mode: str, nonlinearity: str) -> float:
    """He's std, gain / sqrt(fan); the fan is checked first, as torch does."""
    fan_size = fan(shape, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_size)


def xavier_std(shape, gain: float) -> float:
    """Glorot's std, gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def warn_if_zero_element(shape) -> bool:
    """Warn (as torch's kaiming_* do) and return True when `shape` has no elements."""
    if 0 in as_shape(shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def uniform_(gen: CPUGeneratorState, shape, a=0.0, b=1.0, dtype="float32") -> np.ndarray:
    """nn.init.uniform_."""
    return uniform(gen, shape, dtype, a, b)


def normal_(gen: CPUGeneratorState, shape, mean=0.0, std=1.0, dtype="float32") -> np.ndarray:
    """nn.init.normal_."""
    return normal(gen, shape, dtype, mean, std)


def kaiming_uniform_(
    gen: CPUGeneratorState, shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", dtype="float32"
) -> np.ndarray:
    """nn.init.kaiming_uniform_: U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan)."""
    if warn_if_zero_element(shape):
        return np.empty(as_shape(shape), dtype=dtype)
    bound = math.sqrt(3.0) * kaiming_std(shape, a, mode, nonlinearity)
    return uniform(gen, shape, dtype, -bound, bound)


def kaiming_normal_(
    gen: CPUGeneratorState, shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", dtype="float32"
) -> np.ndarray:
    """nn.init.kaiming_normal_: N(0, std), std = gain / sqrt(fan)."""
    if warn_if_zero_element(shape):
        return np.empty(as_shape(shape), dtype=dtype)
    return normal(gen, shape, dtype, 0.0, kaiming_std(shape, a, mode, nonlinearity))


def xavier_uniform_(gen: CPUGeneratorState, shape, gain=1.0, dtype="float32") -> np.ndarray:
    """nn.init.xavier_uniform_: U(-a, a), a = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))."""
    bound = math.sqrt(3.0) * xavier_std(shape, gain)
    return uniform(gen, shape, dtype, -bound, bound)


def xavier_normal_(gen: CPUGeneratorState, shape, gain=1.0, dtype="float32") -> np.ndarray:
    """nn.init.xavier_normal_: N(0, gain * sqrt(2 / (fan_in + fan_out)))."""
    return normal(gen, shape, dtype, 0.0, xavier_std(shape, gain))


def default_weight_and_bias(
    gen: CPUGeneratorState, weight_shape, bias_size=None, dtype="float32"
) -> tuple[np.ndarray, np.ndarray | None]:
    """reset_parameters of nn.Linear and nn.ConvNd: weight first, then bias (None: no bias)."""
    weight = kaiming_uniform_(gen, weight_shape, a=_LINEAR_DEFAULT_A, dtype=dtype)
    if bias_size is None:
        return weight, None
    fan_in, _ = fan_in_and_fan_out(weight_shape)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    return weight, uniform(gen, (int(bias_size),), dtype, -bound, bound)


def linear_default(
    gen: CPUGeneratorState, in_features: int, out_features: int, bias=True, dtype="float32"
):
    """nn.Linear(in_features, out_features)'s initial (weight, bias)."""
    return default_weight_and_bias(
        gen, (out_features, in_features), out_features if bias else None, dtype
    )


def conv_default(
    gen: CPUGeneratorState,
    in_channels: int,
    out_channels: int,
    kernel_size,
    groups: int = 1,
    bias=True,
    transposed: bool = False,
    dtype="float32",
):
    """nn.ConvNd / nn.ConvTransposeNd's initial (weight, bias); kernel_size is a tuple."""
    kernel = as_shape(kernel_size)
    if transposed:
        weight_shape = (in_channels, out_channels // groups) + kernel
    else:
        weight_shape = (out_channels, in_channels // groups) + kernel
    return default_weight_and_bias(gen, weight_shape, out_channels if bias else None, dtype)
