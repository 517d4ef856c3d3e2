"""torch.save's pickle: tensors as `torch._utils._rebuild_tensor_v2` calls over persistent storages.

Each torchlike Storage is written once, whole, as one `data/<key>` record; every tensor over it
is pickled as (storage, offset, size, stride), so views keep sharing after a load, in torch
or in torchlike. torchlike objects are written under torch's global names, so the file is
what torch itself would write.
"""

from __future__ import annotations

import collections
import io
import pickle
import types

import numpy as np

from .. import _dtype as dt
from .._device import device as Device
from .._size import Size
from .._tensor import Tensor

DEFAULT_PROTOCOL = 2

# torch's storage class for each dtype (torch.storage._dtype_to_storage_type_map).
STORAGE_TYPES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage",
    "uint8": "ByteStorage", "bool": "BoolStorage", "bfloat16": "BFloat16Storage",
    "complex128": "ComplexDoubleStorage", "complex64": "ComplexFloatStorage",
}  # fmt: skip


class TorchGlobal:
    """Stands for a torch module-level name in the pickle (written as a GLOBAL opcode)."""

    _cache: dict = {}

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    @classmethod
    def of(cls, module: str, name: str) -> TorchGlobal:
        key = (module, name)
        if key not in cls._cache:
            cls._cache[key] = cls(module, name)
        return cls._cache[key]

    def __call__(self, *args):
        raise TypeError(f"{self.module}.{self.name} is only a name in a checkpoint")


class _StorageRecord:
    """One storage to write: its key, torch storage type and bytes."""

    def __init__(self, key: str, storage, tensor: Tensor) -> None:
        self.key, self.storage = key, storage  # holding the storage keeps its id unique
        flat = np.ascontiguousarray(np.asarray(storage.array)).reshape(-1)
        self.dtype = tensor.dtype
        self.numel = flat.size
        self.data = flat.astype(flat.dtype.newbyteorder("<"), copy=False).tobytes()
        dev = tensor.device
        self.location = "cpu" if dev.type == "cpu" else f"{dev.type}:{dev.index or 0}"

    def persistent_id(self) -> tuple:
        name = STORAGE_TYPES.get(self.dtype._name)
        if name is None:  # torch's newer dtypes use an untyped (byte) storage
            return ("storage", TorchGlobal.of("torch.storage", "UntypedStorage"), self.key,
                    self.location, len(self.data))  # fmt: skip
        return ("storage", TorchGlobal.of("torch", name), self.key, self.location, self.numel)


class CheckpointPickler(pickle._Pickler):
    """A pickler that writes torchlike objects as torch.save writes torch's."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int) -> None:
        super().__init__(file, protocol)
        self.records: dict[int, _StorageRecord] = {}

    def persistent_id(self, obj):
        return obj.persistent_id() if isinstance(obj, _StorageRecord) else None

    def _storage_of(self, tensor: Tensor) -> _StorageRecord:
        storage = tensor._storage
        if id(storage) not in self.records:
            key = str(len(self.records))
            self.records[id(storage)] = _StorageRecord(key, storage, tensor)
        return self.records[id(storage)]

    def _tensor_args(self, tensor: Tensor) -> tuple:
        record = self._storage_of(tensor)
        layout = (tensor.storage_offset(), tuple(tensor.shape), tuple(tensor.stride()))
        hooks = collections.OrderedDict()
        if record.dtype._name not in STORAGE_TYPES:
            rebuild = TorchGlobal.of("torch._utils", "_rebuild_tensor_v3")
            return rebuild, (record, *layout, tensor.requires_grad, hooks, record.dtype)
        rebuild = TorchGlobal.of("torch._utils", "_rebuild_tensor_v2")
        return rebuild, (record, *layout, tensor.requires_grad, hooks)

    def _reduce_tensor(self, tensor: Tensor):
        from ..nn.parameter import Parameter

        if type(tensor) is Parameter:
            data = tensor.detach()
            hooks = collections.OrderedDict()
            if tensor.__dict__:
                rebuild = TorchGlobal.of("torch._utils", "_rebuild_parameter_with_state")
                return rebuild, (data, tensor.requires_grad, hooks, dict(tensor.__dict__))
            return TorchGlobal.of("torch._utils", "_rebuild_parameter"), (
                data, tensor.requires_grad, hooks)  # fmt: skip
        if type(tensor) is not Tensor:
            raise NotImplementedError(
                f"torchlike: torch.save of a Tensor subclass ({type(tensor).__name__}) "
                "is not supported"
            )
        rebuild, args = self._tensor_args(tensor)
        if tensor.__dict__:
            from_type = TorchGlobal.of("torch._tensor", "_rebuild_from_type_v2")
            state = dict(tensor.__dict__)
            return from_type, (rebuild, TorchGlobal.of("torch", "Tensor"), args, state)
        return rebuild, args

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Device):
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return TorchGlobal.of("torch", "device"), args
        if isinstance(obj, Size):
            return TorchGlobal.of("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def save_global(self, obj, name=None):
        module = getattr(obj, "__module__", None) or ""
        if module == "torchlike" or module.startswith("torchlike."):
            # torchlike's module paths mirror torch's: write the torch name.
            obj = TorchGlobal.of("torch" + module[len("torchlike") :], name or obj.__qualname__)
        if isinstance(obj, TorchGlobal):
            self._write_global(obj)
            return
        super().save_global(obj, name)

    def _write_global(self, marker: TorchGlobal, obj=None) -> None:
        self.write(pickle.GLOBAL + f"{marker.module}\n{marker.name}\n".encode())
        self.memoize(marker if obj is None else obj)

    def _save_dtype(self, obj: dt.dtype) -> None:
        self._write_global(TorchGlobal.of("torch", obj._name), obj)  # torch.float32 etc.

    dispatch[TorchGlobal] = _write_global
    dispatch[dt.dtype] = dispatch[dt._UnholdableDtype] = _save_dtype
    dispatch[types.FunctionType] = save_global  # the base table points at its own save_global


def pickle_checkpoint(obj, protocol: int) -> tuple[bytes, list]:
    """The pickle bytes and the (key, bytes) of every storage it refers to."""
    buffer = io.BytesIO()
    pickler = CheckpointPickler(buffer, protocol)
    pickler.dump(obj)
    storages = [(record.key, record.data) for record in pickler.records.values()]
    return buffer.getvalue(), storages
