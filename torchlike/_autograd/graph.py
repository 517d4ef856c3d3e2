"""Graph nodes: what each op records so backward can replay it through jax.vjp.

A node is the `grad_fn` torch users see. Its class name is torch's (`SinBackward0`), its
`next_functions` are torch's `(node, output_nr)` pairs, and it keeps the pure function of
arrays that the op computed plus the input arrays, so JAX can derive the backward.
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp

from .. import _dtype as dt

_sequence = itertools.count()


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle for hooks kept in a list."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """Base of every grad_fn class."""

    __slots__ = ("next_functions", "_seq", "_hooks", "_pre_hooks", "_tensor_hooks",
                 "_retained", "metadata", "__weakref__")  # fmt: skip

    def __init__(self, next_functions: tuple):
        self.next_functions = next_functions
        self._seq = next(_sequence)
        self._hooks = []
        self._pre_hooks = []
        self._tensor_hooks = None  # output_nr -> hooks registered on non-leaf tensors
        self._retained = None  # output_nr -> tensor whose .grad backward fills (retain_grad)
        self.metadata = {}

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn):
        self._hooks.append(fn)
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        self._pre_hooks.append(fn)
        return RemovableHandle(self._pre_hooks, fn)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        from .engine import call_node

        return call_node(self, grads)


class OpNode(Node):
    """A node recorded by an op: fn(*primals) -> outputs, differentiated by JAX on demand."""

    __slots__ = ("fn", "primals", "leaf_tensors", "edges", "diff_inputs", "diff_outputs", "out_avals",
                 "saved_checks", "freed", "saves_nothing")  # fmt: skip

    def _saved_tensor(self, i):
        from .engine import saved_tensor

        return saved_tensor(self, i)


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's .grad."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        super().__init__(())
        self.variable = variable
        self._seq = float("inf")


_NODE_CLASSES: dict[str, type] = {}


def node_class(name: str) -> type:
    """The grad_fn class called `name` (one class per torch name)."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = type(name, (OpNode,), {"__slots__": ()})
        cls.__module__ = "torch.autograd.graph"
        _NODE_CLASSES[name] = cls
    return cls


def edge_of(tensor):
    """The (node, output_nr) pair through which gradient flows into `tensor`."""
    if tensor._grad_fn is not None:
        return (tensor._grad_fn, tensor._output_nr)
    if tensor._requires_grad:
        return (accumulator_of(tensor), 0)
    return (None, 0)


def accumulator_of(tensor) -> AccumulateGrad:
    acc = tensor._accumulator
    if acc is None:
        acc = tensor._accumulator = AccumulateGrad(tensor)
    return acc


def _differentiable(dtype) -> bool:
    return dtype.kind in "fc" or dtype == jnp.bfloat16


def record(fn, leaves, arrays, outputs, name, row=None):
    """Attach a new node computing `outputs` from `leaves` to the outputs as their grad_fn."""
    from .._tensor import Tensor

    diff_outputs = tuple(i for i, t in enumerate(outputs) if _differentiable(t._value.dtype))
    if row is not None and row.nondiff_outputs:
        diff_outputs = tuple(i for i in diff_outputs if i not in row.nondiff_outputs)
    if not diff_outputs:
        return None
    scalar_edges = row is None or row.scalar_edges
    edges = tuple(i for i, l in enumerate(leaves) if scalar_edges or isinstance(l, Tensor))
    node = node_class(name)(
        tuple(edge_of(leaves[i]) if isinstance(leaves[i], Tensor) else (None, 0) for i in edges)
    )
    node.edges = edges
    node.fn = fn
    node.primals = list(arrays)
    node.leaf_tensors = [l if isinstance(l, Tensor) else None for l in leaves]
    node.diff_inputs = tuple(
        i for i, l in enumerate(leaves)
        if isinstance(l, Tensor) and l.requires_grad and _differentiable(arrays[i].dtype)
    )  # fmt: skip
    node.diff_outputs = diff_outputs
    node.out_avals = [(t._value.shape, t._value.dtype) for t in outputs]
    saves = row.saves if row is not None else "inputs"
    node.saves_nothing = saves == "none"
    checks = []
    if saves == "inputs":
        checks = [_saved_check(l) for l in leaves if isinstance(l, Tensor)]
    elif saves == "output":
        checks = [_saved_check(outputs[0], name)]
    node.saved_checks = checks
    node.freed = False
    for i in diff_outputs:
        outputs[i]._grad_fn = node
        outputs[i]._output_nr = i
    return node


def _saved_check(tensor, producer=None):
    grad_fn = tensor._grad_fn
    producer = producer or (None if grad_fn is None else type(grad_fn).__name__)
    return (tensor._storage, tensor._storage.version, tensor.type(), tuple(tensor.shape),
            producer, tensor._output_nr)  # fmt: skip


def check_saved_versions(node: OpNode) -> None:
    for storage, version, type_name, shape, producer, output_nr in node.saved_checks:
        if storage.version != version:
            where = f", which is output {output_nr} of {producer}," if producer else ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{type_name} [{', '.join(map(str, shape))}]]{where} is at "
                f"version {storage.version}; expected version {version} instead. Hint: enable "
                "anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True)."
            )


def register_tensor_hook(tensor, hook):
    """Tensor.register_hook: hooks on a leaf run before accumulation, on a non-leaf on its node."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._grad_fn is None:
        if tensor._hooks is None:
            tensor._hooks = []
        tensor._hooks.append(hook)
        return RemovableHandle(tensor._hooks, hook)
    node = tensor._grad_fn
    if node._tensor_hooks is None:
        node._tensor_hooks = {}
    hooks = node._tensor_hooks.setdefault(tensor._output_nr, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def is_float_dtype(d: dt.dtype) -> bool:
    return d.is_floating_point or d.is_complex
