"""torch.backends.openmp: OpenMP, which torchlike does not use (XLA has its own thread pool)."""

from __future__ import annotations

from .._missing import module_getattr

__all__ = ["is_available"]


def is_available() -> bool:
    """torch.backends.openmp.is_available: False."""
    return False


__getattr__ = module_getattr("torch.backends.openmp")
