"""Bit-exact reimplementation of PyTorch's CPU random number generator, on numpy."""

from .discrete import (
    bernoulli_scalar,
    bernoulli_tensor,
    dropout,
    dropout2d,
    dropout_noise,
    feature_dropout,
    feature_dropout_noise,
    multinomial,
)
from .engine import DEFAULT_SEED, STATE_NBYTES, CPUGeneratorState, default_generator_state
from .init import (
    calculate_gain,
    conv_default,
    default_weight_and_bias,
    fan_in_and_fan_out,
    kaiming_normal_,
    kaiming_uniform_,
    linear_default,
    xavier_normal_,
    xavier_uniform_,
)
from .integers import randint, random_, random_from_to, randperm
from .layout import fill_order, place_in_fill_order
from .sampling import (
    broadcast_shape,
    cauchy,
    exponential,
    geometric,
    log_normal,
    normal,
    normal_tensor,
    uniform,
)

__all__ = [
    "CPUGeneratorState",
    "DEFAULT_SEED",
    "STATE_NBYTES",
    "bernoulli_scalar",
    "bernoulli_tensor",
    "broadcast_shape",
    "calculate_gain",
    "cauchy",
    "conv_default",
    "default_generator_state",
    "default_weight_and_bias",
    "dropout",
    "dropout2d",
    "dropout_noise",
    "exponential",
    "fan_in_and_fan_out",
    "feature_dropout",
    "feature_dropout_noise",
    "fill_order",
    "geometric",
    "kaiming_normal_",
    "kaiming_uniform_",
    "linear_default",
    "log_normal",
    "multinomial",
    "normal",
    "normal_tensor",
    "place_in_fill_order",
    "randint",
    "random_",
    "random_from_to",
    "randperm",
    "uniform",
    "xavier_normal_",
    "xavier_uniform_",
]
