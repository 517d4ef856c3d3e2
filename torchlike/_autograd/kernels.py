"""Per-node VJP kernels: jitted, cached by what the node computed, and what they read.

A node's backward is the VJP of the pure function it recorded. The kernel for it is cached
by (function key, input avals, differentiable inputs and outputs), so a repeated op costs one
cached call and no graph is replayed through an uncompiled jax.vjp over many ops.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

import jax
import jax.numpy as jnp

from .._deferred import Shaped
from .._tiers import UNFUSED, TieredKernel
from . import saved
from .graph import OpNode

_KERNEL_LIMIT = 4096
stats = {"kernel_compiles": 0}
# Per-node kernels and whole-graph replays compile without XLA fusion, so both give the same
# bits: fused reductions and fused elementwise chains round differently from unfused ones.
COMPILER_OPTIONS = UNFUSED


def vjp_kernel(fn, diff_inputs, diff_outputs):
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


def kernel_key(node: OpNode):
    """(function key, input avals, differentiable inputs and outputs), computed once per node."""
    if node.kernel_key is not False:
        return node.kernel_key
    key = getattr(node.fn, "key", None)
    if key is not None:
        avals = tuple([(a.shape, a.dtype) for a in node.primals])
        key = (key, avals, node.diff_inputs, node.diff_outputs)
    node.kernel_key = key
    return key


class KernelEntry:
    """One backward kernel: its key, a small id for signatures, the jitted VJP, what it reads.

    Nodes with the same key share one entry; a node without a key gets its own (id None).
    """

    __slots__ = ("key", "id", "fn", "diff_inputs", "diff_outputs", "formula", "_kernel", "_facts",
                 "_shapes")  # fmt: skip

    def __init__(self, key, node: OpNode, entry_id):
        self.key, self.id, self.fn = key, entry_id, node.fn
        self.diff_inputs, self.diff_outputs = node.diff_inputs, node.diff_outputs
        # A recorded backward (create_graph) reads all the primals it was given, as torch's
        # derivative formulas mention them (pow(x, 0)); only its cotangents can drop out.
        self.formula = getattr(node.fn, "formula_primals", None)
        self._kernel = self._facts = self._shapes = None

    def vjp(self):
        """The pure VJP function (primals, cotangents) -> gradients of the differentiable inputs."""
        return vjp_kernel(self.fn, self.diff_inputs, self.diff_outputs)

    @property
    def kernel(self):
        kernel = self._kernel
        if kernel is None:
            if self.key is None:
                return self.vjp()
            kernel = self._kernel = _Kernel(self.vjp())
        return kernel

    def facts(self, node: OpNode) -> tuple:
        """(primals the backward reads, pass-through gradients), as vjp_facts defines them."""
        facts = self._facts
        if facts is None:
            reads, passthrough = saved.vjp_facts(node, self.key, self.vjp)
            if self.formula:
                reads = tuple(sorted(set(reads) | set(self.formula)))
            facts = (reads, passthrough)
            if self.key is not None:
                self._facts = facts
        return facts

    def shapes(self, node: OpNode) -> list:
        """The node's primals as shapes alone (what a released node keeps), made once per key."""
        shapes = self._shapes
        if shapes is None:
            shapes = tuple([jax.ShapeDtypeStruct(p.shape, p.dtype) for p in node.primals])
            if self.key is not None:
                self._shapes = shapes
        return list(shapes)


_entries: OrderedDict = OrderedDict()
_entry_ids = itertools.count()


def entry_of(node: OpNode) -> KernelEntry:
    """The node's kernel entry, looked up once per node and kept on it."""
    entry = node.kernel_entry
    if entry is None:
        key = kernel_key(node)
        if key is None:
            entry = KernelEntry(None, node, None)
        else:
            entry = _entries.get(key)
            if entry is None:
                entry = _entries[key] = KernelEntry(key, node, next(_entry_ids))
                if len(_entries) > _KERNEL_LIMIT:
                    _entries.popitem(last=False)
            else:
                _entries.move_to_end(key)
        node.kernel_entry = entry
    return entry


def kernel_for(node: OpNode, full_key=None):
    """The node's VJP kernel: jitted and cached when the node has a key, plain otherwise."""
    return entry_of(node).kernel


class _Kernel:
    """A VJP kernel: tiered (interpreted, then jitted) at top level; inside another trace
    (create_graph replays) it runs as plain jit."""

    __slots__ = ("top_level", "nested")

    def __init__(self, kernel):
        jitted = jax.jit(kernel, compiler_options=COMPILER_OPTIONS)
        self.top_level = TieredKernel(kernel, jitted, _count_compile)
        self.nested = jax.jit(kernel)  # compiler options are allowed on top-level jits only

    def __call__(self, primals, cotangents):
        for array in primals:
            if isinstance(array, _Tracer):
                return self.nested(primals, cotangents)
        for array in cotangents:
            if isinstance(array, _Tracer):
                return self.nested(primals, cotangents)
        return self.top_level(primals, cotangents)


