"""Low-level recorder behind torchlike's profilers.

The op dispatcher reads the module global ``active`` (as ``_profiler_state.active``, never a
copied name) and, only while it is true, brackets every op with ``begin``/``end``:

    tok = _profiler_state.begin("aten::div", [[2, 3], [2, 3]]); ...; _profiler_state.end(tok)

Each open range remembers the range that was open on its thread when it began, so nesting
(``record_function`` around ops, ops calling ops) is exact and needs no timestamp comparison.
Profiling windows (``Collector``) keep the ranges that began while they were open; several
windows may be open at once (nested profiles), each sees its own slice.
"""

from __future__ import annotations

import itertools
import os
import threading
import traceback
from time import perf_counter_ns

active: bool = False

_collectors: list[Collector] = []
_per_thread = threading.local()
_thread_numbers = itertools.count(1)
_range_ids = itertools.count(1)
# True while some open window asked for Python stacks (costly, so off by default).
_capture_stacks: bool = False
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class OpRange:
    """One timed op or labelled region: name, input shapes, nanosecond bounds, parent range."""

    __slots__ = (
        "id",
        "name",
        "input_shapes",
        "start_ns",
        "end_ns",
        "parent",
        "thread",
        "stack",
        "is_user_annotation",
    )

    def __init__(self, name, input_shapes, parent, thread, is_user_annotation=False):
        self.id = next(_range_ids)
        self.name = name
        self.input_shapes = input_shapes
        self.parent = parent
        self.thread = thread
        self.stack = None
        self.is_user_annotation = is_user_annotation
        self.start_ns = 0
        self.end_ns = None


class Collector:
    """One profiling window: the closed ranges that began after ``start_ns``."""

    __slots__ = ("ranges", "start_ns", "end_ns", "record_shapes", "with_stack")

    def __init__(self, record_shapes=False, with_stack=False):
        self.ranges: list[OpRange] = []
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.start_ns = 0
        self.end_ns = None


def _thread_state():
    """Return this thread's (open-range stack, small thread number), creating them once."""
    try:
        return _per_thread.stack, _per_thread.number
    except AttributeError:
        _per_thread.stack = []
        _per_thread.number = next(_thread_numbers)
        return _per_thread.stack, _per_thread.number


def _user_stack():
    """Python frames outside torchlike, innermost first, as ``file(line): function``."""
    frames = traceback.extract_stack()
    return [
        f"{frame.filename}({frame.lineno}): {frame.name}"
        for frame in reversed(frames)
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR)
    ]


def begin(name: str, input_shapes: list, is_user_annotation: bool = False) -> OpRange:
    """Open a range named like ``aten::mul`` on this thread and return it as the token."""
    stack, thread = _thread_state()
    op_range = OpRange(name, input_shapes, stack[-1] if stack else None, thread, is_user_annotation)
    if _capture_stacks:
        op_range.stack = _user_stack()
    stack.append(op_range)
    # Read the clock last so the bookkeeping above is not billed to the op.
    op_range.start_ns = perf_counter_ns()
    return op_range


def end(token) -> None:
    """Close the range ``token`` returned by ``begin`` and hand it to the open windows."""
    end_ns = perf_counter_ns()
    token.end_ns = end_ns
    stack, _ = _thread_state()
    if stack and stack[-1] is token:
        stack.pop()
    elif token in stack:
        stack.remove(token)
    for collector in _collectors:
        if token.start_ns >= collector.start_ns:
            collector.ranges.append(token)


def start_collecting(record_shapes: bool = False, with_stack: bool = False) -> Collector:
    """Open a profiling window and switch recording on."""
    global active, _capture_stacks
    collector = Collector(record_shapes, with_stack)
    _collectors.append(collector)
    _capture_stacks = any(c.with_stack for c in _collectors)
    collector.start_ns = perf_counter_ns()
    active = True
    return collector


def stop_collecting(collector: Collector) -> list[OpRange]:
    """Close a window and return its ranges; recording stays on while other windows are open."""
    global active, _capture_stacks
    collector.end_ns = perf_counter_ns()
    if collector in _collectors:
        _collectors.remove(collector)
    _capture_stacks = any(c.with_stack for c in _collectors)
    active = bool(_collectors)
    return collector.ranges
