"""Saved tensors: which inputs a node's backward needs, and torch's in-place version checks.

torch saves, per op, only what its derivative formula reads (`mul` saves `other` for the
gradient of `input`, `add` saves nothing). Here the same set falls out of JAX: a node's
VJP kernel is traced once and the primals that its jaxpr reads are the saved ones.
Rows whose torch formula reads the result instead say so with `saves="output"`.
"""

from __future__ import annotations

import re

import jax
import jax.extend.core as jex

_USED: dict = {}


def snapshot(leaves, is_tensor) -> tuple:
    """What a node saves of its inputs, as one flat tuple: (tensor, storage, version) per input,
    three Nones for an input that is not a tensor."""
    flat = []
    for leaf, tensor in zip(leaves, is_tensor):
        if tensor:
            storage = leaf._storage
            flat += (leaf, storage, storage.version)
        else:
            flat += _NO_ENTRY
    return tuple(flat)


_NO_ENTRY = (None, None, None)


def forget_input(node, i: int) -> None:
    """Stop checking input i (an in-place op saves a copy of its `self`, never modified)."""
    saved_inputs = node.saved_inputs
    k = 3 * i
    if k < len(saved_inputs):
        node.saved_inputs = (*saved_inputs[:k], *_NO_ENTRY, *saved_inputs[k + 3 :])


def snapshot_output(output, view=None) -> list:
    """[storage, version, tensor named in errors (a view written in place), or None]."""
    return [output._storage, output._storage.version, view]


def refresh_output(node, tensor) -> None:
    """An in-place op saves its result after its own write."""
    if node.saved_output is not None:
        node.saved_output[1] = tensor._storage.version


def vjp_facts(node, key, kernel_factory) -> tuple:
    """(primals the VJP reads, {input k: cotangent j} for gradients that pass through as is).

    Traced once per kernel key. A pass-through gradient (that of `a + b` or `clone`) is the
    incoming gradient itself in torch, not the result of a new op.
    """
    if key is None or any(a.size == 0 for a in node.primals):
        # Without a cache key, or with empty arrays that JAX may simplify away: assume all.
        return tuple(range(len(node.primals))), {}
    facts = _USED.get(key)
    if facts is None:
        cotangents = [jax.ShapeDtypeStruct(*node.out_avals[i]) for i in node.diff_outputs]
        primals = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in node.primals]
        jaxpr = jax.make_jaxpr(kernel_factory())(primals, cotangents).jaxpr
        live = _live_inputs(jaxpr, [True] * len(jaxpr.outvars))
        n = len(node.primals)
        used = tuple(i for i in range(n) if live[i])
        facts = _USED[key] = (used, _passthrough(jaxpr, n))
    return facts


def _passthrough(jaxpr, n_primals: int) -> dict:
    source = {}
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in ("copy", "copy_p") and isinstance(eqn.invars[0], jex.Var):
            source[eqn.outvars[0]] = source.get(eqn.invars[0], eqn.invars[0])
    cotangents = {v: j for j, v in enumerate(jaxpr.invars[n_primals:])}
    result = {}
    for k, out in enumerate(jaxpr.outvars):
        if isinstance(out, jex.Var):
            j = cotangents.get(source.get(out, out))
            if j is not None:
                result[k] = j
    return result


def _sub_jaxpr(eqn):
    for name in ("jaxpr", "call_jaxpr"):
        sub = eqn.params.get(name)
        sub = getattr(sub, "jaxpr", sub)
        if isinstance(sub, jex.Jaxpr) and len(sub.invars) == len(eqn.invars):
            if len(sub.outvars) == len(eqn.outvars):
                return sub
    return None


