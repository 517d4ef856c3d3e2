"""Kernels that run their first calls in numpy and compile once that has cost as much as a compile.

Forward op kernels and backward VJP kernels are `TieredKernel`s. Compiling one costs XLA about
20-60 ms on a CPU, which a one-off op or the first pass of a long loop cannot earn back. So a
kernel whose jaxpr `_interpreter` can evaluate with XLA's bits runs in numpy until the time spent
there reaches the budget (`TORCHLIKE_INTERPRET_MS`, 5 ms by default: the rent-or-buy rule),
then compiles. The compile runs on one worker thread (`compile_later`) while the calls go on
being interpreted, so a loop's first passes do not stop for XLA; `TORCHLIKE_BACKGROUND_COMPILE=0`
compiles inline instead. A kernel that cannot be interpreted compiles on its first call, or runs
eagerly once first when made `eager_first`. Backward segments (`_autograd/segments.py`) use the
same worker.

Interpretation runs only where it can give the compiled bits: for concrete arrays on the CPU
(with several devices, a GPU beside the CPU, only for arrays on the host's first device, and the
kernel then compiles inline once it outgrows the interpreter), and never for a run that meets a
subnormal float (see `_interpreter`). `TORCHLIKE_INTERPRET=0` (or `set_mode("off")`) compiles
every kernel as before; `TORCHLIKE_INTERPRET=verify` also runs the compiled kernel and raises on
any bit difference, which the test suite can run under.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time

import jax
import numpy as np

from . import _interpreter

_MODES = ("on", "off", "verify")
_settings = {
    "mode": os.environ.get("TORCHLIKE_INTERPRET", "1").lower(),
    "budget": float(os.environ.get("TORCHLIKE_INTERPRET_MS", "5")) / 1e3,
    "background": os.environ.get("TORCHLIKE_BACKGROUND_COMPILE", "1") not in ("", "0"),
    "usable": None,  # whether this process has a CPU backend to interpret for (lazy)
    "host": None,  # with several devices, the sharding an interpreted call's arrays must have
}
if _settings["mode"] in ("", "0", "false"):
    _settings["mode"] = "off"
elif _settings["mode"] not in _MODES:
    _settings["mode"] = "on"
stats = {"interpreted_runs": 0, "interpreter_fallbacks": 0}
# XLA's options for programs that must round exactly as their ops compiled one by one.
UNFUSED = {"xla_disable_hlo_passes": "fusion"}
_NONE = object()  # no Program: the kernel cannot be interpreted


def set_mode(mode: str) -> None:
    """Interpret first calls ("on"), compile them ("off"), or interpret and compare ("verify")."""
    if mode not in _MODES:
        raise ValueError(f"interpreter mode must be one of {_MODES}, got {mode!r}")
    _settings["mode"] = mode


def set_budget_ms(ms: float) -> None:
    """Interpreter time after which a kernel compiles (0: compile on the second call)."""
    _settings["budget"] = float(ms) / 1e3


def set_background(enabled: bool) -> None:
    """Compile kernels that outgrew the interpreter on a worker thread (True) or inline."""
    wait()
    _settings["background"] = bool(enabled)


def background() -> bool:
    """Whether compiles go to the worker thread: on by default, and only while interpreting."""
    return _settings["background"] and _settings["mode"] == "on"


def _usable() -> bool:
    """Whether this process has the CPU backend the interpreter reproduces. With several devices
    (a GPU beside the CPU) only calls whose arrays all sit on the host's first device are
    interpreted (`_settings["host"]`, checked in `_fits`)."""
    usable = _settings["usable"]
    if usable is None:
        from ._device import several_devices

        try:
            host = jax.devices("cpu")[0]
        except RuntimeError:
            usable = False
        else:
            usable = True
            if several_devices():
                _settings["host"] = jax.sharding.SingleDeviceSharding(host)
        _settings["usable"] = usable
    return usable


def host_sharding():
    """With several devices, the sharding an interpreted call's arrays must have (the host's
    first device, where its results go); None with one device."""
    _usable()
    return _settings["host"]


class TieredKernel:
    """`fn` called through `jitted`: interpreted in numpy first when it can be (see module)."""

    __slots__ = ("fn", "jitted", "compiled", "program", "avals", "spent", "on_compile", "eager",
                 "pending", "choose")  # fmt: skip

    def __init__(self, fn, jitted, on_compile=None, eager_first=False, choose=None):
        """`jitted` is `fn` under jax.jit; or, with `choose`, `choose(args)` makes it from the
        arguments of the call that first compiles (to pick compile options)."""
        self.fn, self.jitted, self.on_compile = fn, jitted, on_compile
        self.choose = choose
        self.compiled = None  # `jitted` once this kernel has compiled
        self.program = None  # the interpreter's Program, _NONE, or None before the first call
        self.avals, self.spent = None, 0.0
        self.eager = eager_first  # a non-interpretable kernel's first call runs `fn` eagerly
        self.pending = False  # a background compile is queued or running

    def __call__(self, *args):
        compiled = self.compiled
        if compiled is not None:
            return compiled(*args)
        mode = _settings["mode"]
        if mode != "off" and _usable():
            leaves = jax.tree_util.tree_leaves(args)
            program = self.program
            if program is None:
                program = self._trace(args, leaves)
            if program is not _NONE and self._fits(leaves):
                start = time.perf_counter()
                out = program.run(leaves)
                if out is not None:
                    self.spent += time.perf_counter() - start
                    stats["interpreted_runs"] += 1
                    if self.spent >= _settings["budget"] and not self.pending:
                        self._outgrown(args)
                    if mode == "verify":
                        _verify(self, args, out)
                    return out
                stats["interpreter_fallbacks"] += 1
        if self.eager:
            self.eager = False
            return self.fn(*args)
        self._chosen(args)
        return self._compile()(*args)

    def _chosen(self, args) -> None:
        if self.choose is not None:
            self.jitted, self.choose = self.choose(args), None

    def interpreting(self) -> bool:
        """Whether calls may still be interpreted: not compiled, not known uninterpretable."""
        return (
            self.compiled is None and self.program is not _NONE and _settings["mode"] != "off"
            and _usable()
        )  # fmt: skip

    def run_host(self, args, values):
        """An interpreted call that stays in numpy: `values` are the leaves of `args` as numpy
        arrays free of subnormals (`args` themselves trace the kernel). The flat
        outputs as numpy arrays, or None where the call must go through `__call__` instead
        (the kernel is compiled or cannot be interpreted, a weak-typed result, an abandoned
        run). Such runs do not count towards the budget: their caller keeps results in numpy
        between kernels, so compiling would save conversions it does not make, not the
        arithmetic (the backward's compiled segments are what replace them)."""
        if not self.interpreting():
            return None
        program = self.program
        if program is None:
            program = self._trace(args, values)
            if program is _NONE:
                return None
        if not program.strong or not self._fits(values):
            return None
        out = program.evaluate(values)
        if out is None:
            stats["interpreter_fallbacks"] += 1
            return None
        stats["interpreted_runs"] += 1
        if _settings["mode"] == "verify":
            results = [_interpreter.to_jax(value) for value in out]
            _verify(self, args, jax.tree_util.tree_unflatten(program.out_tree, results))
        return out

    def direct(self):
        """What a compiled kernel's calls can go straight to (JAX's own C++ call of the
        executable, once it has run), or None while the kernel is not compiled. It raises
        TypeError for arguments of avals the executable was not compiled for."""
        compiled = self.compiled
        if compiled.__class__ is Executable:
            return compiled.fast_call()
        return compiled

    def _trace(self, args, leaves):
        program = None
        if not any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            program = _interpreter.program(self.fn, args)
        self.program = _NONE if program is None else program
        self.avals = [(leaf.shape, leaf.dtype) for leaf in leaves]
        return self.program

    def _fits(self, leaves) -> bool:
        avals = self.avals
        if len(leaves) != len(avals):
            return False
        for leaf, (shape, dtype) in zip(leaves, avals):
            if isinstance(leaf, jax.core.Tracer) or leaf.shape != shape or leaf.dtype != dtype:
                return False
        host = _settings["host"]
        if host is not None:  # several devices: the interpreter's results go to the host's
            for leaf in leaves:
                if isinstance(leaf, jax.Array) and leaf.sharding != host:
                    return False
        return True

    def _outgrown(self, args) -> None:
        self._chosen(args)
        # With several devices the kernel compiles inline, as jax.jit, which runs on whichever
        # device its arguments are on: an executable compiled ahead for the host would not.
        if background() and _settings["host"] is None:
            self.pending = True
            try:
                lowered = self.jitted.lower(*args)
            except Exception:  # noqa: BLE001 - the next call compiles inline and raises there
                self.program = _NONE
                return
            compile_later(self.jitted, lowered, self._compile)
        else:
            self._compile()

    def _compile(self, executable=None):
        """Switch to the compiled kernel: an `Executable` from the worker, else `jitted` itself
        (which compiles on its next call; a failed background compile raises there)."""
        compiled = self.compiled = executable or self.jitted
        self.program = None
        if self.on_compile is not None:
            self.on_compile()
        return compiled


# ----- the compile worker -----------------------------------------------------------------------
_queue: queue.Queue = queue.Queue()
_worker: list = []


def compile_later(jitted, lowered, done) -> None:
    """Compile `lowered` (`jitted` lowered for some arguments) on the worker thread, then call
    `done` there with an `Executable` (None when compiling failed). Tracing and lowering stay
    on the caller's thread: they hold the GIL, while XLA's compile releases it, so the caller
    runs on meanwhile."""
    if not _worker:
        thread = threading.Thread(target=_work, name="torchlike-compile", daemon=True)
        _worker.append(thread)
        thread.start()
    _queue.put((jitted, lowered, done))


class Executable:
    """What the worker compiled, called like `jitted`; arguments of other avals (an executable
    takes only the ones it was compiled for, weak types included) go to `jitted` itself."""

    __slots__ = ("executable", "jitted")

    def __init__(self, executable, jitted):
        self.executable, self.jitted = executable, jitted

    def __call__(self, *args):
        try:
            return self.executable(*args)
        except (TypeError, ValueError):  # ValueError: arguments on another device
            return self.jitted(*args)

    def fast_call(self):
        """JAX's own C++ call of the executable, made by its first call (None before it); it
        raises TypeError for arguments of other avals instead of falling back."""
        return getattr(self.executable, "_call", None)


def _work() -> None:
    while True:
        item = _queue.get()
        try:
            if item is None:
                return
            jitted, lowered, done = item
            try:
                executable = Executable(lowered.compile(), jitted)
            except Exception:  # noqa: BLE001 - reported as None; the caller's path raises it
                executable = None
            done(executable)
        finally:
            _queue.task_done()


def wait() -> None:
    """Block until every queued background compile has finished."""
    if _worker:
        _queue.join()


def _stop() -> None:
    if _worker and _worker[0].is_alive():
        _queue.put(None)
        _worker[0].join()
    _worker.clear()


def _forked() -> None:
    """In a forked child the worker thread is gone: start afresh on the next compile."""
    global _queue
    _queue = queue.Queue()
    _worker.clear()


atexit.register(_stop)
os.register_at_fork(before=wait, after_in_child=_forked)


def _verify(kernel: TieredKernel, args, out) -> None:
    kernel._chosen(args)  # the kernel that will replace the interpreter, fused or not
    expected = kernel.jitted(*args)
    got_leaves, want_leaves = jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(expected)
    for got, want in zip(got_leaves, want_leaves):
        got, want = np.asarray(got), np.asarray(want)
        same = got.shape == want.shape and got.dtype == want.dtype
        if same and got.dtype.kind == "f":  # same bits, any NaN payload
            nan = np.isnan(got)
            bits = f"u{got.dtype.itemsize}"
            same = np.array_equal(nan, np.isnan(want)) and np.array_equal(
                got[~nan].view(bits), want[~nan].view(bits)
            )
        elif same:
            same = np.array_equal(got, want)
        if not same:
            name = getattr(kernel.fn, "__qualname__", kernel.fn)
            jaxpr = jax.make_jaxpr(kernel.fn)(*args)
            raise AssertionError(
                f"interpreted kernel {name} differs from its compiled bits:\n{jaxpr}\n"
                f"got {got!r}\nwant {want!r}"
            )
