"""torch.compile: a function or module becomes cached jax.jit programs, one per signature.

A call's signature is everything the traced program bakes in: the shapes, dtypes and
aliasing of every reachable tensor, which `.grad`s exist, the Python values reachable from
the function (hyperparameters, `training` flags), and the grad mode. A new signature traces
and compiles a new program (logged with the part that changed); code that cannot be traced
runs eagerly for that signature (a graph break) unless `fullgraph=True`.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections import OrderedDict

import jax

from .. import _grad_mode
from .._autograd.graph import record
from .._tensor import ConcreteValueNeeded
from ..random import default_generator
from . import diagnostics as diag
from .guard import FastGuard
from .program import GraphBreak, Plan, apply, key_words, make_backward, make_program, tracing
from .walk import TooMuchState, walk

# JAX's errors for a Python decision or conversion that needs a traced value (.item(), bool()).
TRACE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.UnexpectedTracerError,
    ConcreteValueNeeded,
)
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_program_ids = iter(range(1 << 62))
_instances: weakref.WeakSet = weakref.WeakSet()


# Every backend name torch.compile knows runs as jax.jit programs here.
BACKENDS = ("inductor", "aot_eager", "aot_eager_decomp_partition", "cudagraphs", "eager",
            "openxla", "tvm")  # fmt: skip


_UNTRACEABLE = (*TRACE_ERRORS, GraphBreak, TooMuchState)
_FAST_MISS_LIMIT = 4  # consecutive calls whose state changed before fast guards stop being kept


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend."""


class Unsupported(RuntimeError):
    """torch._dynamo.exc.Unsupported: fullgraph=True and the function cannot be one program."""


class _Eager:
    """A signature that runs eagerly, and why."""

    def __init__(self, reason: str):
        self.reason = reason


class _Entry:
    """One compiled program and the plan its trace recorded."""

    def __init__(self, jitted, plan: Plan, make_backward):
        self.jitted, self.plan, self.make_backward = jitted, plan, make_backward
        self.key = ("torchlike.compile", next(_program_ids))
        self.vjp = None  # the grad_fn's function, made on the first output that needs one
        self.grad_slots: list = []


def _disabled(fn) -> bool:
    return getattr(fn, "_torchlike_compile_disabled", False)


