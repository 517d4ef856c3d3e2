"""torch.autograd.functional computed with JAX's transforms (jacrev, jacfwd, jvp, vjp).

The user's function runs on tensors wrapping JAX tracers, so JAX differentiates it as a
whole; outside jit those tracers still carry concrete values, so Python control flow on
`.item()` or `bool(tensor)` works. With create_graph=True, vjp, jvp, vhp and hvp follow
torch's own recipe on the recording autograd (so a result requires grad exactly when it
depends on something that does), while jacobian and hessian record the whole transform as
one graph node. strict=True replays the function on the recording autograd to raise
torch's independence errors (_strict.py). Without create_graph, jacobian, hessian, jvp, hvp
and vhp run as one cached jax.jit program once a call repeats (_functional_cache.py).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .. import _grad_mode
from .._ops.dispatch import apply_fn
from .._size import Size
from .._tensor import Tensor, from_array
from . import _functional_cache, _strict

_STRATEGY_TEXT = (
    'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
    'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
    'prefer to use "reverse-mode".'
)
_FORWARD_NEEDS_VECTORIZE = (
    "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
    "`vectorize=True`."
)
_FORWARD_NO_CREATE_GRAPH = (
    'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` '
    "are not supported together (yet). Please either set `create_graph=False` or "
    '`strategy="reverse-mode"`.'
)
_FORWARD_NO_STRICT = (
    'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not '
    "supported together (yet). Please either set `strict=False` or "
    '`strategy="reverse-mode"`.'
)


def _as_tuple(value, arg_name: str, fn_name: str):
    """(whether value was a tuple, value as a tuple of tensors), with torch's type errors."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the {where} has type {type(item)}."
            )
    return is_tuple, items


def _validate_v(vs, others, others_tuple: bool) -> None:
    if len(vs) != len(others):
        if others_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(others)} but got {len(vs)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (v, other) in enumerate(zip(vs, others)):
        if tuple(v.shape) != tuple(other.shape):
            prefix = f"Entry {i} in " if others_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {Size(other.shape)} but got {v.shape}."
            )


def _pure(func, fn_name: str, box: dict):
    """func over tensors as a function of arrays returning a tuple of arrays."""

    def pure(*arrays):
        with _grad_mode.no_grad():
            out = func(*[from_array(a) for a in arrays])
        box["tuple_out"], outs = _as_tuple(out, "outputs of the user-provided function", fn_name)
        box["raw"] = out
        return tuple(t._value for t in outs)

    return pure


def _record(fn, tensors, name: str) -> list:
    """Run fn over the tensors' arrays as one differentiable graph node (create_graph=True).

    The results are differentiable even for inputs that do not require grad, as in torch.
    """
    graph_inputs = [t if t.requires_grad else from_array(t._value, True) for t in tensors]
    with _grad_mode.enable_grad():
        out = apply_fn(fn, graph_inputs, [t._value for t in tensors], name)
    return list(out) if isinstance(out, list | tuple) else [out]


def _cached(kind: tuple, func, inputs, build) -> tuple[list, dict]:
    """The transform that build() gives ((transform, facts box, traced transform or None))
    over the inputs' arrays, as tensors: a cached jax.jit program once the call repeats. A
    repeat that the last program's fast guard accepts builds nothing."""
    ran = _functional_cache.rerun(kind, func, inputs)
    if ran is None:
        transform, box, traced = build()
        ran = _functional_cache.run(kind, func, list(inputs), transform, box, traced)
    arrays, facts = ran
    return [from_array(a) for a in arrays], facts


def _conj(array):
    return jnp.conj(array) if jnp.iscomplexobj(array) else array


def _ones_for_single(outs):
    if len(outs) != 1 or math.prod(outs[0].shape) != 1:
        raise RuntimeError(
            "The vector v can only be None if the user-provided function returns a single "
            "Tensor with a single element."
        )
    out = outs[0]._value if isinstance(outs[0], Tensor) else outs[0]
    return [from_array(jnp.ones(out.shape, out.dtype))]


def _zeros_for_missing(grads, refs) -> list:
    return [from_array(jnp.zeros_like(r._value)) if g is None else g for g, r in zip(grads, refs)]


