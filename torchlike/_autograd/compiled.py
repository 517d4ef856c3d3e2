"""Whole-graph compiled backward: a graph that repeats is replayed as one jitted function.

A backward pass gets a signature: per node, in the order the engine runs them, its kernel
entry's id (one per kernel key: function, input avals, differentiable inputs and outputs), its
input edges and where they lead, plus the avals of the root gradients. The first time a
signature is seen the per-node engine runs; when it is seen again (a training loop), one
jax.jit function chains every node's VJP in the same order and returns the gradients of every
leaf. Graphs that need Python between nodes (hooks, custom Functions, nodes without a cache
key) never compile.
"""

from __future__ import annotations

import heapq
import os
import sys
from collections import OrderedDict

import jax
import jax.numpy as jnp

from . import saved
from .graph import AccumulateGrad, OpNode
from .kernels import (
    COMPILER_OPTIONS,
    as_array,
    entry_of,
    kernel_key,
    lazy_positions,
    stats,
    traced_primals,
    vjp_facts,
    vjp_kernel,
)

GRAPH_LIMIT = 64  # compiled graphs kept (LRU)
MAX_NODES = 500  # larger graphs take too long to compile: they stay on per-node kernels
_SEEN_LIMIT = 1024  # signatures seen once, waiting for a second sighting
_graphs: OrderedDict = OrderedDict()
_seen: OrderedDict = OrderedDict()
_logging = {"enabled": os.environ.get("TORCHLIKE_LOG_COMPILES", "") not in ("", "0")}
_switch = {"enabled": True}

stats.update(graph_compiles=0, graph_replays=0, per_node_runs=0)


def log_compiles(enabled: bool = True) -> None:
    """Print one line per whole-graph backward compile, saying why it compiled."""
    _logging["enabled"] = bool(enabled)


def set_enabled(enabled: bool = True) -> None:
    """Turn whole-graph replay on or off (off: every backward runs node by node)."""
    _switch["enabled"] = bool(enabled)


def clear() -> None:
    """Forget compiled graphs and seen signatures."""
    _graphs.clear()
    _seen.clear()


def _schedule(roots, deps: dict) -> list:
    """Nodes in the order the per-node engine runs them (highest sequence number first)."""
    deps = dict(deps)
    ready = [(-node._seq, id(node), node) for node in roots if not deps.get(node)]
    heapq.heapify(ready)
    order = []
    pop, push = heapq.heappop, heapq.heappush
    while ready:
        node = pop(ready)[2]
        order.append(node)
        for child in node._next[::2]:
            if child is not None:
                left = deps[child] - 1
                deps[child] = left
                if not left:  # its last consumer ran: it is ready (once, as the count hits 0)
                    push(ready, (-child._seq, id(child), child))
    return order


def _signature(order: list, buffers: dict):
    """(the graph's cache key, the root gradients in key order), or None when the graph cannot
    be compiled: a node needs Python (hooks, retain_grad, custom code, no cached kernel)."""
    index = {node: k for k, node in enumerate(order)}
    entries = []
    for node in order:
        if node._pre_hooks or node._hooks or node._tensor_hooks or node._retained:
            return None
        if type(node) is AccumulateGrad:
            if node.variable._hooks:
                return None
            entries.append("leaf")
            continue
        if not isinstance(node, OpNode) or node.primals is None:
            return None
        entry = node.kernel_entry or entry_of(node)
        if entry.id is None:  # no kernel key: its backward is not a cached kernel
            return None
        children = list(node._next)  # per edge: the child's position, or -1, and input number
        for k in range(0, len(children), 2):
            child = children[k]
            children[k] = -1 if child is None else index[child]
        entries.append((entry.id, node.edges, tuple(children), lazy_positions(node)))
    roots = []
    for node, grads in buffers.items():
        for nr, grad in grads.items():
            array = as_array(grad)
            roots.append(((index[node], nr, tuple(array.shape), array.dtype), array))
    roots.sort(key=lambda root: root[0][:2])
    return (tuple(entries), tuple(root[0] for root in roots)), [root[1] for root in roots]


class _Replay:
    """A compiled graph: its jitted replay and, per op node, what the per-node engine would
    look up around it (the saved inputs it checks, whether a release drops the primals)."""

    __slots__ = ("replay", "nodes")

    def __init__(self, order: list):
        self.replay = None
        # (position in order, saved inputs checked, release drops primals, kernel entry)
        self.nodes = []
        for k, node in enumerate(order):
            if type(node) is AccumulateGrad:
                continue
            checked = vjp_facts(node, kernel_key(node), False)[0]
            entry = entry_of(node)
            drops = saved.release_drops(node, entry)
            self.nodes.append((k, checked if node.saves == "inputs" else (), drops, entry))

    def versions_ok(self, order: list) -> bool:
        """Saved values are intact; otherwise the per-node engine raises torch's error in place."""
        for k, checked, _drops, _entry in self.nodes:
            if not saved.intact(order[k], checked):
                return False
        return True

    def release(self, order: list) -> None:
        """`engine._release` of every op node, with what the graph's nodes read known."""
        for k, _checked, drops, entry in self.nodes:
            node = order[k]
            if not node.freed:
                saved.release(node, entry, drops)


