"""Pin torch's and XLA's CPU thread pools; must run before jax is imported."""

from __future__ import annotations

import os

_XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def configure_before_imports(threads: int) -> None:
    """threads=1 makes XLA's CPU client single-threaded; 0 keeps every library's default."""
    if threads == 1:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_XLA_SINGLE_THREAD}".strip()


def configure_torch(threads: int) -> None:
    """Set torch's intra-op (and, once per process, inter-op) thread counts."""
    if threads <= 0:
        return
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # torch allows this only before its first parallel work
        pass
