"""torch.backends.mkl: Intel MKL, which torchlike does not use (XLA brings its own kernels)."""

from __future__ import annotations

from .._missing import module_getattr

__all__ = ["is_available"]


def is_available() -> bool:
    """torch.backends.mkl.is_available: False."""
    return False


__getattr__ = module_getattr("torch.backends.mkl")
