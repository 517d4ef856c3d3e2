"""The fast guard: a cache hit proved by identity checks instead of a full state walk.

After a walk has matched a compiled program, what the walk looked at is kept as flat lists:
every container it looked into (dicts, lists, sets, objects' attributes, function cells and
the globals a function names) with the objects it held, and every tensor with its storage,
view, `.grad` and autograd fields. While all of those are the same objects (and every storage array
keeps its shape and dtype), a new walk would find the same objects and the same signature, so
the call skips it. Python scalars are compared as objects too: a new learning-rate float takes
the full walk, which compares values. The objects are held, so an identity cannot be reused.

Two kinds of tensor may be new objects on every call: tensor arguments and `.grad`s
(`zero_grad()` then `backward()` makes new ones each step). They need only the facts the walk
records: a base tensor of the same class, shape and dtype, without history or `.grad`, on a
storage no other reachable tensor uses.
"""

from __future__ import annotations

import functools
import operator
import types
from itertools import chain

from .. import _grad_mode
from .._tensor import Tensor
from .walk import Slot, Snapshot, _global_names, _opaque, storage_of

_MISSING = object()
_PLAIN_ARGS = frozenset({bool, int, float, str, type(None)})
_LIBRARIES = ("torchlike.", "jax", "numpy")
_END = object()
_ENDS = (_END,)
_is = operator.is_


def _dict_items(d: dict) -> tuple:
    return (len(d), *d, *d.values())  # small ints are shared objects, so lengths compare by `is`


def _list_items(items: list) -> tuple:
    return (len(items), *items)


def _set_items(items: set) -> tuple:
    # The walk compares a set by its contents; the same set holding the same element objects
    # has them (and iterates them in the same order), and any change of contents shows here.
    return (len(items), *items)


def _object_items(obj) -> tuple:
    return (type(obj), *_dict_items(vars(obj)))


def _partial_items(p: functools.partial) -> tuple:
    return p.func, p.args, p.keywords


def _method_items(m: types.MethodType) -> tuple:
    return m.__self__, m.__func__


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a name bound later in the enclosing function)
        return _MISSING


def _function_reader(fn: types.FunctionType):
    """What the walk reads from a function: its code, and for user code cells and globals."""
    if (fn.__module__ or "").startswith(_LIBRARIES):
        return lambda f: (f.__code__,)
    code, names = fn.__code__, _global_names(fn.__code__)
    missing = [_MISSING] * len(names)
    if not names and not code.co_freevars:  # reads nothing but its defaults

        def read_plain(f):
            if f.__code__ is not code:
                return (f.__code__,)
            return (code, f.__defaults__, f.__kwdefaults__)

        return read_plain

    def read(f):
        if f.__code__ is not code:
            return (f.__code__,)
        cells = (_cell_value(c) for c in f.__closure__ or ())
        scope = f.__globals__
        return (code, f.__defaults__, f.__kwdefaults__, *cells, *map(scope.get, names, missing))

    return read


_SIZED = (_dict_items, _list_items, _set_items)


def _reader(obj):
    """How to list what the walk looked at inside `obj` (the branches of `_visit_composite`)."""
    if isinstance(obj, dict):
        return _dict_items
    if isinstance(obj, list):
        return _list_items
    if isinstance(obj, set):
        return _set_items
    if isinstance(obj, tuple | frozenset):
        return None  # immutable: the same object holds the same objects
    if isinstance(obj, types.FunctionType):
        return _function_reader(obj)
    if isinstance(obj, functools.partial):
        return _partial_items
    if isinstance(obj, types.MethodType):
        return _method_items
    if hasattr(obj, "__dict__") and not _opaque(type(obj)):
        return _object_items
    return None


def _tensor_items(t: Tensor) -> tuple:
    return (type(t), t._storage, t._view, t._view_meta, t._grad_fn, t._requires_grad, t._grad)


def _with_requires_grad(read):
    """A view also requires grad when its base does, which its own fields do not show."""
    return lambda t: (*read(t), t.requires_grad)


def _tensor_items_but_grad(t: Tensor) -> tuple:
    """A tensor whose `.grad` is replaced on every call: its `.grad` is checked on its own."""
    return (type(t), t._storage, t._view, t._view_meta, t._grad_fn, t._requires_grad)


def _replaceable(t) -> bool:
    """A base tensor without history or `.grad`: one the fast path may see replaced."""
    return (
        isinstance(t, Tensor)
        and t._view is None
        and t._view_meta is None
        and t._grad_fn is None
        and not t._requires_grad
        and t._grad is None
    )


def _layout(t: Tensor) -> tuple:
    array = t._storage.array
    return type(t), array.shape, array.dtype


