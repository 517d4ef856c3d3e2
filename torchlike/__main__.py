"""`python -m torchlike SCRIPT [ARGS]`: run a PyTorch script with torchlike as its torch."""

from __future__ import annotations

import builtins
import importlib.machinery
import os
import pkgutil
import runpy
import sys
import types

from torchlike._shim import install_as_torch

USAGE = """\
usage: python -m torchlike SCRIPT [ARGS ...]
       python -m torchlike -m MODULE [ARGS ...]
       python -m torchlike -c COMMAND [ARGS ...]

Runs SCRIPT (or MODULE, or COMMAND) as `python` would, with `import torch` resolving to
torchlike.
"""


def _program_name() -> str:
    orig_argv = getattr(sys, "orig_argv", None)
    return orig_argv[0] if orig_argv else sys.executable


def _script_frames(traceback: types.TracebackType | None) -> types.TracebackType | None:
    # Frames of this runner and of runpy sit above the script's own; python would not show them.
    runner_files = {_script_frames.__code__.co_filename, runpy.run_path.__code__.co_filename}
    while traceback is not None and traceback.tb_frame.f_code.co_filename in runner_files:
        traceback = traceback.tb_next
    return traceback


def _report_uncaught(error: Exception) -> int:
    script_traceback = _script_frames(error.__traceback__)
    if script_traceback is None and isinstance(error, ImportError):
        # Failed before any user code ran (e.g. no such module): python's one-line message.
        print(f"{sys.executable}: {error}", file=sys.stderr)
        return 1
    error.__traceback__ = script_traceback
    sys.excepthook(type(error), error, script_traceback)
    return 1


def _reraise_interrupt(error: KeyboardInterrupt):
    """Print the script's traceback, then let python end the process as it does on Ctrl-C."""
    error.__traceback__ = _script_frames(error.__traceback__)
    sys.excepthook(type(error), error, error.__traceback__)
    # Already printed; python's own handler then exits by SIGINT, after atexit hooks run.
    sys.excepthook = lambda *exc_info: None
    raise error


def _fresh_main_module(file: str | None) -> types.ModuleType:
    """A new `__main__` with the globals python gives a script (it replaces this runner)."""
    module = types.ModuleType("__main__")
    module.__dict__.update(__builtins__=builtins, __annotations__={}, __cached__=None)
    if file is not None:
        module.__file__ = file
        module.__loader__ = importlib.machinery.SourceFileLoader("__main__", file)
    sys.modules["__main__"] = module
    return module


def _exec_source(source: bytes | str, filename: str, file: str | None) -> None:
    code = compile(source, filename, "exec", dont_inherit=True)
    exec(code, _fresh_main_module(file).__dict__)


def _cannot_open(absolute_path: str, error: OSError) -> int:
    message = f"can't open file {absolute_path!r}: [Errno {error.errno}] {error.strerror}"
    print(f"{_program_name()}: {message}", file=sys.stderr)
    return 2


def _run_script(path: str, args: list[str]) -> int:
    absolute_path = os.path.abspath(path)
    sys.argv = [path, *args]  # argv[0] as typed; __file__ absolute (both as python does)
    if os.path.isdir(absolute_path) or pkgutil.get_importer(absolute_path) is not None:
        # A directory or zip archive with __main__.py: runpy puts it on sys.path itself.
        del sys.path[0]
        runpy.run_path(absolute_path, run_name="__main__")
        return 0
    try:
        with open(absolute_path, "rb") as script:
            source = script.read()
    except OSError as error:
        return _cannot_open(absolute_path, error)
    sys.path[0] = os.path.dirname(os.path.realpath(absolute_path))
    _exec_source(source, absolute_path, absolute_path)
    return 0


def _run_module(module_name: str, args: list[str]) -> int:
    sys.argv = [module_name, *args]
    runpy.run_module(module_name, run_name="__main__", alter_sys=True)
    return 0


def _run_command(command: str, args: list[str]) -> int:
    sys.argv = ["-c", *args]
    sys.path[0] = ""  # python -c searches the current directory first
    _exec_source(command, "<string>", None)
    return 0


def _usage_error(argv: list[str]) -> bool:
    if not argv or argv in (["-m"], ["-c"]):
        return True
    return argv[0].startswith("-") and argv[0] not in ("-m", "-c")


def main(argv: list[str] | None = None) -> int:
    """Run a script, module or command with torchlike installed as `torch`; return its status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if _usage_error(argv):
        sys.stderr.write(USAGE)
        return 2
    install_as_torch()
    try:
        if argv[0] == "-m":
            return _run_module(argv[1], argv[2:])
        if argv[0] == "-c":
            return _run_command(argv[1], argv[2:])
        return _run_script(argv[0], argv[1:])
    except KeyboardInterrupt as error:
        _reraise_interrupt(error)
    except Exception as error:
        return _report_uncaught(error)


if __name__ == "__main__":
    sys.exit(main())
