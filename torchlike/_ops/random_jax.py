"""Samplers on JAX's counter-based generator, used when torchlike.random.use_jax_prng(True).

Each function takes a fresh key (split off the generator's key per call) and returns a jax
array of the requested shape and dtype. The distributions are torch's; the numbers are not.
The float kernels are jitted per (shape, dtype), so one sampler call is one XLA launch.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt

_static_shape_dtype = functools.partial(jax.jit, static_argnames=("shape", "dtype"))


def _float(dtype: dt.dtype):
    return dtype._np


@_static_shape_dtype
def _uniform(key, low, high, *, shape, dtype):
    values = jax.random.uniform(key, shape, dtype, low, high)
    # torch's interval is [low, high): a value rounded up onto high becomes low.
    return jnp.where(values >= high.astype(dtype), low.astype(dtype), values)


@_static_shape_dtype
def _normal(key, mean, std, *, shape, dtype):
    return jax.random.normal(key, shape, dtype) * std.astype(dtype) + mean.astype(dtype)


def uniform(key, shape, dtype: dt.dtype, low=0.0, high=1.0):
    bounds = np.float64(low), np.float64(high)
    return _uniform(key, *bounds, shape=tuple(shape), dtype=np.dtype(_float(dtype)))


def normal(key, shape, dtype: dt.dtype, mean=0.0, std=1.0):
    params = np.float64(mean), np.float64(std)
    return _normal(key, *params, shape=tuple(shape), dtype=np.dtype(_float(dtype)))


def normal_tensor(key, mean, std, shape, dtype: dt.dtype):
    """torch.normal with tensor mean and/or std (given as arrays or floats), broadcast."""
    values = jax.random.normal(key, shape, _float(dtype))
    return (values * std + mean).astype(_float(dtype))


def random_from_to(key, shape, dtype: dt.dtype, low: int, high: int):
    """Integers in [low, high) cast to dtype, like Tensor.random_(from, to) / randint."""
    if high - low > (1 << 63) - 1 or low < -(1 << 63) or high > (1 << 63):
        offsets = jax.random.bits(key, shape, jnp.uint64) % np.uint64(high - low)
        return (offsets.astype(jnp.int64) + np.int64(low)).astype(dtype._np)
    values = jax.random.randint(key, shape, low, high, jnp.int64)
    return values.astype(dtype._np)


def random_unbounded(key, shape, dtype: dt.dtype):
    """Tensor.random_(): [0, 2**mantissa] for floats, [0, max] for integers, {0, 1} for bool."""
    if dtype.is_floating_point:
        digits = int(np.finfo(_float(dtype)).nmant) + 1
        return random_from_to(key, shape, dt.int64, 0, (1 << digits) + 1).astype(dtype._np)
    np_dtype = np.dtype(dtype._np)
    if np_dtype == np.bool_:
        return jax.random.bernoulli(key, 0.5, shape)
    width = {1: jnp.uint8, 2: jnp.uint16, 4: jnp.uint32, 8: jnp.uint64}[np_dtype.itemsize]
    bits = jax.random.bits(key, shape, width)
    return (bits & np.array(np.iinfo(np_dtype).max, width)).astype(np_dtype)


def randperm(key, n: int, dtype: dt.dtype):
    return jax.random.permutation(key, n).astype(dtype._np)


def bernoulli(key, p, shape, dtype: dt.dtype):
    """1 with probability p (a float or an array broadcast to shape), else 0."""
    return jax.random.bernoulli(key, p, shape).astype(dtype._np)


def exponential(key, shape, dtype: dt.dtype, lambd=1.0):
    return (jax.random.exponential(key, shape, _float(dtype)) / lambd).astype(_float(dtype))


def log_normal(key, shape, dtype: dt.dtype, mean=1.0, std=2.0):
    return jnp.exp(normal(key, shape, dtype, mean, std))


def cauchy(key, shape, dtype: dt.dtype, median=0.0, sigma=1.0):
    values = jax.random.cauchy(key, shape, _float(dtype))
    return (values * sigma + median).astype(_float(dtype))


def geometric(key, shape, dtype: dt.dtype, p=0.5):
    """Number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    u = jax.random.uniform(key, shape, jnp.float64, minval=np.finfo(np.float64).tiny)
    return jnp.ceil(jnp.log(u) / jnp.log1p(-p)).astype(dtype._np)


def multinomial(key, probs, num_samples: int, replacement: bool):
    """Indices drawn from each row of probs (1-D or 2-D), as int64."""
    rows = probs.reshape(-1, probs.shape[-1])
    logits = jnp.log(rows.astype(jnp.float64))
    if replacement:
        picks = jax.random.categorical(key, logits, axis=-1, shape=(num_samples, rows.shape[0]))
        picks = picks.T
    else:
        # Gumbel top-k: the k largest perturbed logits are a draw without replacement.
        perturbed = logits + jax.random.gumbel(key, rows.shape, jnp.float64)
        picks = jax.lax.top_k(perturbed, num_samples)[1]
    return picks.astype(jnp.int64).reshape(probs.shape[:-1] + (num_samples,))
