"""The traced program: a compiled function's Python code run once on JAX tracers.

Every reachable storage gets a tracer for its array, every reachable generator a traced key,
and the user's function runs unchanged: the op table, the autograd engine and the optimizers
compute on tracers. What the run changed (storages written, tensors stored into new places,
`.grad` created or cleared, generator keys advanced, the result) is recorded in a `Plan` and
returned as the jitted program's outputs; the Python objects are put back exactly as they
were, and `apply` writes the program's outputs into the live objects after each call.
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp

from .. import _grad_mode
from .. import random as _random
from .._autograd import api as _autograd_api
from .._autograd import compiled as _compiled_backward
from .._tensor import Tensor, from_array
from .walk import Slot, describe, resolve, restore_structure, step_key, storage_of, walk

# While tracing, storage versions are lifted far above any eager count, so a view's value
# cached during the trace can never be mistaken for a current eager value afterwards.
_VERSION_OFFSET = 1 << 50
_TENSOR_FIELDS = ("_grad_fn", "_output_nr", "_requires_grad", "_accumulator", "_view_meta",
                  "_cache", "_cache_source")  # fmt: skip
tracing = {"depth": 0}
_words_of: dict = {}  # id(generator) -> (its key, the key's words): no conversion per call


class GraphBreak(Exception):
    """The function cannot become one program; the reason says why, in torch's words."""


class Plan:
    """What one trace of the function does to its state, filled in while tracing."""

    def __init__(self):
        self.written: list[int] = []  # storage indices whose array the program returns
        self.new_tensors: list[tuple] = []  # (class, requires_grad) per tensor made by the call
        self.effects: list[tuple] = []  # (pre-slot index or path, how, value spec)
        self.generators: list[int] = []  # generator indices whose key advanced
        self.result_tree = None
        self.result_specs: list[tuple] = []


def make_program(fn, args, kwargs, roots: list, plan: Plan):
    """The pure function (storage arrays, generator key words) -> arrays the call produced."""

    def program(storage_arrays, key_words):
        snap = walk(roots)
        saved = _swap_in(snap, storage_arrays, key_words)
        try:
            with _tracing_mode():
                result = fn(*args, **kwargs)
                return _collect(snap, roots, storage_arrays, saved, result, plan)
        finally:
            _swap_out(snap, saved)

    return program


def make_backward(fn, args, kwargs, roots: list, plan: Plan, grad_slots: list):
    """(storage arrays, key words, output cotangents) -> the gradient of each grad tensor.

    The function runs again on tracers and torchlike's own autograd differentiates the
    outputs, so `detach()`, `no_grad()` and custom Functions mean what they mean in torch.
    """

    def backward(storage_arrays, key_words, cotangents):
        snap = walk(roots)
        saved = _swap_in(snap, storage_arrays, key_words)
        try:
            with _tracing_mode(), _grad_mode.enable_grad():
                result = fn(*args, **kwargs)
                leaves = jax.tree_util.tree_flatten(result, is_leaf=_is_tensor)[0]
                outputs = [t for t, spec in zip(leaves, plan.result_specs) if _needs_grad(spec)]
                inputs = [snap.slots[i].value for i in grad_slots]
                cotangents = [from_array(c) for c in cotangents]
                grads = _autograd_api.grad(outputs, inputs, cotangents, allow_unused=True)
                return [
                    jnp.zeros_like(t._value) if g is None else g._value
                    for g, t in zip(grads, inputs)
                ]
        finally:
            _swap_out(snap, saved)

    return backward


def _is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def _needs_grad(spec: tuple) -> bool:
    return spec[0] == "tensor" and spec[2]


@contextlib.contextmanager
def _tracing_mode():
    jax_mode, replay = _random._jax_mode, _compiled_backward._switch["enabled"]
    _random._jax_mode = True  # compiled code draws from the generators' JAX keys
    _compiled_backward._switch["enabled"] = False  # the whole step is one program already
    tracing["depth"] += 1
    try:
        yield
    finally:
        tracing["depth"] -= 1
        _random._jax_mode = jax_mode
        _compiled_backward._switch["enabled"] = replay


def _swap_in(snap, storage_arrays, key_words) -> dict:
    tensors = [snap.slots[i].value for i in snap.tensor_index.values()]
    saved = {
        "tensors": [(t, [getattr(t, f) for f in _TENSOR_FIELDS]) for t in tensors],
        "storages": [(s.array, s.version) for s in snap.storages],
        "keys": [g._key for g in snap.generators],
    }
    for t in tensors:  # inside the program every reachable tensor starts without history
        requires_grad = t.requires_grad
        t._grad_fn, t._view_meta, t._requires_grad = None, None, requires_grad
    for storage, array in zip(snap.storages, storage_arrays):
        storage.array = array
        storage.version += _VERSION_OFFSET
    for gen, words in zip(snap.generators, key_words):
        gen._key = jax.random.wrap_key_data(words, impl="threefry2x32")
    saved["traced_keys"] = [g._key for g in snap.generators]
    return saved


def _swap_out(snap, saved: dict) -> None:
    restore_structure(snap)
    for tensor, values in saved["tensors"]:
        for field, value in zip(_TENSOR_FIELDS, values):
            setattr(tensor, field, value)
    for storage, (array, version) in zip(snap.storages, saved["storages"]):
        storage.array, storage.version = array, version
    for gen, key in zip(snap.generators, saved["keys"]):
        gen._key = key


