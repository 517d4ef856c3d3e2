"""torch.autograd.Function: user-defined forward and backward."""

from __future__ import annotations

import functools

from .. import _grad_mode
from .._autograd import graph, saved, views
from .._tensor import Tensor, from_array


class FunctionCtx:
    """The ctx object passed to a custom Function's forward and backward."""

    def __init__(self):
        self._saved = ()
        self._released = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self.dirty = ()
        self.non_differentiable = ()

    def save_for_backward(self, *tensors):
        """FunctionCtx.save_for_backward: tensors the backward reads, checked for in-place use."""
        # Like torch, what was saved is only checked once a graph node is recorded.
        self._to_save = tensors

    def _pack_saved(self) -> None:
        tensors = getattr(self, "_to_save", ())
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{i} is of type {type(t).__name__}"
                )
        self._saved = tuple(
            None if t is None else [t, t._storage, t._storage.version, None] for t in tensors
        )

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(saved.SECOND_BACKWARD)
        for entry in self._saved:
            if entry is not None and entry[1].version != entry[2]:
                _raise_modified(entry)
        return tuple(None if entry is None else entry[0] for entry in self._saved)

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


def _raise_modified(entry) -> None:
    tensor, storage, version, output_of = entry
    if output_of is None:
        saved._raise(tensor, version, storage.version)
    node, nr = output_of
    where = f", which is output {nr} of {saved.friendly_name(node)},"
    saved._raise_text(tensor.type(), tuple(tensor.shape), where, version, storage.version)


class FunctionNode(graph.Node):
    """The grad_fn of a custom Function's outputs: calls the user's backward."""

    __slots__ = ("ctx", "function_cls", "input_positions", "n_outputs", "out_avals",
                 "input_avals", "non_diff_outputs")  # fmt: skip

    def apply_backward(self, grads, create_graph):
        import jax.numpy as jnp

        grad_tensors = []
        non_diff_none = not getattr(self.ctx, "_materialize_non_diff_grads", True)
        for nr, (g, (shape, dtype)) in enumerate(zip(grads, self.out_avals)):
            skip = non_diff_none and nr in self.non_diff_outputs
            if g is None and self.ctx.materialize_grads and dtype is not None and not skip:
                g = jnp.zeros(shape, dtype)
            if g is not None and not isinstance(g, Tensor):
                g = from_array(g)
            grad_tensors.append(g)
        with _grad_mode.set_grad_enabled(create_graph):
            result = self.function_cls.backward(self.ctx, *grad_tensors)
        return self._validate(result)

    def _validate(self, result) -> list:
        """torch's checks on what a custom backward returns: count, then shapes."""
        result = result if isinstance(result, tuple) else (result,)
        n_args = len(self.ctx.needs_input_grad)
        if len(result) > n_args and all(r is None for r in result[n_args:]):
            result = result[:n_args]
        if len(result) != n_args:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients "
                f"(expected {n_args}, got {len(result)})"
            )
        grads = []
        for position, (shape, dtype) in zip(self.input_positions, self.input_avals):
            g = result[position]
            if isinstance(g, Tensor) and tuple(g.shape) != shape:
                if not _expandable(shape, tuple(g.shape)):
                    raise RuntimeError(
                        f"Function {type(self).__name__} returned an invalid gradient at index "
                        f"{position} - got [{', '.join(map(str, g.shape))}] but expected shape "
                        f"compatible with [{', '.join(map(str, shape))}]"
                    )
                g = _sum_to(g, shape)
            if isinstance(g, Tensor) and g._value.dtype != dtype:
                g = g.to(_torch_dtype(dtype))
            grads.append(g)
        return grads

    def release(self):
        self.ctx._released = True
        self.ctx._saved = ()

    def name(self) -> str:
        return type(self).__name__


def _expandable(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


def _sum_to(g: Tensor, shape: tuple) -> Tensor:
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    return g.sum(dim=dims, keepdim=False).reshape(shape) if dims else g


def _torch_dtype(np_dtype):
    from .. import _dtype as dt

    return dt._BY_NP[np_dtype]


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(f"{name}Backward", (FunctionNode,), {"__slots__": ()})


class Function(metaclass=_FunctionMeta):
    """torch.autograd.Function."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        """Function.vmap: the batching rule a subclass may define."""
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod "
            "or set generate_vmap_rule=True."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Function.apply: run forward without recording, then connect one backward node."""
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        with _grad_mode.no_grad():
            if uses_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = list(output) if is_tuple else [output]
        record = _grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)
        outputs = _wrap_outputs(cls, ctx, args, outputs, record)
        return tuple(outputs) if is_tuple else outputs[0]


