"""Segmented backward: runs of plain nodes in a large graph replayed as small compiled programs.

A graph too large to compile whole (compiled.MAX_NODES) still repeats: a 1000-step loop
repeats one pattern inside one backward, a training step repeats across backward passes. The
engine hands consecutive plain nodes (no hooks, retain_grad or custom code) to a `Chunk`, at
most SEGMENT_NODES of them in execution order. A chunk's signature names, per node, its kernel
entry, its edges and where each edge leads (a node of the chunk, or an outside slot numbered
by first use), plus the avals of the gradients already waiting in the chunk's slots. Once a
signature has run often enough (COMPILE_AFTER node runs, over at least two backward passes;
at most one compile per pass), it becomes one jax.jit program that chains the nodes' VJPs in
the same order with the same casts and the same left-to-right sums, so its gradients are
bit-identical to the per-node path. Until then the chunk runs in one loop (`host.py`), in
numpy while its kernels are interpreted. Leaf accumulators inside a chunk run right after it.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

import jax
import jax.numpy as jnp

from .. import _tiers
from . import compiled, host, host_plan, saved
from .graph import AccumulateGrad, OpNode
from .kernels import (
    COMPILER_OPTIONS,
    any_tracer,
    as_array,
    entry_of,
    kernel_key,
    primals_for,
    stats,
)

SEGMENT_NODES = 32  # op nodes per chunk: compiles in about 0.1 s, runs in tens of microseconds
MIN_NODES = 4  # shorter runs (between hooks) stay per node
COMPILE_AFTER = 2048  # node runs a signature needs (summed over sightings) before it compiles
SEGMENT_LIMIT = 128  # compiled segments kept (LRU)
_SEEN_LIMIT = 1024  # signatures counted but not compiled (LRU)
_segments: OrderedDict = OrderedDict()
_seen: OrderedDict = OrderedDict()  # signature -> [node runs so far, pass first seen]
_switch = {"enabled": True}
_passes = {"current": 0, "compiles_left": 0}

stats.update(segment_compiles=0, segment_runs=0)


def set_enabled(enabled: bool = True) -> None:
    """Turn segment replay on or off (off: large graphs run node by node)."""
    _switch["enabled"] = bool(enabled)


def clear() -> None:
    """Forget compiled segments, host plans and counted signatures."""
    _segments.clear()
    _seen.clear()
    host_plan.clear()


def wanted(n_nodes: int) -> bool:
    """Whether a backward pass over n_nodes should look for segments (graphs past MAX_NODES)."""
    return _switch["enabled"] and compiled._switch["enabled"] and n_nodes > compiled.MAX_NODES


def plain_op(node) -> bool:
    """An op node whose backward needs no Python: no hooks, no retain_grad, a cached kernel."""
    if not isinstance(node, OpNode) or node.primals is None:
        return False
    if node._pre_hooks or node._hooks or node._tensor_hooks or node._retained:
        return False
    key = node.kernel_key
    return (kernel_key(node) if key is False else key) is not None


def plain_leaf(node) -> bool:
    """A leaf accumulator without hooks: it may run right after the chunk it was popped in."""
    return type(node) is AccumulateGrad and not (
        node._pre_hooks or node._hooks or node.variable._hooks
    )


class Chunk:
    """The plain nodes popped since the last node that needed Python, in execution order."""

    def __init__(self, buffers: dict, retain_graph: bool, run_one, release):
        self.buffers, self.retain_graph = buffers, retain_graph
        self.run_one, self.release = run_one, release
        self.items: list = []  # op nodes and leaf accumulators, in order
        self.ops: list = []  # the op nodes alone
        _passes["current"] += 1
        _passes["compiles_left"] = 1

    def add(self, node) -> bool:
        """Take a plain node (True) or refuse one that must run on its own (False)."""
        if plain_op(node):
            self.items.append(node)
            self.ops.append(node)
            if len(self.ops) >= SEGMENT_NODES:
                self.flush()
            return True
        if plain_leaf(node):
            self.items.append(node)
            return True
        return False

    def flush(self) -> None:
        """Run the chunk: as a compiled segment or in the chunk loop (`host`), else (a short
        chunk, a saved value modified in place, tracers) node by node."""
        items, ops = self.items, self.ops
        if not items:
            return
        self.items, self.ops = [], []
        if len(ops) >= MIN_NODES and self._run_segment(ops):
            if len(items) > len(ops):
                for node in items:
                    if type(node) is AccumulateGrad:
                        self.run_one(node)
            return
        for node in items:
            self.run_one(node)

    def _run_segment(self, ops: list) -> bool:
        """Run the chunk as one: its compiled segment, else the chunk loop (`host`, in numpy
        while its kernels are interpreted); False where it must run per node."""
        primals = _primals(ops)
        if primals is None:
            return False
        distinct, positions = _distinct(primals)
        layout = _Layout(ops, self.buffers, positions)
        if any_tracer(layout.inputs):
            return False
        segment = _segment_for(layout, ops)
        if segment is None or type(segment) is _Build:
            if segment is not None:  # compile it on the worker meanwhile
                segment.start(distinct, layout.inputs)
            outs = host_plan.run(ops, layout, distinct)
            if outs is None:
                outs = host.run(ops, layout, primals)
        else:
            outs = segment(distinct, layout.inputs)
            stats["segment_runs"] += 1
        buffers = self.buffers
        pop = buffers.pop
        for node in ops:
            pop(node, None)
        for (child, nr), grad in zip(layout.outside, outs):
            if grad is not None:
                grads = buffers.get(child)
                if grads is None:
                    buffers[child] = {nr: grad}
                else:
                    grads[nr] = grad
        if not self.retain_graph:
            release = self.release
            for node in ops:
                release(node)
        return True


def _primals(ops: list):
    """Each node's primals for the segment, or None where the per-node path must run instead.

    That is a saved value modified in place (the per-node path raises torch's error at that
    node) or a JAX tracer (inside a transform, segments stay out of the way).
    """
    primals = []
    for node in ops:
        entry = node.kernel_entry or entry_of(node)
        reads = entry.facts(node)[0] if node.saves == "inputs" else ()
        if not saved.intact(node, reads):
            return None
        arrays = primals_for(node)
        if not node.freed and any_tracer(arrays):
            return None
        primals.append(arrays)
    return primals


def _distinct(primals: list) -> tuple:
    """The distinct arrays among the chunk's primals, and per node where its primals are among
    them. A value several nodes read (a weight, a multiplier in a loop) is one argument of the
    segment: each argument costs its call about a microsecond."""
    index, distinct, positions = {}, [], []
    for arrays in primals:
        slots = []
        for array in arrays:
            j = index.get(id(array))  # every array is alive in `primals` meanwhile
            if j is None:
                j = index[id(array)] = len(distinct)
                distinct.append(array)
            slots.append(j)
        positions.append(tuple(slots))
    return distinct, tuple(positions)


class _Layout:
    """A chunk's signature, its outside slots and the waiting gradients it starts from; the
    signature includes where each node's primals are among the segment's distinct arguments."""

    __slots__ = ("signature", "outside", "inputs", "targets", "positions")

    def __init__(self, ops: list, buffers: dict, positions: tuple):
        self.positions = positions
        local = {node: k for k, node in enumerate(ops)}
        outside, numbers, entries, self.targets = [], {}, [], []
        for node in ops:
            targets = []
            edges = iter(node._next)
            for child, nr in zip(edges, edges):
                if child is None:
                    targets.append(None)
                    continue
                k = local.get(child)
                if k is not None:
                    targets.append((k, nr))
                    continue
                j = numbers.get((child, nr))
                if j is None:
                    j = numbers[(child, nr)] = len(outside)
                    outside.append((child, nr))
                targets.append(-1 - j)
            targets = tuple(targets)
            self.targets.append(targets)
            entry = node.kernel_entry or entry_of(node)
            entries.append((entry.id, node.edges, targets))
        waiting, self.inputs = [], []
        for k, node in enumerate(ops):
            grads = buffers.get(node)
            if grads:
                for nr in sorted(grads):
                    waiting.append(self._waiting(k, nr, grads[nr]))
        for j, (child, nr) in enumerate(outside):
            grads = buffers.get(child)
            grad = None if grads is None else grads.get(nr)
            if grad is not None:
                waiting.append(self._waiting(-1 - j, 0, grad))
        self.signature = (tuple(entries), tuple(waiting), positions)
        self.outside = outside

    def _waiting(self, where: int, nr: int, grad) -> tuple:
        array = as_array(grad)
        self.inputs.append(array)
        return (where, nr, array.shape, array.dtype, getattr(array, "weak_type", False))


def _segment_for(layout: _Layout, ops: list):
    """The compiled segment for this signature, compiling it when it has repeated enough."""
    signature = layout.signature
    segment = _segments.get(signature)
    if segment is not None:
        _segments.move_to_end(signature)
        return None if segment is _PENDING else segment
    seen = _seen.get(signature)
    if seen is None:
        _seen[signature] = [len(ops), _passes["current"]]
        if len(_seen) > _SEEN_LIMIT:
            _seen.popitem(last=False)
        return None
    seen[0] += len(ops)
    if seen[0] < COMPILE_AFTER or seen[1] == _passes["current"] or not _passes["compiles_left"]:
        return None
    _passes["compiles_left"] -= 1
    del _seen[signature]
    if compiled._logging["enabled"]:
        print(
            f"torchlike: compiling backward segment ({len(ops)} nodes): its signature ran "
            f"{seen[0]} node backwards since pass {seen[1]}",
            file=sys.stderr,
        )
    segment = _build(ops, layout)
    stats["segment_compiles"] += 1
    if _tiers.background():
        _segments[signature] = _PENDING
        segment = _Build(signature, segment)
    else:
        _segments[signature] = segment
    if len(_segments) > SEGMENT_LIMIT:
        _segments.popitem(last=False)
    return segment


_PENDING = object()  # a segment compiling on the worker thread


class _Build:
    """A segment to compile on the worker thread (`_tiers.compile_later`), lowered here from
    the chunk that asked for it; until it is done its chunks run in the chunk loop."""

    __slots__ = ("signature", "jitted")

    def __init__(self, signature, jitted):
        self.signature, self.jitted = signature, jitted

    def start(self, distinct, inputs) -> None:
        try:
            lowered = self.jitted.lower(distinct, inputs)
        except Exception:  # noqa: BLE001 - the per-node path raises whatever this would
            _segments.pop(self.signature, None)
            return
        _tiers.compile_later(self.jitted, lowered, self._done)

    def _done(self, executable) -> None:
        if _segments.get(self.signature) is _PENDING:
            if executable is None:
                del _segments[self.signature]
            else:
                _segments[self.signature] = executable


def _build(ops: list, layout: _Layout):
    """One jitted function: (the chunk's distinct primals, waiting gradients) -> gradients at
    outside slots."""
    steps = [
        (entry_of(node).kernel.nested, node.diff_outputs, tuple(node.out_avals), node.diff_inputs,
         node.edges, targets)
        for node, targets in zip(ops, layout.targets)
    ]  # fmt: skip
    waiting = [(where, nr) for where, nr, *_aval in layout.signature[1]]
    n_outside = len(layout.outside)
    positions = layout.positions

    def segment(distinct, inputs):
        local = [{} for _ in steps]
        outside = [None] * n_outside
        for (where, nr), array in zip(waiting, inputs):
            if where >= 0:
                local[where][nr] = array
            else:
                outside[-1 - where] = array
        for k, step in enumerate(steps):
            _step(step, [distinct[j] for j in positions[k]], local[k], local, outside)
        return outside

    return jax.jit(segment, compiler_options=COMPILER_OPTIONS)


def _step(step, primals, grads: dict, local: list, outside: list) -> None:
    """One node inside the trace, with the per-node engine's casts and summation order."""
    vjp, diff_outputs, out_avals, diff_inputs, edges, targets = step
    cotangents = [
        grads[i].astype(out_avals[i][1]) if i in grads else jnp.zeros(*out_avals[i])
        for i in diff_outputs
    ]
    result = [None] * len(primals)
    for i, g in zip(diff_inputs, vjp(primals, cotangents)):
        result[i] = g
    for target, grad in zip(targets, (result[i] for i in edges)):
        if target is None or grad is None:
            continue
        if type(target) is tuple:
            k, nr = target
            buffer = local[k]
            buffer[nr] = grad if nr not in buffer else buffer[nr] + grad
        else:
            j = -1 - target
            outside[j] = grad if outside[j] is None else outside[j] + grad
