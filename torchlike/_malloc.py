"""The C allocator's thresholds for buffers of JAX's CPU runtime (glibc only).

A training step frees and allocates the same megabyte-sized buffers every step (activations,
gradients, optimizer state). glibc's malloc returns free memory at the top of its heaps to the
system once it passes the trim threshold (twice the largest mmapped block freed so far, a few
MiB here), and the next step's buffers then fault their pages back in, on XLA's executor
threads. Fixed thresholds of 32 MiB for mmap (glibc's own upper bound for its adaptive value)
and 64 MiB for trimming keep those pages: W2's eager step took about 20% less time, and the
hand-written jax.jit step in the same process as much (see bench/RESULTS.md). At most 64 MiB of
free memory stays with each of malloc's heaps.

Nothing is changed where the process set malloc's tunables itself (`GLIBC_TUNABLES` or
`MALLOC_*_` variables), off glibc, or with `TORCHLIKE_MALLOC_TUNING=0`.
"""

from __future__ import annotations

import ctypes
import os
import platform

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
state = {"tuned": False}


def configure() -> bool:
    """Set the thresholds where allowed (see the module); whether they were set."""
    if os.environ.get("TORCHLIKE_MALLOC_TUNING", "1") in ("", "0"):
        return False
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    if any(name.startswith("MALLOC_") and name.endswith("_") for name in os.environ):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    state["tuned"] = ok
    return ok
