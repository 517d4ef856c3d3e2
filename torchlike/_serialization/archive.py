"""The zip container torch.save writes: stored (uncompressed) records under one folder.

Layout (PyTorch's, from torch/serialization.py and caffe2's PyTorchStreamWriter):
`<name>/data.pkl` (the pickled object graph), `.format_version`, `.storage_alignment`,
`byteorder`, `data/<key>` (one record per storage, its bytes 64-byte aligned in the file),
`version` and `.data/serialization_id`.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
import zipfile

ALIGNMENT = 64
_LOCAL_HEADER_SIZE = 30
_END_OF_CENTRAL_DIRECTORY_SIZE = 22
_CORRUPT_HINT = (
    ". This is an internal miniz error. If you are seeing this error, there is a high "
    "likelihood that your checkpoint file is corrupted. This can happen if the checkpoint was "
    "not saved properly, was transferred incorrectly, or the file was modified after saving."
)


def archive_name(f) -> str:
    """The folder torch puts records in: the file's name without extension, else 'archive'."""
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return stem or "archive"
    return "archive"


def _padding(offset: int, name: bytes) -> bytes:
    # An extra field ("FB" + length + filler) so the record's data starts on a 64-byte boundary.
    unpadded = offset + _LOCAL_HEADER_SIZE + len(name) + 4
    size = -unpadded % ALIGNMENT
    return b"FB" + struct.pack("<H", size) + b"Z" * size


def write_archive(folder: str, pickled: bytes, storages: list, byteorder=True) -> bytes:
    """The bytes of a checkpoint: the pickle, the storages (key, bytes), the format records."""
    records = [
        ("data.pkl", pickled),
        (".format_version", b"1"),
        (".storage_alignment", str(ALIGNMENT).encode()),
        *([("byteorder", b"little")] if byteorder else []),
        *((f"data/{key}", data) for key, data in storages),
        ("version", b"3\n"),
        (".data/serialization_id", str(secrets.randbits(128)).zfill(40).encode()),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.extra = _padding(buffer.tell(), info.filename.encode("utf-8"))
            archive.writestr(info, data)
    return buffer.getvalue()


def _reader_error(reason: str) -> RuntimeError:
    return RuntimeError(f"PytorchStreamReader failed reading zip archive: {reason}{_CORRUPT_HINT}")


class ArchiveReader:
    """Reads the records of a torch zip checkpoint, with torch's errors for broken files."""

    def __init__(self, data: bytes) -> None:
        if len(data) < _END_OF_CENTRAL_DIRECTORY_SIZE:
            raise _reader_error("not a ZIP archive")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, struct.error) as error:
            raise _reader_error("failed finding central directory") from error
        pickles = [name for name in self._zip.namelist() if name.endswith("/data.pkl")]
        if not pickles:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        self.folder = pickles[0][: -len("data.pkl")]

    def has_record(self, name: str) -> bool:
        return self.folder + name in self._zip.NameToInfo

    def read(self, name: str) -> bytes:
        """One record's bytes (checked against its CRC)."""
        if not self.has_record(name):
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        try:
            return self._zip.read(self.folder + name)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as error:
            raise RuntimeError(
                f"PytorchStreamReader failed reading file {name}: invalid header or archive "
                "is corrupted"
            ) from error
