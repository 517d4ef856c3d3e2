"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, unique, nonzero, ...

Ops whose output shape depends on the values (unique, nonzero, bincount) read the concrete
array eagerly, as torch does, so they stay out of forward kernels (forward_kernel=False);
they are not differentiable, or record a node only for torch's grad_fn name (unique).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import return_types
from .reduction import axes, type_word
from .registry import op


def _dim(dim, ndim: int) -> int:
    """One torch dim as a non-negative axis (0 for a 0-d tensor)."""
    found = axes(dim, ndim)
    return 0 if found is None else found[0]


def _sorted_indices(input, axis: int, descending: bool):
    """Stable sort order along axis; NaN sorts above every number, as in torch."""
    return jnp.argsort(input, axis=axis, stable=True, descending=descending)


def _sort_pair(input, dim, descending):
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    axis = _dim(dim, input.ndim)
    indices = _sorted_indices(input, axis, descending)
    return jnp.take_along_axis(input, indices, axis=axis), indices.astype(jnp.int64)


def _sort_name(args, kwargs):
    return "SortBackward1" if "stable" in kwargs else "SortBackward0"  # sort.stable overload


@op(grad_fn=_sort_name, returns=lambda v, i: return_types.sort(v, i))
def sort(input, dim=-1, descending=False, stable=None):
    return _sort_pair(input, dim, descending)


@op(grad_fn=None, differentiable=False)
def argsort(input, dim=-1, descending=False, stable=False):
    return _sort_pair(input, dim, descending)[1]


@op(grad_fn="SortBackward0")
def msort(input):
    return _sort_pair(input, 0, False)[0]


@op(grad_fn="TopkBackward0", returns=lambda v, i: return_types.topk(v, i))
def topk(input, k, dim=-1, largest=True, sorted=True):
    axis = _dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    # ties keep index order here; torch's CPU partial sort may order tied indices differently
    indices = jnp.take(_sorted_indices(input, axis, largest), jnp.arange(k), axis=axis)
    return jnp.take_along_axis(input, indices, axis=axis), indices.astype(jnp.int64)


def _select_kth(input, position, axis: int, keepdim: bool):
    """Value and index at a sorted position along axis (an int, or an array per row)."""
    indices = _sorted_indices(input, axis, False)
    if isinstance(position, int):
        chosen = jnp.take(indices, jnp.asarray([position]), axis=axis)
    else:
        chosen = jnp.take_along_axis(indices, position, axis=axis)
    values = jnp.take_along_axis(input, chosen, axis=axis)
    if not keepdim:
        values, chosen = jnp.squeeze(values, axis), jnp.squeeze(chosen, axis)
    return values, chosen.astype(jnp.int64)


@op(grad_fn="KthvalueBackward0", returns=lambda v, i: return_types.kthvalue(v, i))
def kthvalue(input, k, dim=-1, keepdim=False):
    axis = _dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    return _select_kth(input, k - 1, axis, keepdim)


def _median_name(args, kwargs):
    return "MedianBackward1" if len(args) > 1 or "dim" in kwargs else "MedianBackward0"


def _median_returns(*outs):
    return return_types.median(*outs)


