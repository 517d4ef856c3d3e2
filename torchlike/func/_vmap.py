"""torch.func.vmap on jax.vmap: in_dims/out_dims trees, non-Tensor arguments held fixed."""

from __future__ import annotations

import functools

import jax

from .._tensor import Tensor, from_array
from ._pytree import call_unrecorded, is_tensor, recorded, to_arrays

_RANDOMNESS = ("error", "different", "same")


def check_randomness(randomness) -> None:
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )
    if randomness == "different":
        raise NotImplementedError(
            "torchlike: torch.func.vmap(randomness='different') is not supported"
        )


def _flat_in_dims(in_dims, args, where: str) -> list:
    """in_dims broadcast over args' leaves (a prefix tree, as torch allows), flattened."""
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(jax.tree_util.tree_leaves(args, is_leaf=is_tensor))
    if isinstance(in_dims, list | tuple) and isinstance(args, list | tuple):
        if len(in_dims) != len(args):
            raise ValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has "
                f"structure {jax.tree_util.tree_structure(in_dims)} but inputs has structure "
                f"{jax.tree_util.tree_structure(args, is_leaf=is_tensor)}."
            )
        return [d for dims, arg in zip(in_dims, args) for d in _flat_in_dims(dims, arg, where)]
    if isinstance(in_dims, dict) and isinstance(args, dict):
        return [d for key in sorted(args) for d in _flat_in_dims(in_dims[key], args[key], where)]
    raise ValueError(
        f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has "
        f"structure {jax.tree_util.tree_structure(in_dims)} but inputs has structure "
        f"{jax.tree_util.tree_structure(args, is_leaf=is_tensor)}."
    )


def _check_batched(leaves, dims, where: str, in_dims) -> None:
    sizes = []
    for leaf, dim in zip(leaves, dims):
        if dim is None:
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"{where}: Got in_dim={dim} for an input but the input is of type {type(leaf)}. "
                "We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        if not -leaf.ndim <= dim < max(leaf.ndim, 1) or leaf.ndim == 0:
            raise ValueError(
                f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of "
                f"dimensionality {leaf.ndim} so expected in_dim to satisfy "
                f"-{leaf.ndim} <= in_dim < {leaf.ndim}."
            )
        sizes.append(leaf.shape[dim])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )


def _out_axes(out_dims):
    return tuple(_out_axes(d) for d in out_dims) if isinstance(out_dims, list) else out_dims


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.func.vmap: func mapped over a dimension of its Tensor arguments."""
    check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        where = f"vmap({getattr(func, '__name__', 'f')}, in_dims={in_dims}, ...)(<inputs>)"
        leaves = jax.tree_util.tree_leaves(args, is_leaf=is_tensor)
        dims = _flat_in_dims(in_dims, args, where)
        _check_batched(leaves, dims, where, in_dims)
        tensor_dims = tuple(d for leaf, d in zip(leaves, dims) if isinstance(leaf, Tensor))

        def compute(call_args):
            call_leaves, tree = jax.tree_util.tree_flatten(call_args, is_leaf=is_tensor)
            positions = [i for i, leaf in enumerate(call_leaves) if isinstance(leaf, Tensor)]

            def pure(*arrays):
                for i, array in zip(positions, arrays):
                    call_leaves[i] = from_array(array)
                inputs = jax.tree_util.tree_unflatten(tree, call_leaves)
                return to_arrays(call_unrecorded(func, inputs, kwargs))

            arrays = [call_leaves[i]._value for i in positions]
            return jax.vmap(pure, in_axes=tensor_dims, out_axes=_out_axes(out_dims))(*arrays)

        return recorded(compute, args, "VmapBackward0")

    return wrapper
