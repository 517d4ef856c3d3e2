"""torch's CPU generator per torchlike dtype: float16/bfloat16 on top of torchlike._random.

torchlike._random reproduces float32/float64 and integer dtypes. torch's float16 and
bfloat16 kernels compute in float32 or double and round the result, so they are rebuilt
here from those paths (checked against torch 2.13 in compat/test_random_api_compat.py).
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .. import _random as rng
from .._random.engine import CPUGeneratorState
from .._random.normal_kernels import normal_scalar_path
from .._random.sampling import _check_std

_HALF_DIGITS = {"float16": 11, "bfloat16": 8}


def _half_digits(dtype: dt.dtype) -> int | None:
    return _HALF_DIGITS.get(dtype._name)


def engine_dtype(dtype: dt.dtype):
    """The numpy dtype torchlike._random is asked for (float32 stands in for 16-bit floats)."""
    return np.dtype(np.float32) if _half_digits(dtype) else dtype._np


def uniform(gen: CPUGeneratorState, shape, dtype: dt.dtype, low=0.0, high=1.0) -> np.ndarray:
    """Tensor.uniform_(low, high); 16-bit floats round float32's draw, then exclude `high`."""
    if _half_digits(dtype) is None:
        return rng.uniform(gen, shape, engine_dtype(dtype), low, high)
    half = dtype._np.type
    values = rng.uniform(gen, shape, np.float32, low, high).astype(half)
    values[values == half(high)] = half(low)
    return values


def normal(gen: CPUGeneratorState, shape, dtype: dt.dtype, mean=0.0, std=1.0, contiguous=True):
    """Tensor.normal_(mean, std); see _half_normal_vector for 16-bit floats with n >= 16."""
    if _half_digits(dtype) is None:
        return rng.normal(gen, shape, dtype._np, mean, std, contiguous=contiguous)
    count = int(np.prod(shape, dtype=np.int64))
    if count >= 16 and contiguous:
        return _half_normal_vector(gen, count, mean, std).astype(dtype._np).reshape(shape)
    _check_std(float(std))
    if count == 0:
        return np.empty(shape, dtype._np)
    values = normal_scalar_path(gen, count, np.float64, float(mean), float(std))
    return _from_double(values, dtype).reshape(shape)


def _from_double(values: np.ndarray, dtype: dt.dtype) -> np.ndarray:
    # c10's Half and BFloat16 are built from float, so a double is rounded to float first.
    return values.astype(np.float32).astype(dtype._np)


def _half_normal_vector(gen: CPUGeneratorState, count: int, mean, std) -> np.ndarray:
    # float32's kernel on whole blocks, then 16 fresh draws for the tail; unlike float32 no
    # uniforms are drawn for the partial block first.
    whole = 16 * (count // 16)
    values = np.empty(count, np.float32)
    values[:whole] = rng.normal(gen, (whole,), np.float32, mean, std)
    if count % 16:
        values[count - 16 :] = rng.normal(gen, (16,), np.float32, mean, std)
    return values


def random_from_to(gen: CPUGeneratorState, shape, dtype: dt.dtype, low, high) -> np.ndarray:
    """Tensor.random_(from, to) / randint, any dtype."""
    return rng.random_from_to(gen, shape, engine_dtype(dtype), low, high).astype(dtype._np)


def random_(gen: CPUGeneratorState, shape, dtype: dt.dtype) -> np.ndarray:
    """Tensor.random_(): for 16-bit floats, one word modulo 2**digits + 1, as torch draws it."""
    digits = _half_digits(dtype)
    if digits is None:
        return rng.random_(gen, shape, dtype._np)
    return rng.random_from_to(gen, shape, np.float32, 0, (1 << digits) + 1).astype(dtype._np)


def continuous(sampler, gen: CPUGeneratorState, shape, dtype: dt.dtype, *params) -> np.ndarray:
    """exponential/cauchy/log_normal/geometric: drawn in double, rounded to dtype once."""
    if _half_digits(dtype) is None:
        return sampler(gen, shape, dtype._np, *params)
    return _from_double(sampler(gen, shape, np.float64, *params), dtype)


def bernoulli_scalar(gen: CPUGeneratorState, shape, p, dtype: dt.dtype) -> np.ndarray:
    return rng.bernoulli_scalar(gen, shape, p, engine_dtype(dtype)).astype(dtype._np)