class CompiledFunction:
    """What torch.compile returns for a function: call it like the function."""

    _opaque_to_compile = True  # another compiled function's walk does not look inside

    def __init__(self, fn, fullgraph: bool, self_root=None):
        self._fn, self._fullgraph, self._self_root = fn, fullgraph, self_root
        self._cache: OrderedDict = OrderedDict()
        self._last_signature = None
        self._compiles = 0
        self._over_limit = False
        self._fast: FastGuard | None = None  # identity checks for the last program that ran
        self._fast_misses = 0
        functools.update_wrapper(self, fn, updated=())
        _instances.add(self)

    def _forget(self) -> None:
        self._cache.clear()
        self._fast, self._fast_misses = None, 0
        self._last_signature, self._compiles, self._over_limit = None, 0, False

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        diag.counters["calls"] += 1
        if tracing["depth"]:  # called from inside another compiled function: part of its trace
            return self._fn(*args, **kwargs)
        if _disabled(self._fn):
            return self._eager(args, kwargs)
        fast = self._fast
        if fast is not None:
            snap = fast.check(args, kwargs)
            if snap is not None:
                self._fast_misses = 0
                diag.counters["cache_hits"] += 1
                diag.counters["fast_guard_hits"] += 1
                return self._run(fast.entry, snap, lambda: self._roots(args, kwargs))
            self._fast, self._fast_misses = None, self._fast_misses + 1
        roots = self._roots(args, kwargs)
        try:
            snap = walk(roots)
        except TooMuchState as error:
            return self._graph_break(error, args, kwargs, None)
        signature = (tuple(snap.guard), _grad_mode.is_grad_enabled())
        entry = self._cache.get(signature)
        if entry is None:
            return self._compile_and_run(signature, snap, roots, args, kwargs)
        if isinstance(entry, _Eager):
            return self._eager(args, kwargs)
        diag.counters["cache_hits"] += 1
        self._cache.move_to_end(signature)
        self._remember(entry, signature, snap, args, kwargs)
        return self._run(entry, snap, lambda: roots)

    def _remember(self, entry, signature, snap, args, kwargs) -> None:
        """Keep identity checks for this state, unless they keep failing (state that churns)."""
        if self._fast_misses < _FAST_MISS_LIMIT:
            self._fast = FastGuard(entry, signature[1], snap, args, kwargs)

    def _roots(self, args, kwargs) -> list:
        roots = [("torch.default_generator", default_generator)]
        roots.append(("self", self._self_root) if self._self_root is not None else ("fn", self._fn))
        roots.extend((f"arg {i}", a) for i, a in enumerate(args))
        roots.extend((f"kwarg {k}", v) for k, v in kwargs.items())
        return roots

    def _eager(self, args, kwargs):
        diag.counters["eager_calls"] += 1
        return self._fn(*args, **kwargs)

    def _compile_and_run(self, signature, snap, roots, args, kwargs):
        reason = diag.change_reason(self._last_signature, signature)
        self._last_signature = signature
        if self._over_limit or self._compiles >= self._limit():
            return self._limit_reached(reason, args, kwargs)
        plan, fn = Plan(), self._fn
        entry = _Entry(
            jax.jit(make_program(fn, args, kwargs, roots, plan)),
            plan,
            lambda slots: make_backward(fn, args, kwargs, roots, plan, slots),
        )
        verb = "recompiling" if self._compiles else "compiling"
        diag.log(f"{verb} {self._name()}: {reason}")
        self._compiles += 1
        diag.counters["compiles"] += 1
        diag.counters["recompiles"] += self._compiles > 1
        arrays, words = [s.array for s in snap.storages], key_words(snap)
        try:  # tracing, compiling and running change nothing until the outputs are applied
            outputs = entry.jitted(arrays, words)
        except Exception as error:  # noqa: BLE001 - state is restored; eager shows real errors
            return self._graph_break(error, args, kwargs, signature)
        self._cache[signature] = entry
        return self._apply(entry, snap, lambda: roots, arrays, words, outputs)

    def _run(self, entry: _Entry, snap, roots_of):
        arrays, words = [s.array for s in snap.storages], key_words(snap)
        return self._apply(entry, snap, roots_of, arrays, words, entry.jitted(arrays, words))

    def _apply(self, entry: _Entry, snap, roots_of, arrays, words, outputs):
        """Write the outputs back; `roots_of()` gives the roots if new state must be placed."""
        leaves, needs_grad = apply(entry.plan, snap, roots_of, outputs)
        if needs_grad:
            _record_backward(entry, snap, arrays, words, leaves, needs_grad)
        return jax.tree_util.tree_unflatten(entry.plan.result_tree, leaves)

    def _graph_break(self, error, args, kwargs, signature):
        reason = _reason(error)
        if self._fullgraph and not isinstance(error, _UNTRACEABLE):
            raise error  # not a tracing limit: the user's own error, as eager would raise it
        if self._fullgraph:
            raise Unsupported(f"{self._name()} cannot be one program: {reason}") from error
        diag.counters["graph_breaks"][reason] += 1
        diag.log(f"graph break in {self._name()}: {reason}; this signature runs eagerly")
        if signature is not None:
            self._cache[signature] = _Eager(reason)
        return self._eager(args, kwargs)

    def _limit_reached(self, reason: str, args, kwargs):
        if not self._over_limit:
            self._over_limit = True
            warnings.warn(
                f"torchlike.compile hit config.recompile_limit ({self._limit()})"
                f"\n   function: {self._name()}\n   last reason: {reason}\nNew signatures of "
                "this function run eagerly. To log all recompilation reasons, use "
                "TORCHLIKE_LOG_COMPILES=1 or torchlike.compiler.set_logs(recompiles=True).",
                UserWarning,
                stacklevel=4,
            )
        return self._eager(args, kwargs)

    def _limit(self) -> int:
        return getattr(self, "_recompile_limit", diag.config.recompile_limit)

    def _name(self) -> str:
        fn = self._fn
        code = getattr(fn, "__code__", None)
        if code is None:
            code = getattr(getattr(fn, "forward", None), "__code__", None)
        name = getattr(fn, "__qualname__", type(fn).__name__)
        return f"'{name}' ({code.co_filename}:{code.co_firstlineno})" if code else f"'{name}'"


