"""torch.device over JAX devices."""

from __future__ import annotations

import functools
import re

import jax

from ._deferred import Deferred

_DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip
# torch's list, plus JAX's TPU (torchlike runs on it; torch itself has no "tpu" type).
_ACCEPTED_TYPES = frozenset(_DEVICE_TYPES) | {"tpu"}
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")


def _type_name(value) -> str:
    return "torch.device" if isinstance(value, device) else type(value).__name__


def _check_index(index):
    if index is None:
        return None
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(
            f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}"
        )
    if index < 0:
        raise RuntimeError("Device index must not be negative")
    return index


def _parse(text: str):
    if not text:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    name, index = match.groups()
    if name not in _ACCEPTED_TYPES:
        raise RuntimeError(
            f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
            f"string: {text}"
        )
    return name, None if index is None else int(index)


def _accelerator_type() -> str:
    for kind, platform in (("cuda", "gpu"), ("tpu", "tpu")):
        if _devices_of(platform):
            return kind
    raise RuntimeError("Cannot access accelerator device when none is available.")


class device:
    """torch.device: a device type ('cpu', 'cuda', 'tpu', ...) and an optional index."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError(
                    "device(): argument 'type' (position 1) must be str, not torch.device"
                )
            name, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            name, index = _accelerator_type(), type
        elif isinstance(type, str):
            name, parsed = _parse(type)
            index = _check_index(index)
            if parsed is not None and index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            index = parsed if index is None else index
        else:
            raise TypeError(
                "device() received an invalid combination of arguments - got "
                f"({_type_name(type)}), but expected one of:\n"
                " * (torch.device device)\n * (str type, int index = -1)"
            )
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        if name in device.__slots__:
            raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")
        raise AttributeError(f"'torch.device' object has no attribute '{name}'")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

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


@functools.cache
def several_devices() -> bool:
    """Whether this process has more than one JAX device (only then can tensors disagree)."""
    return len(_devices_of("cpu")) + len(_devices_of("gpu")) + len(_devices_of("tpu")) > 1


def on_one_device(arrays) -> bool:
    """Whether the concrete JAX arrays among `arrays` (and pending results, `_deferred.Deferred`)
    all have one sharding (one device): the usual call, settled with one comparison per array."""
    first = None
    for array in arrays:
        if array.__class__ is Deferred or (
            isinstance(array, jax.Array) and not isinstance(array, jax.core.Tracer)
        ):
            sharding = array.sharding
            if first is None:
                first = sharding
            elif sharding != first:
                return False
    return True


def onto_device_of(array, like):
    """`array` on `like`'s device (cross-device copies); tracers and same-device arrays pass."""
    if isinstance(array, jax.core.Tracer) or isinstance(like, jax.core.Tracer):
        return array
    target = next(iter(like.devices()))
    return array if target in array.devices() else jax.device_put(array, target)


def jax_device(dev: device):
    """The jax.Device a torch device names; torch's error when it is not there."""
    devices = _devices_of(_JAX_PLATFORM.get(dev.type, dev.type))
    if not devices:
        if dev.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"PyTorch is not linked with support for {dev.type} devices")
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