@op(grad_fn=_median_name, returns=_median_returns)
def median(input, dim=None, keepdim=False):
    if dim is None:
        flat = input.reshape(-1)
        if flat.size == 0:
            return jnp.full((), jnp.nan, input.dtype)
        return _select_kth(flat, _median_position(flat, 0), 0, False)[0]
    axis = _dim(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    if input.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    return _select_kth(input, _median_position(input, axis), axis, keepdim)


def _median_position(input, axis: int):
    """The lower median's sorted position; with a NaN in the row, the first NaN's (NaN wins)."""
    middle = (input.shape[axis] - 1) // 2
    if not _is_float(input):
        return middle
    numbers = jnp.sum(~jnp.isnan(input), axis=axis, keepdims=True)
    return jnp.where(numbers < input.shape[axis], numbers, middle)


@op(grad_fn="ModeBackward0", returns=lambda v, i: return_types.mode(v, i))
def mode(input, dim=-1, keepdim=False):
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    axis = _dim(dim, input.ndim)
    moved = jnp.moveaxis(input, axis, -1)
    equal = moved[..., :, None] == moved[..., None, :]
    counts = equal.sum(-1)
    best = counts.max(-1, keepdims=True)
    # torch: the smallest of the most frequent values, at its last occurrence
    candidates = jnp.where(counts == best, moved, jnp.inf if _is_float(input) else _top(input))
    value = candidates.min(-1, keepdims=True)
    n = moved.shape[-1]
    last = n - 1 - jnp.argmax(jnp.flip(moved == value, -1), axis=-1, keepdims=True)
    indices = jnp.moveaxis(last, -1, axis)
    values = jnp.take_along_axis(input, indices, axis=axis)  # the gradient goes to that index
    if not keepdim:
        values, indices = jnp.squeeze(values, axis), jnp.squeeze(indices, axis)
    return values, indices.astype(jnp.int64)


def _is_float(array) -> bool:
    return jnp.issubdtype(array.dtype, jnp.inexact)


def _top(array):
    return True if array.dtype == jnp.bool_ else jnp.iinfo(array.dtype).max


# ----- data-dependent shapes: computed on the concrete values ------------------------------
def _concrete(array) -> np.ndarray:
    return np.asarray(array)


def _unique_name(args, kwargs):
    return "UniqueDimBackward0" if kwargs.get("dim") is not None else "Unique2Backward0"


def _unique_outputs(values, inverse, counts, return_inverse, return_counts):
    outs = [jnp.asarray(values)]
    if return_inverse:
        outs.append(jnp.asarray(inverse, jnp.int64))
    if return_counts:
        outs.append(jnp.asarray(counts, jnp.int64))
    return tuple(outs) if len(outs) > 1 else outs[0]


@op(grad_fn=_unique_name, forward_kernel=False)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    data = _concrete(input)
    if dim is None:
        values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
    else:
        axis = _dim(dim, data.ndim)
        values, inverse, counts = np.unique(
            data, return_inverse=True, return_counts=True, axis=axis
        )
        inverse = inverse.reshape(-1)
    return _unique_outputs(values, inverse, counts, return_inverse, return_counts)


@op(grad_fn="UniqueConsecutiveBackward0", forward_kernel=False)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    data = _concrete(input)
    axis = None if dim is None else _dim(dim, data.ndim)
    flat = data.reshape(-1) if axis is None else np.moveaxis(data, axis, 0)
    if flat.shape[0] == 0:
        starts = np.zeros(0, bool)
    else:
        rows = flat.reshape(flat.shape[0], -1)
        starts = np.concatenate([[True], np.any(rows[1:] != rows[:-1], axis=1)])
    values = flat[starts] if axis is None else np.moveaxis(flat[starts], 0, axis)
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), flat.shape[0]))
    inverse = inverse.reshape(data.shape) if axis is None else inverse
    return _unique_outputs(values, inverse, counts, return_inverse, return_counts)


@op(grad_fn=None, differentiable=False, forward_kernel=False)
def nonzero(input, *, as_tuple=False):
    data = _concrete(input)
    if as_tuple:
        found = np.nonzero(np.atleast_1d(data))
        return tuple(jnp.asarray(i, jnp.int64) for i in found)
    return jnp.asarray(np.argwhere(data), jnp.int64)


@op(grad_fn=None, differentiable=False, forward_kernel=False)
def argwhere(input):
    return jnp.asarray(np.argwhere(_concrete(input)), jnp.int64)


@op(grad_fn=None, differentiable=False, tensors=("input", "weights"), forward_kernel=False)
def bincount(input, weights=None, minlength=0):
    if jnp.issubdtype(input.dtype, jnp.inexact) or input.dtype == jnp.bool_:
        raise NotImplementedError(
            f"\"bincount_cpu\" not implemented for '{type_word(input.dtype)}'"
        )
    data = _concrete(input)
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    length = max(int(data.max()) + 1 if data.size else 0, minlength)
    if weights is None:
        return jnp.bincount(input, length=length).astype(jnp.int64)
    dtype = weights.dtype if weights.dtype == jnp.float32 else jnp.float64
    return jnp.zeros(length, dtype).at[input].add(weights.astype(dtype))


