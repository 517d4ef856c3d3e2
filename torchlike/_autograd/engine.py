"""The backward engine: replay recorded nodes in dependency order through jax.vjp.

Each op node's backward is a jitted VJP kernel cached by (function key, input avals,
which inputs and outputs are differentiable), so a repeated op costs one cached call.
With create_graph=True the backward of each node is itself dispatched as an op, so it is
recorded and can be differentiated again.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict

import jax
import jax.numpy as jnp

from .. import _grad_mode
from .graph import AccumulateGrad, OpNode, accumulator_of, check_saved_versions, edge_of

_KERNEL_LIMIT = 4096
_kernels: OrderedDict = OrderedDict()
stats = {"kernel_compiles": 0}


def _vjp_kernel(fn, diff_inputs, diff_outputs):
    def kernel(primals, cotangents):
        def f(*diff):
            full = list(primals)
            for i, v in zip(diff_inputs, diff):
                full[i] = v
            out = fn(*full)
            outs = out if isinstance(out, tuple | list) else (out,)
            return tuple(outs[i] for i in diff_outputs)

        _, pullback = jax.vjp(f, *(primals[i] for i in diff_inputs))
        return pullback(tuple(cotangents))

    return kernel


def _kernel_for(node: OpNode):
    key = getattr(node.fn, "key", None)
    if key is None:
        return _vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
    avals = tuple((a.shape, a.dtype) for a in node.primals)
    full_key = (key, avals, node.diff_inputs, node.diff_outputs)
    kernel = _kernels.get(full_key)
    if kernel is None:
        kernel = jax.jit(_vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs))
        stats["kernel_compiles"] += 1
        _kernels[full_key] = kernel
        if len(_kernels) > _KERNEL_LIMIT:
            _kernels.popitem(last=False)
    else:
        _kernels.move_to_end(full_key)
    return kernel


def _zeros(aval):
    shape, dtype = aval
    return jnp.zeros(shape, dtype)


def node_vjp(node: OpNode, grads: list, create_graph: bool) -> list:
    """Gradients for each input edge of `node` given gradients for each of its outputs."""
    if node.freed:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward() or autograd.grad(). Specify "
            "retain_graph=True if you need to backward through the graph a second time or if "
            "you need to access saved tensors after calling backward."
        )
    check_saved_versions(node)
    if create_graph:
        return _node_vjp_recorded(node, grads)
    cotangents = [
        _as_array(grads[i]) if grads[i] is not None else _zeros(node.out_avals[i])
        for i in node.diff_outputs
    ]
    cotangents = [c.astype(node.out_avals[i][1]) for c, i in zip(cotangents, node.diff_outputs)]
    diff_grads = _kernel_for(node)(node.primals, cotangents)
    result = [None] * len(node.primals)
    for i, g in zip(node.diff_inputs, diff_grads):
        result[i] = g
    return [result[i] for i in node.edges]


def _node_vjp_recorded(node: OpNode, grads: list) -> list:
    """The node's backward run as a recorded op, so its result can be differentiated again."""
    from .._ops.dispatch import apply_fn
    from .._tensor import from_array

    kernel = _vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
    n = len(node.primals)

    def backward_fn(*arrays):
        return tuple(kernel(arrays[:n], arrays[n:]))

    primal_tensors = [saved_tensor(node, i) for i in range(n)]
    cot_tensors = [
        _as_tensor(grads[i]) if grads[i] is not None else from_array(_zeros(node.out_avals[i]))
        for i in node.diff_outputs
    ]
    leaves = primal_tensors + cot_tensors
    arrays = [t._value for t in leaves]
    name = f"{type(node).__name__}Backward"
    with _grad_mode.enable_grad():
        outs = apply_fn(backward_fn, leaves, arrays, name)
    result = [None] * n
    for i, g in zip(node.diff_inputs, outs):
        result[i] = g
    return [result[i] for i in node.edges]


def saved_tensor(node: OpNode, i: int):
    """Input i of `node` as a tensor, connected to the graph as it was when recorded."""
    from .._tensor import from_array

    leaf = node.leaf_tensors[i]
    if leaf is not None and leaf._grad_fn is None and leaf._requires_grad:
        return leaf
    tensor = from_array(node.primals[i])
    if i not in node.edges:
        return tensor
    grad_node, nr = node.next_functions[node.edges.index(i)]
    if isinstance(grad_node, AccumulateGrad):
        return grad_node.variable
    if grad_node is not None:
        tensor._grad_fn, tensor._output_nr = grad_node, nr
    return tensor


