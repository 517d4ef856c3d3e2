"""Repeated autograd.functional calls run as one cached jax.jit program of the whole transform.

A call's signature is the transform with its options, the inputs' shapes and dtypes, the
default dtype, and the state guard that torch.compile's walk (`_compile/walk.py`) builds over
the function (for a module or other callable object also its class's `forward`/`__call__`, and
the attributes it reads from user modules): the shapes, dtypes and aliasing of every tensor the
function can reach and every Python value it reads. The first call with a signature runs
uncompiled; the second traces the transform once in `jax.jit` with every reachable storage as
a program input (`_compile/program.py`), so tensors changed in place between calls are read
afresh; later calls run that program. A trace that fails (`.item()` steering Python,
data-dependent shapes) or has side effects (writes, prints, warnings, random draws, tensors
the walk cannot see) keeps its signature uncompiled. At most MAX_PROGRAMS programs are kept
(least recently used dropped first) and MAX_PROGRAMS_PER_CODE per function; a function
rejected MAX_REJECTIONS_PER_CODE times, or with too much state to walk, runs uncompiled
without walking. `TORCHLIKE_FUNCTIONAL_CACHE=0` turns the cache off; `stats` counts
compiles, hits, uncompiled calls and rejections; TORCHLIKE_LOG_COMPILES=1 logs each decision.
"""

from __future__ import annotations

import contextlib
import io
import math
import operator
import os
import types
import warnings
from collections import Counter, OrderedDict

import jax

from .. import _dtype, _small_loops
from .._compile import diagnostics
from .._compile.guard import FastGuard
from .._compile.program import Plan, make_program, tracing
from .._compile.walk import TooMuchState, walk
from ..random import default_generator

MAX_PROGRAMS = 32  # compiled signatures kept, least recently used dropped first
MAX_SEEN = 256  # signatures seen once, waiting for a repeat
MAX_PROGRAMS_PER_CODE = 8  # programs one function's code may compile
MAX_REJECTIONS_PER_CODE = 4  # failed traces after which a function runs uncompiled unwalked
MAX_EARLY_MISSES = 2  # early runs of the last program that turned out wrong, then no more
MAX_GUARD_MISSES = 4  # fast guards of one function that failed, then no more are kept
enabled = {"cache": os.environ.get("TORCHLIKE_FUNCTIONAL_CACHE", "1") != "0"}
stats: Counter = Counter()  # compiles, hits, uncompiled calls, rejected signatures

_programs: OrderedDict = OrderedDict()  # signature -> _Program, or the reason it stays uncompiled
_seen: OrderedDict = OrderedDict()
# (kind, id(func)) -> [func, program, storages, input avals, early runs wasted] of its last hit
_last: OrderedDict = OrderedDict()
# id(code) -> [code, programs compiled, traces rejected]; the code is held so its id stays its own
_per_code: dict = {}
_MISSING = object()
# Libraries whose module attributes a user function may read without them being guarded.
_LIBRARY_MODULES = ("torchlike", "torch", "jax", "jaxlib", "numpy", "math", "builtins")


class _Program:
    """One compiled transform and the facts its trace recorded (whether outputs were a tuple)."""

    __slots__ = ("jitted", "meta")

    def __init__(self, jitted, meta: dict):
        self.jitted, self.meta = jitted, meta


class _Rejected(Exception):
    """The trace worked but cannot be replayed faithfully (a side effect or untracked state)."""


def clear() -> None:
    """Forget every cached program and every signature seen."""
    _programs.clear()
    _seen.clear()
    _last.clear()
    _per_code.clear()


def rerun(kind: tuple, func, tensors) -> tuple[list, dict] | None:
    """(outputs, facts) of the program this function's last hit ran, run again, when its fast
    guard proves a walk would find the same signature (the same input avals and default dtype,
    a plain function whose reachable state holds the same objects); else None, and the caller
    builds its transform and takes `run`."""
    key = (kind, id(func))
    last = _last.get(key)
    if last is None or last[5] is None or last[0] is not func or tracing["depth"]:
        return None
    arrays = [t._value for t in tensors]
    if [(a.shape, a.dtype, isinstance(a, jax.core.Tracer)) for a in arrays] != last[3]:
        return None
    guard, dtype = last[5]
    if not enabled["cache"] or _dtype.get_default_dtype() != dtype:
        return None
    snap = guard.check((), {})
    if snap is None:
        last[5], last[6] = None, last[6] + 1
        return None
    try:
        outputs = last[1].jitted(*[s.array for s in snap.storages], *arrays)
    except Exception:  # noqa: BLE001 - the walk decides, as after any other miss
        last[5], last[6] = None, last[6] + 1
        return None
    _last.move_to_end(key)
    stats["hits"] += 1
    stats["fast_hits"] += 1
    return outputs, last[1].meta