def _vjp_graph(func, inputs, v):
    """create_graph=True: torch's own recipe on the recording autograd, so which results
    require grad follows what they really depend on."""
    with _grad_mode.enable_grad():
        graph_inputs = _strict.leaves_for(inputs, True)
        tuple_out, outs = _as_tuple(func(*graph_inputs), "outputs of the user-provided function",
                                    "vjp")  # fmt: skip
        if v is None:
            vs = _ones_for_single(outs)
        else:
            vs = list(_as_tuple(v, "v", "vjp")[1])
            _validate_v(vs, outs, tuple_out)
        vs = [t.view_as(t) if t.requires_grad else t.detach() for t in vs]
        grads = _strict.grads(outs, graph_inputs, vs, create_graph=True)
    return tuple_out, list(outs), _zeros_for_missing(grads, graph_inputs)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vjp: (func(inputs), v^T J)."""
    tuple_in, inputs = _as_tuple(inputs, "inputs", "vjp")
    if strict:
        _strict.check_vjp(func, inputs, v, create_graph, _as_tuple, _validate_v)
    if create_graph:
        tuple_out, outs, grads = _vjp_graph(func, inputs, v)
    else:
        box: dict = {}
        outs, pullback = jax.vjp(_pure(func, "vjp", box), *[t._value for t in inputs])
        tuple_out = box["tuple_out"]
        if v is None:
            vs = _ones_for_single(outs)
        else:
            vs = list(_as_tuple(v, "v", "vjp")[1])
            _validate_v(vs, outs, tuple_out)
        grads = [from_array(_conj(g)) for g in pullback(tuple(_conj(t._value) for t in vs))]
        outs = [from_array(o) for o in outs]
    out_value = tuple(outs) if tuple_out else outs[0]
    return out_value, tuple(grads) if tuple_in else grads[0]


def _input_tangents(v, inputs, tuple_in: bool, fn_name: str):
    """The v of jvp, hvp and vhp (shaped like the inputs); None means ones for one element."""
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        return (from_array(jnp.ones_like(inputs[0]._value)),)
    vs = _as_tuple(v, "v", fn_name)[1]
    _validate_v(vs, inputs, tuple_in)
    return vs


def _jvp_graph(func, inputs, vs):
    """create_graph=True: torch's double-backward recipe on the recording autograd."""
    with _grad_mode.enable_grad():
        graph_inputs = _strict.leaves_for(inputs, True)
        tuple_out, outs = _as_tuple(func(*graph_inputs), "outputs of the user-provided function",
                                    "jvp")  # fmt: skip
        grad_outputs = [_strict._zeros_like(out).requires_grad_(True) for out in outs]
        grad_inputs = _strict.grads(outs, graph_inputs, grad_outputs, create_graph=True)
        vs = [t.view_as(t) if t.requires_grad else t.detach() for t in vs]
        tangents = _strict.grads(grad_inputs, grad_outputs, vs, create_graph=True)
    return tuple_out, list(outs), _zeros_for_missing(tangents, outs)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.jvp: (func(inputs), J v)."""
    tuple_in, inputs = _as_tuple(inputs, "inputs", "jvp")
    vs = _input_tangents(v, inputs, tuple_in, "jvp")
    if strict:
        _strict.check_jvp(func, inputs, vs, create_graph, _as_tuple)
    n = len(inputs)

    def build():
        box: dict = {}
        pure = _pure(func, "jvp", box)

        def both(*args):
            outs, tangents = jax.jvp(pure, tuple(args[:n]), tuple(args[n:]))
            return (*outs, *tangents)

        return both, box, None

    if create_graph:
        box = {}
        box["tuple_out"], outs, tangents = _jvp_graph(func, inputs, vs)
    else:
        flat, box = _cached(("jvp", n), func, [*inputs, *vs], build)
        outs, tangents = flat[: len(flat) // 2], flat[len(flat) // 2 :]
    if box["tuple_out"]:
        return tuple(outs), tuple(tangents)
    return outs[0], tangents[0]


def _check_strategy(strategy, create_graph, strict, vectorize, text=_STRATEGY_TEXT) -> None:
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(text)
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(_FORWARD_NO_CREATE_GRAPH)
        if strict:
            raise RuntimeError(_FORWARD_NO_STRICT)


def _split_table(table, tuple_out: bool, tuple_in: bool):
    """JAX's [output][input] table of arrays as torch's nesting of tensors."""
    rows = [tuple(row) if tuple_in else row[0] for row in table]
    return tuple(rows) if tuple_out else rows[0]


def _repeat(kind: tuple, func, inputs):
    """The flat results of the program a repeat of this call with one plain tensor input runs
    (`_functional_cache.rerun`) and its facts; None for anything else (the full path)."""
    if inputs.__class__ is not Tensor:
        return None
    return _functional_cache.rerun(kind, func, (inputs,))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):  # fmt: skip
    """torch.autograd.functional.jacobian."""
    if not (create_graph or strict or vectorize) and strategy == "reverse-mode":
        ran = _repeat(("jacobian", strategy, vectorize), func, inputs)
        if ran is not None:  # one input: a row of one tensor per output
            return _split_table([[from_array(a)] for a in ran[0]], ran[1]["tuple_out"], False)
    _check_strategy(strategy, create_graph, strict, vectorize)
    tuple_in, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(_FORWARD_NEEDS_VECTORIZE)
    if strict:
        _strict.check_jacobian(func, inputs, create_graph, vectorize, _as_tuple)

    def build():
        box: dict = {}
        pure = _pure(func, "jacobian", box)
        transform = jax.jacfwd if strategy == "forward-mode" else jax.jacrev
        argnums = tuple(range(len(inputs)))

        def jac(*arrays):
            table = transform(pure, argnums=argnums)(*arrays)
            return tuple(j for row in table for j in row)

        return jac, box, None

    if create_graph:
        jac, box, _ = build()
        flat = _record(jac, inputs, "ViewBackward0")
    else:
        flat, box = _cached(("jacobian", strategy, vectorize), func, inputs, build)
    n = len(inputs)
    table = [flat[k : k + n] for k in range(0, len(flat), n)]
    return _split_table(table, box["tuple_out"], tuple_in)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):  # fmt: skip
    """torch.autograd.functional.hessian."""
    if not (create_graph or strict or vectorize) and outer_jacobian_strategy == "reverse-mode":
        ran = _repeat(("hessian", vectorize), func, inputs)
        if ran is not None:  # one input: its Hessian, not nested
            return from_array(ran[0][0])
    tuple_in, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    _check_strategy(outer_jacobian_strategy, create_graph, strict, vectorize)
    if outer_jacobian_strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(_FORWARD_NEEDS_VECTORIZE)
    if strict:
        _strict.check_hessian(func, inputs, create_graph, vectorize, _as_tuple)
    n = len(inputs)
    if outer_jacobian_strategy == "forward-mode":
        # torch differentiates through inputs it marks as requiring grad: a graph result.
        flat = _record(_hessian_of(func, n, {}, jax.jacfwd), inputs, "ReshapeAliasBackward0")
    elif create_graph:
        flat = _record(_hessian_of(func, n, {}, jax.jacrev), inputs, "ViewBackward0")
    else:

        def build():
            # Reverse over reverse keeps the function's forward pass on concrete values;
            # traced, forward over reverse computes the same matrix without an identity basis.
            box: dict = {}
            return _hessian_of(func, n, box, jax.jacrev), box, _hessian_of(func, n, box, jax.jacfwd)

        flat = _cached(("hessian", vectorize), func, inputs, build)[0]
    table = [flat[k : k + n] for k in range(0, len(flat), n)]
    return _split_table(table, tuple_in, tuple_in)


def _hessian_of(func, n: int, box: dict, outer):
    """The flat Hessian table of func over n arrays, its outer Jacobian taken by `outer`."""
    scalar = _scalar_function(func, "hessian", box)
    argnums = tuple(range(n))

    def hess(*arrays):
        table = outer(jax.jacrev(scalar, argnums=argnums), argnums=argnums)(*arrays)
        return tuple(h for row in table for h in row)

    return hess


def _scalar_function(func, fn_name: str, box: dict):
    """func as a function of arrays returning its single-element result as a 0-d array."""
    pure = _pure(func, fn_name, box)

    def scalar(*arrays):
        outs = pure(*arrays)
        box["shape"] = tuple(outs[0].shape)
        if box["tuple_out"] or not isinstance(box["raw"], Tensor):
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if outs[0].size != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to {fn_name} should contain a "
                "single element"
            )
        return outs[0].reshape(())

    return scalar


def _hessian_product(func, inputs, v, create_graph, strict, fn_name):
    tuple_in, inputs = _as_tuple(inputs, "inputs", fn_name)
    vs = _input_tangents(v, inputs, tuple_in, fn_name)
    if strict:
        _strict.check_vhp(func, inputs, vs, create_graph, _as_tuple, fn_name)
    n = len(inputs)

    def build():
        box: dict = {}
        scalar = _scalar_function(func, fn_name, box)

        def both(*args):
            value = scalar(*args[:n])
            gradient = jax.grad(scalar, argnums=tuple(range(n)))
            _, product = jax.jvp(gradient, tuple(args[:n]), tuple(args[n:]))
            return (value, *product)

        return both, box, None

    if create_graph:
        value, products = _hessian_product_graph(func, inputs, vs, fn_name)
    else:
        (value, *products), box = _cached((fn_name, n), func, [*inputs, *vs], build)
        # torch returns the function's value in the shape the function gave it
        value = value.reshape(box["shape"])
    return value, tuple(products) if tuple_in else products[0]


def _single_output(raw, fn_name: str) -> Tensor:
    is_tuple, outs = _as_tuple(raw, "outputs of the user-provided function", fn_name)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return outs[0]


def _hessian_product_graph(func, inputs, vs, fn_name: str):
    """create_graph=True: torch's recipe (double backward for vhp, one more for hvp)."""
    with _grad_mode.enable_grad():
        graph_inputs = _strict.leaves_for(inputs, True)
        value = _single_output(func(*graph_inputs), fn_name)
        jac = _strict.grads((value,), graph_inputs, create_graph=True)
        vs = [t.view_as(t) if t.requires_grad else t.detach() for t in vs]
        if fn_name == "vhp":
            products = _strict.grads(jac, graph_inputs, vs, create_graph=True)
        else:
            grad_jac = [_strict._zeros_like(t).requires_grad_(True) for t in graph_inputs]
            double_back = _strict.grads(jac, graph_inputs, grad_jac, create_graph=True)
            products = _strict.grads(double_back, grad_jac, vs, create_graph=True)
    return value, _zeros_for_missing(products, graph_inputs)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.hvp: (func(inputs), H v)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vhp: (func(inputs), v^T H); equal to H v as H is symmetric."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.autograd.functional")