def _wrap_outputs(cls, ctx, args, outputs, record: bool) -> list:
    """Connect the outputs to a new node (inputs returned as-is become views of them)."""
    dirty = {id(t) for t in ctx.dirty}
    for t in ctx.dirty:
        t._storage.version += 1
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    if not record:
        return outputs
    for t in ctx.dirty:
        if t.is_leaf and t.requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation."
            )
    ctx._pack_saved()
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    node = cls._backward_cls(tuple(x for i in positions for x in graph.edge_of(args[i])))
    node.ctx, node.function_cls, node.input_positions = ctx, cls, positions
    node.input_avals = [(tuple(args[i].shape), args[i]._value.dtype) for i in positions]
    node.n_outputs = len(outputs)
    node.out_avals = []
    if _grad_mode.anomaly["enabled"]:
        graph.remember_forward_stack(node)
    non_diff = {id(t) for t in ctx.non_differentiable}
    node.non_diff_outputs = {nr for nr, out in enumerate(outputs) if id(out) in non_diff}
    wrapped = []
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            node.out_avals.append(((), None))
            wrapped.append(out)
            continue
        if id(out) in input_ids and id(out) not in dirty:
            out = _alias_in_function(out)
        elif out._view_meta is not None and id(out) not in dirty:
            out._view_meta.creation = views.IN_CUSTOM_FUNCTION
        node.out_avals.append((out._value.shape, out._value.dtype))
        if id(out) not in non_diff and graph.is_float_dtype(out.dtype):
            out._grad_fn, out._output_nr = node, nr
            if out._view_meta is not None:
                out._view_meta.attr_version = out._storage.version
        wrapped.append(out)
    _mark_saved_outputs(ctx, node, outputs)
    return wrapped


def _alias_in_function(tensor: Tensor) -> Tensor:
    """An input returned as-is: torch hands back a view of it, not the same tensor."""
    from .._ops import FUNCTIONS

    with _grad_mode.no_grad():
        alias = FUNCTIONS["alias"](tensor)
    alias._view_meta.creation = views.IN_CUSTOM_FUNCTION
    return alias


def _mark_saved_outputs(ctx, node, outputs) -> None:
    """A saved output's version error names this Function's node; versions count from here."""
    output_nr = {id(t): nr for nr, t in enumerate(outputs) if isinstance(t, Tensor)}
    for entry in ctx._saved:
        if entry is None:
            continue
        entry[2] = entry[1].version
        nr = output_nr.get(id(entry[0]))
        if nr is not None:
            entry[3] = (node, nr)


class Error(graph.Node):
    """The grad_fn that makes a second differentiation of a once_differentiable backward fail.

    torch names this node Error; its inputs are detached copies of the backward's results.
    """

    __slots__ = ("message", "n_outputs")

    def apply_backward(self, grads, create_graph):
        raise RuntimeError(self.message)


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable: backward runs without recording."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with _grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not _grad_mode.is_grad_enabled():
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        return _delay_error(outputs)

    return wrapper


def _delay_error(outputs):
    is_tuple = isinstance(outputs, tuple)
    items = outputs if is_tuple else (outputs,)
    leaves = [
        from_array(item._value, True)
        if isinstance(item, Tensor) and graph.is_float_dtype(item.dtype)
        else None
        for item in items
    ]
    node = Error(tuple((None, 0) if leaf is None else graph.edge_of(leaf) for leaf in leaves))
    node.message = (
        "trying to differentiate twice a function that was marked with @once_differentiable"
    )
    node.n_outputs = len(items)
    wrapped = []
    for nr, (item, leaf) in enumerate(zip(items, leaves)):
        if leaf is not None:
            item = from_array(item._value)
            item._grad_fn, item._output_nr = node, nr
        wrapped.append(item)
    return tuple(wrapped) if is_tuple else wrapped[0]


DelayedError = Error


class InplaceFunction(Function):
    """torch.autograd.function.InplaceFunction."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