def _collect(snap, roots, storage_arrays, saved, result, plan: Plan) -> list:
    """Record the call's effects in `plan` and return the arrays the program outputs."""
    outputs = []
    plan.__init__()
    for i, storage in enumerate(snap.storages):
        if storage.array is not storage_arrays[i]:
            plan.written.append(i)
            outputs.append(storage.array)
    new_ids: dict = {}
    post = walk(roots)
    _check_python_state(snap, post)
    _collect_effects(snap, post, plan, outputs, new_ids)
    for j, gen in enumerate(snap.generators):
        if gen._key is not saved["traced_keys"][j]:
            plan.generators.append(j)
            outputs.append(jax.random.key_data(gen._key))
    leaves, plan.result_tree = jax.tree_util.tree_flatten(
        result, is_leaf=lambda x: isinstance(x, Tensor)
    )
    for leaf in leaves:
        plan.result_specs.append(_result_spec(snap, leaf, outputs, new_ids))
    return outputs


def _check_python_state(snap, post) -> None:
    """Changed Python values (counters, appended lists) cannot be replayed: a graph break."""
    before = {entry[0]: entry for entry in snap.guard}
    for entry in post.guard:
        kind = entry[1]
        if kind in ("value", list) and entry[-1] is not None and before.get(entry[0]) != entry:
            what = "list" if kind is list else "Python value"
            raise GraphBreak(f"the call changes the {what} at {describe(entry[0])}")


def _collect_effects(snap, post, plan: Plan, outputs: list, new_ids: dict) -> None:
    pre_slots = {_slot_key(slot): k for k, slot in enumerate(snap.slots)}
    post_keys = set()
    for slot in post.slots:
        key = _slot_key(slot)
        post_keys.add(key)
        k = pre_slots.get(key)
        if k is not None and snap.slots[k].value is slot.value:
            continue
        spec = _value_spec(snap, slot, outputs, new_ids, plan)
        plan.effects.append((slot.path if k is None else k, slot.how, spec))
    for slot in snap.slots:
        if _slot_key(slot) not in post_keys and slot.how in ("item", "attr", "grad"):
            raise GraphBreak(f"the call removes state the program cannot recreate: {slot.path}")


def _slot_key(slot: Slot):
    """A `.grad` belongs to its tensor, wherever the walk first met that tensor."""
    return ("grad of", id(slot.container)) if slot.how == "grad" else slot.path


def _value_spec(snap, slot: Slot, outputs: list, new_ids: dict, plan: Plan) -> tuple:
    value = slot.value
    if value is None:
        return ("none",)
    if not isinstance(value, Tensor):
        raise GraphBreak(f"the call stores a {type(value).__name__} where state was")
    index = snap.tensor_index.get(id(value))
    if index is not None:
        return ("pre", index)
    if id(value) not in new_ids:
        if value._view is not None or id(storage_of(value)) in snap.storage_index:
            raise GraphBreak("the call stores a view of another tensor in reachable state")
        if value._grad_fn is not None:
            raise GraphBreak("the call stores a tensor with autograd history in reachable state")
        new_ids[id(value)] = len(plan.new_tensors)
        plan.new_tensors.append((type(value), value._requires_grad))
        outputs.append(value._value)
    return ("new", new_ids[id(value)])


def _result_spec(snap, leaf, outputs: list, new_ids: dict) -> tuple:
    if isinstance(leaf, Tensor):
        index = snap.tensor_index.get(id(leaf))
        if index is not None:
            return ("pre", index)
        if id(leaf) in new_ids:
            return ("stored", new_ids[id(leaf)])
        outputs.append(leaf._value)
        return ("tensor", type(leaf), leaf.requires_grad and _grad_mode.is_grad_enabled())
    if isinstance(leaf, jax.Array):
        outputs.append(leaf)
        return ("array",)
    return ("const", leaf)


def apply(plan: Plan, snap, roots_of, outputs) -> tuple[list, list]:
    """Write a program's outputs into the live objects; the result leaves and grad outputs."""
    it = iter(outputs)
    roots = None
    for i in plan.written:
        storage = snap.storages[i]
        storage.array = next(it)
        storage.version += 1
    made = [from_array(next(it), rg, cls) for cls, rg in plan.new_tensors]
    for where, how, spec in plan.effects:
        value = _spec_value(spec, snap, made)
        if isinstance(where, int):
            snap.slots[where].assign(value)
        else:
            roots = dict(roots_of()) if roots is None else roots
            container = resolve(roots, where[:-1])
            key = step_key(roots, where[-1])
            Slot(container, how, key[1:] if how == "attr" else key, where, None).assign(value)
    for j in plan.generators:
        gen, words = snap.generators[j], next(it)
        gen._key = jax.random.wrap_key_data(words, impl="threefry2x32")
        _words_of[id(gen)] = (gen._key, words)
    leaves, needs_grad = [], []
    for spec in plan.result_specs:
        if spec[0] == "tensor":
            leaves.append(from_array(next(it), False, spec[1]))
            if spec[2]:
                needs_grad.append(leaves[-1])
        elif spec[0] == "array":
            leaves.append(next(it))
        elif spec[0] == "const":
            leaves.append(spec[1])
        else:
            leaves.append(_spec_value(spec, snap, made))
    return leaves, needs_grad


def _spec_value(spec, snap, made):
    if spec[0] == "none":
        return None
    if spec[0] == "pre":
        return snap.slots[spec[1]].value
    return made[spec[1]]


def key_words(snap) -> list:
    """Each reachable generator's JAX key as raw uint32 words (made from its seed if new)."""
    return [_words(g) for g in snap.generators]


def _words(gen):
    key = gen._current_key()
    cached = _words_of.get(id(gen))
    if cached is not None and cached[0] is key:
        return cached[1]
    words = jnp.asarray(jax.random.key_data(key))
    _words_of[id(gen)] = (key, words)
    return words
