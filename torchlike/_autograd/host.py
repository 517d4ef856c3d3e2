"""A chunk of plain nodes run in one loop, its gradients kept in numpy between interpreted
kernels.

On the per-node path each node goes through the engine's general machinery (hooks, anomaly
mode, version checks, buffers), and an interpreted node converts its gradients from JAX
arrays to numpy and its results back, which costs more than the numpy arithmetic of a small
node. A chunk (`segments.Chunk`: plain nodes, no hooks, saved values intact) without a
compiled segment runs here instead: node by node, in the chunk's order, each through its own
kernel, with the per-node path's cotangents (cast to the output's type, zeros where none
arrived) and its left-to-right sums, so the bits are the per-node path's. A gradient stays in
the form its producer gave it: numpy from an interpreted kernel (`TieredKernel.run_host`) or
a numpy sum, a JAX array from a compiled kernel; it is converted only when its consumer needs
the other form. Whatever numpy cannot do with XLA's bits (a subnormal, a sum of two types, a
weak-typed result) is done in JAX, as on the per-node path.
"""

from __future__ import annotations

import contextlib

import jax
import numpy as np

from .. import _interpreter, _tiers
from .kernels import add, entry_of, stats, zeros

stats.update(host_chunks=0)
_Array = jax.Array
_FLOATS = _interpreter._FLOATS


def run(ops: list, layout, primals: list) -> list:
    """The gradients at the chunk's outside slots (`layout.outside`), JAX arrays or None."""
    values = _Values()
    local = [{} for _ in ops]
    outside = [None] * len(layout.outside)
    for (where, nr, *_aval), array in zip(layout.signature[1], layout.inputs):
        if where >= 0:
            local[where][nr] = array
        else:
            outside[-1 - where] = array
    with np.errstate(all="ignore"):
        for k, node in enumerate(ops):
            out = _node(node, primals[k], local[k], values)
            result = [None] * len(primals[k])
            for i, grad in zip(node.diff_inputs, out):
                result[i] = grad
            for target, grad in zip(layout.targets[k], [result[i] for i in node.edges]):
                if target is None or grad is None:
                    continue
                if type(target) is tuple:
                    buffer, nr = local[target[0]], target[1]
                    buffer[nr] = grad if nr not in buffer else values.add(buffer[nr], grad)
                else:
                    j = -1 - target
                    outside[j] = grad if outside[j] is None else values.add(outside[j], grad)
    stats["host_chunks"] += 1
    return [grad if grad is None or isinstance(grad, _Array) else _interpreter.to_jax(grad)
            for grad in outside]  # fmt: skip


def _node(node, primals: list, grads: dict, values: _Values):
    """The node's input gradients: in numpy while its kernel is interpreted and its inputs
    have numpy forms, else through the kernel's call."""
    tiered = entry_of(node).kernel.top_level
    avals = [node.out_avals[i] for i in node.diff_outputs]
    cotangents = [_cotangent(grads.get(i), *aval) for i, aval in zip(node.diff_outputs, avals)]
    if tiered.interpreting():
        host = values.host_list(primals)
        if host is not None:
            host_cotangents = [_host_zeros(*aval) if c is None else c
                               for c, aval in zip(cotangents, avals)]  # fmt: skip
            host_cotangents = values.host_list(host_cotangents)
            if host_cotangents is not None:
                out = tiered.run_host((primals, host_cotangents), host + host_cotangents)
                if out is not None:
                    return out
    args = (primals, [_on_device(c, aval) for c, aval in zip(cotangents, avals)])
    call = tiered.direct() if tiered.compiled is not None else None
    if call is not None:
        # other avals than the executable's raise TypeError: the kernel's own call takes them
        with contextlib.suppress(TypeError):
            return call(*args)
    return tiered(*args)


def _on_device(cotangent, aval):
    """A cotangent as a compiled kernel takes it: a JAX array (zeros where none arrived)."""
    if cotangent is None:
        return zeros(aval)
    return cotangent if isinstance(cotangent, _Array) else _interpreter.to_jax(cotangent)


_zeros: dict = {}  # (shape, dtype) -> read-only numpy zeros


def _host_zeros(shape, dtype):
    """Read-only numpy zeros for an interpreted kernel's missing cotangent, made once."""
    array = _zeros.get((shape, dtype))
    if array is None:
        if len(_zeros) > 256:
            _zeros.clear()
        array = _zeros[(shape, dtype)] = np.zeros(shape, dtype)
        array.flags.writeable = False
    return array


def _cotangent(grad, shape, dtype):
    """node_vjp's cotangent: the gradient cast to the output's type (a JAX array also when it
    is weak-typed); None where none arrived (zeros in the form the kernel runs in)."""
    if grad is None:
        return None
    if isinstance(grad, _Array):
        if grad.dtype != dtype or grad.weak_type:
            grad = grad.astype(dtype)
        return grad
    if grad.dtype != dtype:
        cast = None
        if grad.dtype in _FLOATS and np.dtype(dtype) in _FLOATS:
            cast = np.asarray(grad).astype(dtype)
            if _interpreter.has_subnormal(cast):
                cast = None  # XLA flushes it: cast in JAX
        grad = _interpreter.to_jax(grad).astype(dtype) if cast is None else cast
    return grad


class _Values:
    """Numpy forms of the chunk's JAX arrays, made once per array (None: a subnormal, which
    the interpreter cannot read)."""

    __slots__ = ("host",)

    def __init__(self):
        self.host = {}  # id(array) -> (array, numpy form): the array lives on, so its id stays

    def numpy(self, value):
        if not isinstance(value, _Array):
            return value
        known = self.host.get(id(value))
        if known is not None:
            return known[1]
        on_host = _tiers.host_sharding()
        if on_host is not None and value.sharding != on_host:
            self.host[id(value)] = (value, None)  # on another device: it stays in JAX
            return None
        host = np.asarray(value)
        if host.dtype in _FLOATS and _interpreter.has_subnormal(host):
            host = None
        self.host[id(value)] = (value, host)
        return host

    def host_list(self, arrays: list):
        out = []
        for array in arrays:
            value = self.numpy(array)
            if value is None:
                return None
            out.append(value)
        return out

    def add(self, a, b):
        """`kernels.add(a, b)`: in numpy when either is numpy and both have numpy forms of one
        type and shape, and the sum is not subnormal; else in JAX."""
        if not (isinstance(a, _Array) and isinstance(b, _Array)):
            x, y = self.numpy(a), self.numpy(b)
            if x is not None and y is not None and x.dtype == y.dtype and x.shape == y.shape:
                total = np.add(x, y)
                if total.dtype not in _FLOATS or not _interpreter.has_subnormal(total):
                    return total
        return add(*[v if isinstance(v, _Array) else _interpreter.to_jax(v) for v in (a, b)])
