"""State discovery: the tensors, generators and Python values a compiled function can reach.

A compiled function's state is everything reachable from its roots (the arguments, the
compiled module, the function's closure cells and the globals its code loads): tensors and
their `.grad`, modules' parameters and buffers, optimizers' `param_groups` and `state`,
generators, and plain Python values (which the traced program bakes in, so they are guarded).
Each leaf is recorded with its path from a root, so a structural change names where it is.
"""

from __future__ import annotations

import dis
import functools
import types
from collections import OrderedDict

from .._device import device
from .._dtype import dtype
from .._tensor import Tensor
from ..random import Generator

SCALARS = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis))
_TORCH_VALUES = (dtype, device)  # compared by value, like Python scalars
_PLAIN_SCALARS = frozenset({bool, int, float, str, type(None)})
_PLAIN_DICTS = frozenset({dict, OrderedDict})
_MAX_DEPTH = 12
_MAX_OBJECTS = 20000
_OPAQUE_MODULES = ("jax", "jaxlib", "numpy", "builtins", "torchlike._autograd", "torchlike._ops")


class TooMuchState(Exception):
    """More reachable objects than a guard can check cheaply."""


class Slot:
    """One place that holds a leaf value: container[key] (item), container.key (attr) or .grad."""

    __slots__ = ("container", "how", "key", "path", "value")

    def __init__(self, container, how: str, key, path: tuple, value):
        self.container, self.how, self.key, self.path, self.value = container, how, key, path, value

    def assign(self, value) -> None:
        if self.how == "item":
            self.container[self.key] = value
        elif self.how == "grad":
            self.container._grad = value
        elif self.how == "attr":
            object.__setattr__(self.container, self.key, value)
        # "root" slots (arguments) cannot be rebound: only their storages are written.


class Snapshot:
    """The result of one walk: slots in discovery order, unique storages, generators, guard."""

    def __init__(self):
        self.slots: list[Slot] = []
        self.storages: list = []  # unique Storage objects, in discovery order
        self.storage_index: dict = {}  # id(storage) -> index
        self.tensor_index: dict = {}  # id(tensor) -> index of first slot holding it
        self.generators: list = []
        self.guard: list = []  # hashable description of everything, id-free
        self.containers: list = []  # (object, keys before the call) for structural restore
        self.composites: list = []  # every container, function or object looked into (guard.py)
        self._seen: dict = {}  # id(container object) -> first path
        self._count = 0


def walk(roots: list) -> Snapshot:
    """Walk `roots` ((name, object) pairs) and record every reachable leaf with its path."""
    snap = Snapshot()
    for name, obj in roots:
        _visit(snap, None, "root", name, (name,), obj, 0)
    return snap


def _visit(snap: Snapshot, container, how: str, key, path: tuple, obj, depth: int) -> None:
    snap._count += 1
    if snap._count > _MAX_OBJECTS:
        raise TooMuchState(f"more than {_MAX_OBJECTS} reachable objects (at {describe(path)})")
    if isinstance(obj, Tensor):
        _visit_tensor(snap, container, how, key, path, obj, depth)
    elif isinstance(obj, SCALARS + _TORCH_VALUES):
        snap.guard.append((path, "value", "nan" if obj != obj else obj))  # nan != nan
        if how in ("item", "attr", "grad") and (obj is None or how == "grad"):
            snap.slots.append(Slot(container, how, key, path, obj))
    elif isinstance(obj, types.ModuleType | type | types.BuiltinFunctionType):
        snap.guard.append((path, "static", obj))  # by identity: rebinding it changes the key
    elif isinstance(obj, Generator):
        if obj not in snap.generators:
            snap.generators.append(obj)
        snap.guard.append((path, "generator", snap.generators.index(obj)))
    elif depth >= _MAX_DEPTH:
        snap.guard.append((path, "deep", type(obj)))
    elif not _already_seen(snap, path, obj):
        _visit_composite(snap, path, obj, depth)


