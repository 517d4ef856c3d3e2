"""Tensor indexing as torch does it: basic indices become chains of view ops (select, slice,
unsqueeze, alias), tensor indices one `index` op on the result; assignment writes through
those views with copy_/fill_, or with index_put_ for tensor indices.
"""

from __future__ import annotations

import sys
import warnings

import jax.numpy as jnp
import numpy as np

from .._device import onto_device_of
from .._tensor import Tensor, from_array
from . import dispatch
from .inplace import call_inplace
from .registry import TABLE, op

_INDEX_MAX = sys.maxsize


def _full_index(indices) -> tuple:
    return tuple(slice(None) if i is None else i for i in indices)


@op(grad_fn="IndexBackward0", tensors=("input", "indices"), function=False, method=False,
    same_device=False)  # fmt: skip
def index(input, indices):
    return input[_full_index(indices)]


@op(grad_fn="AliasBackward0", view=True, function=True, method=False)
def alias(input):
    return input


@op(grad_fn="IndexPutBackward0", tensors=("input", "indices", "values"), inplace=True,
    inplace_function=True, same_device=False)  # fmt: skip
def index_put(input, indices, values, accumulate=False):
    where = input.at[_full_index(indices)]
    values = onto_device_of(jnp.asarray(values, input.dtype), input)
    return where.add(values) if accumulate else where.set(values)


def _view(name: str, *args):
    return dispatch.call(TABLE[name], args, {})


def _select(tensor: Tensor, dim: int, index: int) -> Tensor:
    """tensor[index] along dim 0, with indexing's out-of-bounds message (not select's)."""
    slicing = _Slicing(tensor, 0, True)
    slicing.dim = slicing.real = dim
    slicing._select(index)
    return slicing.result


def _is_int(item) -> bool:
    return isinstance(item, int | np.integer) and not isinstance(item, bool | np.bool_)


_SEQUENCE_ITEMS = (Tensor, list, tuple, np.ndarray, slice, str, type(None), type(Ellipsis))


def _as_items(index) -> tuple:
    """torch's rule for which sequences are a tuple of indices and which are one index."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list | np.ndarray | str) and len(index) < 32:
        if any(isinstance(item, _SEQUENCE_ITEMS) for item in index):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated and will "
                "be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 "
                "this will be interpreted as tensor index, x[torch.tensor(seq)], which will result "
                "either in an error or a different result (Triggered internally at "
                "/__w/pytorch/pytorch/torch/csrc/autograd/python_variable_indexing.cpp:349.)",
                UserWarning,
                stacklevel=3,
            )
            return tuple(index)
    return (index,)


def _as_index_tensor(item) -> Tensor:
    if isinstance(item, Tensor):
        return item
    if isinstance(item, str):
        raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
    return from_array(jnp.asarray(np.asarray(item)))


def _dims_used(item) -> int:
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if isinstance(item, Tensor | list | np.ndarray) and not _is_int(item):
        tensor = _as_index_tensor(item)
        if tensor.dtype._name in ("bool", "uint8"):
            return max(tensor.ndim, 1) if tensor.ndim else 0
    return 1


def _check_type(item) -> None:
    if isinstance(item, float | complex):
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            f"valid indices (got {type(item).__name__})"
        )


def slice_view(tensor: Tensor, dim: int, item: slice, optimize: bool) -> Tensor:
    """tensor[..., start:stop:step] along dim; a full slice is tensor itself when optimising."""
    step = 1 if item.step is None else item.step
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if item.start is None else item.start
    stop = _INDEX_MAX if item.stop is None else item.stop
    length = tensor.shape[dim]
    if optimize and start == 0 and stop >= length and step == 1:
        return tensor
    start, stop, step = slice(start, stop, step).indices(length)
    return _view("slice_dim", tensor, dim, start, max(stop, start), step)


def _mask_indices(result: Tensor, dim: int, mask: Tensor) -> list:
    """A bool mask over dims [dim, dim + mask.ndim) as one integer index tensor per dim."""
    shape = tuple(result.shape)
    for i, size in enumerate(mask.shape):
        if dim + i >= len(shape) or size != shape[dim + i]:
            raise IndexError(
                f"The shape of the mask [{', '.join(map(str, mask.shape))}] at index {i} does not "
                f"match the shape of the indexed tensor [{', '.join(map(str, shape))}] at index "
                f"{dim + i}"
            )
    positions = np.nonzero(np.asarray(mask._value).astype(bool))
    return [from_array(jnp.asarray(p, jnp.int64)) for p in positions]


def apply_slicing(tensor: Tensor, items: tuple, optimize: bool):
    """Basic indices applied as view ops; returns (view, per-dim tensor indices or [])."""
    for item in items:
        _check_type(item)
    used = sum(_dims_used(item) for item in items)
    if used > tensor.ndim:
        raise IndexError(f"too many indices for tensor of dimension {tensor.ndim}")
    slicing = _Slicing(tensor, tensor.ndim - used, optimize)
    for position, item in enumerate(items):
        slicing.real = position  # torch's errors name the item's position in the index
        slicing.apply(item)
    return slicing.result, slicing.indices


class _Slicing:
    """Walks the index items: `dim` is the position in the result, `real` the item's."""

    def __init__(self, tensor: Tensor, ellipsis_dims: int, optimize: bool):
        self.result, self.indices = tensor, []
        self.dim = self.real = 0
        self.ellipsis_dims, self.optimize = ellipsis_dims, optimize

    def apply(self, item) -> None:
        if _is_int(item):
            self._select(int(item))
        elif isinstance(item, slice):
            self.result = slice_view(self.result, self.dim, item, self.optimize)
            self.dim += 1
        elif item is Ellipsis:
            self.dim += self.ellipsis_dims
        elif item is None:
            self.result = _view("unsqueeze", self.result, self.dim)
            self.dim += 1
        elif isinstance(item, bool):
            self._bool(item)
        else:
            self._tensor(_as_index_tensor(item))

    def _select(self, index: int) -> None:
        size = self.result.shape[self.dim]
        if not -size <= index < size:
            raise IndexError(
                f"index {index} is out of bounds for dimension {self.real} with size {size}"
            )
        self.result = _view("select", self.result, self.dim, index)

    def _bool(self, value: bool) -> None:
        """A bool index adds a dimension of size 1 (True) or 0 (False)."""
        self.result = _view("unsqueeze", self.result, self.dim)
        _put(self.indices, self.dim, from_array(jnp.zeros((int(value),), jnp.int64)))
        self.dim += 1

    def _tensor(self, index: Tensor) -> None:
        mask = index.dtype._name in ("bool", "uint8")
        if not mask and (index.is_floating_point() or index.is_complex()):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if index.ndim == 0:
            return self._bool(bool(index.item())) if mask else self._select(int(index.item()))
        if not mask:
            _put(self.indices, self.dim, index)
            self.dim += 1
            return None
        for k, part in enumerate(_mask_indices(self.result, self.dim, index)):
            _put(self.indices, self.dim + k, part)
        self.dim += index.ndim
        return None