def clear_all() -> None:
    """Forget every compiled function's programs (torch.compiler.reset)."""
    for compiled in list(_instances):
        compiled._forget()


def _reason(error: Exception) -> str:
    """The first line of an error, naming JAX's error class where the message is JAX's."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(error, (ConcreteValueNeeded, GraphBreak, TooMuchState)):
        return text
    if isinstance(error, TRACE_ERRORS):
        return f"{type(error).__name__}: {text}"
    return f"{type(error).__name__} while tracing: {text}"


def _record_backward(entry: _Entry, snap, arrays, words, leaves, outputs) -> None:
    """Give the outputs one grad_fn, CompiledFunctionBackward, computing torch's gradients."""
    if entry.vjp is None:
        entry.vjp = _compiled_vjp(entry, snap, len(arrays), _result_positions(entry.plan))
    grad_tensors = [snap.slots[i].value for i in entry.grad_slots]
    inputs = grad_tensors + list(arrays) + list(words)  # plain arrays: no edges, no checks
    primals = [t._value for t in grad_tensors] + list(arrays) + list(words)
    node = record(entry.vjp, inputs, primals, outputs, "CompiledFunctionBackward")
    k = len(grad_tensors)  # storages and keys are inputs of the function, not graph edges
    node.edges, node._next = node.edges[:k], node._next[: 2 * k]


def _compiled_vjp(entry: _Entry, snap, n_storages: int, positions: list):
    """fn(grad tensor values, storage arrays, key words) -> outputs, with a custom VJP."""
    entry.grad_slots = [i for i in snap.tensor_index.values() if snap.slots[i].value.requires_grad]
    k = len(entry.grad_slots)
    backward = jax.jit(entry.make_backward(entry.grad_slots))

    def outputs_of(primals):
        out = entry.jitted(list(primals[k : k + n_storages]), list(primals[k + n_storages :]))
        return tuple(out[i] for i in positions)

    @jax.custom_vjp
    def forward(*primals):
        return outputs_of(primals)

    def forward_saving_inputs(*primals):
        return outputs_of(primals), primals

    def backward_rule(primals, cotangents):
        storages, keys = primals[k : k + n_storages], primals[k + n_storages :]
        grads = backward(list(storages), list(keys), list(cotangents))
        return (*grads, *([None] * (len(primals) - k)))

    forward.defvjp(forward_saving_inputs, backward_rule)

    def node_fn(*primals):
        return forward(*primals)

    node_fn.key = entry.key
    return node_fn


def _result_positions(plan: Plan) -> list:
    """Where each result needing a gradient sits among the program's outputs."""
    k = len(plan.written) + len(plan.new_tensors) + len(plan.generators)
    positions = []
    for spec in plan.result_specs:
        if spec[0] == "tensor" and spec[2]:
            positions.append(k)
        k += spec[0] in ("tensor", "array")
    return positions


def check_options(mode, options, backend) -> None:
    """torch.compile's argument checks (the modes and backends torchlike accepts)."""
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if backend is not None and not isinstance(backend, str):
        raise NotImplementedError(
            "torchlike: torch.compile(backend=<callable>) is not supported; every backend "
            "name compiles with jax.jit"
        )
    if isinstance(backend, str) and backend not in BACKENDS:
        raise InvalidBackend(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available "
            "backends."
        )