def _visit_composite(snap: Snapshot, path: tuple, obj, depth: int) -> None:
    """Containers, functions and objects: record their shape and walk what they hold."""
    if isinstance(obj, dict):
        _visit_dict(snap, path, obj, depth)
    elif isinstance(obj, list | tuple):
        snap.guard.append((path, type(obj), len(obj)))
        if isinstance(obj, list):
            snap.containers.append((obj, len(obj)))
        for i, item in enumerate(obj):
            _visit(snap, obj, "item" if isinstance(obj, list) else "none", i, path + (i,), item,
                   depth + 1)  # fmt: skip
    elif isinstance(obj, types.FunctionType):
        _visit_function(snap, path, obj, depth)
    elif isinstance(obj, set | frozenset):
        snap.guard.append((path, type(obj), frozenset(obj)))  # elements are hashable
    elif isinstance(obj, functools.partial):
        for name in ("func", "args", "keywords"):
            _visit(snap, None, "none", name, path + (f"<partial {name}>",), getattr(obj, name),
                   depth + 1)  # fmt: skip
    elif isinstance(obj, types.MethodType):
        _visit(snap, None, "none", "__self__", path + ("__self__",), obj.__self__, depth + 1)
        _visit(snap, None, "none", "__func__", path + ("__func__",), obj.__func__, depth + 1)
    elif hasattr(obj, "__dict__") and not _opaque(type(obj)):
        snap.guard.append((path, "object", type(obj)))
        snap.containers.append((obj, set(vars(obj))))
        for name, value in list(vars(obj).items()):
            if not _plain(snap, obj, "attr", name, path + ("." + name,), value):
                _visit(snap, obj, "attr", name, path + ("." + name,), value, depth + 1)
    else:
        snap.guard.append((path, "opaque", type(obj)))


def _plain(snap: Snapshot, container, how: str, key, path: tuple, value) -> bool:
    """Record a scalar or an empty dict without a full visit (most module attributes)."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        snap._count += 1
        snap.guard.append((path, "value", "nan" if value != value else value))
        if value is None:
            snap.slots.append(Slot(container, how, key, path, None))
        return True
    if kind in _PLAIN_DICTS and not value:
        snap.guard.append((path, kind, 0))
        snap.containers.append((value, set()))
        snap.composites.append(value)
        return True
    return False


def _already_seen(snap: Snapshot, path: tuple, obj) -> bool:
    first = snap._seen.get(id(obj))
    if first is not None:
        snap.guard.append((path, "alias", first))
        return True
    snap._seen[id(obj)] = path
    snap.composites.append(obj)
    return False


def _opaque(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module.startswith(_OPAQUE_MODULES) or getattr(cls, "_opaque_to_compile", False)


def _visit_tensor(snap: Snapshot, container, how, key, path, tensor: Tensor, depth: int) -> None:
    slot = Slot(container, how, key, path, tensor)
    snap.slots.append(slot)
    index = snap.tensor_index.get(id(tensor))
    if index is not None:
        snap.guard.append((path, "same tensor", snap.slots[index].path))
        return
    snap.tensor_index[id(tensor)] = len(snap.slots) - 1
    storage = storage_of(tensor)
    position = snap.storage_index.get(id(storage))
    if position is None:
        position = snap.storage_index[id(storage)] = len(snap.storages)
        snap.storages.append(storage)
    value = tensor._value
    facts = (tensor._view is not None, tensor.requires_grad, tensor._grad_fn is not None)
    snap.guard.append((path, "tensor", type(tensor), position, tuple(value.shape), value.dtype,
                       *facts))  # fmt: skip
    if tensor.requires_grad or tensor._grad is not None:
        _visit(snap, tensor, "grad", "grad", path + (".grad",), tensor._grad, depth + 1)


def storage_of(tensor: Tensor):
    """The storage that owns a tensor's array (a `.data` alias has a counter of its own)."""
    storage = tensor._storage
    return getattr(storage, "root", storage)


def _visit_dict(snap: Snapshot, path: tuple, obj: dict, depth: int) -> None:
    snap.guard.append((path, type(obj), len(obj)))
    snap.containers.append((obj, {id(k) for k in obj}))  # ids: tensor keys compare by value
    for position, (k, value) in enumerate(list(obj.items())):
        if isinstance(k, Tensor):
            index = snap.tensor_index.get(id(k))
            if index is None:
                _visit(snap, None, "none", "key", path + (f"<key {position}>",), k, depth + 1)
                index = snap.tensor_index[id(k)]
            step = ("tensor", snap.slots[index].path)
        elif isinstance(k, SCALARS):
            step = k
        else:
            step = ("object", type(k).__name__, id(k))
        if not _plain(snap, obj, "item", k, path + (step,), value):
            _visit(snap, obj, "item", k, path + (step,), value, depth + 1)


