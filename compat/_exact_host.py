"""Whether this host runs torch's CPU GEMM in the orders torchlike's exact-matmul mode emulates."""

from __future__ import annotations

import functools
from pathlib import Path

import torch


@functools.cache
def measured_host() -> bool:
    """True on an AMD CPU with torch's oneMKL 2024.2, where the summation orders were measured."""
    cpuinfo = Path("/proc/cpuinfo")
    amd = cpuinfo.exists() and "AuthenticAMD" in cpuinfo.read_text()
    return amd and "Math Kernel Library Version 2024.2" in torch.__config__.show()


NOT_MEASURED = (
    "torch's CPU summation orders were measured on AMD CPUs with oneMKL 2024.2 only; other "
    "CPUs or MKL versions run other GEMM kernels"
)
