"""torch.autograd.graph: the Node base class of every grad_fn, and gradient edges."""

from __future__ import annotations

from .._autograd.graph import GradientEdge, Node, edge_of


def get_gradient_edge(tensor) -> GradientEdge:
    """torch.autograd.graph.get_gradient_edge."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
    node, output_nr = edge_of(tensor)
    return GradientEdge(node, output_nr)


def increment_version(tensor) -> None:
    """torch.autograd.graph.increment_version: count an in-place write autograd did not see."""
    for t in (tensor,) if hasattr(tensor, "_storage") else tensor:
        t._storage.version += 1


__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version"]
