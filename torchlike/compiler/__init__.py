"""torch.compiler: compile, disable, reset, is_compiling and the compile diagnostics."""

from __future__ import annotations

import functools

from .._compile import compile, is_compiling
from .._compile.api import BACKENDS, InvalidBackend, Unsupported, clear_all
from .._compile.diagnostics import config, counters, logging_enabled, reset_counters
from .._compile.diagnostics import set_logging as _set_logging
from .._compile.program import GraphBreak

__all__ = [
    "InvalidBackend", "Unsupported", "compile", "config", "counters", "disable",
    "is_compiling", "is_dynamo_compiling", "list_backends", "reset", "set_logging", "set_logs",
]  # fmt: skip


def is_dynamo_compiling() -> bool:
    """torch.compiler.is_dynamo_compiling: True while a compiled function is being traced."""
    return is_compiling()


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    """torch.compiler.list_backends: the backend names torch.compile accepts."""
    return sorted(b for b in BACKENDS if b not in ("eager", "aot_eager"))


def disable(fn=None, recursive=True, *, reason=None):
    """torch.compiler.disable: `fn` runs eagerly; a call from compiled code is a graph break."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)

    @functools.wraps(fn)
    def eager_only(*args, **kwargs):
        if is_compiling():
            why = f" ({reason})" if reason else ""
            raise GraphBreak(f"called torch.compiler.disable'd function {fn.__qualname__}{why}")
        return fn(*args, **kwargs)

    eager_only._torchlike_compile_disabled = True
    return eager_only


def reset() -> None:
    """torch.compiler.reset: forget every compiled program and zero the counters."""
    clear_all()
    reset_counters()


def set_logging(enabled: bool = True) -> None:
    """Print each compilation (with the reason) and each graph break to stderr."""
    _set_logging(enabled)


def set_logs(*, recompiles: bool | None = None, graph_breaks: bool | None = None, **_ignored):
    """torch._logging.set_logs(recompiles=True): the compile log (one switch for both kinds)."""
    wanted = [flag for flag in (recompiles, graph_breaks) if flag is not None]
    if wanted:
        _set_logging(any(wanted))


def is_logging() -> bool:
    """Whether compilations are being logged (TORCHLIKE_LOG_COMPILES=1 or set_logging(True))."""
    return logging_enabled()
