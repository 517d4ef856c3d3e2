"""torch.load's unpickler: checkpoint globals mapped to torchlike, storages read on demand."""

from __future__ import annotations

import importlib
import io
import pickle

import numpy as np

from .._device import device as Device
from . import allowlist, rebuild
from .archive import ArchiveReader

_CUDA_UNAVAILABLE = (
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
    "If you are running on a CPU-only machine, please use torch.load with "
    "map_location=torch.device('cpu') to map your storages to the CPU."
)


def _restore(storage: rebuild.LoadedStorage, location: str, map_location):
    """Where a storage goes: torch's map_location rules (None, str, device, dict, callable)."""
    if map_location is None:
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif isinstance(map_location, (str, bytes, Device)):
        target = map_location.decode() if isinstance(map_location, bytes) else map_location
    else:
        moved = map_location(storage, location)
        return storage.to(location) if moved is None else moved
    return storage.to(_checked_device(str(target)))


def _checked_device(location: str) -> str:
    from .. import cuda

    if location.startswith("cuda") and not cuda.is_available():
        raise RuntimeError(_CUDA_UNAVAILABLE)
    return location


class CheckpointUnpickler(pickle.Unpickler):
    """Unpickles data.pkl, resolving torch globals to torchlike and storages to records."""

    def __init__(self, reader: ArchiveReader, map_location, weights_only: bool, **kwargs):
        super().__init__(io.BytesIO(reader.read("data.pkl")), **kwargs)
        self._reader, self._map_location = reader, map_location
        self._weights_only = weights_only
        self._storages: dict = {}

    def find_class(self, module, name):
        module, name = allowlist.python3_name(module, name)
        if self._weights_only:
            return allowlist.lookup_allowed(module, name)
        allowed = allowlist.default_allowed()
        if f"{module}.{name}" in allowed:
            return allowed[f"{module}.{name}"]
        if module == "torch" or module.startswith("torch."):
            module = "torchlike" + module[len("torch") :]
            target = importlib.import_module(module)
            for part in name.split("."):
                target = getattr(target, part)
            return target
        return super().find_class(module, name)

    def persistent_load(self, saved_id):
        kind, storage_type, key, location, numel = saved_id
        if kind != "storage":
            raise pickle.UnpicklingError(f"Unknown typename for persistent_load, got '{kind}'")
        if key not in self._storages:
            self._storages[key] = self._read_storage(storage_type, key, location, numel)
        return self._storages[key]

    def _read_storage(self, storage_type, key, location, numel):
        if not isinstance(storage_type, rebuild.StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
        np_dtype = storage_type.dtype._np
        data = self._reader.read(f"data/{key}")
        if self._reader.has_record("byteorder") and self._reader.read("byteorder") == b"big":
            np_dtype = np_dtype.newbyteorder(">")
        if len(data) != numel * np_dtype.itemsize:
            raise RuntimeError(
                f"PytorchStreamReader failed reading file data/{key}: record size "
                f"{len(data)} does not match {numel} elements"
            )
        flat = np.frombuffer(data, dtype=np_dtype).astype(np_dtype.newbyteorder("="))
        return _restore(rebuild.LoadedStorage(flat, "cpu"), location, self._map_location)


def load_archive(data: bytes, map_location, weights_only: bool, **pickle_load_args):
    """Everything in a zip checkpoint, built only once the whole pickle has been read."""
    reader = ArchiveReader(data)
    pickle_load_args.setdefault("encoding", "utf-8")
    unpickler = CheckpointUnpickler(reader, map_location, weights_only, **pickle_load_args)
    with rebuild.LoadContext() as context:
        result = unpickler.load()
        context.share_storages()
    return result
