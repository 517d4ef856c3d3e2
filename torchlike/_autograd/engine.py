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
from . import saved
from .graph import AccumulateGrad, GradientEdge, OpNode, accumulator_of, edge_of, grad_fn_of

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
        # torch's gradient of a complex tensor is the conjugate of JAX's cotangent.
        grads = pullback(tuple(_conj(c) for c in cotangents))
        return tuple(_conj(g) for g in grads)

    return kernel


def _conj(array):
    return jnp.conj(array) if jnp.iscomplexobj(array) else array


def _kernel_key(node: OpNode):
    """(function key, input avals, differentiable inputs and outputs), computed once per node."""
    if node.kernel_key is not False:
        return node.kernel_key
    key = getattr(node.fn, "key", None)
    if key is not None:
        avals = tuple((a.shape, a.dtype) for a in node.primals)
        key = (key, avals, node.diff_inputs, node.diff_outputs)
    node.kernel_key = key
    return key


def _kernel_for(node: OpNode, full_key):
    if full_key is None:
        return _vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
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


def _vjp_facts(node: OpNode, full_key, create_graph: bool) -> tuple:
    """(primals the JAX VJP reads, pass-through gradients); skipped where nothing needs them."""
    if node.saves == "none" and full_key is not None and not create_graph:
        return (), {}
    reads, passthrough = saved.vjp_facts(
        node, full_key, lambda: _vjp_kernel(node.fn, node.diff_inputs, node.diff_outputs)
    )
    if isinstance(node.fn, _RecordedBackward):
        # torch's derivative formulas mention the primals they started from (pow(x, 0)),
        # so a gradient of a gradient stays connected to them; only cotangents drop out.
        reads = tuple(sorted(set(reads) | set(range(len(node.fn.reads)))))
    return reads, passthrough


def _zeros(aval):
    shape, dtype = aval
    return jnp.zeros(shape, dtype)


def node_vjp(node: OpNode, grads: list, create_graph: bool) -> list:
    """Gradients for each input edge of `node` given gradients for each of its outputs."""
    if node.primals is None:  # released after a backward: the saved values are gone
        raise RuntimeError(saved.SECOND_BACKWARD)
    full_key = _kernel_key(node)
    reads, passthrough = _vjp_facts(node, full_key, create_graph)
    used = reads if node.saves == "inputs" else ()
    saved.check_versions(node, used)
    if create_graph:
        return _node_vjp_recorded(node, grads, reads, passthrough)
    cotangents = [
        _as_array(grads[i]).astype(node.out_avals[i][1])
        if grads[i] is not None
        else _zeros(node.out_avals[i])
        for i in node.diff_outputs
    ]
    diff_grads = _kernel_for(node, full_key)(_concrete(node.primals), cotangents)
    result = [None] * len(node.primals)
    for i, g in zip(node.diff_inputs, diff_grads):
        result[i] = g
    return [result[i] for i in node.edges]


# The op that ends torch's backward formula for a node: the grad_fn a create_graph gradient
# shows (most elementwise formulas end in `grad * ...`, hence the default).
_BACKWARD_NAMES = {
    "SumBackward0": "ExpandBackward0", "SumBackward1": "ExpandBackward0",
    "MeanBackward0": "DivBackward0", "MeanBackward1": "DivBackward0",
    "DivBackward0": "DivBackward0", "LogBackward0": "DivBackward0",
    "SqrtBackward0": "DivBackward0", "NegBackward0": "NegBackward0",
    "ViewBackward0": "ViewBackward0", "TBackward0": "TBackward0",
    "TransposeBackward0": "TransposeBackward0", "PermuteBackward0": "PermuteBackward0",
    "UnsqueezeBackward0": "SqueezeBackward1", "MmBackward0": "MmBackward0",
    "ToCopyBackward0": "ToCopyBackward0", "SelectBackward0": "SelectBackwardBackward0",
    "SliceBackward0": "SliceBackwardBackward0", "TanhBackward0": "TanhBackwardBackward0",
    "SigmoidBackward0": "SigmoidBackwardBackward0", "ReluBackward0": "ThresholdBackwardBackward0",
    "SoftmaxBackward0": "SoftmaxBackwardDataBackward0",
    "LogSoftmaxBackward0": "LogSoftmaxBackwardDataBackward0",
}  # fmt: skip


