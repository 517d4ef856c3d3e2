"""Graph nodes: what each op records so backward can replay it through jax.vjp.

A node is the `grad_fn` torch users see. Its class name is torch's (`SinBackward0`), its
`next_functions` are torch's `(node, output_nr)` pairs, and it keeps the pure function of
arrays that the op computed plus the input arrays, so JAX can derive the backward.
"""

from __future__ import annotations

import itertools
import os
import traceback
from typing import NamedTuple

import jax.numpy as jnp

from .. import _dtype as dt
from .. import _grad_mode
from . import saved
from .views import view_grad_fn

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
    """torch.autograd.graph.Node: the base of every grad_fn class."""

    __slots__ = ("_next", "_seq", "_hooks", "_pre_hooks", "_tensor_hooks", "_retained",
                 "_metadata", "__weakref__")  # fmt: skip

    def __init__(self, next_edges: tuple):
        # The (node, output_nr) pair of each input edge, flattened into one tuple: one object
        # per node for Python's cyclic collector instead of one more per edge.
        self._next = next_edges
        self._seq = next(_sequence)
        self._hooks = ()  # a list once a hook is registered (most nodes never get one)
        self._pre_hooks = ()
        self._tensor_hooks = None  # output_nr -> hooks registered on non-leaf tensors
        self._retained = None  # output_nr -> tensor whose .grad backward fills (retain_grad)
        self._metadata = None

    @property
    def next_functions(self) -> tuple:
        """torch's ((node, output_nr), ...) per input edge."""
        flat = self._next
        return tuple(zip(flat[::2], flat[1::2]))

    @property
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn):
        """Node.register_hook: fn(grad_inputs, grad_outputs) runs after the node's backward."""
        if not self._hooks:
            self._hooks = []
        self._hooks.append(fn)
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """Node.register_prehook: fn(grad_outputs) runs before the node's backward."""
        if not self._pre_hooks:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return RemovableHandle(self._pre_hooks, fn)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        from .api import call_node

        return call_node(self, grads)


class OpNode(Node):
    """A node recorded by an op: fn(*primals) -> outputs, differentiated by JAX on demand."""

    __slots__ = ("fn", "primals", "edges", "diff_inputs", "diff_outputs", "out_avals",
                 "saves", "saved_inputs", "saved_output", "freed", "kernel_key",
                 "kernel_entry")  # fmt: skip


class GradientEdge(NamedTuple):
    """torch.autograd.graph.GradientEdge: where gradient flows into a tensor (node, output_nr)."""

    node: Node
    output_nr: int
    ownership_token: object = None


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's .grad."""

    __slots__ = ("variable", "edge")

    def __init__(self, variable):
        super().__init__(())
        self.variable = variable
        self._seq = float("inf")
        self.edge = (self, 0)  # the one edge into it, shared by every use of the leaf

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


_NODE_CLASSES: dict[str, type] = {}
_CPP_NAMES = {"CopySlices": "torch::autograd::CopySlices"}