class FastGuard:
    """Identity checks equivalent to re-walking the state one cached program was traced for."""

    def __init__(self, entry, grad_enabled, snap: Snapshot, args: tuple, kwargs: dict):
        # grad_enabled: the grad mode the program was traced under (None: any grad mode)
        self.entry, self.grad_enabled = entry, grad_enabled
        readers = [(_reader(obj), obj) for obj in snap.composites]
        values = (*args, *kwargs.values())
        self.n_args, self.kwargs = len(args), tuple(kwargs)
        volatile = _volatile_slots(snap)
        self.replaced = [_replacement(snap, k, values) for k in volatile]
        replaced_ids = {id(snap.slots[k].value) for k in volatile}
        skip = {position for _, position, _, _ in self.replaced}
        self.arguments = [_argument(v, id(v) in replaced_ids) for v in values]
        for k in snap.tensor_index.values():
            t = snap.slots[k].value
            if k not in volatile:
                read = _tensor_items_but_grad if id(t._grad) in replaced_ids else _tensor_items
                read = read if t._view_meta is None else _with_requires_grad(read)
                readers.append((read, t))
        readers = [(read, obj) for read, obj in readers if read is not None]
        # Empty dicts and lists (most of a module's hook dicts) are checked together: still empty.
        self.empty = [obj for read, obj in readers if read in _SIZED and not obj]
        self.readers = [(read, obj) for read, obj in readers if read not in _SIZED or obj]
        # Everything the walk looked at, flattened and held (so no identity can be reused).
        self.expected = (*chain.from_iterable(read(obj) for read, obj in self.readers), _END)
        self.arrays = [(s, s.array.shape, s.array.dtype)
                       for i, s in enumerate(snap.storages) if i not in skip]  # fmt: skip
        self.fixed_storages = {id(s) for s, _, _ in self.arrays}
        self.template = _template(snap, volatile, skip)

    def check(self, args: tuple, kwargs: dict) -> Snapshot | None:
        """This call's snapshot when nothing a walk would see has changed, else None."""
        grad_enabled = self.grad_enabled
        if grad_enabled is not None and _grad_mode.is_grad_enabled() is not grad_enabled:
            return None
        if len(args) != self.n_args or tuple(kwargs) != self.kwargs:
            return None
        values = (*args, *kwargs.values())
        for value, (kind, expected) in zip(values, self.arguments):
            if kind == "same" and value is not expected:
                return None
            if kind == "value" and (type(value) is not type(expected) or value != expected):
                return None
        if any(self.empty):
            return None
        if len(self.readers) == 1:  # a plain function: one reader, no chain
            read, obj = self.readers[0]
            current = (*read(obj), _END)
            if len(current) != len(self.expected) or not all(map(_is, current, self.expected)):
                return None
        else:
            # lengths differ: _END moves
            current = chain.from_iterable([read(obj) for read, obj in self.readers])
            if not all(map(_is, chain(current, _ENDS), self.expected)):
                return None
        for storage, shape, dtype in self.arrays:
            if storage.array.shape != shape or storage.array.dtype != dtype:
                return None
        return self._snapshot(values) if self.replaced else self.template

    def _snapshot(self, values: tuple) -> Snapshot | None:
        """The template with this call's arguments and `.grad`s in their slots."""
        snap = object.__new__(Snapshot)
        snap.__dict__.update(self.template.__dict__)
        snap.slots, snap.storages = list(snap.slots), list(snap.storages)
        used = set()
        for k, position, layout, source in self.replaced:
            t = values[source] if isinstance(source, int) else source._grad
            if not _replaceable(t) or _layout(t) != layout:
                return None
            storage = id(storage_of(t))
            if storage in self.fixed_storages or storage in used:
                return None
            used.add(storage)
            old = snap.slots[k]
            snap.slots[k] = Slot(old.container, old.how, old.key, old.path, t)
            snap.storages[position] = storage_of(t)
        return snap


def _argument(value, replaced: bool) -> tuple:
    """How a later call's argument is compared: replaced tensor, by value, or the same object."""
    if replaced:
        return ("tensor", None)
    if type(value) in _PLAIN_ARGS:
        return ("value", value)
    return ("same", value)


def _volatile_slots(snap: Snapshot) -> set:
    """Slots of arguments and `.grad`s that a later call may fill with new tensors."""
    uses: dict = {}
    for slot in snap.slots:
        if isinstance(slot.value, Tensor):
            key = id(storage_of(slot.value))
            uses[key] = uses.get(key, 0) + 1
    volatile = set()
    for k, slot in enumerate(snap.slots):
        argument = slot.how == "root" and str(slot.path[0]).startswith(("arg ", "kwarg "))
        if (argument or slot.how == "grad") and _replaceable(slot.value):
            if uses[id(storage_of(slot.value))] == 1:
                volatile.add(k)
    return volatile


def _replacement(snap: Snapshot, k: int, values: tuple) -> tuple:
    """(slot, storage position, layout, where to find it: argument index or parent tensor)."""
    slot = snap.slots[k]
    position = snap.storage_index[id(storage_of(slot.value))]
    if slot.how == "grad":
        return k, position, _layout(slot.value), slot.container
    index = next(i for i, v in enumerate(values) if v is slot.value)
    return k, position, _layout(slot.value), index


def _template(snap: Snapshot, volatile: set, positions: set) -> Snapshot:
    """A copy of the snapshot without the replaceable tensors (they are not kept alive)."""
    template = object.__new__(Snapshot)
    template.__dict__.update(snap.__dict__)
    template.slots = list(snap.slots)
    for k in volatile:
        old = snap.slots[k]
        template.slots[k] = Slot(old.container, old.how, old.key, old.path, None)
    template.storages = [None if i in positions else s for i, s in enumerate(snap.storages)]
    template.composites, template.containers, template._seen = [], [], {}
    return template
