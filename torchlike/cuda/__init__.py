"""torch.cuda: tells the truth about JAX GPUs."""

from __future__ import annotations

import dataclasses

import jax

from .._device import _devices_of


def is_available() -> bool:
    """torch.cuda.is_available: true only when JAX has a GPU."""
    return bool(_devices_of("gpu"))


def device_count() -> int:
    """torch.cuda.device_count."""
    return len(_devices_of("gpu"))


def is_initialized() -> bool:
    """torch.cuda.is_initialized: JAX starts its GPU backend as soon as one is found."""
    return is_available()


def init() -> None:
    """torch.cuda.init."""
    _require()


def current_device() -> int:
    """torch.cuda.current_device."""
    _require()
    return 0


def set_device(device) -> None:
    """torch.cuda.set_device (JAX places arrays explicitly, so only the index is checked)."""
    _gpu(device)


def get_device_name(device=None) -> str:
    """torch.cuda.get_device_name."""
    return _gpu(device).device_kind


@dataclasses.dataclass(frozen=True)
class _DeviceProperties:
    name: str
    total_memory: int
    multi_processor_count: int


def get_device_properties(device=None) -> _DeviceProperties:
    """torch.cuda.get_device_properties: what JAX reports about the GPU."""
    gpu = _gpu(device)
    stats = gpu.memory_stats() or {}
    cores = getattr(gpu, "core_count", 0)
    return _DeviceProperties(gpu.device_kind, int(stats.get("bytes_limit", 0)), cores)


def get_device_capability(device=None) -> tuple[int, int]:
    """torch.cuda.get_device_capability."""
    gpu = _gpu(device)
    major, _, minor = str(getattr(gpu, "compute_capability", "0.0")).partition(".")
    return int(major), int(minor or 0)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """torch.cuda.is_bf16_supported: XLA runs bfloat16 on every GPU it supports."""
    return is_available()


def synchronize(device=None) -> None:
    """torch.cuda.synchronize: waits for queued JAX work."""
    _require()
    jax.effects_barrier()


def empty_cache() -> None:
    """torch.cuda.empty_cache (XLA's allocator keeps its pool; nothing to release)."""


def _memory_stat(device, key: str) -> int:
    if not is_available():
        return 0
    return int((_gpu(device).memory_stats() or {}).get(key, 0))


def memory_allocated(device=None) -> int:
    """torch.cuda.memory_allocated: bytes JAX holds in arrays on the GPU."""
    return _memory_stat(device, "bytes_in_use")


def max_memory_allocated(device=None) -> int:
    """torch.cuda.max_memory_allocated."""
    return _memory_stat(device, "peak_bytes_in_use")


def memory_reserved(device=None) -> int:
    """torch.cuda.memory_reserved: bytes in XLA's GPU pool."""
    return _memory_stat(device, "pool_bytes") or memory_allocated(device)


def max_memory_reserved(device=None) -> int:
    """torch.cuda.max_memory_reserved."""
    return _memory_stat(device, "peak_pool_bytes") or max_memory_allocated(device)


def manual_seed(seed: int) -> None:
    """torch.cuda.manual_seed (the CPU generator drives every device here)."""


manual_seed_all = manual_seed


class device:
    """torch.cuda.device: a context naming the current GPU (JAX places arrays explicitly)."""

    def __init__(self, device):
        self.idx = -1 if device is None else getattr(device, "index", device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _require():
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")


def _gpu(device=None):
    """The JAX GPU a torch.cuda call names (None, an index, 'cuda:1' or a torch.device)."""
    _require()
    if isinstance(device, str):
        from .._device import device as torch_device

        device = torch_device(device)
    index = getattr(device, "index", device) or 0
    gpus = _devices_of("gpu")
    if not 0 <= index < len(gpus):
        raise AssertionError("Invalid device id")
    return gpus[index]


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.cuda")
