"""The backward engine: replay recorded nodes in dependency order through jax.vjp.

Each op node's backward is a jitted VJP kernel cached by (function key, input avals,
which inputs and outputs are differentiable), so a repeated op costs one cached call.
With create_graph=True the backward of each node is itself dispatched as an op, so it is
recorded and can be differentiated again. A graph seen again with the same signature runs
as one compiled function instead (compiled.py), unless it needs Python between nodes; in a
graph too large for that, runs of plain nodes become small compiled segments (segments.py).
"""

from __future__ import annotations

import heapq

import jax
import jax.numpy as jnp

from .. import _deferred, _grad_mode
from .._tensor import from_array
from . import compiled, kernels, saved, segments
from .graph import AccumulateGrad, OpNode
from .kernels import as_array, as_tensor, entry_of, primals_for, stats, vjp_facts, zeros
from .recorded import node_vjp_recorded

log_compiles = compiled.log_compiles  # engine.log_compiles(True): one line per graph compile


def node_vjp(node: OpNode, grads: list, create_graph: bool) -> list:
    """Gradients for each input edge of `node` given gradients for each of its outputs."""
    if node.primals is None:  # released after a backward: the saved values are gone
        raise RuntimeError(saved.SECOND_BACKWARD)
    entry = entry_of(node)
    reads, passthrough = vjp_facts(node, entry.key, create_graph)
    saved.check_versions(node, reads if node.saves == "inputs" else ())
    if create_graph:
        return node_vjp_recorded(node, grads, reads, passthrough)
    out_avals = node.out_avals
    cotangents = []
    for i in node.diff_outputs:
        grad = grads[i]
        if grad is None:
            cotangents.append(zeros(out_avals[i]))
            continue
        grad = as_array(grad)
        dtype = out_avals[i][1]
        if grad.dtype != dtype or getattr(grad, "weak_type", True):
            grad = grad.astype(dtype)
        cotangents.append(grad)
    primals = primals_for(node)
    result = [None] * len(primals)
    for i, g in zip(node.diff_inputs, entry.kernel(primals, cotangents)):
        result[i] = g
    return [result[i] for i in node.edges]


def _add(a, b, create_graph):
    if a is None:
        return b
    if b is None:
        return a
    if create_graph:
        return as_tensor(a) + as_tensor(b)
    return kernels.add(as_array(a), as_array(b))


def _collect(roots):
    """Dependency counts of every node reachable from the root edges, and the reachable set."""
    deps: dict = {}
    roots_seen = {node for node, _ in roots if node is not None}
    stack = list(roots_seen)
    while stack:
        for child in stack.pop()._next[::2]:
            if child is None:
                continue
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                if child not in roots_seen:
                    stack.append(child)
    return deps, roots_seen.union(deps)


def _reaches(nodes, targets):
    """Nodes with a path down to some target node: the part of the graph to run.

    Walks up from the targets through each node's consumers (no recursion: graphs get deep).
    """
    consumers: dict = {}
    for node in nodes:
        for child in node._next[::2]:
            if child is not None:
                consumers.setdefault(child, []).append(node)
    result = set()
    stack = [node for target in targets for node in consumers.get(target, ())]
    while stack:
        node = stack.pop()
        if node not in result:
            result.add(node)
            stack.extend(consumers.get(node, ()))
    return result


class _Run:
    """One backward pass: what to run, what to capture, where gradients accumulate."""

    def __init__(self, retain_graph, create_graph, capture, accumulate):
        self.retain_graph, self.create_graph = retain_graph, create_graph
        self.capture, self.accumulate = capture, accumulate
        self.executed = set()


def run_backward(roots, retain_graph, create_graph, capture=None, accumulate=True):
    """Propagate gradients from root edges [(edge, grad)]; return grads at `capture` edges.

    capture: edges whose incoming gradient is returned (autograd.grad, backward(inputs=)).
    accumulate: whether leaves' .grad and retained non-leaf .grad are filled.
    """
    _deferred.flush()  # nodes' primals may be pending results (their lists are updated)
    deps, nodes = _collect([edge for edge, _ in roots])
    buffers: dict = {}
    for (node, nr), grad in roots:
        if node is not None:
            buf = buffers.setdefault(node, {})
            buf[nr] = _add(buf.get(nr), grad, create_graph)
    starts = {node: None for (node, _), _g in roots if node and not deps.get(node)}
    if capture is None and accumulate and _may_compile(create_graph):
        root_nodes = [node for (node, _), _g in roots if node is not None]
        replayed = compiled.try_replay(
            root_nodes, deps, nodes, buffers, retain_graph, accumulate_into
        )
        stats["per_node_runs"] += not replayed
        if not replayed:
            _run_plain(starts, deps, buffers, _Run(retain_graph, False, None, True), len(nodes))
        return [], nodes
    stats["per_node_runs"] += 1
    return _run_general(starts, deps, nodes, buffers, _Run(retain_graph, create_graph, capture,
                                                          accumulate))  # fmt: skip


