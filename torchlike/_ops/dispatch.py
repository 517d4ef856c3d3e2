"""Per-op dispatch: unwrap tensors, promote dtypes, run the JAX impl, wrap, record autograd.

`call` is the one path every op takes. `apply_fn` is the general step below it that runs a
pure function of arrays on tensors and records a graph node; rows, in-place writes through
views and differentiable backward passes all use it.
"""

from __future__ import annotations

import numbers

import jax
import numpy as np

from .. import _dtype as dt
from .. import _grad_mode
from .. import _profiler_state as profiler
from .._autograd import graph
from .._autograd.views import mark_views
from .._device import several_devices
from .._tensor import Tensor, from_array, make_view
from . import forward
from .registry import PROMOTE_FLOAT, PROMOTE_INT_TO_LONG, OpRow


class _Slot:
    __slots__ = ()

    def __repr__(self):
        return "<tensor>"


SLOT = _Slot()
_SCALARS = (numbers.Number, np.number, np.bool_)


def _scan(value, tensor_param: bool, leaves: list):
    if isinstance(value, Tensor):
        leaves.append(value)
        return SLOT
    if tensor_param and isinstance(value, _SCALARS):
        leaves.append(value)
        return SLOT
    if isinstance(value, list | tuple) and any(isinstance(v, Tensor) for v in value):
        return [_scan(v, False, leaves) for v in value]
    return value


def parse(row: OpRow, args: tuple, kwargs: dict):
    """Split a call into its tensor leaves and a template with SLOT where each leaf was."""
    leaves: list = []
    n_tensor = len(row.tensors)
    targs = tuple(_scan(a, i < n_tensor, leaves) for i, a in enumerate(args))
    tkwargs = {k: _scan(v, k in row.tensors, leaves) for k, v in kwargs.items()}
    return leaves, (targs, tkwargs)


def fill(template, arrays):
    """The call's (args, kwargs) with arrays put back in the slots, in order."""
    it = iter(arrays)

    def put(v):
        if v is SLOT:
            return next(it)
        if isinstance(v, list):
            return [put(x) for x in v]
        return v

    targs, tkwargs = template
    return tuple(put(a) for a in targs), {k: put(v) for k, v in tkwargs.items()}


# Attribute types whose values hash and compare safely once tagged with their type.
_PLAIN = frozenset((_Slot, int, bool, str, type(None)))


def freeze_template(template):
    """freeze(template), with a fast path for the common flat call (tensors and plain values)."""
    targs, tkwargs = template
    if not tkwargs:
        plain = _PLAIN
        for a in targs:
            if a.__class__ not in plain:
                return freeze(template)
        return tuple([(a.__class__, a) for a in targs])
    return freeze(template)