def node_class(name: str) -> type:
    """The grad_fn class called `name` (one class per torch name)."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = type(name, (OpNode,), {"__slots__": ()})
        if name in _CPP_NAMES:
            cls.name = lambda self, _n=_CPP_NAMES[name]: _n
        cls.__module__ = "torch.autograd.graph"
        _NODE_CLASSES[name] = cls
    return cls


def grad_fn_of(tensor):
    """tensor.grad_fn, regenerated for a view whose base was modified in place."""
    if tensor._view_meta is None:
        return tensor._grad_fn
    return view_grad_fn(tensor)


def edge_of(tensor):
    """The (node, output_nr) pair through which gradient flows into `tensor`."""
    grad_fn = tensor._grad_fn if tensor._view_meta is None else grad_fn_of(tensor)
    if grad_fn is not None:
        return (grad_fn, tensor._output_nr)
    if tensor._requires_grad:
        return accumulator_of(tensor).edge
    return (None, 0)


def accumulator_of(tensor) -> AccumulateGrad:
    acc = tensor._accumulator
    if acc is None:
        acc = tensor._accumulator = AccumulateGrad(tensor)
    return acc


_DIFFERENTIABLE: dict = {}  # numpy dtype -> whether gradients flow through it


def _differentiable(dtype) -> bool:
    known = _DIFFERENTIABLE.get(dtype)
    if known is None:
        known = _DIFFERENTIABLE[dtype] = dtype.kind in "fc" or dtype == jnp.bfloat16
    return known


_NO_EDGE = (None, 0)  # the edge of an input that needs no gradient
_tensor_classes: list = []  # [Tensor], imported on first use (_tensor imports this package)


def _tensor_class() -> type:
    if not _tensor_classes:
        from .._tensor import Tensor

        _tensor_classes.append(Tensor)
    return _tensor_classes[0]


def record(fn, leaves, arrays, outputs, name, row=None, saves=None):
    """Attach a new node computing `outputs` from `leaves` to the outputs as their grad_fn."""
    template = RecordTemplate(leaves, arrays, outputs, name, row, saves)
    if not template.diff_outputs:
        return None
    return record_planned(template, fn, leaves, arrays, outputs)


class RecordTemplate:
    """What recording a node derives from the call alone: its class, which inputs are edges
    (a scalar, a tensor of a differentiable dtype or another tensor), the output avals and
    which are differentiable, and what the node saves. A dispatch plan keeps the template of
    its signature, so a repeated call records its node without re-deriving it; `entries` maps
    each pattern of inputs requiring grad to the node's backward (kernel key, kernel entry).
    """

    __slots__ = ("cls", "slots", "edges", "out_avals", "diff_outputs", "saves", "tensors",
                 "entries")  # fmt: skip

    def __init__(self, leaves, arrays, outputs, name, row=None, saves=None, out_avals=None):
        tensor_cls = _tensor_class()
        if out_avals is None:  # given for an output whose value is not computed yet (lazy view)
            out_avals = tuple([(v.shape, v.dtype) for v in [t._value for t in outputs]])
        self.out_avals = out_avals
        diff_outputs = [i for i, aval in enumerate(self.out_avals) if _differentiable(aval[1])]
        if row is not None and row.nondiff_outputs:
            diff_outputs = [i for i in diff_outputs if i not in row.nondiff_outputs]
        self.diff_outputs = tuple(diff_outputs)
        slots = []
        for i, leaf in enumerate(leaves):
            if not isinstance(leaf, tensor_cls):
                if row is None or row.scalar_edges:
                    slots.append((i, _SCALAR))
                continue
            dtype = arrays[i].dtype  # the leaf's own value: casts happen inside fn
            if row is not None and dtype.kind in "biu":
                # An integer or bool tensor is a graph input only where the op promotes it.
                if row.promote is None or i < row.promote_skip:
                    continue
            slots.append((i, _DIFF if _differentiable(dtype) else _OTHER))
        self.slots = tuple(slots)
        self.edges = tuple([i for i, _ in slots])
        self.cls = node_class(name)
        self.saves = saves or (row.saves if row is not None else "inputs")
        self.tensors = tuple([isinstance(leaf, tensor_cls) for leaf in leaves])
        self.entries: dict = {}


_SCALAR, _DIFF, _OTHER = 0, 1, 2  # what an edge of a RecordTemplate takes
# Each pattern of differentiable inputs as one shared tuple: a node keeps it for as long as the
# graph lives, and fewer objects per node make Python's cyclic collector cheaper.
_PATTERNS: dict = {}


def record_planned(template: RecordTemplate, fn, leaves, arrays, outputs):
    """`record` for a call whose signature made `template`; None when no leaf requires grad."""
    next_edges, diff_inputs = [], []  # next_edges: flat (node, output_nr) pairs
    for i, kind in template.slots:
        if kind == _SCALAR:
            next_edges += _NO_EDGE
            continue
        leaf = leaves[i]
        if leaf._view_meta is not None:  # a view's grad_fn may need regenerating
            next_edges += edge_of(leaf)
            requires_grad = leaf.requires_grad
        elif leaf._grad_fn is not None:
            next_edges.append(leaf._grad_fn)
            next_edges.append(leaf._output_nr)
            requires_grad = True
        elif leaf._requires_grad:
            next_edges.append(leaf._accumulator or accumulator_of(leaf))
            next_edges.append(0)
            requires_grad = True
        else:
            next_edges += _NO_EDGE
            requires_grad = False
        if requires_grad and kind == _DIFF:
            diff_inputs.append(i)
    if not diff_inputs and not any_requires_grad(leaves):
        return None
    node = template.cls(tuple(next_edges))
    node.edges = template.edges
    node.fn = fn
    node.primals = arrays if type(arrays) is list else list(arrays)
    diff_inputs = tuple(diff_inputs)
    node.diff_inputs = diff_inputs = _PATTERNS.setdefault(diff_inputs, diff_inputs)
    node.diff_outputs = template.diff_outputs
    node.out_avals = template.out_avals
    node.saves = saves = template.saves
    if saves == "inputs":
        node.saved_inputs = saved.snapshot(leaves, template.tensors)
        node.saved_output = None
    else:
        node.saved_inputs = ()
        node.saved_output = saved.snapshot_output(outputs[0]) if saves == "output" else None
    node.freed = False
    # the backward kernel key and entry (kernels.kernel_key/entry_of) when the template knows them
    node.kernel_key, node.kernel_entry = template.entries.get(diff_inputs, (False, None))
    if len(_PATTERNS) > 4096:
        _PATTERNS.clear()
    if _grad_mode.anomaly["enabled"]:
        remember_forward_stack(node)
    for i in template.diff_outputs:
        outputs[i]._grad_fn = node
        outputs[i]._output_nr = i
    return node


def any_requires_grad(leaves) -> bool:
    """Whether any of a call's leaves is a tensor that requires grad."""
    tensor_cls = _tensor_class()
    return any(isinstance(leaf, tensor_cls) and leaf.requires_grad for leaf in leaves)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def remember_forward_stack(node) -> None:
    """Anomaly mode: keep the user's stack at the op, for torch's "Error detected in" warning."""
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(_PACKAGE_DIR)]
    node.metadata["traceback_"] = traceback.format_list(frames)


