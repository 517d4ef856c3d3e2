"""torch.backends.cudnn: cuDNN flags (XLA calls cuDNN itself on NVIDIA GPUs).

The flags are kept and checked like torch's. XLA chooses its convolution algorithms by its own
autotuning, so `benchmark` and `deterministic` do not change what runs.
"""

from __future__ import annotations

import sys

from ._flags import flags_set, make_flag_module
from ._gpu import cuda_library_version, has_gpu

__all__ = ["flags", "is_acceptable", "is_available", "version"]

_FLOATING = ("torch.float16", "torch.bfloat16", "torch.float32", "torch.float64")


def is_available() -> bool:
    """torch.backends.cudnn.is_available: true when JAX has a GPU."""
    return has_gpu()


def version() -> int | None:
    """torch.backends.cudnn.version: the cuDNN version JAX's GPU plugin uses, else None."""
    return cuda_library_version("cudnn_get_version")


def is_acceptable(tensor) -> bool:
    """torch.backends.cudnn.is_acceptable: a floating tensor on a GPU, with cuDNN present."""
    return is_available() and tensor.is_cuda and str(tensor.dtype) in _FLOATING


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):  # fmt: skip
    """torch.backends.cudnn.flags: set every flag for the block (defaults included)."""
    values = {"enabled": enabled, "benchmark": benchmark, "deterministic": deterministic,
              "allow_tf32": allow_tf32, "benchmark_limit": benchmark_limit}  # fmt: skip
    return flags_set(sys.modules[__name__], values)


benchmark_limit = 10

make_flag_module(
    __name__,
    {
        "enabled": ("set_enabled_cudnn", True),
        "benchmark": ("set_benchmark_cudnn", False),
        "deterministic": ("set_deterministic_cudnn", False),
        # torch's own message names the cuBLAS setter here.
        "allow_tf32": ("set_allow_tf32_cublas", True),
    },
)
