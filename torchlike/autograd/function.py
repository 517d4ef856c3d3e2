"""torch.autograd.Function: user-defined forward and backward."""

from __future__ import annotations

from .. import _grad_mode
from .._autograd import graph
from .._tensor import Tensor, from_array


class FunctionCtx:
    """The ctx object passed to a custom Function's forward and backward."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self.dirty = ()
        self.non_differentiable = ()

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if self.to_save is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or if "
                "you need to access saved tensors after calling backward."
            )
        return self.to_save

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class FunctionNode(graph.Node):
    """The grad_fn of a custom Function's outputs: calls the user's backward."""

    __slots__ = ("ctx", "function_cls", "input_positions", "n_outputs", "out_avals")

    def apply_backward(self, grads, create_graph):
        import jax.numpy as jnp

        grad_tensors = []
        for g, (shape, dtype) in zip(grads, self.out_avals):
            if g is None and self.ctx.materialize_grads:
                g = jnp.zeros(shape, dtype)
            grad_tensors.append(None if g is None else g if isinstance(g, Tensor) else from_array(g))
        with _grad_mode.set_grad_enabled(create_graph):
            result = self.function_cls.backward(self.ctx, *grad_tensors)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self.ctx.needs_input_grad)
        if len(result) < n_args:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients "
                f"(expected {n_args}, got {len(result)})"
            )
        return [result[i] for i in self.input_positions]

    def release(self):
        self.ctx.to_save = None


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

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        with _grad_mode.no_grad():
            if uses_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        outputs = output if isinstance(output, tuple) else (output,)
        if _grad_mode.is_grad_enabled() and any(ctx.needs_input_grad):
            _connect(cls, ctx, args, outputs)
        return output


def _connect(cls, ctx, args, outputs):
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    node = cls._backward_cls(tuple(graph.edge_of(args[i]) for i in positions))
    node.ctx, node.function_cls, node.input_positions = ctx, cls, positions
    node.n_outputs = len(outputs)
    node.out_avals = []
    non_diff = {id(t) for t in ctx.non_differentiable}
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            node.out_avals.append(((), None))
            continue
        node.out_avals.append((out._value.shape, out._value.dtype))
        if id(out) in non_diff or not graph.is_float_dtype(out.dtype):
            continue
        if any(out is a for a in args) and id(out) not in {id(t) for t in ctx.dirty}:
            continue
        out._grad_fn, out._output_nr = node, nr


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable (backward runs without recording)."""

    def wrapper(ctx, *args):
        with _grad_mode.no_grad():
            return fn(ctx, *args)

    return wrapper
