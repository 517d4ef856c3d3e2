"""Small ops' results computed later, many ops to one XLA call.

Every call of a compiled XLA kernel costs the CPU about as much (10-20 us) whatever the kernel
computes, so a loop of ops on a few numbers (the tutorial's 1000 x `z = (z / x) * y` on 2x3
tensors) spends most of its time calling XLA, once per op. So a repeated call whose kernel has
compiled and whose one output has at most `SMALL` elements does not run at once: the dispatch
fast path (`_ops/dispatch._run_plan`) returns a tensor whose storage holds a `Deferred` (the
kernel, its arguments, arrays or other Deferreds, and the result's shape and dtype), and records
its graph node as usual; F.linear's folded product (`_ops/folded_linear.py`) defers the same
way. Every pending op runs, in call order, when anything reads a pending array
(`Storage.array`: `_value`, printing, `.item()`, an op that is not deferred; a tensor's shape,
dtype and size are read from the Deferred), when a backward pass starts (`flush`), and when
`CHUNK` ops are pending.

The ops of one flush are a chunk. A chunk's signature (per op: its kernel and where each
argument comes from, an earlier op of the chunk or an outside array) is counted; seen again, the
chunk compiles on the `_tiers` worker thread into one program that replays every op's kernel
(its jaxpr, for the avals the kernel was called with, weak types included) in order, with an
optimization barrier after each and without XLA fusion, so each op computes exactly what its
own kernel computes (a kernel compiles with fusion only where fusion changes no bits,
`_ops/kernel_fusion.py`). Until that is done, and for chunks seen once, the ops run one kernel
call each, as they would have without deferring. `TORCHLIKE_DEFER=0` (or
`set_enabled(False)`) runs every op at once.

`SMALL` is 65,536 elements (256 KiB of float32): an op of that size computes for tens of
microseconds on a CPU, about what its call costs (the call, and on XLA's CPU backend a handoff
to the thread pool when the loop is split), and deferring it loses only the overlap of Python
with that op. An MLP layer of batch 128 and width 512 is that size: with its forward one chunk
call, the bench's W2 step went from 1.39x-1.43x to 1.28x the hand-written `jax.jit` step, with
W1, W3 and W6 within their spread.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict

import jax

from . import _small_loops, _tiers

SMALL = 65536  # elements of a result that may be deferred
CHUNK = 64  # pending ops that start a flush
_PROGRAM_LIMIT = 256  # chunk signatures kept (seen once, compiling or compiled), LRU
_COMPILING = object()
_pending: list = []
_programs: OrderedDict = OrderedDict()
_switch = {"enabled": os.environ.get("TORCHLIKE_DEFER", "1") not in ("", "0")}
stats = {"deferred_ops": 0, "chunk_runs": 0, "chunk_compiles": 0}


def set_enabled(enabled: bool = True) -> None:
    """Defer small ops (True, the default) or run every op at once."""
    flush()
    _switch["enabled"] = bool(enabled)


def enabled() -> bool:
    return _switch["enabled"]


class Shaped:
    """`size` and `ndim` of a stand-in for an array not computed yet, from its `shape`."""

    __slots__ = ()

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)


class Deferred(Shaped):
    """A small op's result before it is computed: what `Storage` holds meanwhile."""

    __slots__ = ("kernel", "call", "key", "args", "shape", "dtype", "weak_type", "value", "holders",
                 "sharding")  # fmt: skip

    def __init__(self, kernel, call, key, args: list, shape: tuple, dtype, weak_type: bool):
        self.kernel = kernel  # the op's TieredKernel: its `fn` traces into a chunk program
        self.call = call  # the compiled kernel's own call, for a run on its own
        self.key = key  # the dispatch plan's key (`refused` drops the plan)
        self.args = args
        self.shape, self.dtype, self.weak_type = shape, dtype, weak_type
        self.value = None
        self.holders = None  # lists (graph nodes' primals) that hold this object, to update
        # where the result will be, with several devices (its arguments' one device), else None
        self.sharding = _sharding_of(args) if _several["devices"] else None

    def result(self):
        """The computed array (running every pending op first if it is not computed yet)."""
        if self.value is None:
            flush()
        return self.value

    def _set(self, value) -> None:
        self.value = value
        self.args = None
        holders = self.holders
        if holders is not None:
            self.holders = None
            for held in holders:
                for i, item in enumerate(held):
                    if item is self:
                        held[i] = value


def _sharding_of(args: list):
    for arg in args:
        sharding = getattr(arg, "sharding", None)
        if sharding is not None:
            return sharding
    return None


# Whether the process has several devices (then a chunk's signature holds its arrays' devices,
# and pending results know theirs); set by the dispatch when it first plans a small result.
_several = {"devices": False}


def defer(kernel, call, key, args: list, shape: tuple, dtype, weak_type: bool) -> Deferred:
    """A pending call of `kernel` on `args` (a list it may keep: arrays and Deferreds)."""
    op = Deferred(kernel, call, key, args, shape, dtype, weak_type)
    _pending.append(op)
    stats["deferred_ops"] += 1
    if len(_pending) >= CHUNK:
        flush()
    return op


def hold(held: list) -> None:
    """Note that list `held` (a node's primals) holds pending results, to update when run."""
    for i, item in enumerate(held):
        if item.__class__ is Deferred:
            if item.value is not None:  # run since (a flush in between)
                held[i] = item.value
            elif item.holders is None:
                item.holders = [held]
            elif item.holders[-1] is not held:
                item.holders.append(held)


