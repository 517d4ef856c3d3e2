"""Loading: storages read from a checkpoint, and the torch._utils rebuild functions over them.

Every tensor is first built as its own base tensor (a copy of its elements). When the whole
checkpoint has been read, tensors that came from one storage are turned into views of one
shared torchlike Storage, so writes through one show in the others, as after torch.load.
"""

from __future__ import annotations

import threading

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._device import device as Device
from .._storage import Storage, ViewChain
from .._tensor import Tensor, from_array, place

_active = threading.local()  # the LoadContext of the load running on this thread


class StorageType:
    """What torch.FloatStorage (etc.) names in a checkpoint: an element dtype."""

    def __init__(self, dtype: dt.dtype, untyped: bool = False) -> None:
        self.dtype, self.untyped = dtype, untyped

    def __repr__(self) -> str:
        return f"StorageType(dtype={self.dtype})"


class LoadedStorage:
    """One storage record: its elements as a flat numpy array and the device it goes to."""

    def __init__(self, flat: np.ndarray, location: str) -> None:
        self.flat, self.location = flat, location
        self._typed: dict = {}

    def typed(self, np_dtype) -> LoadedStorage:
        """This (byte) storage read as elements of np_dtype; one object per dtype."""
        if np_dtype not in self._typed:
            self._typed[np_dtype] = LoadedStorage(self.flat.view(np_dtype), self.location)
        return self._typed[np_dtype]

    @property
    def device(self) -> Device:
        return Device(self.location)

    def to(self, device) -> LoadedStorage:
        return LoadedStorage(self.flat, str(Device(device)))

    def cpu(self) -> LoadedStorage:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False) -> LoadedStorage:
        return self.to("cuda" if device is None else Device("cuda", int(device)))

    def size(self) -> int:
        return self.flat.size

    def __len__(self) -> int:
        return self.flat.size


class LoadContext:
    """The tensors built during one load, by storage, for the sharing pass at the end."""

    def __init__(self) -> None:
        self.layouts: dict = {}  # id(torchlike Storage) -> (LoadedStorage, layout)
        self.tensors: list = []

    def __enter__(self) -> LoadContext:
        _active.context = self
        return self

    def __exit__(self, *exc) -> None:
        _active.context = None

    def add(self, tensor: Tensor, storage: LoadedStorage, layout: tuple) -> None:
        self.layouts[id(tensor._storage)] = (storage, layout)
        self.tensors.append(tensor)

    def share_storages(self) -> None:
        """Make tensors read from one storage record views of one shared Storage."""
        groups: dict = {}
        for tensor in self.tensors:
            loaded, layout = self.layouts[id(tensor._storage)]
            groups.setdefault(id(loaded), (loaded, []))[1].append((tensor, layout))
        for loaded, members in groups.values():
            several = len({id(tensor._storage) for tensor, _ in members}) > 1
            if several or not _covers(loaded, members[0][1]):
                _share(loaded, members)


def _share(loaded: LoadedStorage, members: list) -> None:
    storage = Storage(place(jnp.asarray(loaded.flat), loaded.device))
    for tensor, (offset, size, stride) in members:
        tensor._storage = storage
        tensor._view = ViewChain((_strided_step(offset, size, stride),))
        tensor._cache, tensor._cache_source = None, None


def _covers(loaded: LoadedStorage, layout: tuple) -> bool:
    """Whether a tensor is its whole storage, contiguous (then it needs no view)."""
    offset, size, stride = layout
    whole = int(np.prod(size, dtype=np.int64)) == loaded.flat.size
    return offset == 0 and whole and tuple(stride) == _contiguous_strides(size)


def _strided_step(offset: int, size: tuple, stride: tuple):
    numel = int(np.prod(size, dtype=np.int64))
    if tuple(stride) == _contiguous_strides(size):
        return lambda flat: flat[offset : offset + numel].reshape(size)
    index = np.full(size, offset, dtype=np.int64)
    for axis, (length, step) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[axis] = length
        index = index + (np.arange(length, dtype=np.int64) * step).reshape(shape)
    return lambda flat: flat[index]


def _contiguous_strides(size) -> tuple:
    strides, step = [], 1
    for length in reversed(size):
        strides.append(step)
        step *= max(length, 1)
    return tuple(reversed(strides))


def _elements(flat: np.ndarray, offset: int, size: tuple, stride: tuple, itemsize: int):
    if any(length == 0 for length in size):
        return np.zeros(size, dtype=flat.dtype)
    needed = offset + sum((length - 1) * step for length, step in zip(size, stride)) + 1
    if needed > flat.size:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {itemsize} requiring a storage size of {needed * itemsize} are out "
            f"of bounds for storage of size {flat.size * itemsize}"
        )
    strides = tuple(step * flat.itemsize for step in stride)
    return np.lib.stride_tricks.as_strided(flat[offset:], size, strides).copy()


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):  # fmt: skip
    """torch._utils._rebuild_tensor_v2: a tensor over a checkpoint storage."""
    return _rebuild(storage, storage.flat, storage_offset, size, stride, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):  # fmt: skip
    """torch._utils._rebuild_tensor_v3: the same over an untyped (byte) storage, with a dtype."""
    typed = storage.typed(dtype._np)
    return _rebuild(typed, typed.flat, storage_offset, size, stride, requires_grad)


def rebuild_tensor(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor: the older form, without requires_grad."""
    return _rebuild(storage, storage.flat, storage_offset, size, stride, False)


def _rebuild(storage, flat, offset, size, stride, requires_grad) -> Tensor:
    size, stride = tuple(size), tuple(stride)
    elements = _elements(flat, offset, size, stride, flat.itemsize)
    array = place(jnp.asarray(elements, dtype=flat.dtype), storage.device)
    tensor = from_array(array, requires_grad)
    context = getattr(_active, "context", None)
    if context is not None:
        context.add(tensor, storage, (offset, size, stride))
    return tensor


def _set_state(obj, state) -> None:
    if isinstance(state, tuple):  # (dict state, slots state)
        state = {**(state[0] or {}), **(state[1] or {})}
    for name, value in (state or {}).items():
        setattr(obj, name, value)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: a Parameter over a loaded tensor's storage."""
    from ..nn.parameter import Parameter

    param = Parameter(data, requires_grad)
    context = getattr(_active, "context", None)
    if context is not None:
        context.tensors.append(param)  # it shares data's storage, so it shares its layout
    return param


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter with Python attributes."""
    param = rebuild_parameter(data, requires_grad, backward_hooks)
    _set_state(param, state)
    return param


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor with Python attributes."""
    result = func(*args)
    if new_type is not Tensor and not isinstance(result, new_type):
        raise NotImplementedError(
            f"torchlike: torch.load of a Tensor subclass ({new_type.__name__}) is not supported"
        )
    _set_state(result, state)
    return result


def _unsupported(name: str):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"torchlike: torch.load of tensors saved through torch._utils.{name} (quantized, "
            "sparse, nested, meta or subclass tensors) is not supported"
        )

    return refuse


REBUILD_FUNCTIONS = {
    "_rebuild_tensor_v2": rebuild_tensor_v2,
    "_rebuild_tensor_v3": rebuild_tensor_v3,
    "_rebuild_tensor": rebuild_tensor,
    "_rebuild_parameter": rebuild_parameter,
    "_rebuild_parameter_with_state": rebuild_parameter_with_state,
    **{
        name: _unsupported(name)
        for name in (
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_nested_tensor",
            "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_device_tensor_from_cpu_tensor",
        )  # fmt: skip
    },
}