def _as_array(g):
    from .._tensor import Tensor

    return g._value if isinstance(g, Tensor) else g


def _as_tensor(g):
    from .._tensor import Tensor, from_array

    return g if isinstance(g, Tensor) else from_array(g)


def _add(a, b, create_graph):
    if a is None:
        return b
    if b is None:
        return a
    if create_graph:
        return _as_tensor(a) + _as_tensor(b)
    return _as_array(a) + _as_array(b)


def _collect(roots):
    """Dependency counts of every node reachable from the root edges."""
    deps: dict = {}
    stack = [node for node, _ in roots if node is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for child, _ in node.next_functions:
            if child is not None:
                deps[child] = deps.get(child, 0) + 1
                stack.append(child)
    return deps, seen


def _reaches(nodes, targets):
    """Nodes with a path down to some target node: the part of the graph to run."""
    memo = {}

    def visit(node):
        if node in memo:
            return memo[node]
        memo[node] = False
        result = any(
            child in targets or visit(child) for child, _ in node.next_functions if child is not None
        )
        memo[node] = result
        return result

    for node in nodes:
        visit(node)
    return {n for n, ok in memo.items() if ok}


def run_backward(roots, retain_graph, create_graph, capture=None, accumulate=True):
    """Propagate gradients from root edges [(edge, grad)]; return grads at `capture` edges.

    capture: list of edges whose incoming gradient is returned instead of accumulated.
    """
    deps, nodes = _collect([edge for edge, _ in roots])
    buffers: dict = {}
    for (node, nr), grad in roots:
        if node is not None:
            buf = buffers.setdefault(node, {})
            buf[nr] = _add(buf.get(nr), grad, create_graph)
    capture_index = {}
    if capture is not None:
        for k, edge in enumerate(capture):
            capture_index.setdefault(edge, []).append(k)
        wanted = _reaches(nodes, {edge[0] for edge in capture})
    else:
        wanted = nodes
    captured = [None] * (len(capture) if capture is not None else 0)

    ready = [(-node._seq, id(node), node) for (node, _), _g in roots if node and not deps.get(node)]
    heapq.heapify(ready)
    queued = {item[2] for item in ready}
    with _grad_mode.set_grad_enabled(create_graph):
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node, {})
            for nr, ks in ((nr, capture_index.get((node, nr))) for nr in list(grads)):
                for k in ks or ():
                    captured[k] = grads[nr]
            if node in wanted:
                outputs = _run_node(node, grads, create_graph, accumulate and capture is None)
                for (child, nr), grad in zip(node.next_functions, outputs):
                    if child is None or grad is None:
                        continue
                    buf = buffers.setdefault(child, {})
                    buf[nr] = _add(buf.get(nr), grad, create_graph)
            for child, _ in node.next_functions:
                if child is None:
                    continue
                deps[child] -= 1
                if deps[child] == 0 and child not in queued:
                    queued.add(child)
                    heapq.heappush(ready, (-child._seq, id(child), child))
            if not retain_graph and isinstance(node, OpNode) and node in wanted:
                node.freed = not node.saves_nothing
    return captured


def _run_node(node, grads: dict, create_graph: bool, accumulate: bool):
    for hook in node._pre_hooks:
        result = hook(_grads_tuple(node, grads))
        if result is not None:
            grads = dict(enumerate(result))
    if node._tensor_hooks:
        for nr, hooks in node._tensor_hooks.items():
            for hook in list(hooks):
                if nr in grads:
                    new = hook(_as_tensor(grads[nr]))
                    if new is not None:
                        grads[nr] = new
    if node._retained:
        for nr, tensor_ref in node._retained.items():
            tensor = tensor_ref()
            if tensor is not None and nr in grads:
                _accumulate_into(tensor, grads[nr], create_graph, retained=True)
    if isinstance(node, AccumulateGrad):
        if accumulate and 0 in grads:
            _accumulate_into(node.variable, grads[0], create_graph)
        return ()
    if isinstance(node, OpNode):
        outputs = node_vjp(node, _grads_list(node, grads), create_graph)
    else:
        outputs = node.apply_backward(_grads_list(node, grads), create_graph)
    if node._hooks:
        grad_inputs = tuple(None if g is None else _as_tensor(g) for g in outputs)
        grad_outputs = _grads_tuple(node, grads)
        for hook in node._hooks:
            result = hook(grad_inputs, grad_outputs)
            if result is not None:
                grad_inputs = tuple(result)
        outputs = list(grad_inputs)
    return outputs


