"""torch.cuda: tells the truth about JAX GPUs."""

from __future__ import annotations

import jax

from .._device import _devices_of


def is_available() -> bool:
    """torch.cuda.is_available: true only when JAX has a GPU."""
    return bool(_devices_of("gpu"))


def device_count() -> int:
    """torch.cuda.device_count."""
    return len(_devices_of("gpu"))


def current_device() -> int:
    """torch.cuda.current_device."""
    _require()
    return 0


def get_device_name(device=None) -> str:
    """torch.cuda.get_device_name."""
    _require()
    index = 0 if device is None else getattr(device, "index", device) or 0
    return _devices_of("gpu")[index].device_kind


def synchronize(device=None) -> None:
    """torch.cuda.synchronize: waits for queued JAX work."""
    if is_available():
        jax.effects_barrier()


def manual_seed(seed: int) -> None:
    """torch.cuda.manual_seed (the CPU generator drives every device here)."""


manual_seed_all = manual_seed


def _require():
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
