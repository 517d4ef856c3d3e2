"""torch.version: which torch release torchlike mirrors, and torchlike's own version.

`__version__` reads like torch's ("2.13.0+torchlike0.1.0": the torch API release, then
torchlike's version as the local label, as a CUDA build says "+cu121"), so scripts that check
`torch.__version__` see the torch release whose behaviour torchlike reproduces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._missing import module_attribute_error

torchlike_version = "0.1.0"
torch_version = "2.13.0"

hip = None
rocm = None
xpu = None
debug = False
git_version = "unknown"

_VERSION = re.compile(
    r"v?(?P<release>\d+(?:\.\d+)*)(?:(?P<pre_kind>a|b|rc)(?P<pre>\d+))?"
    r"(?:\.post(?P<post>\d+))?(?:\.dev(?P<dev>\d+))?(?:\+(?P<local>[a-z0-9]+(?:\.[a-z0-9]+)*))?",
    re.IGNORECASE,
)
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}


def _sort_key(text: str):
    """A tuple that orders PEP 440 versions (the subset torch versions use); None if not one."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()  # 2.0 == 2.0.0
    if match["pre"] is not None:
        pre = (0, _PRE_RANK[match["pre_kind"].lower()], int(match["pre"]))
    elif match["dev"] is not None and match["post"] is None:
        pre = (-1,)  # 2.1.dev1 comes before 2.1a1
    else:
        pre = (1,)
    post = -1 if match["post"] is None else int(match["post"])
    dev = float("inf") if match["dev"] is None else int(match["dev"])
    local = tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
        for part in (match["local"] or "").split(".")
        if part
    )
    return (tuple(release), pre, post, dev, local)


class TorchVersion(str):
    """torch.torch_version.TorchVersion: a str that compares as a version (with str or tuple)."""

    __slots__ = ()

    def _compare(self, other, method: str):
        if isinstance(other, str):
            other_text = other
        elif isinstance(other, Iterable):
            other_text = ".".join(str(part) for part in other)
        else:
            return NotImplemented
        mine, theirs = _sort_key(self), _sort_key(other_text)
        if mine is None or theirs is None:
            # Not a version (e.g. 'parrot'): str's own comparison (a tuple then is a TypeError).
            return getattr(str, method)(self, other)
        return getattr(mine, method)(theirs)

    # As in torch, only these compare as versions; `!=` stays str's (so "2.13.0" != "2.13").
    def __eq__(self, other):
        return self._compare(other, "__eq__")

    def __lt__(self, other):
        return self._compare(other, "__lt__")

    def __le__(self, other):
        return self._compare(other, "__le__")

    def __gt__(self, other):
        return self._compare(other, "__gt__")

    def __ge__(self, other):
        return self._compare(other, "__ge__")

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{torch_version}+torchlike{torchlike_version}")


def _cuda_version() -> str | None:
    """The CUDA runtime JAX's GPU plugin runs on, as 'major.minor'; None without one."""
    from ._device import _devices_of

    if not _devices_of("gpu"):
        return None
    try:
        from jax._src.lib import cuda_versions

        number = cuda_versions.cuda_runtime_get_version()
    except (ImportError, AttributeError):
        return None
    return f"{number // 1000}.{number % 1000 // 10}"


def __getattr__(name: str):
    # Looked up lazily: asking JAX about GPUs starts its backends.
    if name == "cuda":
        return _cuda_version()
    raise module_attribute_error("torch.version", name)