def _run_plain(starts, deps, buffers, run: _Run, n_nodes: int) -> None:
    """backward() without inputs=, create_graph or anomaly mode: every node runs, in order.

    In a large graph, runs of plain nodes go to a segments.Chunk (compiled when they repeat).
    """
    chunk = None
    if segments.wanted(n_nodes):
        chunk = segments.Chunk(buffers, run.retain_graph, lambda n: _run_one(n, buffers, run),
                               _release)  # fmt: skip
    # A start has no consumer in the graph; every other node is pushed once, when its last
    # consumer has been popped.
    ready = [(-node._seq, id(node), node) for node in starts]
    heapq.heapify(ready)
    pop, push = heapq.heappop, heapq.heappush
    add = None if chunk is None else chunk.add
    with _grad_mode.set_grad_enabled(False):
        while ready:
            node = pop(ready)[2]
            if add is None:
                _run_one(node, buffers, run)
            elif not add(node):
                chunk.flush()
                _run_one(node, buffers, run)
            for child in node._next[::2]:
                if child is not None:
                    left = deps[child] = deps[child] - 1
                    if not left:
                        push(ready, (-child._seq, id(child), child))
        if chunk is not None:
            chunk.flush()


def _run_one(node, buffers: dict, run: _Run) -> None:
    """Run one node on its waiting gradients and pass its results to its inputs' slots."""
    outputs = _run_node(node, buffers.pop(node, None) or {}, run)
    edges = iter(node._next)
    for child, nr, grad in zip(edges, edges, outputs):
        if child is None or grad is None:
            continue
        buf = buffers.get(child)
        if buf is None:
            buffers[child] = {nr: grad}
        else:
            buf[nr] = _add(buf.get(nr), grad, run.create_graph)
    if not run.retain_graph:
        _release(node)


def _run_general(starts, deps, nodes, buffers, run: _Run):
    """The full engine: captures (autograd.grad, inputs=), create_graph, anomaly mode."""
    capture = run.capture
    capture_index = {}
    if capture is not None:
        for k, edge in enumerate(capture):
            capture_index.setdefault(edge, []).append(k)
        wanted = _reaches(nodes, {edge[0] for edge in capture})
    else:
        wanted = nodes
    captured = [None] * (len(capture) if capture is not None else 0)
    # roots may name one node twice (two outputs of one op, or the same tensor): run it once
    ready = [(-node._seq, id(node), node) for node in starts]
    heapq.heapify(ready)
    queued = set(starts)
    with _grad_mode.set_grad_enabled(run.create_graph):
        while ready:
            _, _, node = heapq.heappop(ready)
            if capture_index:
                grads = buffers.get(node) or {}
                for nr in list(grads):
                    for k in capture_index.get((node, nr), ()):
                        captured[k] = _capture_hooks(node, nr, grads[nr], run)
            if node in wanted:
                run.executed.add(node)
                _run_one(node, buffers, run)
            else:
                buffers.pop(node, None)
            for child in node._next[::2]:
                if child is None:
                    continue
                deps[child] -= 1
                if deps[child] == 0 and child not in queued:
                    queued.add(child)
                    heapq.heappush(ready, (-child._seq, id(child), child))
    return captured, run.executed


def _may_compile(create_graph: bool) -> bool:
    """Whole-graph replay needs no Python between nodes: no create_graph, no anomaly mode."""
    return not create_graph and not _grad_mode.anomaly["enabled"]


def _release(node) -> None:
    """After a backward without retain_graph, drop what the node saved, as torch frees it.

    A node that saved nothing may run again, so it keeps the shapes of its inputs.
    """
    if not isinstance(node, OpNode):
        if hasattr(node, "release"):
            node.release()
        return
    if node.primals is None or node.freed:
        return
    entry = entry_of(node)
    saved.release(node, entry, saved.release_drops(node, entry))


def _capture_hooks(node, nr, grad, run):
    """autograd.grad applies a captured input's tensor hooks (leaf or not) to its gradient."""
    if isinstance(node, AccumulateGrad):
        return _tensor_hooks(node.variable._hooks or (), grad)
    return _tensor_hooks((node._tensor_hooks or {}).get(nr, ()), grad)