class _RecordedBackward:
    """A node's VJP as a function of (the primals it reads..., cotangents...).

    The primals it does not read cannot change its result, so it is cached like an op.
    """

    __slots__ = ("kernel", "primals", "reads", "key")

    def __init__(self, node: OpNode, reads: tuple):
        full_key = _kernel_key(node)
        self.kernel = _kernel_for(node, full_key)  # jitted and cached when the node has a key
        self.primals, self.reads = _concrete(node.primals), reads
        self.key = None if full_key is None else ("backward", full_key, reads)

    def __call__(self, *arrays):
        full = list(self.primals)
        for i, a in zip(self.reads, arrays[: len(self.reads)]):
            full[i] = a
        return tuple(self.kernel(full, arrays[len(self.reads) :]))


def _node_vjp_recorded(node: OpNode, grads: list, reads: tuple, passthrough: dict) -> list:
    """The node's backward run as a recorded op, so its result can be differentiated again.

    Only the primals the backward reads become inputs of the recorded op, so a gradient
    that does not depend on x (that of x * 2) does not require grad, as in torch; a gradient
    that passes through unchanged (that of a + b) is the incoming gradient itself.
    """
    from .._ops.dispatch import apply_fn
    from .._tensor import from_array

    backward_fn = _RecordedBackward(node, reads)
    cot_tensors = [
        _as_tensor(grads[i]) if grads[i] is not None else from_array(_zeros(node.out_avals[i]))
        for i in node.diff_outputs
    ]
    outs = [cot_tensors[passthrough[k]] if k in passthrough else None
            for k in range(len(node.diff_inputs))]  # fmt: skip
    if any(o is None for o in outs):
        leaves = [saved_tensor(node, i) for i in reads] + cot_tensors
        name = _BACKWARD_NAMES.get(type(node).__name__, "MulBackward0")
        with _grad_mode.enable_grad():
            computed = apply_fn(backward_fn, leaves, [t._value for t in leaves], name)
        outs = [o if o is not None else c for o, c in zip(outs, computed)]
    result = [None] * len(node.primals)
    for i, g in zip(node.diff_inputs, outs):
        result[i] = g
    return [result[i] for i in node.edges]


def saved_tensor(node: OpNode, i: int):
    """Input i of `node` as a tensor, connected to the graph as it was when recorded."""
    from .._tensor import from_array

    tensor = from_array(node.primals[i])
    if i in node.edges:
        grad_node, nr = node.next_functions[node.edges.index(i)]
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
        children = [child for child, _ in node.next_functions if child is not None]
        result = any(child in targets or visit(child) for child in children)
        memo[node] = result
        return result

    for node in nodes:
        visit(node)
    return {n for n, ok in memo.items() if ok}


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
    run = _Run(retain_graph, create_graph, capture, accumulate)
    captured = [None] * (len(capture) if capture is not None else 0)

    ready = [(-node._seq, id(node), node) for (node, _), _g in roots if node and not deps.get(node)]
    heapq.heapify(ready)
    queued = {item[2] for item in ready}
    with _grad_mode.set_grad_enabled(create_graph):
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node, {})
            for nr in list(grads):
                for k in capture_index.get((node, nr), ()):
                    captured[k] = _capture_hooks(node, nr, grads[nr], run)
            if node in wanted:
                run.executed.add(node)
                outputs = _run_node(node, grads, run)
                for (child, nr), grad in zip(node.next_functions, outputs):
                    if child is None or grad is None:
                        continue
                    buf = buffers.setdefault(child, {})
                    buf[nr] = _add(buf.get(nr), grad, create_graph)
                if not retain_graph:
                    _release(node)
            for child, _ in node.next_functions:
                if child is None:
                    continue
                deps[child] -= 1
                if deps[child] == 0 and child not in queued:
                    queued.add(child)
                    heapq.heappush(ready, (-child._seq, id(child), child))
    return captured, run.executed


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
    reads, _ = _vjp_facts(node, _kernel_key(node), True)
    node.freed = True
    if reads or saved.saves_anything(node, reads if node.saves == "inputs" else ()):
        node.primals = None
    else:
        node.primals = [jax.ShapeDtypeStruct(p.shape, p.dtype) for p in node.primals]
    node.saved_inputs, node.saved_output = (), None