@op(grad_fn=None, differentiable=False, forward_kernel=False)
def histc(input, bins=100, min=0, max=0):
    if not _is_float(input):
        raise NotImplementedError(
            f"\"histogram_cpu\" not implemented for '{type_word(input.dtype)}'"
        )
    data = _concrete(input).reshape(-1)
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    inside = data[(data >= low) & (data <= high)]
    # torch: bin = (x - min) * bins / (max - min), the maximum falls in the last bin
    index = ((inside - low) * bins / (high - low)).astype(np.int64)
    counts = np.bincount(np.minimum(index, bins - 1), minlength=bins)
    return jnp.asarray(counts, input.dtype)


def _search(boundaries, values, right: bool, out_int32: bool, side):
    side = side or ("right" if right else "left")
    if boundaries.ndim == 1:
        found = jnp.searchsorted(boundaries, values, side=side)
    else:
        flat_b = boundaries.reshape(-1, boundaries.shape[-1])
        flat_v = values.reshape(flat_b.shape[0], -1)
        found = jnp.stack([jnp.searchsorted(b, v, side=side) for b, v in zip(flat_b, flat_v)])
        found = found.reshape(values.shape)
    return found.astype(jnp.int32 if out_int32 else jnp.int64)


@op(grad_fn=None, differentiable=False, tensors=("sorted_sequence", "input", "sorter"),
    method=False)  # fmt: skip
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    if sorted_sequence.ndim > 1 and sorted_sequence.shape[:-1] != input.shape[:-1]:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
            f"{list(input.shape)}"
        )
    if sorter is not None:
        sorted_sequence = jnp.take_along_axis(sorted_sequence, sorter, axis=-1)
    return _search(sorted_sequence, input, right, out_int32, side)


@op(grad_fn=None, differentiable=False, tensors=("input", "boundaries"), method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _search(boundaries, input, right, out_int32, None)


@op("repeat_interleave_int", grad_fn="ViewBackward0", function=False, method=False,
    aten="aten::repeat_interleave")  # fmt: skip
def repeat_interleave_int(input, repeats, dim=None):
    if dim is None:
        return jnp.repeat(input.reshape(-1), repeats)
    return jnp.repeat(input, repeats, axis=_dim(dim, input.ndim))


# ----- composed from rows: torch builds these from index_select, expand and stack ----------
def _call(name, *args, **kwargs):
    from .dispatch import call
    from .registry import TABLE

    return call(TABLE[name], args, kwargs)


def _index_tensor(values):
    from .._tensor import from_array

    return from_array(jnp.asarray(values, jnp.int64))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """torch.repeat_interleave: int repeats view-reshape; tensor repeats index_select."""
    from .._tensor import Tensor

    if repeats is None:  # repeat_interleave(repeats): indices 0..n-1, each repeated
        counts = _concrete(input._value)
        return _index_tensor(np.repeat(np.arange(counts.shape[0]), counts))
    if not isinstance(repeats, Tensor):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        return _call("repeat_interleave_int", input, repeats, dim)
    counts = _concrete(repeats._value).reshape(-1)
    source = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else _dim(dim, input.ndim)
    size = source.shape[axis] if source.ndim else 1
    if counts.size == 1:
        counts = np.repeat(counts, size)
    if counts.size != size:
        raise RuntimeError(
            "repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{counts.size} and input.size({axis}) = {size}"
        )
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return _call("index_select", source, axis, _index_tensor(np.repeat(np.arange(size), counts)))


_MESHGRID_WARNING = (
    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
)


def meshgrid(*tensors, indexing=None):
    """torch.meshgrid: each 0-d or 1-d input reshaped and expanded over the grid."""
    import warnings

    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    axes_order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes_order[0], axes_order[1] = 1, 0
    sizes = [0] * len(tensors)
    for t, axis in zip(tensors, axes_order):
        sizes[axis] = t.numel()
    grids = []
    for t, axis in zip(tensors, axes_order):
        shape = [1] * len(tensors)
        shape[axis] = -1
        grids.append(t.reshape(shape).expand(*sizes))
    return tuple(grids)


def cartesian_prod(*tensors):
    """torch.cartesian_prod: the meshgrid's flattened grids stacked as columns."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _call("stack", [g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """torch.combinations: r-element combinations of a 1-d tensor's entries, as rows."""
    import itertools

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    columns = [_call("index_select", input, 0, _index_tensor(rows[:, j])) for j in range(r)]
    return _call("stack", columns, 1)


def _method_repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def _install_methods() -> None:
    from .._tensor import Tensor

    Tensor.repeat_interleave = _method_repeat_interleave


_install_methods()
