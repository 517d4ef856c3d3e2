"""Moving between trees of Tensors and trees of JAX arrays (or tracers) at transform edges.

Inside a transform the user's function runs on Tensors that wrap JAX tracers, with the
recording autograd off: JAX differentiates the whole function, so recording would only cost.
"""

from __future__ import annotations

import jax

from .. import _grad_mode
from .._tensor import Tensor, from_array


def is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def to_arrays(tree):
    """Each Tensor leaf of tree as its JAX array; other leaves unchanged."""
    return jax.tree_util.tree_map(
        lambda leaf: leaf._value if isinstance(leaf, Tensor) else leaf, tree, is_leaf=is_tensor
    )


def to_tensors(tree):
    """Each JAX array (or tracer) leaf of tree as a new Tensor; other leaves unchanged."""
    return jax.tree_util.tree_map(
        lambda leaf: from_array(leaf) if isinstance(leaf, jax.Array) else leaf, tree
    )


def call_unrecorded(func, args, kwargs):
    """func(*args, **kwargs) with the recording autograd off."""
    with _grad_mode.no_grad():
        return func(*args, **kwargs)


def normalize_argnums(argnums, n_args: int) -> tuple[int, ...]:
    """argnums as a tuple of non-negative positions, with torch's errors."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for num in nums:
        if not isinstance(num, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n_args <= num < n_args:
            raise RuntimeError(f"Got argnum={num}, but only {n_args} positional inputs")
    return tuple(num % n_args for num in nums)


def split_aux(output, api: str):
    """(output, aux) of a has_aux function, with torch's error when it is not a pair."""
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return output


def partial_pure(func, args, kwargs, nums, has_aux: bool, api: str):
    """pure(*arrays for args[nums]) -> output arrays (and aux arrays); other args held fixed."""

    def pure(*diff):
        call_args = list(args)
        for num, value in zip(nums, diff):
            call_args[num] = to_tensors(value)
        out = call_unrecorded(func, call_args, kwargs)
        if has_aux:
            out, aux = split_aux(out, api)
            return to_arrays(out), to_arrays(aux)
        return to_arrays(out)

    return pure, [to_arrays(args[num]) for num in nums]


def recorded(compute, args, name: str):
    """compute(args) -> tree with array leaves, as Tensors; one graph node (named `name`) when
    an input requires grad, so a transform's results join the recording autograd.

    torch records each op the transform ran; the whole transform is one node here, so the
    gradients agree with torch's while the grad_fn name is this module's own.
    """
    leaves, tree = jax.tree_util.tree_flatten(args, is_leaf=is_tensor)
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    tensors = [leaves[i] for i in positions]
    box: dict = {}

    def flat(*arrays):
        call_leaves = list(leaves)
        for i, array in zip(positions, arrays):
            call_leaves[i] = from_array(array)
        out = compute(jax.tree_util.tree_unflatten(tree, call_leaves))
        out_leaves, box["tree"] = jax.tree_util.tree_flatten(out)
        box["is_array"] = [isinstance(x, jax.Array) for x in out_leaves]
        box["others"] = [x for x in out_leaves if not isinstance(x, jax.Array)]
        return tuple(x for x in out_leaves if isinstance(x, jax.Array))

    arrays = [t._value for t in tensors]
    if _grad_mode._state.enabled and any(t.requires_grad for t in tensors):
        from .._ops.dispatch import apply_fn

        outs = list(apply_fn(flat, tensors, arrays, name))
    else:
        outs = [from_array(a) for a in flat(*arrays)]
    arrays_out, others = iter(outs), iter(box["others"])
    merged = [next(arrays_out) if is_array else next(others) for is_array in box["is_array"]]
    return jax.tree_util.tree_unflatten(box["tree"], merged)
