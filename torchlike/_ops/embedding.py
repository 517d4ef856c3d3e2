"""Embedding lookups: embedding, embedding_bag (sum/mean/max bags) and one_hot."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .reduction import type_word
from .registry import op

_INDEX_TYPES = ("int64", "int32")


def check_indices(indices, weight, fn: str, argument: str = "indices") -> None:
    """torch's index dtype and weight rank checks (the range is checked by check_range)."""
    if str(indices.dtype) not in _INDEX_TYPES:
        raise RuntimeError(
            f"Expected tensor for argument #1 '{argument}' to have one of the following scalar "
            f"types: Long, Int; but got torch.{type_word(indices.dtype)}Tensor instead (while "
            f"checking arguments for {fn})"
        )
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")


def check_range(values: np.ndarray, rows: int) -> None:
    """torch's bounds check of lookup indices, on the host before the row runs."""
    if values.size and (values.min() < 0 or values.max() >= rows):
        raise IndexError("index out of range in self")


def _without_grad_at(rows, indices, padding_idx):
    """Rows looked up at padding_idx pass no gradient back to the weight (torch's rule)."""
    if padding_idx is None or padding_idx < 0:
        return rows
    hit = (indices == padding_idx)[..., None]
    return jnp.where(hit, jax.lax.stop_gradient(rows), rows)


@op(grad_fn="EmbeddingBackward0", tensors=("input", "weight"), function=False, method=False)
def embedding(input, weight, padding_idx=None):
    """weight[input]; padding_idx is already non-negative (F.embedding normalises it)."""
    check_indices(input, weight, "embedding")
    rows = jnp.take(weight, input, axis=0)
    return _without_grad_at(rows, input, padding_idx)


def bag_segments(n_inputs: int, offsets, n_bags: int):
    """The bag each input position belongs to (positions past the last bag get n_bags)."""
    positions = jnp.arange(n_inputs, dtype=offsets.dtype)
    bags = jnp.searchsorted(offsets, positions, side="right") - 1
    return jnp.where(bags < n_bags, bags, n_bags)


@op(grad_fn="EmbeddingBagBackward0", function=False, method=False,
    tensors=("input", "weight", "offsets", "per_sample_weights"))  # fmt: skip
def embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset,
                  padding_idx):  # fmt: skip
    """Bags of rows reduced by sum, mean or max (a 1-d input split at offsets)."""
    check_indices(input, weight, "embedding_bag")
    n_bags = offsets.shape[0] - (1 if include_last_offset else 0)
    return _reduce_bags(input, weight, offsets, per_sample_weights, mode, n_bags, padding_idx)


@functools.partial(jax.jit, static_argnums=(4, 5, 6))  # one program: one compile when first seen
def _reduce_bags(input, weight, offsets, per_sample_weights, mode, n_bags, padding_idx):
    bags = bag_segments(input.shape[0], offsets, n_bags)
    rows = jnp.take(weight, input, axis=0)
    keep = jnp.ones(input.shape, bool) if padding_idx is None else input != padding_idx
    if mode == "max":
        lowest = jnp.asarray(-jnp.inf, weight.dtype)
        picked = jnp.where(keep[:, None], rows, lowest)
        best = jax.ops.segment_max(picked, bags, num_segments=n_bags)
        return jnp.where(jnp.isneginf(best), jnp.zeros((), weight.dtype), best)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    rows = jnp.where(keep[:, None], rows, jnp.zeros((), weight.dtype))
    total = jax.ops.segment_sum(rows, bags, num_segments=n_bags)
    if mode == "sum":
        return total
    counts = jax.ops.segment_sum(keep.astype(weight.dtype), bags, num_segments=n_bags)
    return total / jnp.maximum(counts, 1)[:, None]


def one_hot_classes(values: np.ndarray, dtype, num_classes: int) -> int:
    """torch's one_hot checks on the host; the class count (-1: the largest value + 1)."""
    if dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if values.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if values.size and values.max() >= num_classes or num_classes < -1:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return num_classes


@op(grad_fn=None, differentiable=False, function=False, method=False)
def one_hot(input, num_classes):
    """int64 indicator vectors along a new last dim (num_classes from one_hot_classes)."""
    return (input[..., None] == jnp.arange(num_classes, dtype=jnp.int64)).astype(jnp.int64)
