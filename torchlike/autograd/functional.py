"""torch.autograd.functional computed with JAX's transforms (jacrev, jacfwd, jvp, vjp, hessian).

The user's function runs on tensors wrapping JAX tracers, so it is differentiated by JAX
as a whole. With create_graph=True the whole transform is recorded as one graph node, so
its result can be differentiated again.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _grad_mode
from .._ops.dispatch import apply_fn
from .._tensor import Tensor, from_array


def _as_tuple(inputs, arg_name: str, fn_name: str):
    is_tuple = isinstance(inputs, tuple | list)
    items = tuple(inputs) if is_tuple else (inputs,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(item).__name__}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the given {arg_name} has type {type(item).__name__}."
            )
    return is_tuple, items


def _pure(func, tuple_in: bool, fn_name: str, box: dict):
    """func over tensors as a function of arrays returning a tuple of arrays."""

    def pure(*arrays):
        tensors = [from_array(a) for a in arrays]
        with _grad_mode.no_grad():
            out = func(*tensors) if tuple_in else func(tensors[0])
        tuple_out, outs = _as_tuple(out, "outputs of the user-provided function", fn_name)
        box["tuple_out"] = tuple_out
        return tuple(t._value for t in outs)

    return pure


def _record(fn, inputs, create_graph: bool, name: str):
    """Run fn over the inputs' arrays; with create_graph, as a differentiable graph node."""
    arrays = [t._value for t in inputs]
    if create_graph and any(t.requires_grad for t in inputs):
        with _grad_mode.enable_grad():
            out = apply_fn(fn, list(inputs), arrays, name)
        return list(out) if isinstance(out, list | tuple) else [out]
    return [from_array(a) for a in fn(*arrays)]


def _regroup(flat, tuple_out, tuple_in, n_in):
    rows = [flat[k * n_in : (k + 1) * n_in] for k in range(len(flat) // n_in)]
    rows = [tuple(r) if tuple_in else r[0] for r in rows]
    return tuple(rows) if tuple_out else rows[0]


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):  # fmt: skip
    """torch.autograd.functional.jacobian."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` only works when "
            "`vectorize=True`."
        )
    tuple_in, inputs = _as_tuple(inputs, "inputs", "jacobian")
    box: dict = {}
    pure = _pure(func, tuple_in, "jacobian", box)
    transform = jax.jacfwd if strategy == "forward-mode" else jax.jacrev
    argnums = tuple(range(len(inputs)))

    def jac(*arrays):
        table = transform(pure, argnums=argnums)(*arrays)  # [output][input]
        return tuple(j for row in table for j in row)

    flat = _record(jac, inputs, create_graph, "JacobianBackward")
    return _regroup(flat, box["tuple_out"], tuple_in, len(inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):  # fmt: skip
    """torch.autograd.functional.hessian."""
    tuple_in, inputs = _as_tuple(inputs, "inputs", "hessian")
    box: dict = {}
    pure = _pure(func, tuple_in, "hessian", box)

    def scalar(*arrays):
        (out,) = _single_output(pure(*arrays), "hessian")
        return out.reshape(())

    argnums = tuple(range(len(inputs)))

    def hess(*arrays):
        table = jax.hessian(scalar, argnums=argnums)(*arrays)
        return tuple(h for row in table for h in row)

    flat = _record(hess, inputs, create_graph, "HessianBackward")
    n = len(inputs)
    rows = [tuple(flat[k * n : (k + 1) * n]) for k in range(n)]
    return tuple(rows) if tuple_in else rows[0][0]


def _single_output(outs, fn_name):
    if len(outs) != 1 or outs[0].size != 1:
        raise RuntimeError(
            f"The function given to {fn_name} should return a single element Tensor, but it "
            f"returned a Tensor with {outs[0].size if outs else 0} elements"
            if fn_name != "hessian"
            else "The Tensor returned by the function given to hessian should contain a single "
            "element"
        )
    return outs


def _check_v(v, outs, fn_name, what):
    tuple_v, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(outs):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(outs)} but got {len(vs)}."
        )
    for i, (vi, o) in enumerate(zip(vs, outs)):
        if tuple(vi.shape) != tuple(o.shape):
            raise RuntimeError(
                f"Mismatch in shape: {what}[{i}] has a shape of {tuple(o.shape)} and "
                f"v[{i}] has a shape of {tuple(vi.shape)}."
                .replace("(", "torch.Size([").replace(")", "])")
            )
    return vs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vjp: (func(inputs), v^T J)."""
    tuple_in, inputs = _as_tuple(inputs, "inputs", "vjp")
    box: dict = {}
    pure = _pure(func, tuple_in, "vjp", box)
    arrays = [t._value for t in inputs]
    outs, pullback = jax.vjp(pure, *arrays)
    if v is None:
        if len(outs) != 1 or outs[0].size != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        cot = (jnp.ones_like(outs[0]),)
    else:
        cot = tuple(t._value for t in _check_v(v, [from_array(o) for o in outs], "vjp",
                                                 "output"))  # fmt: skip
    n = len(inputs)

    def both(*args):
        o, pb = jax.vjp(pure, *args[:n])
        return (*o, *pb(tuple(args[n:])))

    extra = [from_array(c) for c in cot] if v is None else list(_as_tuple(v, "v", "vjp")[1])
    flat = _record(both, list(inputs) + extra, create_graph, "VjpBackward")
    out_t, grads = flat[: len(outs)], flat[len(outs) :]
    out_value = tuple(out_t) if box["tuple_out"] else out_t[0]
    return out_value, tuple(grads) if tuple_in else grads[0]


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.jvp: (func(inputs), J v)."""
    tuple_in, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        v = (from_array(jnp.ones_like(inputs[0]._value)),)
    vs = _check_v(v, inputs, "jvp", "input")
    box: dict = {}
    pure = _pure(func, tuple_in, "jvp", box)
    n = len(inputs)

    def both(*args):
        o, t = jax.jvp(pure, tuple(args[:n]), tuple(args[n:]))
        return (*o, *t)

    flat = _record(both, list(inputs) + list(vs), create_graph, "JvpBackward")
    half = len(flat) // 2
    outs, tangents = flat[:half], flat[half:]
    if box["tuple_out"]:
        return tuple(outs), tuple(tangents)
    return outs[0], tangents[0]


def _hessian_product(func, inputs, v, create_graph, name, fn_name):
    tuple_in, inputs = _as_tuple(inputs, "inputs", fn_name)
    vs = _check_v(v, inputs, fn_name, "input") if v is not None else None
    if vs is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        vs = (from_array(jnp.ones_like(inputs[0]._value)),)
    box: dict = {}
    pure = _pure(func, tuple_in, fn_name, box)
    n = len(inputs)

    def scalar(*arrays):
        (out,) = _single_output(pure(*arrays), fn_name)
        return out.reshape(())

    def both(*args):
        value = scalar(*args[:n])
        grad_fn = jax.grad(scalar, argnums=tuple(range(n)))
        _, product = jax.jvp(grad_fn, tuple(args[:n]), tuple(args[n:]))
        return (value, *product)

    flat = _record(both, list(inputs) + list(vs), create_graph, name)
    value, products = flat[0], flat[1:]
    return value, tuple(products) if tuple_in else products[0]


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.hvp: (func(inputs), H v)."""
    return _hessian_product(func, inputs, v, create_graph, "HvpBackward", "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """torch.autograd.functional.vhp: (func(inputs), v^T H); equal to H v as H is symmetric."""
    return _hessian_product(func, inputs, v, create_graph, "VhpBackward", "vhp")