def _concrete(primals) -> list:
    """Primals with released (shape-only) entries filled with zeros the VJP does not read."""
    return [
        jnp.zeros(p.shape, p.dtype) if isinstance(p, jax.ShapeDtypeStruct) else p for p in primals
    ]


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
        new = hook(_as_tensor(grad))
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
                _accumulate_into(tensor, grads[nr], run.create_graph, retained=True)
    if isinstance(node, AccumulateGrad):
        if run.accumulate and 0 in grads:
            _accumulate_into(node.variable, grads[0], run.create_graph)
        outputs = ()
    elif _grad_mode.anomaly["enabled"]:
        outputs = _backward_with_anomaly_report(node, grads, run)
    else:
        outputs = _node_backward(node, grads, run)
    if node._hooks:
        grad_inputs = tuple(None if g is None else _as_tensor(g) for g in outputs)
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
        if g is not None and bool(jnp.isnan(_as_array(g)).any()):
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
    return tuple(None if g is None else _as_tensor(g) for g in _grads_list(node, grads))


def _accumulate_into(tensor, grad, create_graph: bool, retained: bool = False) -> None:
    """AccumulateGrad: the first gradient is stored, later ones are added in place."""
    from .._tensor import from_array

    if not retained and tensor._hooks:
        grad = _tensor_hooks(tensor._hooks, grad)
    grad = _as_tensor(grad) if create_graph else _as_array(grad)
    if isinstance(grad, jax.Array | jax.core.Tracer) and grad.dtype != tensor._value.dtype:
        grad = grad.astype(tensor._value.dtype)
    existing = tensor._grad
    if existing is None:
        tensor._grad = grad if create_graph else from_array(grad)
    elif create_graph or existing.requires_grad:
        tensor._grad = existing + _as_tensor(grad)
    else:
        existing._write(existing._value + grad)


def _to_tuple(value, length: int) -> tuple:
    from .._tensor import Tensor

    if value is None:
        return (None,) * length
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _root_grads(tensors, grad_tensors, create_graph):
    """torch's _make_grads plus the engine's checks: one (edge, gradient) per root."""
    from .._tensor import Tensor

    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    roots = []
    for k, tensor in enumerate(tensors):
        grad = grad_tensors[k]
        if isinstance(grad, Tensor):
            if grad.shape != tensor.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{k}] has a shape of {grad.shape} and "
                    f"output[{k}] has a shape of {tensor.shape}."
                )
            if tensor.dtype.is_complex != grad.dtype.is_complex:
                raise RuntimeError(
                    "For complex Tensors, both grad_output and output are required to have the "
                    f"same dtype. Mismatch in dtype: grad_output[{k}] has a dtype of "
                    f"{grad.dtype} and output[{k}] has a dtype of {tensor.dtype}."
                )
        elif grad is None:
            if tensor.requires_grad:
                if tensor.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not tensor.dtype.is_floating_point:
                    raise RuntimeError(
                        "grad can be implicitly created only for real scalar outputs but got "
                        f"{tensor.dtype}"
                    )
                grad = jnp.ones(tensor._value.shape, tensor._value.dtype)
        else:
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(grad).__name__}"
            )
        roots.append(grad)
    result = []
    for k, (tensor, grad) in enumerate(zip(tensors, roots)):
        if not tensor.requires_grad:
            raise RuntimeError(
                f"element {k} of tensors does not require grad and does not have a grad_fn"
            )
        if grad is not None and not create_graph:
            grad = _as_array(grad)
        elif grad is not None:
            grad = _as_tensor(grad)
        result.append((edge_of(tensor), grad))
    return result


def _input_edge(tensor):
    """Where an input's gradient arrives; a leaf never used in a graph has no edge yet."""
    node = grad_fn_of(tensor)
    if node is not None:
        return (node, tensor._output_nr)
    if tensor._requires_grad and tensor._accumulator is not None:
        return (tensor._accumulator, 0)
    return (None, 0)


_warned_create_graph = []


