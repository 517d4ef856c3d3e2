"""torch.device over JAX devices."""

from __future__ import annotations

import functools

import jax


class device:
    """torch.device: a device type ('cpu', 'cuda', 'tpu') and an optional index."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): argument 'type' must be str, not {type.__class__.__name__}")
        name, _, idx = type.partition(":")
        if name not in ("cpu", "cuda", "tpu", "meta", "mps", "xla"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                "fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device "
                f"type at start of device string: {type}"
            )
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        self.type, self.index = name, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_JAX_PLATFORM = {"cpu": "cpu", "cuda": "gpu", "tpu": "tpu"}


@functools.cache
def _devices_of(platform: str):
    try:
        return tuple(jax.devices(platform))
    except RuntimeError:
        return ()


def jax_device(dev: device):
    """The jax.Device a torch device names; torch's error when it is not there."""
    devices = _devices_of(_JAX_PLATFORM.get(dev.type, dev.type))
    if not devices:
        if dev.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"{dev.type} device is not available")
    index = dev.index or 0
    if index >= len(devices):
        raise RuntimeError(
            "CUDA error: invalid device ordinal" if dev.type == "cuda" else f"invalid device {dev}"
        )
    return devices[index]


def torch_device_of(jax_dev) -> device:
    """The torch device for a jax.Device (cpu devices print without an index, like torch)."""
    platform = jax_dev.platform
    if platform == "cpu":
        return _CPU
    kind = "cuda" if platform == "gpu" else platform
    return device(kind, jax_dev.id)


_CPU = device("cpu")