def _live_inputs(jaxpr, live_outputs) -> list:
    """Which invars of `jaxpr` the live outputs depend on (a backwards liveness walk)."""
    live = {v for v, used in zip(jaxpr.outvars, live_outputs) if used and isinstance(v, jex.Var)}
    for eqn in reversed(jaxpr.eqns):
        outs = [isinstance(v, jex.Var) and v in live for v in eqn.outvars]
        if not any(outs) and not eqn.effects:
            continue
        sub = _sub_jaxpr(eqn)
        needed = _live_inputs(sub, outs) if sub is not None else [True] * len(eqn.invars)
        live.update(v for v, n in zip(eqn.invars, needed) if n and isinstance(v, jex.Var))
    return [v in live for v in jaxpr.invars]


def release_drops(node, entry) -> bool:
    """Whether a release after backward drops the node's primals (a later backward through it
    raises torch's error) rather than keeping their shapes (it reads nothing it saved).
    `entry` is the node's kernel entry (kernels.entry_of)."""
    reads = entry.facts(node)[0]  # what a create_graph backward would read
    return bool(reads) or saves_anything(node, reads if node.saves == "inputs" else ())


def release(node, entry, drops: bool) -> None:
    """Free what the node saved after a backward without retain_graph, as torch frees it."""
    node.freed = True
    node.primals = None if drops else entry.shapes(node)
    node.saved_inputs, node.saved_output = (), None


def saves_anything(node, used: tuple) -> bool:
    """Whether backward unpacks saved values (only such nodes fail on a second backward)."""
    if type(node).__name__ == "CopySlices":
        return True  # torch's CopySlices drops its wrapped function after one backward
    return node.saves == "output" or (node.saves == "inputs" and bool(used))


def check_versions(node, used: tuple) -> None:
    """torch's error when a tensor saved for backward was modified in place since."""
    out = node.saved_output
    if out is not None and out[0].version != out[1]:
        storage, version, view = out
        if view is not None:
            _raise(view, version, storage.version)
        shape, dtype = node.out_avals[0]
        where = f", which is output 0 of {friendly_name(node)},"
        _raise_text(_type_name(dtype), shape, where, version, storage.version)
    if node.saves != "inputs":
        return
    modified = _modified_input(node, used)
    if modified is not None:
        _raise(*modified)


def intact(node, used: tuple) -> bool:
    """Whether check_versions(node, used) passes: nothing it saved was modified in place."""
    out = node.saved_output
    if out is not None and out[0].version != out[1]:
        return False
    if node.saves != "inputs":
        return True
    return _modified_input(node, used) is None


def _modified_input(node, used: tuple):
    """(tensor, saved version, current version) of the first input in `used` modified in place
    since the node saved it, or None."""
    saved_inputs = node.saved_inputs
    for i in used:
        k = 3 * i
        if k < len(saved_inputs):
            storage = saved_inputs[k + 1]
            if storage is not None and storage.version != saved_inputs[k + 2]:
                return saved_inputs[k], saved_inputs[k + 2], storage.version
    return None


def _raise(tensor, expected: int, current: int):
    from .graph import grad_fn_of

    grad_fn = grad_fn_of(tensor)
    where = (
        ""
        if grad_fn is None
        else (f", which is output {tensor._output_nr} of {friendly_name(grad_fn)},")
    )
    _raise_text(tensor.type(), tuple(tensor.shape), where, expected, current)


def _raise_text(type_name, shape, where, expected, current):
    from .._grad_mode import is_anomaly_enabled

    hint = (
        "the backtrace further above shows the operation that failed to compute its gradient. "
        "The variable in question was changed in there or anywhere later. Good luck!"
        if is_anomaly_enabled()
        else "enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{type_name} [{', '.join(map(str, shape))}]]{where} is at "
        f"version {current}; expected version {expected} instead. Hint: {hint}"
    )


def friendly_name(node) -> str:
    """The node's name as torch's version error shows it: MulBackward0 -> Mul."""
    return re.sub(r"Backward\d*$", "", type(node).__name__)


def _type_name(np_dtype) -> str:
    from .. import _dtype as dt
    from .._tensor import _TYPE_NAMES

    return f"torch.{_TYPE_NAMES[dt._BY_NP[np_dtype]]}"


SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
