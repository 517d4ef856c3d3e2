"""Per-op dispatch: unwrap tensors, promote dtypes, run the JAX impl, wrap, record autograd.

`call` is the one path every op takes. `apply_fn` is the general step below it that runs a
pure function of arrays on tensors and records a graph node; rows, in-place writes through
views and differentiable backward passes all use it.
"""

from __future__ import annotations

import math
import numbers

import jax
import numpy as np

from .. import _deferred, _grad_mode
from .. import _dtype as dt
from .. import _profiler_state as profiler
from .._autograd import graph, kernels
from .._autograd.views import mark_views
from .._deferred import Deferred
from .._device import on_one_device, several_devices
from .._storage import Storage
from .._tensor import Tensor, from_array, make_view
from . import forward
from .registry import PROMOTE_FLOAT, PROMOTE_INT_TO_LONG, OpRow


class _Slot:
    __slots__ = ()

    def __repr__(self):
        return "<tensor>"


SLOT = _Slot()
_SCALARS = (numbers.Number, np.number, np.bool_)
_SEQUENCES = (tuple, list)


def _scan(value, tensor_param: bool, leaves: list):
    if isinstance(value, Tensor):
        leaves.append(value)
        return SLOT
    if tensor_param and isinstance(value, _SCALARS):
        leaves.append(value)
        return SLOT
    if isinstance(value, list | tuple) and any(isinstance(v, Tensor) for v in value):
        return [_scan(v, False, leaves) for v in value]
    if value.__class__ is list:  # a copy: a plan keeps the template, the caller the list
        return value.copy()
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
    signature = _signature(row, args, kwargs)
    if signature is not None:
        plan = forward.plans.get(signature[0])
        if plan is not None and plan is not _GENERIC:
            result = _run_plan(plan, signature, row, args, kwargs)
            if result is not _FALLBACK:
                return result
    leaves, template = parse(row, args, kwargs)
    if row.check is not None:
        row.check(*leaves)
    arrays, casts = leaf_arrays(row, leaves, compute_dtype(row, leaves))
    fn = RowFn(row, template, casts)
    name = row.grad_fn_name(args, kwargs) if row.differentiable else None
    result = apply_fn(fn, leaves, arrays, name, row=row)
    if signature is not None:
        _remember_plan(signature[0], fn, row, args, kwargs, arrays)
    return result


def apply_fn(fn, leaves, arrays, grad_fn_name, row: OpRow | None = None):
    """Run fn(*arrays) and wrap its outputs; record a node when a leaf requires grad."""
    if row is not None and row.same_device and several_devices():
        _raise_if_mixed_devices(arrays, torch_level=True)  # JAX would move CPU arrays
    try:
        out = forward.run(fn, arrays)
    except ValueError:
        _raise_if_mixed_devices(arrays)
        raise
    return _outputs(fn, leaves, arrays, out, grad_fn_name, row)


def _outputs(fn, leaves, arrays, out, grad_fn_name, row, plan=None):
    """fn's output arrays as tensors (views for view rows), recorded when a leaf requires grad
    (from the plan's record template when a plan made the call)."""
    multi = isinstance(out, _SEQUENCES)
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
        if plan is not None:
            _record_from_plan(plan, leaves, arrays, tensors)
        elif graph.any_requires_grad(leaves):
            graph.record(fn, leaves, arrays, tensors, grad_fn_name, row)
    if not multi:
        return tensors[0]
    if row is not None and row.returns is not None:
        return row.returns(*tensors)
    return tuple(tensors) if isinstance(out, tuple) else tensors


# ----- plans: the fast path of a call signature seen before ------------------------------------
# A call whose arguments are tensors and plain scalars is keyed by its row, the default dtype,
# its keyword names, each tensor's shape and dtype and each scalar's type and value. A float
# zero keeps its sign in the key; a tuple or list of ints (a convolution's stride, split's
# sizes) is keyed by value, the template holding a copy of a list; a list or tuple of tensors
# (cat's) by the tensors' shapes and dtypes. Everything `_call` derives from those (template,
# promotion, casts, scalar arrays, the compiled kernel) is kept in a plan, so a repeat costs the
# key, the kernel call, wrapping and recording.
_CONCRETE: set = {Deferred}  # classes of concrete jax arrays seen (never a tracer's)
_KEYED_SCALARS = frozenset((int, bool, str, type(None), dt.dtype))
_PLAN_LIMIT = 4096
_GENERIC = object()  # a signature whose calls always take the generic path
_FALLBACK = object()