def freeze(value):
    """A hashable stand-in for a template, for kernel cache keys."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, *map(freeze, value))
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", freeze(value.start), freeze(value.stop), freeze(value.step))
    if isinstance(value, float | complex):
        return (type(value), value if value == value else "nan")
    if isinstance(value, np.ndarray | jax.Array):
        raise TypeError("array in op attributes")
    hash(value)
    return (type(value), value)


def compute_dtype(row: OpRow, leaves: list) -> dt.dtype | None:
    if row.promote is None:
        return None
    dims, zero_dims, scalars = [], [], []
    for leaf in leaves[row.promote_skip :]:
        if isinstance(leaf, Tensor):
            (dims if leaf._value.ndim else zero_dims).append(leaf.dtype)
        else:
            scalars.append(leaf)
    result = dt.result_type(dims, zero_dims, scalars)
    if result._category <= dt._INT:
        if row.promote == PROMOTE_FLOAT:
            return dt.get_default_dtype()
        if row.promote == PROMOTE_INT_TO_LONG:
            return dt.int64
    return result


def leaf_arrays(row: OpRow, leaves: list, target: dt.dtype | None):
    """Arrays for the leaves, and per leaf the dtype it must be cast to inside the op."""
    arrays, casts = [], []
    for i, leaf in enumerate(leaves):
        cast = target._np if target is not None and i >= row.promote_skip else None
        if isinstance(leaf, Tensor):
            value = leaf._value
            arrays.append(value)
            casts.append(None if cast is None or value.dtype == cast else cast)
        else:
            if cast is None:
                cast = dt.scalar_dtype(leaf)._np
            arrays.append(np.asarray(leaf, dtype=cast))
            casts.append(None)
    return arrays, tuple(casts)


class RowFn:
    """The pure function of leaf arrays that one call of a row computes (hashable key)."""

    __slots__ = ("row", "template", "casts", "_key")

    def __init__(self, row: OpRow, template, casts):
        self.row, self.template, self.casts = row, template, casts
        self._key = False

    @property
    def key(self):
        """Cache key of the backward kernel (None when an attribute is unhashable)."""
        if self._key is False:
            try:
                self._key = (self.row, freeze_template(self.template), self.casts)
            except TypeError:
                self._key = None
        return self._key

    def __call__(self, *arrays):
        arrays = [a if c is None else a.astype(c) for a, c in zip(arrays, self.casts)]
        args, kwargs = fill(self.template, arrays)
        return self.row.impl(*args, **kwargs)


def call(row: OpRow, args: tuple, kwargs: dict):
    """Run one op of the table on torch-style arguments."""
    if profiler.active:
        token = profiler.begin(row.aten, _shapes(args))
        try:
            return _call(row, args, kwargs)
        finally:
            profiler.end(token)
    return _call(row, args, kwargs)


def _call(row, args, kwargs):
    leaves, template = parse(row, args, kwargs)
    if row.check is not None:
        row.check(*leaves)
    arrays, casts = leaf_arrays(row, leaves, compute_dtype(row, leaves))
    fn = RowFn(row, template, casts)
    name = row.grad_fn_name(args, kwargs) if row.differentiable else None
    return apply_fn(fn, leaves, arrays, name, row=row)


def apply_fn(fn, leaves, arrays, grad_fn_name, row: OpRow | None = None):
    """Run fn(*arrays) and wrap its outputs; record a node when a leaf requires grad."""
    if row is not None and row.same_device and several_devices():
        _raise_if_mixed_devices(arrays, torch_level=True)  # JAX would move CPU arrays
    try:
        out = forward.run(fn, arrays)
    except ValueError:
        _raise_if_mixed_devices(arrays)
        raise
    multi = isinstance(out, tuple | list)
    outs = list(out) if multi else [out]
    if row is not None and row.view:
        source = leaves[0]
        others = arrays[1:]
        tensors = [
            make_view(source, _ViewStep(fn, others, i if multi else None), value)
            for i, value in enumerate(outs)
        ]
        mark_views(tensors, source, multi)
    else:
        tensors = [from_array(value) for value in outs]
    if grad_fn_name is not None and _grad_mode._state.enabled:
        if any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves):
            graph.record(fn, leaves, arrays, tensors, grad_fn_name, row)
    if not multi:
        return tensors[0]
    if row is not None and row.returns is not None:
        return row.returns(*tensors)
    return tuple(tensors) if isinstance(out, tuple) else tensors


class _ViewStep:
    """One view step: the view op applied to its source's value (other leaves fixed)."""

    __slots__ = ("fn", "others", "index")

    def __init__(self, fn, others, index):
        self.fn, self.others, self.index = fn, others, index

    def __call__(self, array):
        out = self.fn(array, *self.others)
        return out if self.index is None else out[self.index]


def _raise_if_mixed_devices(arrays, torch_level: bool = False) -> None:
    """torch's error for an op whose tensors sit on different devices (JAX's is a ValueError).

    torch_level: compare torch devices (every host device is "cpu", and a 0-d CPU tensor may
    join tensors on any device, as in torch); otherwise compare JAX devices exactly.
    """
    from .._device import torch_device_of

    devices, seen = [], []
    for array in arrays:
        if isinstance(array, jax.Array) and not isinstance(array, jax.core.Tracer):
            device = next(iter(array.devices()))
            if torch_level and device.platform == "cpu" and array.ndim == 0:
                continue
            key = "cpu" if torch_level and device.platform == "cpu" else device
            if key not in seen:
                seen.append(key)
                devices.append(device)
    if len(devices) > 1:
        if torch_level:  # torch names an accelerator device first, whatever the operand order
            devices.sort(key=lambda d: d.platform == "cpu")
        names = [
            f"cpu:{d.id}" if d.platform == "cpu" and d.id else str(torch_device_of(d))
            for d in devices[:2]
        ]
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{names[0]} and {names[1]}!"
        ) from None


def _shapes(args):
    return [list(a.shape) if isinstance(a, Tensor) else [] for a in args]
