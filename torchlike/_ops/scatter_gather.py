"""Gather and scatter rows: gather, scatter, scatter_add, index_select, index_add, index_copy,
index_fill and take; torch.take_along_dim composed from expand and gather as torch does.

torch raises when an index is out of range; JAX would clamp or drop it silently. Each row checks
its index in Python on the concrete values (one host copy and a min/max compare). Inside a JAX
trace (torch.compile, autograd.functional, a backward kernel) the values are unknown and the
check is skipped. Because a cached forward kernel would skip it too, these rows stay out of
forward kernels (forward_kernel=False); their eager jnp calls are single cached XLA ops.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .pointwise import no_derivative
from .reduction import axes, type_word
from .registry import op

_INDEXING = {"forward_kernel": False}
_INT64 = (jnp.int64,)
_LONG_ONLY = "Expected a long tensor for index, but got {got}"


def _dim(dim: int, ndim: int) -> int:
    (axis,) = axes(dim, ndim) or (0,)
    return axis


def _size(input, axis: int) -> int:
    return input.shape[axis] if input.ndim else 1


def _outside(index, low: int, high: int):
    """The first concrete index value outside [low, high), or None (in range, or traced)."""
    if isinstance(index, jax.core.Tracer) or index.size == 0:
        return None
    values = np.asarray(index).reshape(-1)
    if values.min() >= low and values.max() < high:
        return None
    return int(values[np.argmax((values < low) | (values >= high))])


def _check_bounds(index, axis: int, size: int, error=RuntimeError, prefix: str = "") -> None:
    """torch's 'index i is out of bounds for dimension d with size n' for gather/scatter."""
    bad = _outside(index, 0, size)
    if bad is not None:
        raise error(f"{prefix}index {bad} is out of bounds for dimension {axis} with size {size}")


_INT32_OR_64 = (jnp.int32, jnp.int64)


def _index_dtype_check(index, message: str, allowed=_INT32_OR_64, error=RuntimeError) -> None:
    """torch's index dtype errors; `message` may name the dtype given as {got}."""
    if index.dtype not in allowed:
        raise error(message.format(got=type_word(index.dtype)))


@op(grad_fn="GatherBackward0", **_INDEXING)
def gather(input, dim, index, *, sparse_grad=False):
    _index_dtype_check(index, "gather(): Expected dtype int32/int64 for index")
    axis = _dim(dim, input.ndim)
    _check_bounds(index, axis, _size(input, axis))
    return jnp.take_along_axis(input, index, axis=axis, mode="clip")


def _scatter_positions(index, axis):
    grids = jnp.meshgrid(*[jnp.arange(s) for s in index.shape], indexing="ij")
    return tuple(index if d == axis else grid for d, grid in enumerate(grids))


_SCATTER_BLOCKED = no_derivative("aten::scatter")
_SCATTER_DTYPE = "scatter(): Expected dtype int32/int64 for index"


def _scatter_name(args, kwargs):
    if kwargs.get("reduce") is not None:  # torch has no derivative for scatter's reduce forms
        return "NotImplemented"
    src = args[3] if len(args) > 3 else kwargs.get("src", kwargs.get("value"))
    return "ScatterBackward0" if hasattr(src, "shape") else "ScatterBackward1"


@op(grad_fn=_scatter_name, inplace=True, **_INDEXING)
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _index_dtype_check(index, _SCATTER_DTYPE)
    axis = _dim(dim, input.ndim)
    _check_bounds(index, axis, _size(input, axis))
    src = value if src is None else src
    pos = _scatter_positions(index, axis)
    if hasattr(src, "shape"):
        src = src[tuple(slice(0, s) for s in index.shape)].astype(input.dtype)
    else:
        src = jnp.asarray(src, input.dtype)
    if reduce is None:
        return input.at[pos].set(src)
    if reduce == "add":
        return _SCATTER_BLOCKED(input.at[pos].add(src))
    if reduce == "multiply":
        return _SCATTER_BLOCKED(input.at[pos].multiply(src))
    raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")


