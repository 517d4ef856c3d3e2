"""torch.backends.cpu: what the host CPU offers."""

from __future__ import annotations

import platform

from .._missing import module_getattr

__all__ = ["get_cpu_capability"]


def _numpy_cpu_features() -> dict:
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        return {}
    return __cpu_features__


def get_cpu_capability() -> str:
    """torch.backends.cpu.get_cpu_capability: "AVX512", "AVX2", ... or "DEFAULT"."""
    features = _numpy_cpu_features()
    if platform.machine().lower() in ("x86_64", "amd64"):
        if all(features.get(f) for f in ("AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ")):
            return "AVX512"
        if features.get("AVX2") and features.get("FMA3"):
            return "AVX2"
        return "DEFAULT"
    if features.get("SVE"):
        return "SVE256"
    return "DEFAULT"


__getattr__ = module_getattr("torch.backends.cpu")
