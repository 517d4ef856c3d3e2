"""Compiled XLA programs kept on disk across runs: JAX's persistent compilation cache, made default.

Each eager op, backward kernel and optimizer step compiles a small XLA program the first time a
process meets it (20-70 ms each on a CPU), so a short script spends most of its first second
compiling. JAX can keep compiled programs on disk, keyed by the program, the compile options and
the JAX/XLA versions, but leaves that off unless asked. torchlike turns it on at import (as
torch.compile keeps its kernels on disk by default): a second run of a script loads its programs
instead of compiling them.

- `TORCHLIKE_COMPILE_CACHE` unset: the cache lives in `$XDG_CACHE_HOME/torchlike/xla` (else
  `~/.cache/torchlike/xla`). `TORCHLIKE_COMPILE_CACHE=0` leaves the cache off;
  `TORCHLIKE_COMPILE_CACHE=PATH` puts it there.
- A cache configured for JAX itself (`JAX_COMPILATION_CACHE_DIR`, or `jax.config` before
  torchlike is imported) is left as it is, and so is `JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS`
  when set; otherwise every program is kept, however quickly it compiled.
- A directory that cannot be created or written leaves the cache off (no warning per compile).
- Entries are written to a temporary file and renamed into place, and a read that finds an
  entry gone is a miss: JAX's own file cache writes in place, so another process (a second run,
  a test worker) could read half an entry, and JAX would warn and compile.
- The size is bounded without JAX's own bound (`jax_compilation_cache_max_size`), which lists
  the directory and takes a file lock on every read and write: on a background thread, a
  directory grown past `MAX_BYTES` loses its oldest entries until it holds `TRIM_TO` of that (a
  program removed while another process wanted it is simply compiled). Listing the directory
  stats every entry (about half a second of the interpreter's time for 27,000 entries, which
  the script's own first ops then wait for), so it happens at most once every `TRIM_EVERY`
  seconds per directory: a marker file's modification time says when it last started.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time

import jax

try:  # JAX's private cache modules: a JAX without them keeps its own file cache
    from jax._src import compilation_cache as _jax_cache
    from jax._src.lru_cache import LRUCache as _FileCache
except ImportError:
    _jax_cache, _FileCache = None, object

ENV_VAR = "TORCHLIKE_COMPILE_CACHE"
MAX_BYTES = 1 << 30
TRIM_TO = 0.75
TRIM_EVERY = 3600.0  # seconds between two trims of one directory
_TRIM_MARKER = ".last-trim"  # its mtime: when a process last started to trim the directory
_ENTRY_SUFFIX = "-cache"  # JAX's file for one compiled program
_JAX_DIR_ENV = "JAX_COMPILATION_CACHE_DIR"
_JAX_MIN_TIME_ENV = "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"


def default_dir() -> str:
    """Where the cache lives when `TORCHLIKE_COMPILE_CACHE` does not say."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "torchlike", "xla")


def chosen_dir() -> str | None:
    """The directory torchlike would give JAX's cache, or None when it leaves the cache alone."""
    if os.environ.get(_JAX_DIR_ENV) or jax.config.values["jax_compilation_cache_dir"]:
        return None  # JAX's own setting wins
    value = os.environ.get(ENV_VAR)
    if value is None:
        return default_dir()
    value = value.strip()
    return None if value in ("", "0") else os.path.expanduser(value)


def configure() -> str | None:
    """Point JAX's persistent cache at `chosen_dir()`; the directory used, or None."""
    path = chosen_dir()
    if path is None or not _writable(path):
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    _install(path)
    if _JAX_MIN_TIME_ENV not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    if trim_due(path):
        trimmer = threading.Thread(target=trim, args=(path,), name="torchlike-cache-trim")
        trimmer.daemon = True
        trimmer.start()
    return path


def trim_due(path: str, now: float | None = None) -> bool:
    """Whether the directory was last trimmed `TRIM_EVERY` seconds ago or more (or never); if
    so the marker is renewed, so processes starting meanwhile leave the trim to this one."""
    marker = os.path.join(path, _TRIM_MARKER)
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):  # no marker yet: never trimmed
        if now - os.stat(marker).st_mtime < TRIM_EVERY:
            return False
    with contextlib.suppress(OSError):  # cannot mark: trim anyway, as before
        open(marker, "a").close()
        os.utime(marker, (now, now))
    return True


def trim(path: str, max_bytes: int = MAX_BYTES) -> int:
    """Remove the oldest entries of a cache directory larger than max_bytes, down to
    TRIM_TO * max_bytes; the number of entries removed."""
    entries, total = [], 0
    try:
        with os.scandir(path) as listing:
            for entry in listing:
                if entry.name.endswith(_ENTRY_SUFFIX):
                    info = entry.stat()
                    entries.append((info.st_mtime, info.st_size, entry.path))
                    total += info.st_size
    except OSError:
        return 0
    if total <= max_bytes:
        return 0
    removed = 0
    for _mtime, size, file in sorted(entries):
        if total <= max_bytes * TRIM_TO:
            break
        try:
            os.remove(file)
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


class AtomicFileCache(_FileCache):
    """JAX's file cache (no eviction), with whole-entry writes and vanished entries as misses."""

    def get(self, key: str) -> bytes | None:
        try:
            return super().get(key)
        except OSError:  # removed between the existence check and the read
            return None

    def put(self, key: str, value: bytes) -> None:
        if not key:
            raise ValueError("key cannot be empty")
        final = self.path / f"{key}{_ENTRY_SUFFIX}"
        if final.exists():
            return
        partial = self.path / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            partial.write_bytes(value)
            os.replace(partial, final)
        except OSError:  # a full or read-only disk: the program is simply not kept
            with contextlib.suppress(OSError):
                os.remove(partial)


def _install(path: str) -> None:
    """Give JAX an AtomicFileCache for `path` before it makes its own at the first compile
    (through JAX's private module state; a JAX without it keeps its own file cache)."""
    if _jax_cache is None:
        return
    with contextlib.suppress(AttributeError):  # JAX's private state moved: its own cache stays
        with _jax_cache._cache_initialized_mutex:
            if not _jax_cache._cache_initialized:
                _jax_cache._cache = AtomicFileCache(path, max_size=-1)
                _jax_cache._cache_initialized = True


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False
