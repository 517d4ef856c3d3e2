"""torch.backends.mps: Apple's Metal backend, which torchlike (on JAX) does not have."""

from __future__ import annotations

from .._missing import module_getattr

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """torch.backends.mps.is_available: False, JAX runs no Metal device torchlike can use."""
    return False


def is_built() -> bool:
    """torch.backends.mps.is_built: False."""
    return False


__getattr__ = module_getattr("torch.backends.mps")