def run(kind: tuple, func, tensors: list, transform, box: dict, traced=None) -> tuple[list, dict]:
    """transform(*arrays of tensors) as a flat list, and the facts box its run recorded.

    `traced` is the same transform written for tracing (e.g. forward-over-reverse Hessians,
    which need no concrete values); it defaults to `transform`.
    """
    arrays = [t._value for t in tensors]
    avals = [(a.shape, a.dtype, isinstance(a, jax.core.Tracer)) for a in arrays]
    if not enabled["cache"] or tracing["depth"] or any([aval[2] for aval in avals]):
        return _uncompiled(transform, arrays, box)
    code = getattr(func, "__code__", None) or type(func)
    counts = _per_code.get(id(code))
    if counts is not None and counts[2] >= MAX_REJECTIONS_PER_CODE:
        return _uncompiled(transform, arrays, box)
    early = _start_early((kind, id(func)), func, arrays, avals)
    try:
        signature, snap, roots = _signature(kind, func, avals)
    except TooMuchState:  # too costly to walk on every call
        _counts(code)[2] = MAX_REJECTIONS_PER_CODE
        return _uncompiled(transform, arrays, box)
    entry = _programs.get(signature)
    if entry.__class__ is _Program:
        _programs.move_to_end(signature)
        try:
            outputs = _hit(entry, (kind, id(func)), func, snap, roots, arrays, avals, early)
        except Exception as error:  # noqa: BLE001 - a retrace; the uncompiled path is exact
            _programs[signature] = f"replay failed: {_reason(error)}"
        else:
            stats["hits"] += 1
            return outputs, entry.meta
    elif entry is None and signature in _seen:
        traced = transform if traced is None else traced
        return _compile_and_run(signature, snap, roots, _counts(code), arrays, (transform, traced),
                                box)  # fmt: skip
    elif entry is None:
        _remember_seen(signature)
    return _uncompiled(transform, arrays, box)


def _start_early(key: tuple, func, arrays: list, avals: list):
    """Start the program this function's last hit ran before the walk, so XLA computes while
    the signature is checked; `_hit` uses the result only if the walk finds the same program
    and the same input arrays. (program, inputs, outputs), or None."""
    last = _last.get(key)
    if last is None or last[0] is not func or last[3] != avals or last[4] >= MAX_EARLY_MISSES:
        return None
    inputs = [s.array for s in last[2]] + arrays
    try:
        return last[1], inputs, last[1].jitted(*inputs)
    except Exception:  # noqa: BLE001 - the state changed shape: the walk decides
        last[4] += 1
        return None


def _hit(entry: _Program, key: tuple, func, snap, roots: list, arrays: list, avals: list, early):
    """Run a cached program (or take the early run of it) and remember it for the next call."""
    inputs = [s.array for s in snap.storages] + arrays
    last = _last.pop(key, None)
    misses = 0 if last is None or last[0] is not func else last[4]
    if early is not None and early[0] is entry and _same(early[1], inputs):
        outputs = early[2]  # same program, same arrays: the same result
        stats["early"] += 1
    else:
        misses += early is not None
        outputs = entry.jitted(*inputs)
    same = last is not None and last[1] is entry and last[0] is func
    guard, guard_misses = (last[5], last[6]) if same else (None, 0)
    if (
        guard is None
        and guard_misses < MAX_GUARD_MISSES
        and len(roots) == 1
        and func.__class__ is types.FunctionType
    ):
        guard = (FastGuard(entry, None, snap, (), {}), _dtype.get_default_dtype())
    _last[key] = [func, entry, snap.storages, avals, misses, guard, guard_misses]
    if len(_last) > MAX_PROGRAMS:
        _last.popitem(last=False)
    return outputs


