"""torch.save / torch.load in PyTorch's zip checkpoint format, readable by torch and torchlike.

A checkpoint written here loads in PyTorch (`weights_only=True` included) and one written by
PyTorch loads here. Loading is restricted to torch's allowlist unless `weights_only=False`.
"""

from __future__ import annotations

import contextlib
import os
import pickle

from ._serialization import allowlist
from ._serialization.archive import archive_name, write_archive
from ._serialization.loading import load_archive
from ._serialization.saving import DEFAULT_PROTOCOL, pickle_checkpoint

__all__ = [
    "DEFAULT_PROTOCOL", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "load",
    "safe_globals", "save",
]  # fmt: skip

_ZIP_MAGIC = b"PK\x03\x04"
_TRUE_VALUES = ("1", "y", "yes", "true")


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False) -> None:  # fmt: skip
    """torch.save: write obj to a path or binary file object as a torch zip checkpoint."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "torchlike: torch.save(_use_new_zipfile_serialization=False) (the legacy format) "
            "is not supported"
        )
    if pickle_module is not pickle:
        raise NotImplementedError("torchlike: torch.save(pickle_module=...) is not supported")
    pickled, storages = pickle_checkpoint(obj, pickle_protocol)
    data = write_archive(archive_name(f), pickled, storages, not _disable_byteorder_record)
    if isinstance(f, (str, os.PathLike)):
        parent = os.path.dirname(os.path.abspath(os.fspath(f)))
        if not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
        with open(f, "wb") as file:
            file.write(data)
    else:
        f.write(data)


def _weights_only_setting(weights_only, pickle_module) -> bool:
    if os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE_VALUES:
        return True
    if os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE_VALUES:
        return False
    if weights_only is None:
        return pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    return bool(weights_only)


def _read_all(f) -> bytes:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return file.read()
    return f.read()


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):  # fmt: skip
    """torch.load: read a torch zip checkpoint (restricted to torch's allowlist by default)."""
    weights_only = _weights_only_setting(weights_only, pickle_module)
    data = _read_all(f)
    if data.startswith(_ZIP_MAGIC):
        return load_archive(data, map_location, weights_only, **pickle_load_args)
    if not data:
        raise EOFError("")
    if data.startswith(b"\x80"):
        raise NotImplementedError(
            "torchlike: torch.load of the legacy (non-zip) serialization format "
            "(torch.save(_use_new_zipfile_serialization=False) or torch < 1.6) is not supported; "
            "re-save the checkpoint with torch.save's default format"
        )
    raise pickle.UnpicklingError(
        "torchlike: not a torch.save checkpoint (the file is not a zip archive)"
    )


def add_safe_globals(safe_globals) -> None:
    """torch.serialization.add_safe_globals: allow these globals in weights_only loads."""
    allowlist._user_allowed.update(safe_globals)


def get_safe_globals() -> list:
    """torch.serialization.get_safe_globals: the globals added by add_safe_globals."""
    return list(allowlist._user_allowed)


def clear_safe_globals() -> None:
    """torch.serialization.clear_safe_globals: forget the globals added by add_safe_globals."""
    allowlist._user_allowed.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """torch.serialization.safe_globals: allow these globals inside a with-block."""
    before = set(allowlist._user_allowed)
    allowlist._user_allowed.update(safe_globals)
    try:
        yield
    finally:
        allowlist._user_allowed.clear()
        allowlist._user_allowed.update(before)
