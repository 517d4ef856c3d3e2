"""What JAX's GPU plugin reports: whether it is there and which CUDA libraries it runs on."""

from __future__ import annotations

from .._device import _devices_of


def has_gpu() -> bool:
    """Whether JAX has a GPU (the only way torchlike reaches CUDA and cuDNN)."""
    return bool(_devices_of("gpu"))


def cuda_library_version(getter: str) -> int | None:
    """A version number from jax's CUDA plugin (e.g. 'cudnn_get_version'); None without one."""
    if not has_gpu():
        return None
    try:
        from jax._src.lib import cuda_versions

        return int(getattr(cuda_versions, getter)())
    except (ImportError, AttributeError, TypeError):
        return None