def _build(order: list, signature):
    """One jitted function: (primals per node, root gradients) -> gradient per leaf."""
    index = {node: k for k, node in enumerate(order)}
    steps = [
        None
        if type(node) is AccumulateGrad
        else (
            vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs),
            node.diff_inputs,
            node.diff_outputs,
            list(node.out_avals),
            node.edges,
            [None if child is None else (index[child], nr) for child, nr in node.next_functions],
            entry[3],
        )
        for node, entry in zip(order, signature[0])
    ]
    root_slots = [(k, nr) for k, nr, _shape, _dtype in signature[1]]

    def replay(primals, root_grads):
        buffers = [{} for _ in steps]
        for (k, nr), grad in zip(root_slots, root_grads):
            buffers[k][nr] = grad
        leaf_grads = []
        for k, step in enumerate(steps):
            if step is None:
                leaf_grads.append(buffers[k].get(0))
                continue
            _backward_step(step, primals[k], buffers[k], buffers)
        return leaf_grads

    return jax.jit(replay, compiler_options=COMPILER_OPTIONS)


def _backward_step(step, primals, grads: dict, buffers: list) -> None:
    """One node inside the trace, with the per-node engine's casts and summation order."""
    kernel, diff_inputs, diff_outputs, out_avals, edges, children, lazy = step
    if lazy:  # a lazy primal the VJP reads arrives as its source; its value is computed here
        primals = list(primals)
        for i, fn in lazy:
            if fn is not None:
                primals[i] = fn(primals[i])
    cotangents = [
        grads[i].astype(out_avals[i][1]) if i in grads else jnp.zeros(*out_avals[i])
        for i in diff_outputs
    ]
    diff_grads = kernel(primals, cotangents)
    result = [None] * len(primals)
    for i, g in zip(diff_inputs, diff_grads):
        result[i] = g
    for target, grad in zip(children, (result[i] for i in edges)):
        if target is None or grad is None:
            continue
        k, nr = target
        buffers[k][nr] = grad if nr not in buffers[k] else buffers[k][nr] + grad


def _log(order: list, signature) -> None:
    leaves = sum(1 for node in order if type(node) is AccumulateGrad)
    closest = _difference(signature)
    print(
        f"torchlike: compiling backward graph ({len(order)} nodes, {leaves} leaves): "
        f"signature seen twice{closest}",
        file=sys.stderr,
    )


def _difference(signature) -> str:
    """What differs from the most recently used compiled graph, for the compile log."""
    if not _graphs:
        return "; no other graph compiled"
    other = next(reversed(_graphs))
    mine, theirs = signature[0], other[0]
    if len(mine) != len(theirs):
        return f"; closest cached graph has {len(theirs)} nodes, this one {len(mine)}"
    for k, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            part = "kernel (op, shapes or dtypes)" if a[0] != b[0] else "topology"
            return f"; differs from the closest cached graph at node {k}: {part}"
    return "; differs from the closest cached graph in its root gradients"


def try_replay(root_nodes, deps, nodes, buffers, retain_graph, accumulate) -> bool:
    """Run the backward as one compiled graph if this graph was seen before; False otherwise."""
    if not _switch["enabled"] or len(nodes) > MAX_NODES:
        return False
    order = _schedule(root_nodes, deps)
    found = _signature(order, buffers)
    if found is None:
        return False
    signature, root_grads = found
    replay = _graphs.get(signature)
    if replay is None:
        if signature not in _seen:
            _seen[signature] = True
            if len(_seen) > _SEEN_LIMIT:
                _seen.popitem(last=False)
            return False
        replay = _Replay(order)
        if not replay.versions_ok(order):
            return False
        if _logging["enabled"]:
            _log(order, signature)
        replay.replay = _build(order, signature)
        _graphs[signature] = replay
        stats["graph_compiles"] += 1
        if len(_graphs) > GRAPH_LIMIT:
            _graphs.popitem(last=False)
    elif not replay.versions_ok(order):
        return False
    _graphs.move_to_end(signature)
    _run(replay.replay, order, signature, root_grads, accumulate)
    stats["graph_replays"] += 1
    if not retain_graph:
        replay.release(order)
    return True


def _run(replay, order, signature, root_grads, accumulate) -> None:
    primals = [
        [] if entry == "leaf" else traced_primals(node, entry[3])
        for node, entry in zip(order, signature[0])
    ]
    leaf_grads = replay(primals, root_grads)
    leaves = (node for node in order if type(node) is AccumulateGrad)
    for node, grad in zip(leaves, leaf_grads):
        if grad is not None:
            accumulate(node.variable, grad, False)
