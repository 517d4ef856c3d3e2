"""glibc's malloc keeps freed step-sized buffers once torchlike is imported (torchlike._malloc)."""

import os
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
glibc_only = pytest.mark.xfail(not GLIBC, reason="malloc's thresholds are glibc's", strict=True)

# Three 4 MiB buffers made, touched and freed 20 times: without the thresholds, glibc trims the
# freed top of its heap each time and the next buffers fault those pages in again (about a
# third of all pages, here).
_SCRIPT = """
import resource, sys
import numpy as np
import torchlike
def step():
    arrays = [np.ones(1 << 20, np.float32) for _ in range(3)]
    del arrays
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(torchlike._malloc.state["tuned"], faults)
"""


def _run(**env):
    ours = ("GLIBC_TUNABLES", "MALLOC_", "TORCHLIKE_MALLOC")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                          env={**base, **env}, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    tuned, faults = done.stdout.split()
    return tuned == "True", int(faults)


@glibc_only
def test_freed_buffers_are_kept_instead_of_faulted_in_again():
    tuned, faults = _run()
    assert tuned
    off, faults_off = _run(TORCHLIKE_MALLOC_TUNING="0")
    assert not off
    pages = 20 * 3 * (4 << 20) // 4096  # every page of every buffer, every time
    assert faults < pages // 20
    assert faults_off > pages // 4


@glibc_only
def test_the_processs_own_malloc_settings_win():
    tuned, _faults = _run(GLIBC_TUNABLES="glibc.malloc.trim_threshold=1048576")
    assert not tuned
    tuned, _faults = _run(MALLOC_TRIM_THRESHOLD_="1048576")
    assert not tuned


@pytest.mark.xfail(GLIBC, reason="on glibc the thresholds are set", strict=True)
def test_off_glibc_nothing_is_changed():
    tuned, _faults = _run()
    assert not tuned
