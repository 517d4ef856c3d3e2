"""Compile counters, the compile log and the reason a signature needs a new program.

The log switch is shared with the compiled backward: `TORCHLIKE_LOG_COMPILES=1` or
`torchlike.compiler.set_logs(recompiles=True)` prints one line per compilation.
"""

from __future__ import annotations

import sys
from collections import Counter

from .._autograd import compiled as _compiled_backward
from .walk import describe

counters = {
    "calls": 0,  # calls of compiled functions
    "compiles": 0,  # programs traced and compiled (first compiles and recompiles)
    "recompiles": 0,  # compiles of a function that already had a program
    "cache_hits": 0,  # calls served by a cached program
    "fast_guard_hits": 0,  # cache hits proved by identity checks, without walking the state
    "eager_calls": 0,  # calls that ran eagerly (graph breaks, disabled, over the limit)
    "graph_breaks": Counter(),  # reason -> count
}


class Config:
    """torch._dynamo.config's knobs that torchlike honours."""

    recompile_limit = 8  # programs kept per compiled function before it runs eagerly

    @property
    def cache_size_limit(self) -> int:
        return self.recompile_limit

    @cache_size_limit.setter
    def cache_size_limit(self, value: int) -> None:
        self.recompile_limit = int(value)


config = Config()


def reset_counters() -> None:
    for key in counters:
        counters[key] = Counter() if key == "graph_breaks" else 0


def logging_enabled() -> bool:
    return _compiled_backward._logging["enabled"]


def set_logging(enabled: bool) -> None:
    _compiled_backward.log_compiles(enabled)


def log(message: str) -> None:
    if logging_enabled():
        print(f"torchlike: {message}", file=sys.stderr)


def change_reason(old: tuple | None, new: tuple) -> str:
    """Which part of the signature changed, e.g. 'shape of arg 0 changed from (16, 4) to (8, 4)'."""
    if old is None:
        return "first call"
    if old[1] != new[1]:
        return f"grad mode changed from {old[1]} to {new[1]}"
    before = {entry[0]: entry for entry in old[0]}
    seen = set()
    for entry in new[0]:
        path = entry[0]
        seen.add(path)
        if path not in before:
            return f"{describe(path)} is new ({_what(entry)})"
        if before[path] != entry:
            return _entry_change(describe(path), before[path], entry)
    for path in before:
        if path not in seen:
            return f"{describe(path)} is gone"
    return "signature changed"


def _what(entry: tuple) -> str:
    if entry[1] == "tensor":
        return f"a tensor of shape {entry[4]}"
    if entry[1] == "value":
        return repr(entry[2])
    return entry[1] if isinstance(entry[1], str) else entry[1].__name__


def _entry_change(where: str, old: tuple, new: tuple) -> str:
    if old[1] == "tensor" and new[1] == "tensor":
        names = ("type", "storage", "shape", "dtype", "view", "requires_grad", "history")
        for name, a, b in zip(names, old[2:], new[2:]):
            if a != b:
                if name == "storage":
                    return f"{where} now shares storage with a different tensor"
                return f"{name} of {where} changed from {_show(a)} to {_show(b)}"
    if old[1] == "value" and new[1] == "value":
        return f"{where} changed from {old[2]!r} to {new[2]!r}"
    if isinstance(old[1], type) and old[1] is new[1]:
        return f"length of {where} changed from {old[2]} to {new[2]}"
    return f"{where} changed from {_what(old)} to {_what(new)}"


def _show(value) -> str:
    return value.__name__ if isinstance(value, type) else str(value)