def _hook_name(hook) -> str:
    return getattr(hook, "__name__", type(hook).__name__)


def _tensor_hooks(hooks, grad):
    """Tensor hooks in order: each may return a replacement gradient of the same size."""
    for hook in list(hooks):
        new = hook(as_tensor(grad))
        if new is None:
            continue
        if tuple(new.shape) != tuple(grad.shape):
            raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
        grad = new
    return grad


def _run_node(node, grads: dict, run: _Run):
    for hook in node._pre_hooks:
        result = hook(_grads_tuple(node, grads))
        if result is not None:
            grads = {i: g for i, g in enumerate(result) if g is not None}
    if node._tensor_hooks:
        for nr, hooks in node._tensor_hooks.items():
            if nr in grads:
                grads[nr] = _tensor_hooks(hooks, grads[nr])
    if node._retained:
        for nr, tensor_ref in node._retained.items():
            tensor = tensor_ref()
            if tensor is not None and nr in grads:
                accumulate_into(tensor, grads[nr], run.create_graph, retained=True)
    if isinstance(node, AccumulateGrad):
        if run.accumulate and 0 in grads:
            accumulate_into(node.variable, grads[0], run.create_graph)
        outputs = ()
    elif _grad_mode.anomaly["enabled"]:
        outputs = _backward_with_anomaly_report(node, grads, run)
    else:
        outputs = _node_backward(node, grads, run)
    if node._hooks:
        grad_inputs = tuple(None if g is None else as_tensor(g) for g in outputs)
        grad_outputs = _grads_tuple(node, grads)
        for hook in node._hooks:
            result = hook(grad_inputs, grad_outputs)
            if result is not None:
                if len(result) != len(grad_inputs):
                    raise RuntimeError(
                        f"hook '{_hook_name(hook)}' has returned an incorrect number of values "
                        f"(got {len(result)}, but expected {len(grad_inputs)})"
                    )
                grad_inputs = tuple(result)
        outputs = list(grad_inputs)
    return outputs


def _node_backward(node, grads: dict, run: _Run):
    if isinstance(node, OpNode):
        return node_vjp(node, _grads_list(node, grads), run.create_graph)
    return node.apply_backward(_grads_list(node, grads), run.create_graph)


def _backward_with_anomaly_report(node, grads: dict, run: _Run):
    """detect_anomaly: NaN results raise, and a failing node reports where it was created."""
    import warnings

    try:
        outputs = _node_backward(node, grads, run)
        if _grad_mode.anomaly["check_nan"]:
            _check_nan(node, outputs)
    except Exception:
        stack = (node._metadata or {}).get("traceback_")
        if stack is not None:
            warnings.warn(
                f"Error detected in {type(node).__name__}. Traceback of forward call that caused "
                f"the error:\n{''.join(stack)} (Triggered internally at "
                "/__w/pytorch/pytorch/torch/csrc/autograd/python_anomaly_mode.cpp:122.)",
                UserWarning,
                stacklevel=2,
            )
        raise
    return outputs


def _check_nan(node, outputs) -> None:
    """detect_anomaly: a backward that produced NaN names itself."""
    for i, g in enumerate(outputs):
        if g is not None and bool(jnp.isnan(as_array(g)).any()):
            raise RuntimeError(
                f"Function '{type(node).__name__}' returned nan values in its {i}th output."
            )


def _n_outputs(node) -> int:
    if isinstance(node, OpNode):
        return len(node.out_avals)
    return getattr(node, "n_outputs", 1)


def _grads_list(node, grads: dict) -> list:
    return [grads.get(i) for i in range(_n_outputs(node))]


def _grads_tuple(node, grads: dict) -> tuple:
    return tuple(None if g is None else as_tensor(g) for g in _grads_list(node, grads))


def accumulate_into(tensor, grad, create_graph: bool, retained: bool = False) -> None:
    """AccumulateGrad: the first gradient is stored, later ones are added in place."""
    if not retained and tensor._hooks:
        grad = _tensor_hooks(tensor._hooks, grad)
    grad = as_tensor(grad) if create_graph else as_array(grad)
    if isinstance(grad, jax.Array | jax.core.Tracer) and grad.dtype != tensor._value.dtype:
        grad = grad.astype(tensor._value.dtype)
    existing = tensor._grad
    if existing is None:
        tensor._grad = grad if create_graph else from_array(grad)
    elif create_graph or existing.requires_grad:
        tensor._grad = existing + as_tensor(grad)
    else:
        existing._write(kernels.add(existing._value, grad))


__all__ = ["log_compiles", "node_vjp", "run_backward", "stats"]
