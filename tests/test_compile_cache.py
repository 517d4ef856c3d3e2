"""torchlike's on-disk compile cache (JAX's persistent cache, configured at import).

Each case runs a new interpreter, since the cache is configured once, when torchlike is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from torchlike import _compile_cache

# Imports torchlike, compiles one kernel (a backward pass), prints what JAX was told.
_SCRIPT = """
import json
import jax
hits = []
jax.monitoring.register_event_listener(
    lambda event, **kw: hits.append(1) if event == "/jax/compilation_cache/cache_hits" else None)
import numpy as np
import torchlike as torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
(x.exp() * x).sum().backward()  # exp is never interpreted: its kernels compile
values = np.array([1.0, 2.0, 3.0], np.float32)
np.testing.assert_allclose(x.grad.numpy(), np.exp(values) * (1 + values), rtol=1e-6)
print(json.dumps({
    "dir": jax.config.values["jax_compilation_cache_dir"],
    "min_time": jax.config.values["jax_persistent_cache_min_compile_time_secs"],
    "max_size": jax.config.values["jax_compilation_cache_max_size"],  # JAX's locked bound
    "hits": len(hits),
    "cache": type(__import__("jax._src.compilation_cache").
                  _src.compilation_cache._cache).__name__,
}))
"""

_CLEARED = ("TORCHLIKE_COMPILE_CACHE", "JAX_COMPILATION_CACHE_DIR", "XDG_CACHE_HOME",
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS")  # fmt: skip


def _run(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    base["HOME"] = str(tmp_path / "home")
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                          env={**base, **env}, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _entries(path) -> list:
    return [name for name in os.listdir(path) if name.endswith("-cache")]


def test_default_cache_lives_under_the_users_cache_directory(tmp_path):
    config = _run(tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "torchlike" / "xla"
    assert config["dir"] == str(expected)
    assert config["min_time"] == 0.0  # every program is kept, however fast it compiled
    assert config["max_size"] == -1  # bounded by trim() instead
    assert config["cache"] == "AtomicFileCache"
    assert _entries(expected), "the run compiled kernels but kept none"


def test_without_xdg_cache_home_the_cache_is_under_home(tmp_path):
    config = _run(tmp_path)
    assert config["dir"] == str(tmp_path / "home" / ".cache" / "torchlike" / "xla")


def test_a_second_run_reads_the_programs_the_first_kept(tmp_path):
    path = tmp_path / "cache"
    assert _run(tmp_path, TORCHLIKE_COMPILE_CACHE=str(path))["hits"] == 0
    first = set(_entries(path))
    second = _run(tmp_path, TORCHLIKE_COMPILE_CACHE=str(path))
    assert second["hits"] >= len(first) > 0  # every program the first run kept was read back
    assert set(_entries(path)) == first


def test_zero_turns_the_cache_off(tmp_path):
    config = _run(tmp_path, TORCHLIKE_COMPILE_CACHE="0", XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert config["dir"] is None
    assert not (tmp_path / "xdg").exists()


def test_jax_settings_win(tmp_path):
    path = tmp_path / "jax-cache"
    config = _run(tmp_path, JAX_COMPILATION_CACHE_DIR=str(path),
                  JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="7",
                  TORCHLIKE_COMPILE_CACHE=str(tmp_path / "ignored"))  # fmt: skip
    assert config["dir"] == str(path)
    assert config["min_time"] == 7.0
    assert config["cache"] == "LRUCache"  # JAX's own
    assert not (tmp_path / "ignored").exists()


def test_a_directory_that_cannot_be_written_leaves_the_cache_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    config = _run(tmp_path, TORCHLIKE_COMPILE_CACHE=str(blocker / "cache"))
    assert config["dir"] is None


@pytest.mark.parametrize("value", ["", " 0 "])
def test_empty_or_padded_zero_is_off(tmp_path, value):
    assert _run(tmp_path, TORCHLIKE_COMPILE_CACHE=value)["dir"] is None


def test_trim_removes_the_oldest_entries_of_an_oversized_cache(tmp_path):
    for age in range(10):  # entry 0 is the oldest
        entry = tmp_path / f"k{age}-cache"
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (1000 + age, 1000 + age))
    (tmp_path / "k0-atime").write_bytes(b"t")  # not an entry: kept, not counted
    assert _compile_cache.trim(str(tmp_path), max_bytes=2000) == 0  # 1000 bytes fit
    assert _compile_cache.trim(str(tmp_path), max_bytes=800) == 4  # down to 600 = 0.75 * 800
    assert sorted(_entries(tmp_path)) == [f"k{age}-cache" for age in range(4, 10)]
    assert (tmp_path / "k0-atime").exists()


def test_a_directory_is_trimmed_at_most_once_every_trim_every_seconds(tmp_path):
    path = str(tmp_path)
    assert _compile_cache.trim_due(path, now=10_000.0)  # never trimmed
    assert not _compile_cache.trim_due(path, now=10_000.0 + _compile_cache.TRIM_EVERY - 1)
    assert _compile_cache.trim_due(path, now=10_000.0 + _compile_cache.TRIM_EVERY)
    assert not _compile_cache.trim_due(path, now=10_000.0 + _compile_cache.TRIM_EVERY + 1)
    assert _entries(tmp_path) == []  # the marker is not an entry trim() would count


def test_trim_of_a_missing_directory_removes_nothing(tmp_path):
    assert _compile_cache.trim(str(tmp_path / "absent"), max_bytes=0) == 0


def test_entries_are_written_whole_and_never_replaced(tmp_path):
    cache = _compile_cache.AtomicFileCache(str(tmp_path), max_size=-1)
    cache.put("k", b"first")
    cache.put("k", b"second")  # JAX's rule: an existing entry stays
    assert cache.get("k") == b"first"
    assert sorted(os.listdir(tmp_path)) == ["k-cache"]  # no partial file left behind
    assert cache.get("absent") is None


def test_an_entry_removed_while_read_is_a_miss(tmp_path, monkeypatch):
    cache = _compile_cache.AtomicFileCache(str(tmp_path), max_size=-1)
    cache.put("k", b"value")

    def vanished(self):
        raise FileNotFoundError(str(self))

    monkeypatch.setattr(type(cache.path), "read_bytes", vanished)  # pathlib's or etils' Path
    assert cache.get("k") is None
