"""F.linear as torch builds it, addmm(bias, input, weight.t()) or, without a bias,
input.matmul(weight.t()), without copying weight.t().

On XLA's CPU backend a transposed copy of the weight is a large part of a small layer's forward
(copying a 784x512 float32 weight takes most of the time of the matmul that reads it), while a
dot that reads its operand transposed inside the same kernel costs nothing extra. So the addmm
kernel here takes the weight itself and transposes inside, and `weight.t()` becomes a view whose
value is computed only if something reads it. The graph is the one the ordinary path records:
AddmmBackward0 (or matmul's node, MmBackward0 for a matrix input), whose edge for the transposed
weight leads to the view's TBackward0 node. The product's node saves the view as a
`LazyPrimal`, which a backward computes only where it reads it (for the gradient of `input`).

Once the kernel has compiled, a product of at most `_deferred.SMALL` elements is deferred like
a small dispatched op, and an input or bias whose value is pending stays pending.

Calls this does not cover take the ordinary path: tracers (torch.compile, torch.func), operands
on different devices (which raise torch's error there), the profiler (which shows aten::t and
aten::addmm or aten::matmul), a weight that is itself a view, a one-dimensional input without a
bias, and operands whose shapes or dtypes make the product raise torch's error.
"""

from __future__ import annotations

import jax

from .. import _deferred, _grad_mode
from .. import _profiler_state as profiler
from .._autograd import graph
from .._autograd.kernels import LazyPrimal
from .._autograd.views import mark_views
from .._device import on_one_device, several_devices
from .._storage import ViewChain
from .._tensor import Tensor, from_array, make_view
from . import forward
from .dispatch import (
    _CONCRETE,
    SLOT,
    RowFn,
    _concrete,
    _small,
    _ViewStep,
    remember_kernel_entry,
)
from .registry import TABLE

_LIMIT = 1024
_folds: dict = {}  # operand avals -> _Fold, or None where the call takes the ordinary path


class _OfTransposed:
    """product_fn(*operands, weight.T) as one kernel function (keyed apart from the plain row),
    written as the dot_general XLA makes of `input @ weight.T` when it compiles (the transpose
    folded into the contracting dimension): a first call, which runs eagerly, then has the
    compiled kernel's bits, where an eager transposed copy would change the dot's summation.
    The fold covers only operands the row computes this way (same float dtype, matching
    shapes; addmm with beta = alpha = 1 is `bias + product`)."""

    __slots__ = ("row", "product_fn", "t_fn", "key")

    def __init__(self, product_fn: RowFn, t_fn: RowFn):
        self.row, self.product_fn, self.t_fn = product_fn.row, product_fn, t_fn
        self.key = ("product with a transposed last operand", product_fn.key, t_fn.key)

    def __call__(self, *arrays):
        return _product_with(arrays[:-1], arrays[-1])


def _product_with(operands, weight):
    """operands[-1] @ weight.T as the dot_general XLA folds it to, plus operands[0] (the bias)
    when there are two operands."""
    x = operands[-1]
    dims = (((x.ndim - 1,), (1,)), ((), ()))
    product = jax.lax.dot_general(x, weight, dims, preferred_element_type=x.dtype)
    return product if len(operands) == 1 else operands[0] + product


class _ProductBackward:
    """The product node's function (`node.fn`, what its backward differentiates):
    product_fn(*operands, wt) with the weight `wt.T` behind an optimization barrier. So the
    weight's gradient is computed as a dot in the weight's own layout and then transposed,
    and TBackward0's transpose after it cancels that transpose in a compiled replay instead of
    folding into the dot: the first backward of a graph, node by node, and its replays sum the
    weight gradient in the same order. The input's gradient reads the barrier's weight too."""

    __slots__ = ("row", "key")

    def __init__(self, product_fn: RowFn):
        self.row = product_fn.row
        self.key = ("product through the weight's transpose", product_fn.key)

    def __call__(self, *arrays):
        return _product_with(arrays[:-1], jax.lax.optimization_barrier(arrays[-1].T))


class _Fold:
    """What every call with one set of operand avals shares: the row functions of `t` and of the
    product (`addmm`, or `matmul` without a bias; the same keys as the ordinary calls, so their
    backward kernels are shared), the forward kernel function, the product's grad_fn name, and
    the record templates, made by the first call that records."""

    __slots__ = ("t_fn", "t_chain", "product_fn", "kernel_fn", "name", "wt_aval", "t_record",
                 "product_record", "backward_fn")  # fmt: skip

    def __init__(self, row_name: str, weight_shape, dtype, name: str):
        slots = (SLOT,) * (3 if row_name == "addmm" else 2)
        self.t_fn = RowFn(TABLE["t"], ((SLOT,), {}), (None,))
        # the view chain of `weight.t()` on a weight that is not a view (shared by its views)
        self.t_chain = ViewChain((_ViewStep(self.t_fn, [], None),))
        self.product_fn = RowFn(TABLE[row_name], (slots, {}), (None,) * len(slots))
        self.kernel_fn = _OfTransposed(self.product_fn, self.t_fn)
        self.backward_fn = _ProductBackward(self.product_fn)
        self.name = name
        self.wt_aval = (weight_shape[::-1], dtype)
        self.t_record = self.product_record = None

    def transposed(self, weight):
        """weight.T through the cached `t` kernel (the saved view, where a backward reads it)."""
        return forward.run(self.t_fn, [weight])


def addmm_transposed(bias: Tensor, input: Tensor, weight: Tensor) -> Tensor:
    """bias.addmm(input, weight.t()), with the transpose inside the addmm kernel."""
    fold, arrays = _fold_of("addmm", (bias, input), weight)
    if fold is None:
        return bias.addmm(input, weight.t())
    return _run(fold, [bias, input, weight], arrays)


