"""torch.backends: per-backend flags and availability (cudnn, cuda, mps, cpu, mkldnn, ...)."""

from __future__ import annotations

from .._missing import module_getattr
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]

__getattr__ = module_getattr("torch.backends")
