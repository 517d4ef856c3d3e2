"""torch.autograd.backward and torch.autograd.grad: argument checks, roots, results."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _grad_mode
from .._device import several_devices
from .._tensor import Tensor, from_array
from .engine import accumulate_into, node_vjp, run_backward
from .graph import AccumulateGrad, GradientEdge, edge_of, grad_fn_of
from .kernels import as_array, as_tensor


def _to_tuple(value, length: int) -> tuple:
    if value is None:
        return (None,) * length
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


_ONES: dict = {}  # (shape, dtype) -> a concrete ones array, shared (JAX arrays are immutable)


def _ones(root):
    """The implicit gradient of a scalar root: inside a trace made there, else numpy's ones
    put on the device (no XLA program to compile on a script's first backward), kept. With
    several devices they go where the root is (on a GPU, a backward would otherwise copy them
    there every time)."""
    if isinstance(root, jax.core.Tracer):
        return jnp.ones(root.shape, root.dtype)
    place = root.sharding if several_devices() else None
    key = (root.shape, root.dtype, place)
    ones = _ONES.get(key)
    if ones is None:  # with one device uncommitted, on the default device, as jnp.ones makes it
        ones = jax.device_put(np.ones(root.shape, root.dtype), place)
        if len(_ONES) < 64:
            _ONES[key] = ones
    return ones


def _root_grads(tensors, grad_tensors, create_graph):
    """torch's _make_grads plus the engine's checks: one (edge, gradient) per root."""
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
                grad = _ones(tensor._value)
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
            grad = as_array(grad)
        elif grad is not None:
            grad = as_tensor(grad)
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
            accumulate_into(tensor, g, create_graph)
        elif edge[0] not in executed:
            accumulate_into(tensor, g, create_graph, retained=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):  # fmt: skip
    """torch.autograd.grad."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
            "allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor | GradientEdge) else tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
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
            g = as_tensor(g)
        else:
            g = from_array(as_array(g))
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
    grads = [g if g is None or create_graph else as_array(g) for g in grads]
    outputs = node_vjp(node, grads, create_graph=create_graph)
    result = tuple(None if g is None else as_tensor(g) for g in outputs)
    return result[0] if len(result) == 1 else result


__all__ = ["backward", "grad", "call_node"]