def _same(arrays: list, others: list) -> bool:
    return len(arrays) == len(others) and all(map(operator.is_, arrays, others))


def _signature(kind: tuple, func, avals: list) -> tuple:
    """(signature, the walk's snapshot, the walked roots) of one call."""
    roots, builtins = _roots(func)
    snap = walk(roots)
    storages = tuple([(s.array.shape, s.array.dtype) for s in snap.storages])
    # The function runs under no_grad, so the grad mode is not part of the signature.
    # The walk's guard leaves out only the builtins the function reads.
    state = (tuple(snap.guard), tuple(builtins), _dtype.get_default_dtype())
    return (kind, state, storages, tuple(avals)), snap, roots


def _counts(code) -> list:
    """[code, programs compiled, traces rejected] for one function's code."""
    if id(code) not in _per_code and len(_per_code) >= MAX_SEEN:
        _per_code.clear()
    return _per_code.setdefault(id(code), [code, 0, 0])


def _uncompiled(transform, arrays: list, box: dict) -> tuple[list, dict]:
    stats["uncompiled"] += 1
    return list(transform(*arrays)), box


def _remember_seen(signature) -> None:
    _seen[signature] = None
    if len(_seen) > MAX_SEEN:
        _seen.popitem(last=False)


def _roots(func) -> tuple[list, list]:
    """What to walk (the function, its class's call code, the user-module and class attributes
    it reads) and the builtins it reads, which the walk skips."""
    roots, builtins = [("func", func)], []
    if func.__class__ is types.FunctionType:  # the common case, kept cheap
        _global_reads(func, roots, builtins)
        return roots, builtins
    owner, functions = getattr(func, "__self__", None), [getattr(func, "__func__", None)]
    if not isinstance(func, types.MethodType):
        owner = func
        for name in ("forward", "__call__"):
            method = getattr(type(func), name, None)
            if isinstance(method, types.FunctionType):
                roots.append((f"type(func).{name}", method))
                functions.append(method)
    for fn in functions:
        if isinstance(fn, types.FunctionType):
            _global_reads(fn, roots, builtins)
            roots.extend(_class_attributes(owner, fn))
    return roots, builtins


def _class_attributes(owner, fn: types.FunctionType) -> list:
    """Values a method reads through `self` from its class body, which the walk does not follow."""
    found = []
    for name in fn.__code__.co_names:
        for klass in type(owner).__mro__[:-1]:  # not object
            value = vars(klass).get(name, _MISSING)
            if value is not _MISSING:
                if _is_state(value):
                    found.append((f"{klass.__qualname__}.{name}", value))
                break
    return found


def _is_state(value) -> bool:
    """Not code: methods, properties and slots (descriptors), classes and modules are code."""
    return not isinstance(value, type | types.ModuleType) and not hasattr(type(value), "__get__")


def _global_reads(fn: types.FunctionType, roots: list, builtins: list) -> None:
    """Add the user-module attributes fn names (`config.scale`) to roots, and the builtins in
    its closure or globals to builtins: the walk follows neither."""
    names = fn.__code__.co_names
    for cell in fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, types.BuiltinFunctionType):
            builtins.append(value)
    module_globals = fn.__globals__
    for name in names:
        value = module_globals.get(name)
        if value is None:
            continue
        if isinstance(value, types.BuiltinFunctionType):
            builtins.append(value)
        elif isinstance(value, types.ModuleType):
            if value.__name__.split(".")[0] not in _LIBRARY_MODULES:
                module_vars = vars(value)
                roots.extend((f"{value.__name__}.{attr}", module_vars[attr]) for attr in names
                             if attr in module_vars)  # fmt: skip