def _visit_function(snap: Snapshot, path: tuple, fn: types.FunctionType, depth: int) -> None:
    if (fn.__module__ or "").startswith(("torchlike.", "jax", "numpy")):
        # Library functions share code objects (every generated op has the same one).
        snap.guard.append((path, "function", fn))
        return
    snap.guard.append((path, "function", fn.__code__))
    for name in ("__defaults__", "__kwdefaults__"):
        if getattr(fn, name):
            _visit(snap, None, "none", name, path + (f"<{name}>",), getattr(fn, name), depth + 1)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell (a name bound later in the enclosing function)
            continue
        _visit(snap, None, "none", name, path + ("<closure " + name + ">",), value, depth + 1)
    for name in _global_names(fn.__code__):
        if name in fn.__globals__:
            value = fn.__globals__[name]
            _visit(snap, fn.__globals__, "item", name, path + ("<global " + name + ">",), value,
                   depth + 1)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _global_names(code: types.CodeType) -> tuple:
    """Names a code object (and the code objects nested in it) reads or writes as globals:
    the names of its global and name instructions, not of attributes it loads."""
    names = [i.argval for i in dis.get_instructions(code) if i.opname in _GLOBAL_OPS]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_global_names(const))
    return tuple(dict.fromkeys(names))


# Instructions that look a name up in the globals (a class body's, or a module's own code's,
# name instructions too).
_GLOBAL_OPS = frozenset(
    {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME", "STORE_NAME", "DELETE_NAME",
     "LOAD_FROM_DICT_OR_GLOBALS"}
)  # fmt: skip


def describe(path: tuple) -> str:
    """A readable path: model._modules['layer1']._parameters['weight'].grad."""
    text = str(path[0])
    for step in path[1:]:
        if isinstance(step, str) and step.startswith(("<global ", "<closure ")):
            text = step[step.index(" ") + 1 : -1]  # a name the function reads: start there
        elif isinstance(step, str) and step.startswith((".", "<")):
            text += step if step.startswith(".") else " " + step
        elif step in ("__self__", "__func__"):
            continue
        elif isinstance(step, tuple) and step and step[0] == "tensor":
            text += "[<tensor " + describe(step[1]) + ">]"
        else:
            text += f"[{step!r}]"
    return text


def restore_structure(snap: Snapshot) -> None:
    """Undo keys, items and attributes added to the walked containers, then rebind every slot."""
    for obj, before in snap.containers:
        if isinstance(before, int):
            del obj[before:]
        elif isinstance(obj, dict):
            for k in [k for k in obj if id(k) not in before]:
                del obj[k]
        else:
            for name in [n for n in vars(obj) if n not in before]:
                delattr(obj, name)
    for slot in snap.slots:
        slot.assign(slot.value)


def resolve(roots: dict, path: tuple):
    """The live object at a path, creating missing dict entries along the way."""
    obj = roots[path[0]]
    for step in path[1:]:
        obj = _step(roots, obj, step)
    return obj


def step_key(roots: dict, step):
    """The dict key or attribute a path step names (a tensor key is looked up by its path)."""
    if isinstance(step, tuple) and step and step[0] == "tensor":
        return resolve(roots, step[1])
    return step


def _step(roots: dict, obj, step):
    if isinstance(step, str) and step.startswith("<closure "):
        name = step[len("<closure ") : -1]
        return obj.__closure__[obj.__code__.co_freevars.index(name)].cell_contents
    if isinstance(step, str) and step.startswith("<global "):
        return obj.__globals__[step[len("<global ") : -1]]
    if isinstance(step, str) and step.startswith("."):
        return obj._grad if step == ".grad" else vars(obj)[step[1:]]
    if step in ("__self__", "__func__"):
        return getattr(obj, step)
    if isinstance(step, str) and step.startswith("<key "):
        return list(obj)[int(step[len("<key ") : -1])]
    if isinstance(step, str) and step.startswith("<partial "):
        return getattr(obj, step[len("<partial ") : -1])
    if step in ("<__defaults__>", "<__kwdefaults__>"):
        return getattr(obj, step[1:-1])
    key = step_key(roots, step)
    if isinstance(obj, dict) and key not in obj:
        obj[key] = {}
    return obj[key]