def _n_outputs(node) -> int:
    if isinstance(node, OpNode):
        return len(node.out_avals)
    return getattr(node, "n_outputs", 1)


def _grads_list(node, grads: dict) -> list:
    return [grads.get(i) for i in range(_n_outputs(node))]


def _grads_tuple(node, grads: dict) -> tuple:
    return tuple(None if g is None else _as_tensor(g) for g in _grads_list(node, grads))


def _accumulate_into(tensor, grad, create_graph: bool, retained: bool = False) -> None:
    from .._tensor import from_array

    grad = _as_tensor(grad) if create_graph else _as_array(grad)
    if not retained and tensor._hooks:
        for hook in list(tensor._hooks):
            new = hook(_as_tensor(grad))
            if new is not None:
                grad = new if create_graph else _as_array(new)
    if isinstance(grad, jax.Array | jax.core.Tracer) and grad.dtype != tensor._value.dtype:
        grad = grad.astype(tensor._value.dtype)
    existing = tensor._grad
    if existing is None:
        tensor._grad = grad if create_graph else from_array(grad)
    elif create_graph or existing.requires_grad:
        tensor._grad = existing + _as_tensor(grad)
    else:
        existing._write(existing._value + grad)


def _root_grads(tensors, grad_tensors, create_graph):
    from .._tensor import Tensor, from_array

    roots = []
    for k, tensor in enumerate(tensors):
        if not tensor.requires_grad:
            raise RuntimeError(
                f"element {k} of tensors does not require grad and does not have a grad_fn"
            )
        grad = None if grad_tensors is None else grad_tensors[k]
        if grad is None:
            if tensor.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not tensor.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{tensor.dtype}"
                )
            grad = jnp.ones(tensor._value.shape, tensor._value.dtype)
        elif isinstance(grad, Tensor):
            if grad.shape != tensor.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{k}] has a shape of {grad.shape} and "
                    f"output[{k}] has a shape of {tensor.shape}."
                )
            grad = grad if create_graph else grad._value
        else:
            grad = jnp.asarray(grad, tensor._value.dtype)
        if create_graph:
            grad = _as_tensor(grad)
        roots.append((edge_of(tensor), grad))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """torch.autograd.backward."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors, create_graph)
    if inputs is not None:
        from .._tensor import Tensor

        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        edges = [edge_of(t) for t in inputs]
        grads = run_backward(roots, retain_graph, create_graph, capture=edges)
        for tensor, grad in zip(inputs, grads):
            if grad is not None:
                _accumulate_into(tensor, grad, create_graph, retained=tensor._grad_fn is not None)
        return
    run_backward(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):  # fmt: skip
    """torch.autograd.grad."""
    from .._tensor import Tensor, from_array

    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is not None:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
        if len(grad_outputs) != len(outputs):
            raise RuntimeError(
                f"grad requires one grad_output per output, got {len(grad_outputs)} grad_outputs "
                f"and {len(outputs)} outputs"
            )
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for k, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _root_grads(outputs, grad_outputs, create_graph)
    edges = [edge_of(t) for t in inputs]
    grads = run_backward(roots, retain_graph, create_graph, capture=edges)
    result = []
    for tensor, g in zip(inputs, grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = jnp.zeros(tensor._value.shape, tensor._value.dtype)
        if g is not None:
            g = _as_tensor(g) if create_graph else from_array(_as_array(g))
        result.append(g)
    return tuple(result)


def call_node(node, grads):
    """Calling a grad_fn directly, as torch allows: its input gradients for these outputs."""
    outputs = node_vjp(node, list(grads), create_graph=False)
    return tuple(None if g is None else _as_tensor(g) for g in outputs)


__all__ = ["backward", "grad", "accumulator_of"]