class Plan:
    """What every call with one signature computes the same way (see `_signature`)."""

    __slots__ = ("fn", "kernel", "direct", "scalars", "name", "template", "small")

    def __init__(self, fn, kernel, scalars, name):
        self.fn, self.kernel, self.name = fn, kernel, name
        self.direct = None  # the compiled kernel's own call, once there is one (see _run_plan)
        self.small = None  # (shape, dtype, weak type) of a small output its calls may defer
        self.scalars = scalars  # per argument: its fixed array when a scalar leaf, else None
        self.template = None  # the graph.RecordTemplate of its nodes, made by the first one


def _signature(row: OpRow, args: tuple, kwargs: dict):
    """(plan key, the tensors' arrays, whether one is a Deferred) for a call of tensors and plain
    scalars, or None. A base tensor's array is read as stored: a Deferred stays pending."""
    key = [row, dt._default.value]
    if kwargs:
        key.append(tuple(kwargs))
        args = (*args, *kwargs.values())
    values = []
    deferred = False
    for arg in args:
        if isinstance(arg, Tensor):
            storage = arg._storage
            if arg._view is None and storage.__class__ is Storage:
                value = storage._array
                if value.__class__ is Deferred:
                    deferred = True
            else:
                value = arg._value
            if value.__class__ not in _CONCRETE and not _concrete(value):
                return None
            values.append(value)
            key.append(value.shape)
            key.append(value.dtype)
            continue
        if _tensor_sequence(arg):  # cat's, stack's tensors: by their shapes and dtypes
            avals = []
            for tensor in arg:
                value = tensor._value if isinstance(tensor, Tensor) else None
                if value.__class__ not in _CONCRETE and not _concrete(value):
                    return None
                values.append(value)
                avals.append((value.shape, value.dtype))
            key.append(arg.__class__)
            key.append(tuple(avals))
            continue
        cls = arg.__class__
        if cls is float:
            if arg != arg:  # nan != nan as a dict key
                return None
            if arg == 0.0:  # -0.0 == 0.0 as a dict key: the sign goes in the key too
                arg = (arg, math.copysign(1.0, arg))
        elif cls is tuple or cls is list:  # sizes, strides: only exact ints, so equal is same
            for item in arg:
                if item.__class__ is not int:
                    return None
            if cls is list:
                arg = tuple(arg)
        elif cls not in _KEYED_SCALARS:
            return None
        key.append(cls)
        key.append(arg)
    return tuple(key), values, deferred


def _concrete(value) -> bool:
    if isinstance(value, jax.core.Tracer) or not isinstance(value, jax.Array):
        return False
    _CONCRETE.add(value.__class__)
    return True


def _run_plan(plan: Plan, signature, row: OpRow, args: tuple, kwargs: dict):
    values = signature[1]
    small = plan.small
    if small is not None and (not _deferred._switch["enabled"] or profiler.active):
        small = None
    if small is not None and _deferred._several["devices"] and not on_one_device(values):
        small = None  # arrays on several devices: the call below decides what happens
    if signature[2] and small is None:  # a pending input this call does not defer: run them
        values = _deferred.resolved(values)
    items = (*args, *kwargs.values()) if kwargs else args
    if plan.scalars is None:  # every argument is a tensor
        leaves, arrays = list(items), values
    else:
        leaves, arrays, tensor_values = [], [], iter(values)
        for arg, scalar in zip(items, plan.scalars):
            if scalar is not None:
                leaves.append(arg)
                arrays.append(scalar)
            elif isinstance(arg, Tensor):
                leaves.append(arg)
                arrays.append(next(tensor_values))
            elif _tensor_sequence(arg):
                for tensor in arg:
                    leaves.append(tensor)
                    arrays.append(next(tensor_values))
    if row.check is not None:
        row.check(*leaves)
    if several_devices():
        _raise_if_mixed_devices(arrays, torch_level=True)
    if small is not None:
        out = _deferred.defer(plan.kernel, plan.direct, signature[0], values, *small)
    else:
        try:
            direct = plan.direct
            if direct is None:
                out = plan.kernel(*values)
                plan.direct = plan.kernel.direct()
                plan.small = _small(out, row, plan.direct)
            else:
                out = direct(*values)
        except Exception:  # noqa: BLE001 - the generic path raises torch's error or runs eagerly
            forward.plans.pop(signature[0], None)
            return _FALLBACK
    forward.stats["forward_kernel_runs"] += 1
    name = plan.name
    if name is None or row.view or isinstance(out, _SEQUENCES):
        return _outputs(plan.fn, leaves, arrays, out, name, row, plan)
    tensor = from_array(out)  # a single, non-view output
    if _grad_mode._state.enabled:
        if signature[2] and small is not None:
            _deferred.hold(arrays)  # the node's primals: updated when the pending inputs run
        _record_from_plan(plan, leaves, arrays, [tensor])
    return tensor


