"""Writing random draws into tensors: torch's fill order, overlap check and autograd record."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _grad_mode
from .. import _random as rng
from .._tensor import Tensor
from ..random import as_generator, is_jax_prng_enabled
from . import inplace
from .dispatch import apply_fn


def contiguous_strides(shape) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def is_contiguous(shape, strides) -> bool:
    """torch's is_contiguous: row-major strides, size-1 dimensions ignored."""
    step = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size == 0:
            return True
        if size != 1 and stride != step:
            return False
        step *= size
    return True


def is_dense(shape, strides) -> bool:
    """torch's is_non_overlapping_and_dense: some permutation of the dims is contiguous."""
    step = 1
    for stride, size in sorted((st, sz) for sz, st in zip(shape, strides) if sz != 1):
        if stride != step:
            return False
        step *= size
    return True


def like_strides(input: Tensor) -> tuple[int, ...]:
    """The strides empty_like(input) gets: input's own when dense, else row-major."""
    shape, strides = tuple(input.shape), input.stride()
    return strides if is_dense(shape, strides) else contiguous_strides(shape)


def draw_in_fill_order(draw, shape, strides) -> np.ndarray:
    """Values drawn by draw(shape, contiguous) placed where torch's fill of `strides` puts them."""
    contiguous = is_contiguous(shape, strides)
    values = draw(shape, contiguous)
    if contiguous:
        return values
    return rng.place_in_fill_order(values, shape, strides)


def check_no_internal_overlap(tensor: Tensor, strides) -> None:
    for size, stride in zip(tensor.shape, strides):
        if stride == 0 and size > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )


class _Sample:
    """fn(*inputs) -> the sampled array: its output ignores its inputs, so their gradients are 0."""

    __slots__ = ("value", "key")

    def __init__(self, value):
        self.value, self.key = value, None

    def __call__(self, *arrays):
        return self.value


def draw(generator, shape, draw_exact, draw_jax):
    """Values for a new tensor: from the generator's JAX key in JAX mode, else torch's engine.

    draw_exact(state, shape) checks its arguments like torch, so JAX mode first calls it with
    no elements (no draws) to raise the same errors.
    """
    gen = as_generator(generator)
    if is_jax_prng_enabled():
        draw_exact(gen._state, (0,))
        return draw_jax(gen._next_key(), shape)
    return draw_exact(gen._state, shape)


def draw_strided(generator, shape, strides, draw_exact, draw_jax) -> np.ndarray:
    """Values for a tensor laid out with `strides`: draw_exact(state, shape, contiguous) values
    placed in torch's fill order, or draw_jax(key, shape) values in JAX mode."""
    gen = as_generator(generator)
    if is_jax_prng_enabled():
        draw_exact(gen._state, (0,), True)  # torch's argument checks, no draws
        return draw_jax(gen._next_key(), shape)
    return draw_in_fill_order(lambda s, c: draw_exact(gen._state, s, c), shape, strides)


def fill(target: Tensor, grad_fn_name: str, generator, draw_exact, draw_jax) -> Tensor:
    """An in-place sampler: torch's checks, then values from draw_strided written into target."""
    inplace.check_inplace_allowed(target)
    shape = tuple(target.shape)
    strides = target.stride() if target._view is not None else contiguous_strides(shape)
    check_no_internal_overlap(target, strides)
    values = draw_strided(generator, shape, strides, draw_exact, draw_jax)
    sample = jnp.asarray(values, target._value.dtype)
    return inplace.overwrite(target, _Sample(sample), grad_fn_name)


def record_constant(result: Tensor, leaves, grad_fn_name: str) -> Tensor:
    """Give a sampled result a zero-gradient grad_fn when one of its tensor inputs needs grad."""
    if _grad_mode._state.enabled and any(leaf.requires_grad for leaf in leaves):
        arrays = [leaf._value for leaf in leaves]
        return apply_fn(_Sample(result._value), leaves, arrays, grad_fn_name)
    return result