def _warn_create_graph() -> None:
    import warnings

    if _warned_create_graph:
        return
    _warned_create_graph.append(True)
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this function, "
        "make sure to reset the .grad fields of your parameters to None after use to break the "
        "cycle and avoid the leak. (Triggered internally at "
        "/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)",
        UserWarning,
        stacklevel=3,
    )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):  # fmt: skip
    """torch.autograd.backward."""
    from .._tensor import Tensor

    if grad_variables is not None:
        grad_tensors = grad_variables
    if inputs is not None and not isinstance(inputs, Tensor) and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs or ())
    grad_tensors = _to_tuple(grad_tensors, len(tensors))
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors, create_graph)
    if create_graph:
        _warn_create_graph()
    if not inputs:
        run_backward(roots, retain_graph, create_graph)
        return
    for tensor in inputs:
        tensor.retain_grad()
    edges = [_input_edge(t) for t in inputs]
    grads, executed = run_backward(roots, retain_graph, create_graph, capture=edges)
    for tensor, edge, g in zip(inputs, edges, grads):
        if g is None:
            continue
        if isinstance(edge[0], AccumulateGrad):
            _accumulate_into(tensor, g, create_graph)
        elif edge[0] not in executed:
            _accumulate_into(tensor, g, create_graph, retained=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):  # fmt: skip
    """torch.autograd.grad."""
    from .._tensor import Tensor

    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
            "allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor | GradientEdge) else tuple(inputs)
    if not only_inputs:
        import warnings

        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    grad_outputs = _to_tuple(grad_outputs, len(outputs))
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)  # fmt: skip
    roots = _root_grads(outputs, grad_outputs, create_graph)
    edges = []
    for item in inputs:
        if isinstance(item, GradientEdge):
            edges.append((item.node, item.output_nr))
            continue
        if not item.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edges.append(_input_edge(item))
    grads, _ = run_backward(roots, retain_graph, create_graph, capture=edges, accumulate=False)
    return _finish_grads(inputs, grads, create_graph, allow_unused, materialize_grads)


def _finish_grads(inputs, grads, create_graph, allow_unused, materialize_grads) -> tuple:
    from .._tensor import Tensor, from_array

    result = []
    for k, (tensor, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {k} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                if not isinstance(tensor, Tensor):
                    raise RuntimeError(
                        "materialize_grads cannot be used when the given input is a GradientEdge"
                    )
                g = from_array(jnp.zeros(tensor._value.shape, tensor._value.dtype))
        elif create_graph:
            g = _as_tensor(g)
        else:
            g = from_array(_as_array(g))
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):  # fmt: skip
    """is_grads_batched=True: one backward per row of the grad_outputs, stacked."""
    from .._ops import FUNCTIONS

    for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is not None and tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                "as the batch dimension. The sizes of the remaining dimensions are expected to "
                f"match the shape of corresponding output, but a mismatch was detected: "
                f"grad_output[{k}] has a shape of {g.shape[1:]} and output[{k}] has a shape of "
                f"{out.shape}. If you only want some tensors in `grad_output` to be considered "
                "batched, consider using vmap."
            )
    batch = next(g.shape[0] for g in grad_outputs if g is not None)
    rows = []
    for b in range(batch):
        row_grads = tuple(None if g is None else g[b] for g in grad_outputs)
        rows.append(grad(outputs, inputs, row_grads, True if b < batch - 1 else retain_graph,
                         create_graph, allow_unused=allow_unused,
                         materialize_grads=materialize_grads))  # fmt: skip
    return tuple(
        None if parts[0] is None else FUNCTIONS["stack"](list(parts)) for parts in zip(*rows)
    )


def call_node(node, grads):
    """Calling a grad_fn directly, as torch allows: its input gradients for these outputs.

    Like any op, the call is recorded when grad mode is on.
    """
    create_graph = _grad_mode.is_grad_enabled()
    grads = [g if g is None or create_graph else _as_array(g) for g in grads]
    outputs = node_vjp(node, grads, create_graph=create_graph)
    result = tuple(None if g is None else _as_tensor(g) for g in outputs)
    return result[0] if len(result) == 1 else result


__all__ = ["backward", "grad", "accumulator_of"]