def resolved(values: list) -> list:
    """`values` with every Deferred replaced by its computed array."""
    return [v.result() if v.__class__ is Deferred else v for v in values]


def flush() -> None:
    """Run every pending op, in call order. Ops an exception (an interrupt) leaves unrun stay
    pending, so a later read runs them."""
    if not _pending:
        return
    ops = _pending[:]
    _pending.clear()
    try:
        _run_chunk(ops)
    except BaseException:
        _pending[:0] = [op for op in ops if op.value is None]
        raise


def _run_chunk(ops: list) -> None:
    if len(ops) == 1:
        _run_one(ops[0])
        return
    signature, outside = _signature(ops)
    program = _programs.get(signature)
    if program is not None and program is not _COMPILING:
        _programs.move_to_end(signature)
        try:
            outputs = program(*outside)
        except Exception:  # noqa: BLE001 - the ops run one by one, raising what they raise
            outputs = None
        if program.__class__ is _tiers.Executable and outputs is not None:
            # from now on the executable's own call (it raises for other avals, and the ops
            # then run one by one)
            fast = program.fast_call()
            if fast is not None:
                _programs[signature] = fast
        if outputs is not None:
            stats["chunk_runs"] += 1
            for op, value in zip(ops, outputs):
                op._set(value)
            return
    elif signature in _programs:
        _programs.move_to_end(signature)
    else:
        _programs[signature] = None
        if len(_programs) > _PROGRAM_LIMIT:
            _programs.popitem(last=False)
        signature = None  # seen once: no compile yet
    if signature is not None and program is None:
        _compile(signature, ops, outside)
    for op in ops:
        _run_one(op)


def _run_one(op: Deferred) -> None:
    args = [a.value if a.__class__ is Deferred else a for a in op.args]
    try:
        value = op.call(*args)
    except (TypeError, ValueError):  # an executable refusing the arguments (other avals)
        if refused[0] is not None:
            refused[0](op.key)
        value = op.kernel.jitted(*args)
    op._set(value)


# Set by the dispatch: drops the plan of a key whose compiled kernel refused its arguments.
refused: list = [None]


def _signature(ops: list):
    """(the chunk's signature, its outside arrays in first-use order)."""
    position = {id(op): k for k, op in enumerate(ops)}
    outside, where = [], {}
    wiring = []
    for op in ops:
        sources = []
        for arg in op.args:
            if arg.__class__ is Deferred:
                k = position.get(id(arg))
                if k is not None:
                    sources.append(k)
                    continue
                arg = arg.value  # computed by an earlier flush
            j = where.get(id(arg))
            if j is None:
                j = where[id(arg)] = len(outside)
                outside.append(arg)
            sources.append(-1 - j)
        wiring.append((op.kernel, tuple(sources)))
    if _several["devices"]:  # a program runs on its arguments' device: one per device
        wiring.append(tuple([a.sharding for a in outside]))
    return tuple(wiring), outside


def _compile(signature, ops: list, outside: list) -> None:
    """Start compiling the chunk's program on the worker thread (inline without one)."""
    steps = [(_jaxpr_of(op), sources) for op, (_kernel, sources) in zip(ops, signature)]

    def chunk(*arrays):
        values = []
        for closed, sources in steps:
            args = [arrays[-1 - k] if k < 0 else values[k] for k in sources]
            (value,) = jax.core.eval_jaxpr(closed.jaxpr, closed.consts, *args)
            values.append(jax.lax.optimization_barrier(value))
        return values

    # every op of a chunk has at most SMALL elements: its loops stay on one thread
    options = _small_loops.options(_tiers.UNFUSED, (op.size for op in ops))
    jitted = jax.jit(chunk, compiler_options=options)
    _programs[signature] = _COMPILING
    stats["chunk_compiles"] += 1

    def done(executable) -> None:
        if _programs.get(signature) is _COMPILING:
            if executable is None:
                del _programs[signature]
            else:
                _programs[signature] = executable

    try:
        lowered = jitted.lower(*outside)
    except Exception:  # noqa: BLE001 - the ops go on running one by one
        _programs.pop(signature, None)
        return
    if _tiers.background():
        _tiers.compile_later(jitted, lowered, done)
    else:
        done(_tiers.Executable(lowered.compile(), jitted))


def _jaxpr_of(op: Deferred):
    """The op's kernel function as a jaxpr for its arguments' avals, traced once per kernel and
    avals: a chunk program replays jaxprs, which traces several times faster than the
    functions themselves."""
    avals = tuple((a.shape, a.dtype, a.weak_type) for a in op.args)
    key = (op.kernel, avals)
    closed = _jaxprs.get(key)
    if closed is None:
        if len(_jaxprs) >= _PROGRAM_LIMIT:
            _jaxprs.clear()
        specs = [jax.ShapeDtypeStruct(shape, dtype, weak_type=weak) for shape, dtype, weak in avals]
        closed = _jaxprs[key] = jax.make_jaxpr(op.kernel.fn)(*specs)
    return closed


_jaxprs: dict = {}


def clear() -> None:
    """Run what is pending and forget the chunk programs."""
    flush()
    _programs.clear()
    _jaxprs.clear()
