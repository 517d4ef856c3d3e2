"""`python -m torchlike SCRIPT [ARGS]`: run a PyTorch script with torchlike as its torch."""

from __future__ import annotations

import os
import pkgutil
import runpy
import sys
import types

from torchlike._shim import install_as_torch

USAGE = """\
usage: python -m torchlike SCRIPT [ARGS ...]
       python -m torchlike -m MODULE [ARGS ...]

Runs SCRIPT (or MODULE) as `python` would, with `import torch` resolving to torchlike.
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


def _run_script(path: str, args: list[str]) -> int:
    absolute_path = os.path.abspath(path)
    if not os.path.isdir(absolute_path):
        try:
            open(absolute_path, "rb").close()
        except OSError as error:
            message = f"can't open file {absolute_path!r}: [Errno {error.errno}] {error.strerror}"
            print(f"{_program_name()}: {message}", file=sys.stderr)
            return 2
    # runpy sets sys.argv[0] to the path it runs (absolute; python would keep it as typed).
    sys.argv = [absolute_path, *args]
    if pkgutil.get_importer(absolute_path) is None:
        sys.path[0] = os.path.dirname(os.path.realpath(absolute_path))
    else:
        # runpy puts a directory or zip archive at the front of sys.path itself.
        del sys.path[0]
    runpy.run_path(absolute_path, run_name="__main__")
    return 0


def _run_module(module_name: str, args: list[str]) -> int:
    sys.argv = [module_name, *args]
    runpy.run_module(module_name, run_name="__main__", alter_sys=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a script or module with torchlike installed as `torch`; return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if not argv or argv == ["-m"] or (argv[0].startswith("-") and argv[0] != "-m"):
        sys.stderr.write(USAGE)
        return 2
    install_as_torch()
    try:
        if argv[0] == "-m":
            return _run_module(argv[1], argv[2:])
        return _run_script(argv[0], argv[1:])
    except Exception as error:
        return _report_uncaught(error)


if __name__ == "__main__":
    sys.exit(main())