_Tracer = jax.core.Tracer


def _count_compile():
    stats["kernel_compiles"] += 1


_sums: dict = {}  # (shape, dtype, weak type) of both operands -> TieredKernel of a + b


def add(a, b):
    """a + b for two gradient arrays, through a tiered kernel per pair of avals."""
    if isinstance(a, _Tracer) or isinstance(b, _Tracer):
        return a + b
    key = (a.shape, a.dtype, a.weak_type, b.shape, b.dtype, b.weak_type)
    kernel = _sums.get(key)
    if kernel is None:
        if len(_sums) >= _KERNEL_LIMIT:
            _sums.clear()
        kernel = _sums[key] = TieredKernel(_plus, jax.jit(_plus), _count_compile)
    return kernel(a, b)


def _plus(a, b):
    return a + b


def vjp_facts(node: OpNode, full_key, create_graph: bool) -> tuple:
    """(primals the JAX VJP reads, pass-through gradients); skipped where nothing needs them."""
    if node.saves == "none" and full_key is not None and not create_graph:
        return (), {}
    return entry_of(node).facts(node)


_ZERO_LIMIT = 256
_zero_arrays: dict = {}  # (shape, dtype) -> zeros, shared (JAX arrays are immutable)


def zeros(aval):
    """Zeros of `aval` (shape, dtype): a missing cotangent, or a primal a VJP does not read."""
    array = _zero_arrays.get(aval)
    if array is None:
        if len(_zero_arrays) >= _ZERO_LIMIT:
            _zero_arrays.clear()
        array = _zero_arrays[aval] = jnp.zeros(*aval)
    return array


class LazyPrimal(Shaped):
    """A saved input computed only when a backward reads it: `fn(source)`, the value of a view
    that its op never materialised (F.linear's `weight.t()`, see `_ops/folded_linear.py`)."""

    __slots__ = ("fn", "source", "shape", "dtype")

    def __init__(self, fn, source, shape, dtype):
        self.fn, self.source, self.shape, self.dtype = fn, source, shape, dtype

    def value(self):
        return self.fn(self.source)


_STAND_INS = (jax.ShapeDtypeStruct, LazyPrimal)


def concrete(primals, reads=None) -> list:
    """Primals as a VJP kernel takes them: a released (shape-only) entry as zeros (the VJP does
    not read it), a lazy one computed where the VJP reads it (`reads`; None: everywhere)."""
    for p in primals:
        if p.__class__ in _STAND_INS:
            break
    else:
        return primals
    return [
        p if p.__class__ not in _STAND_INS
        else p.value() if p.__class__ is LazyPrimal and (reads is None or i in reads)
        else zeros((p.shape, p.dtype))
        for i, p in enumerate(primals)
    ]  # fmt: skip


def lazy_positions(node: OpNode) -> tuple:
    """((position, fn or None), ...) for the node's lazy primals, None where its VJP does not
    read the value; () for almost every node."""
    primals = node.primals
    for p in primals:
        if p.__class__ is LazyPrimal:
            reads = entry_of(node).facts(node)[0]
            return tuple(
                (i, p.fn if i in reads else None)
                for i, p in enumerate(primals)
                if p.__class__ is LazyPrimal
            )
    return ()


def traced_primals(node: OpNode, lazy: tuple) -> list:
    """The node's primals for a program that applies the functions in `lazy` (its
    `lazy_positions`) itself: `concrete` with nothing computed, then a lazy primal the VJP
    reads as its source."""
    primals = concrete(node.primals, ())
    for i, fn in lazy:
        if fn is not None:
            primals[i] = node.primals[i].source
    return primals


def primals_for(node: OpNode) -> list:
    """`concrete(node.primals)`, computing only the lazy primals the node's VJP reads (read off
    its jaxpr, whatever the node says it saves)."""
    primals = node.primals
    for p in primals:
        if p.__class__ is LazyPrimal:
            return concrete(primals, entry_of(node).facts(node)[0])
    return concrete(primals)


_classes: list = []  # [Tensor, from_array], imported on first use (_tensor imports this package)


def _tensor_api() -> list:
    if not _classes:
        from .._tensor import Tensor, from_array

        _classes.extend((Tensor, from_array))
    return _classes


def any_tracer(arrays) -> bool:
    """Whether any of the arrays is a JAX tracer (the call runs inside a transform)."""
    for array in arrays:
        if isinstance(array, jax.core.Tracer):
            return True
    return False


def as_array(g):
    return g._value if isinstance(g, (_classes or _tensor_api())[0]) else g


def as_tensor(g):
    tensor_cls, from_array = _classes or _tensor_api()
    return g if isinstance(g, tensor_cls) else from_array(g)