def _drop_plan(key) -> None:
    forward.plans.pop(key, None)


_deferred.refused[0] = _drop_plan


def _small(out, row: OpRow, direct):
    """(shape, dtype, weak type) of a compiled kernel's single small output, whose later calls
    may be deferred (`_deferred`); None otherwise."""
    if direct is None or row.view or out.__class__ not in _CONCRETE:
        return None
    _deferred._several["devices"] = several_devices()
    if out.size > _deferred.SMALL:
        return None
    return out.shape, out.dtype, out.weak_type


def _record_from_plan(plan: Plan, leaves: list, arrays: list, outputs: list) -> None:
    """Record the call's node from the plan's RecordTemplate (made by the first call that
    records one: the template depends only on the plan's signature)."""
    template = plan.template
    if template is None:
        if not graph.any_requires_grad(leaves):
            return
        template = graph.RecordTemplate(leaves, arrays, outputs, plan.name, plan.fn.row)
        if not template.diff_outputs:
            return
        plan.template = template
    node = graph.record_planned(template, plan.fn, leaves, arrays, outputs)
    remember_kernel_entry(template, node)


def remember_kernel_entry(template: graph.RecordTemplate, node) -> None:
    """Keep a new node's backward kernel entry in its template, for the next node it records."""
    if node is not None and node.kernel_key is False:
        _deferred.flush()  # the entry reads the node's primals
        entry = kernels.entry_of(node)
        if entry.key is not None:
            template.entries[node.diff_inputs] = (node.kernel_key, entry)


def _remember_plan(key, fn: RowFn, row: OpRow, args: tuple, kwargs: dict, arrays: list) -> None:
    """Keep a plan for this signature once the call has a forward kernel (interpreted until it
    compiles), or mark it generic where the call runs eagerly for good."""
    kernel = forward.kernel_for(fn, arrays)
    if kernel is None:
        return
    plans = forward.plans
    if len(plans) >= _PLAN_LIMIT:
        plans.clear()
    if kernel is forward.EAGER:
        plans[key] = _GENERIC
        return
    name = row.grad_fn_name(args, kwargs) if row.differentiable else None
    plans[key] = Plan(fn, kernel, _scalar_leaves(row, args, kwargs, arrays), name)


def _scalar_leaves(row: OpRow, args: tuple, kwargs: dict, arrays: list):
    """Per argument, the array of a scalar leaf (None elsewhere); None when all are tensors."""
    tensor_slots = [i < len(row.tensors) for i in range(len(args))]
    tensor_slots += [name in row.tensors for name in kwargs]
    items = (*args, *kwargs.values())
    if all(isinstance(arg, Tensor) for arg in items):
        return None
    scalars, position = [], 0
    for arg, tensor_slot in zip(items, tensor_slots):
        if _tensor_sequence(arg):
            scalars.append(None)
            position += len(arg)
            continue
        leaf = isinstance(arg, Tensor) or (tensor_slot and isinstance(arg, _SCALARS))
        scalars.append(arrays[position] if leaf and not isinstance(arg, Tensor) else None)
        position += leaf
    return tuple(scalars)


def _tensor_sequence(arg) -> bool:
    """A list or tuple of tensors (what `_signature` keys by their shapes and dtypes)."""
    return (
        (arg.__class__ is list or arg.__class__ is tuple)
        and bool(arg)
        and isinstance(arg[0], Tensor)
    )


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

    if on_one_device(arrays):  # the usual case
        return
    arrays = _deferred.resolved(list(arrays))  # pending results: where they are
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
