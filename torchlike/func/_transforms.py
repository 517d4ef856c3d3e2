"""torch.func's function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian) on JAX's."""

from __future__ import annotations

import functools

import jax

from .._tensor import Tensor
from ._pytree import normalize_argnums, partial_pure, recorded, to_arrays, to_tensors

_GRAD = "grad_and_value(f)(*args)"


def _scalar_output(pure, has_aux: bool):
    """pure with torch's checks that f returns a 0-d Tensor (JAX differentiates the array)."""

    def scalar(*diff):
        out = pure(*diff)
        value = out[0] if has_aux else out
        if not isinstance(value, jax.Array):
            raise RuntimeError(f"{_GRAD}: Expected f(*args) to return a Tensor, got {type(value)}")
        if value.ndim != 0:
            raise RuntimeError(
                f"{_GRAD}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{value.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        return out

    return scalar


def _select(results, argnums):
    """JAX's per-argument tuple as torch returns it: one entry for an int argnums."""
    return results if isinstance(argnums, tuple) else results[0]


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: (gradient of f's scalar output, the output)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = normalize_argnums(argnums, len(args))

        def compute(call_args):
            pure, diff = partial_pure(func, call_args, kwargs, nums, has_aux, _GRAD)
            transform = jax.value_and_grad(
                _scalar_output(pure, has_aux), argnums=tuple(range(len(nums))), has_aux=has_aux
            )
            value, grads = transform(*diff)
            return _select(grads, argnums), value

        return recorded(compute, args, "GradBackward0")

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """torch.func.grad: the gradient of f's scalar output with respect to args[argnums]."""
    both = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = both(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux=False):
    """torch.func.vjp: (f(*primals), vjp_fn[, aux]); vjp_fn maps cotangents to input grads."""
    pure, arrays = partial_pure(func, primals, {}, tuple(range(len(primals))), has_aux,
                                "vjp(f, *primals)")  # fmt: skip
    if has_aux:
        out, pullback, aux = jax.vjp(pure, *arrays, has_aux=True)
    else:
        out, pullback = jax.vjp(pure, *arrays)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        return to_tensors(tuple(pullback(to_arrays(cotangents))))

    if has_aux:
        return to_tensors(out), vjp_fn, to_tensors(aux)
    return to_tensors(out), vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (f(*primals), J tangents[, aux])."""
    where = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{where}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_primals, primals_spec = jax.tree_util.tree_flatten(primals, is_leaf=_is_tensor)
    tangent_tree = tuple(tangents) if isinstance(tangents, list) else tangents
    _, tangents_spec = jax.tree_util.tree_flatten(tangent_tree, is_leaf=_is_tensor)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{where}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {primals_spec} and tangents with structure {tangents_spec}"
        )
    pure, arrays = partial_pure(func, primals, {}, tuple(range(len(primals))), has_aux, where)
    result = jax.jvp(pure, tuple(arrays), tuple(to_arrays(tangent_tree)), has_aux=has_aux)
    return to_tensors(tuple(result))


def _is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def _jacobian(transform, func, argnums, has_aux):
    reverse = transform is jax.jacrev
    where = "vjp(f, *primals)" if reverse else "jvp(f, primals, tangents)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = normalize_argnums(argnums, len(args))

        def compute(call_args):
            pure, diff = partial_pure(func, call_args, kwargs, nums, has_aux, where)
            positions = tuple(range(len(nums))) if isinstance(argnums, tuple) else 0
            result = transform(pure, argnums=positions, has_aux=has_aux)(*diff)
            return tuple(result) if has_aux else result

        return recorded(compute, args, "JacrevBackward0" if reverse else "JacfwdBackward0")

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """torch.func.jacrev: the Jacobian of f with respect to args[argnums], by reverse mode."""
    return _jacobian(jax.jacrev, func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: the Jacobian of f with respect to args[argnums], by forward mode."""
    from ._vmap import check_randomness

    check_randomness(randomness)
    return _jacobian(jax.jacfwd, func, argnums, has_aux)


def hessian(func, argnums=0):
    """torch.func.hessian: jacfwd of jacrev, as torch computes it."""
    return jacfwd(jacrev(func, argnums), argnums)
