"""Tensor indexing: basic indexing as chains of view ops, advanced indexing as copies."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor, from_array
from . import dispatch
from .inplace import call_inplace
from .registry import TABLE, op


@op(grad_fn="IndexBackward0", tensors=("input", "indices"), function=False, method=False)
def index(input, indices):
    return input[tuple(indices)]


@op(grad_fn="AliasBackward0", view=True, function=True, method=False)
def alias(input):
    return input


@op(grad_fn="IndexPutBackward0", tensors=("input", "indices", "values"), function=False,
    method=False)  # fmt: skip
def index_put(input, indices, values):
    return input.at[tuple(indices)].set(jnp.asarray(values, input.dtype))


def _expand_index(index) -> tuple:
    if not isinstance(index, tuple):
        index = (index,)
    return index


def _is_basic(item) -> bool:
    return item is None or item is Ellipsis or isinstance(item, int | slice | np.integer)


def _normalise(item):
    """Bool masks become integer index tensors; lists and arrays become tensors."""
    if isinstance(item, Tensor):
        if item.dtype._name == "bool" or item.dtype._name == "uint8":
            mask = np.asarray(item._value).astype(bool)
            return [from_array(jnp.asarray(i, jnp.int64)) for i in np.nonzero(mask)], mask.ndim
        if item.dtype.is_floating_point:
            raise IndexError(
                "tensors used as indices must be long, int, byte or bool tensors"
            )
        return [item], 1
    if isinstance(item, list | np.ndarray) or isinstance(item, bool):
        return _normalise(from_array(jnp.asarray(np.asarray(item))))
    return [item], 1


def _count_dims(items) -> int:
    return sum(1 for i in items if i is not None and i is not Ellipsis and not isinstance(i, bool))


def getitem(self: Tensor, index):
    items = _expand_index(index)
    if all(_is_basic(i) for i in items):
        return _basic_getitem(self, items)
    flat, dims_used = [], 0
    for item in items:
        parts, ndims = _normalise(item)
        flat.extend(parts)
        dims_used += ndims if item is not None and item is not Ellipsis else 0
    if dims_used > self.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {self.ndim}"
        )
    _check_bounds(self, flat)
    return dispatch.call(TABLE["index"], (self, flat), {})


def _check_bounds(self: Tensor, flat) -> None:
    if Ellipsis in [i for i in flat if not isinstance(i, Tensor)]:
        return
    dim = 0
    for item in flat:
        if item is None:
            continue
        if dim >= self.ndim:
            return
        size = self.shape[dim]
        if isinstance(item, Tensor) and item.numel():
            values = np.asarray(item._value)
            bad = values[(values >= size) | (values < -size)]
            if bad.size:
                raise IndexError(
                    f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {dim} with "
                    f"size {size}"
                )
        elif isinstance(item, int | np.integer) and not -size <= item < size:
            raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {size}")
        dim += 1


def _basic_getitem(self: Tensor, items):
    n_used = _count_dims(items)
    if n_used > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
    result, dim = self, 0
    for item in items:
        if item is Ellipsis:
            dim += self.ndim - n_used
        elif item is None:
            result = result.unsqueeze(dim)
            dim += 1
        elif isinstance(item, bool):
            result = result.unsqueeze(dim) if item else result.unsqueeze(dim)[:0]
            dim += 1
        elif isinstance(item, int | np.integer):
            result = result.select(dim, int(item))
        else:
            start, stop, step = item.start, item.stop, item.step
            if step is not None and step <= 0:
                raise ValueError("step must be greater than zero")
            if start is None and stop is None and step is None:
                dim += 1
                continue
            size = result.shape[dim]
            start, stop, step = slice(start, stop, step).indices(size)
            stop = max(stop, start)
            result = dispatch.call(TABLE["slice_dim"], (result, dim, start, stop, step), {})
            dim += 1
    return result if result is not self else dispatch.call(TABLE["alias"], (self,), {})


def setitem(self: Tensor, index, value) -> None:
    items = _expand_index(index)
    flat = []
    for item in items:
        flat.extend(_normalise(item)[0] if not _is_basic(item) else [item])
    _check_bounds(self, flat)
    if not isinstance(value, Tensor):
        value = from_array(jnp.asarray(value, self._value.dtype))
    name = "CopySlices" if all(_is_basic(i) for i in items) else "IndexPutBackward0"
    call_inplace(TABLE["index_put"], self, (flat, value), {}, grad_fn_name=name)
