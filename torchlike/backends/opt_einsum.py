"""torch.backends.opt_einsum: contraction-order search for einsum (JAX's einsum uses opt_einsum)."""

from __future__ import annotations

import importlib.util

from .._missing import module_getattr

__all__ = ["enabled", "get_opt_einsum", "is_available", "strategy"]

enabled = True
strategy = "auto"


def is_available() -> bool:
    """torch.backends.opt_einsum.is_available: whether the opt_einsum package is installed."""
    return importlib.util.find_spec("opt_einsum") is not None


def get_opt_einsum():
    """torch.backends.opt_einsum.get_opt_einsum: the opt_einsum module, or None."""
    if not is_available():
        return None
    import opt_einsum

    return opt_einsum


__getattr__ = module_getattr("torch.backends.opt_einsum")
