"""Clearing parameter gradients, shared by nn.Module.zero_grad and optim.Optimizer.zero_grad."""

from __future__ import annotations

from collections.abc import Iterable


def zero_grads(params: Iterable, set_to_none: bool = True) -> None:
    """Drop each parameter's ``.grad``, or zero it in place cut from any graph it belongs to."""
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
            continue
        if param.grad.grad_fn is not None:
            param.grad.detach_()
        else:
            param.grad.requires_grad_(False)
        param.grad.zero_()