def register_tensor_hook(tensor, hook):
    """Tensor.register_hook: hooks on a leaf run before accumulation, on a non-leaf on its node."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = grad_fn_of(tensor)
    if node is None:
        if tensor._hooks is None:
            tensor._hooks = []
        tensor._hooks.append(hook)
        return RemovableHandle(tensor._hooks, hook)
    if node._tensor_hooks is None:
        node._tensor_hooks = {}
    hooks = node._tensor_hooks.setdefault(tensor._output_nr, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def retain_grad(tensor) -> None:
    """Tensor.retain_grad: backward also fills this non-leaf tensor's .grad."""
    import weakref

    if not tensor.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    node = grad_fn_of(tensor)
    if node is None or tensor._retains_grad:
        return
    tensor._retains_grad = True
    if node._retained is None:
        node._retained = {}
    node._retained[tensor._output_nr] = weakref.ref(tensor)


def move_retained(tensor, old_node) -> None:
    """After an in-place op gives `tensor` a new grad_fn, retain_grad follows it (as torch)."""
    if not tensor._retains_grad:
        return
    if old_node is not None and old_node._retained:
        old_node._retained.pop(tensor._output_nr, None)
    tensor._retains_grad = False
    retain_grad(tensor)


def is_float_dtype(d: dt.dtype) -> bool:
    return d.is_floating_point or d.is_complex