def _put(indices: list, dim: int, tensor: Tensor) -> None:
    indices.extend([None] * (dim + 1 - len(indices)))
    indices[dim] = tensor


def _check_bounds(result: Tensor, indices: list) -> None:
    tensors = [t for t in indices if t is not None]
    shapes = [tuple(t.shape) for t in tensors]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(f"[{', '.join(map(str, s))}]" for s in shapes)
        ) from None
    ordinal = 0
    for dim, index in enumerate(indices):
        if index is None:
            continue
        size = result.shape[dim]
        values = np.asarray(index._value)
        bad = values[(values >= size) | (values < -size)]
        if bad.size:
            raise IndexError(
                f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {ordinal} with "
                f"size {size}"
            )
        ordinal += 1


def getitem(self: Tensor, index):
    """Tensor.__getitem__."""
    if index is None:
        return _view("unsqueeze", self, 0)
    if index is Ellipsis:
        return _view("alias", self)
    if _is_int(index):
        return _select(self, 0, int(index))
    if isinstance(index, slice):
        return slice_view(self, 0, index, optimize=False)
    result, indices = apply_slicing(self, _as_items(index), optimize=True)
    if not indices:
        return _view("alias", result) if result is self else result
    _check_bounds(result, indices)
    return dispatch.call(TABLE["index"], (result, indices), {})


def _value_tensor(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, bool | int | float | complex | np.number | np.bool_):
        return from_array(jnp.asarray(value, self._value.dtype))
    raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")


def _without_leading_ones(tensor: Tensor) -> tuple:
    shape = tuple(tensor.shape)
    keep = 0
    while keep < len(shape) and shape[keep] == 1:
        keep += 1
    return shape[keep:]


def copy_to(dst: Tensor, src: Tensor) -> None:
    """dst = src as torch's assignment does it: copy_, fill_ for a 0-d src, else broadcast."""
    if tuple(dst.shape) == tuple(src.shape):
        call_inplace(TABLE["copy"], dst, (src,), {})
        return
    if src.ndim == 0:
        call_inplace(TABLE["fill"], dst, (src,), {})
        return
    src = src.view(*_without_leading_ones(src))
    if tuple(src.shape) != tuple(dst.shape):
        src = src.expand(*dst.shape)
    call_inplace(TABLE["copy"], dst, (src,), {})


def setitem(self: Tensor, index, value) -> None:
    """Tensor.__setitem__."""
    value = _value_tensor(self, value)
    if index is False:
        return
    if index is Ellipsis:
        return copy_to(self, value)
    if index is None or index is True:
        return copy_to(_view("unsqueeze", self, 0), value)
    if _is_int(index):
        return copy_to(_select(self, 0, int(index)), value)
    if isinstance(index, slice):
        return copy_to(slice_view(self, 0, index, optimize=True), value)
    sliced, indices = apply_slicing(self, _as_items(index), optimize=True)
    if not indices:
        return copy_to(sliced, value)
    _check_bounds(sliced, indices)
    stripped = _without_leading_ones(value)
    values = value.view(*stripped) if len(stripped) != value.ndim else value
    _check_index_put(sliced, indices, values)
    call_inplace(TABLE["index_put"], sliced, (indices, values), {})
    return None


def _check_index_put(sliced: Tensor, indices: list, values: Tensor) -> None:
    arrays = [None if t is None else np.asarray(t._value) for t in indices]
    target = np.zeros(tuple(sliced.shape), np.bool_)[_full_index(arrays)].shape
    try:
        fits = np.broadcast_shapes(tuple(values.shape), target) == target
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{', '.join(map(str, values.shape))}] cannot "
            f"be broadcast to indexing result of shape [{', '.join(map(str, target))}]"
        )
    if values.dtype != sliced.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_word(sliced)} for the destination and {_word(values)} for the source."
        )


def _word(tensor: Tensor) -> str:
    from .reduction import type_word

    return type_word(tensor._value.dtype)