def matmul_transposed(input: Tensor, weight: Tensor) -> Tensor:
    """input.matmul(weight.t()) for an input of two or more dimensions, with the transpose
    inside the matmul kernel."""
    fold, arrays = _fold_of("matmul", (input,), weight)
    if fold is None:
        return input.matmul(weight.t())
    return _run(fold, [input, weight], arrays)


def _fold_of(row_name: str, operands: tuple, weight) -> tuple:
    """(the fold for this call, the operands' and the weight's arrays), or (None, None). An
    operand other than the weight may be pending (a `_deferred.Deferred` in its place)."""
    if profiler.active or not isinstance(weight, Tensor) or weight._view is not None:
        return None, None
    arrays, key = [], [row_name]
    for operand in operands:
        if not isinstance(operand, Tensor):
            return None, None
        value = operand._meta  # a pending result stays pending
        if value.__class__ not in _CONCRETE and not _concrete(value):
            return None, None  # a tracer: the traced program folds the transpose itself
        arrays.append(value)
        key += (value.shape, value.dtype)
    value = weight._value
    if value.__class__ not in _CONCRETE and not _concrete(value):
        return None, None
    arrays.append(value)
    key += (value.shape, value.dtype)
    if several_devices() and not on_one_device(arrays):  # pending results know their device
        return None, None  # the ordinary path raises torch's error for mixed devices
    key = tuple(key)
    fold = _folds.get(key, False)
    if fold is False:
        if len(_folds) >= _LIMIT:
            _folds.clear()
        fold = _folds[key] = _new_fold(row_name, arrays)
    return fold, arrays


def _new_fold(row_name: str, arrays: list) -> _Fold | None:
    """A fold for operands of these avals, or None where the call takes the ordinary path."""
    w, x = arrays[-1], arrays[-2]
    foldable = (
        x.ndim >= 2 and w.ndim == 2 and x.shape[-1] == w.shape[1]
        and all(a.dtype == w.dtype and a.size for a in arrays) and w.dtype.kind == "f"
    )  # fmt: skip
    if row_name == "addmm":
        b = arrays[0]
        foldable = foldable and x.ndim == 2 and b.ndim == 1 and b.shape[0] == w.shape[0]
        name = "AddmmBackward0"
    else:
        name = TABLE["matmul"].grad_fn_name((x, w), {})
    return _Fold(row_name, w.shape, w.dtype, name) if foldable else None


def _run(fold: _Fold, leaves: list, arrays: list) -> Tensor:
    out = from_array(_product(fold, arrays))
    if _grad_mode._state.enabled and any(leaf.requires_grad for leaf in leaves):
        _record(fold, leaves, arrays, out)
    return out


def _product(fold: _Fold, arrays: list):
    """The fold's kernel on `arrays`: once it has compiled, straight through the executable's
    own call (kept in `forward.plans`, so it goes when the kernels go), and for a small result
    deferred (`_deferred`, as the dispatch defers small ops); before that `forward.run`."""
    plan = forward.plans.get(fold)
    if plan is not None:
        direct, kernel, small = plan
        if small is not None and _deferred._switch["enabled"]:
            out = _deferred.defer(kernel, direct, fold, arrays, *small)
            forward.stats["forward_kernel_runs"] += 1
            return out
        _resolve(arrays)
        try:
            out = direct(*arrays)
        except Exception:  # noqa: BLE001 - other avals (a weak-typed operand) or an error: the
            forward.plans.pop(fold, None)  # kernel cache's path decides, and raises torch's error
        else:
            forward.stats["forward_kernel_runs"] += 1
            return out
    _resolve(arrays)
    out = forward.run(fold.kernel_fn, arrays)
    kernel = forward.compiled_kernel_for(fold.kernel_fn, arrays)
    direct = None if kernel is None else kernel.direct()
    if direct is not None:
        forward.plans[fold] = (direct, kernel, _small(out, fold.product_fn.row, direct))
    return out


def _resolve(arrays: list) -> None:
    """Replace pending operands (`_deferred.Deferred`) by their arrays, in place."""
    for a in arrays:
        if a.__class__ is _deferred.Deferred:
            arrays[:] = _deferred.resolved(arrays)
            return


def _record(fold: _Fold, leaves: list, arrays: list, out: Tensor) -> None:
    """The nodes `weight.t()` and the product record, with the view's value lazy."""
    weight = leaves[-1]
    wt = make_view(weight, None, None, fold.t_chain)
    wt._cache_source = None  # no value yet: computed from the storage when first read
    mark_views([wt], weight, False)
    w = arrays[-1]
    if fold.t_record is None:
        fold.t_record = graph.RecordTemplate(
            [weight], [w], [wt], "TBackward0", TABLE["t"], out_avals=(fold.wt_aval,)
        )
    node = graph.record_planned(fold.t_record, fold.t_fn, [weight], [w], [wt])
    remember_kernel_entry(fold.t_record, node)
    leaves = [*leaves[:-1], wt]
    arrays = [*arrays[:-1], LazyPrimal(fold.transposed, w, *fold.wt_aval)]
    _deferred.hold(arrays)  # pending operands: updated in the node's primals when they run
    row = fold.product_fn.row
    if fold.product_record is None:
        fold.product_record = graph.RecordTemplate(leaves, arrays, [out], fold.name, row)
    node = graph.record_planned(fold.product_record, fold.backward_fn, leaves, arrays, [out])
    remember_kernel_entry(fold.product_record, node)