def _compile_and_run(signature, snap, roots, counts: list, arrays, transforms, box):
    """A repeated signature: trace and compile the transform, then run the program."""
    transform, traced = transforms
    _seen.pop(signature, None)
    if counts[1] >= MAX_PROGRAMS_PER_CODE:
        _store(signature, f"{MAX_PROGRAMS_PER_CODE} programs already compiled for this function")
        return _uncompiled(transform, arrays, box)
    try:
        program = _trace(snap, roots, arrays, traced, box)
        outputs = program.jitted(*[s.array for s in snap.storages], *arrays)
    except Exception as error:  # noqa: BLE001 - state is restored; the uncompiled path is exact
        _store(signature, _reason(error))
        counts[2] += 1
        stats["rejected"] += 1
        diagnostics.log(f"autograd.functional.{signature[0][0]} stays uncompiled: {_reason(error)}")
        return _uncompiled(transform, arrays, box)
    counts[1] += 1
    stats["compiles"] += 1
    diagnostics.log(f"compiled autograd.functional.{signature[0][0]} of {_name(counts[0])}")
    _store(signature, program)
    return outputs, program.meta


def _trace(snap, roots, arrays: list, transform, box) -> _Program:
    """Trace the transform over the reachable storages; reject what a replay would get wrong."""
    _check_reachable(snap)
    plan, trace, n = Plan(), {"inputs": None, "done": False}, len(snap.storages)

    def whole_transform():
        return tuple(transform(*trace["inputs"]))

    program = make_program(whole_transform, (), {}, roots, plan)

    def storages_and_inputs(*values):
        if trace["done"]:  # a cached program never retraces: its inputs' avals are in the signature
            raise _Rejected("retraced")
        trace["inputs"], trace["done"] = values[n:], True
        try:
            return program(list(values[:n]), [])
        finally:
            trace["inputs"] = None

    jitted = jax.jit(storages_and_inputs)
    key = default_generator._key
    try:
        with _output_watch() as output:
            traced = jitted.trace(*[s.array for s in snap.storages], *arrays)
            jaxpr = traced.jaxpr
    finally:
        drew, default_generator._key = default_generator._key is not key, key
    if output:
        raise _Rejected("the function prints or warns")
    if drew or plan.written or plan.new_tensors or plan.effects or plan.generators:
        raise _Rejected("the function changes tensors, generators or other state")
    if any(isinstance(const, jax.Array) for const in jaxpr.consts):
        raise _Rejected("the function reads a tensor that is not reachable from it")
    box.pop("raw", None)  # a tracer of the trace
    return _Program(_small_loops_program(jitted, traced), dict(box))


def _small_loops_program(jitted, traced):
    """`jitted`, or for a program whose results are all small (`_small_loops`) the traced
    program compiled with its loops on one thread (from the jaxpr: the function is not run
    again)."""
    jaxpr = traced.jaxpr
    results = [var for eqn in jaxpr.eqns for var in eqn.outvars]
    sizes = [math.prod(getattr(v.aval, "shape", ())) for v in (*results, *jaxpr.jaxpr.outvars)]
    options = _small_loops.options({}, sizes)
    if not options:
        return jitted
    tree = traced.out_tree

    def program(*values):
        return tree.unflatten(jax.core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *values))

    return jax.jit(program, compiler_options=options)


def _check_reachable(snap) -> None:
    """Reject state a program cannot take as inputs or guard by value."""
    opaque = [entry for entry in snap.guard if entry[1] in ("opaque", "deep")]
    opaque = [entry for entry in opaque if entry[2] not in (set, frozenset)]
    if opaque:
        raise _Rejected(f"the function reads a {opaque[0][2].__name__}, which cannot be guarded")
    if snap.generators:
        raise _Rejected("the function can reach a random number generator")
    if any(isinstance(s.array, jax.core.Tracer) for s in snap.storages):
        raise _Rejected("the function reads a tensor traced by an enclosing transform")


@contextlib.contextmanager
def _output_watch():
    """Hold back what the trace prints or warns (the uncompiled rerun shows it), noting that it
    did; warning filters stay as they are, so a warning already shown once is not repeated."""
    printed, output, show = io.StringIO(), [], warnings.showwarning
    warnings.showwarning = lambda *args, **kwargs: output.append(args)
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            yield output
    finally:
        warnings.showwarning = show
        if printed.getvalue():
            output.append(printed.getvalue())


def _store(signature, entry) -> None:
    _programs[signature] = entry
    if len(_programs) > MAX_PROGRAMS:
        _programs.popitem(last=False)


def _reason(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _name(code) -> str:
    """The name of a function's code object or of a callable's class."""
    return getattr(code, "co_qualname", None) or getattr(code, "__qualname__", repr(code))