@op(grad_fn="ScatterAddBackward0", inplace=True, **_INDEXING)
def scatter_add(input, dim, index, src):
    _index_dtype_check(index, _SCATTER_DTYPE)
    axis = _dim(dim, input.ndim)
    _check_bounds(index, axis, _size(input, axis))
    src = src[tuple(slice(0, s) for s in index.shape)]
    return input.at[_scatter_positions(index, axis)].add(src.astype(input.dtype))


@op(grad_fn="IndexSelectBackward0", **_INDEXING)
def index_select(input, dim, index):
    axis = _dim(dim, input.ndim)
    _index_dtype_check(index, "index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    size = _size(input, axis)
    if size == 0 and index.size:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if _outside(index, 0, size) is not None:
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        if index.size != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {index.size} value(s)"
            )
        return input
    return jnp.take(input, index.reshape(-1), axis=axis)


@op(grad_fn="IndexAddBackward0", inplace=True, **_INDEXING)
def index_add(input, dim, index, source, *, alpha=1):
    _index_dtype_check(index, "index_add_(): Expected dtype int32/int64 for index but got: {got}")
    axis = _dim(dim, input.ndim)
    _check_bounds(index, axis, _size(input, axis))
    where = (slice(None),) * axis + (index,)
    return input.at[where].add((source * alpha).astype(input.dtype))


@op(grad_fn="IndexFillBackward0", inplace=True, **_INDEXING)
def index_fill(input, dim, index, value):
    _index_dtype_check(index, "index_fill_(): Expected dtype int64 for index.", _INT64, IndexError)
    axis = _dim(dim, input.ndim)
    size = _size(input, axis)
    bad = _outside(index, -size, size)  # index_fill alone takes negative indices
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    return input.at[(slice(None),) * axis + (index,)].set(jnp.asarray(value, input.dtype))


@op(grad_fn="IndexCopyBackward0", inplace=True, **_INDEXING)
def index_copy(input, dim, index, source):
    _index_dtype_check(index, "index_copy_(): " + _LONG_ONLY, _INT64)
    axis = _dim(dim, input.ndim)
    _check_bounds(index, axis, _size(input, axis), IndexError, "index_copy_(): ")
    return input.at[(slice(None),) * axis + (index,)].set(source.astype(input.dtype))


@op(grad_fn="TakeBackward0", tensors=("input", "index"), **_INDEXING)
def take(input, index):
    _index_dtype_check(index, "take(): " + _LONG_ONLY, _INT64)
    bad = _outside(index, -input.size, input.size)
    if bad is not None:
        raise IndexError(
            f"out of range: tried to access index {bad} on a tensor of {input.size} elements."
        )
    return jnp.take(input.reshape(-1), index)


def _broadcast_sizes(a: tuple, b: tuple) -> list:
    """torch's broadcast of two shapes, with its size-mismatch error."""
    sizes = []
    for i in range(-max(len(a), len(b)), 0):
        x = a[i] if -i <= len(a) else 1
        y = b[i] if -i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i + max(len(a), len(b))}"
            )
        sizes.append(y if x == 1 else x)
    return sizes


def take_along_dim(input, indices, dim=None, *, out=None):
    """torch.take_along_dim: gather along dim after broadcasting; indices wrap modulo the size."""
    if dim is None:
        result = input.view(-1).gather(0, indices.view(-1))
    else:
        if indices.dtype._name != "int64":
            raise RuntimeError(
                "torch.take_along_dim(): dtype of indices should be Long but got "
                f"{indices.dtype._scalar_name}"
            )
        if input.ndim != indices.ndim:
            raise RuntimeError(
                "torch.take_along_dim(): input and indices should have the same number of "
                f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
                "dimensions for indices"
            )
        axis = _dim(dim, input.ndim)
        self_sizes = list(input.shape)
        self_sizes[axis] = indices.shape[axis]
        sizes = _broadcast_sizes(tuple(self_sizes), tuple(indices.shape))
        index = indices.expand(*sizes)
        sizes[axis] = input.shape[axis]
        size = _size(input._value, axis)
        if size == 0 and index.numel():
            raise RuntimeError("ZeroDivisionError")  # torch wraps indices with remainder(size)
        result = input.expand(*sizes).gather(axis, index.remainder(size) if size else index)
    if out is None:
        return result
    from . import _write_out

    return _write_out(out, result)
