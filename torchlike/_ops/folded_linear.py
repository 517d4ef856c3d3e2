"""F.linear as torch builds it, addmm(bias, input, weight.t()), without copying weight.t().

On XLA's CPU backend a transposed copy of the weight is a large part of a small layer's forward
(copying a 784x512 float32 weight takes most of the time of the matmul that reads it), while a
dot that reads its operand transposed inside the same kernel costs nothing extra. So the addmm
kernel here takes the weight itself and transposes inside, and `weight.t()` becomes a view whose
value is computed only if something reads it. The graph is torch's: AddmmBackward0, whose mat2
edge leads to the view's TBackward0 node. AddmmBackward0 saves the view as a `LazyPrimal`, which
a backward computes only where it reads it (for the gradient of `input`).

Calls this does not cover take the ordinary path: tracers (torch.compile, torch.func), several
devices, the profiler (which shows aten::t and aten::addmm), a weight that is itself a view, and
operands whose shapes or dtypes make addmm raise torch's error.
"""

from __future__ import annotations

from .. import _grad_mode
from .. import _profiler_state as profiler
from .._autograd import graph
from .._autograd.kernels import LazyPrimal
from .._autograd.views import mark_views
from .._device import several_devices
from .._tensor import Tensor, from_array, make_view
from . import forward
from .dispatch import _CONCRETE, SLOT, RowFn, _concrete, _ViewStep, remember_kernel_entry
from .registry import TABLE

_LIMIT = 1024
_folds: dict = {}  # operand avals -> _Fold, or None where the call takes the ordinary path


class _AddmmOfTransposed:
    """addmm(bias, input, weight.T) as one kernel function (keyed apart from plain addmm)."""

    __slots__ = ("row", "addmm_fn", "t_fn", "key")

    def __init__(self, addmm_fn: RowFn, t_fn: RowFn):
        self.row, self.addmm_fn, self.t_fn = addmm_fn.row, addmm_fn, t_fn
        self.key = ("addmm of a transposed mat2", addmm_fn.key, t_fn.key)

    def __call__(self, bias, input, weight):
        return self.addmm_fn(bias, input, self.t_fn(weight))


class _Fold:
    """What every call with one set of operand avals shares: the row functions of `t` and
    `addmm` (the same keys as the ordinary calls, so their backward kernels are shared), the
    forward kernel function, and the record templates, made by the first call that records."""

    __slots__ = ("t_fn", "addmm_fn", "kernel_fn", "wt_aval", "t_record", "addmm_record")

    def __init__(self, weight_shape, dtype):
        self.t_fn = RowFn(TABLE["t"], ((SLOT,), {}), (None,))
        self.addmm_fn = RowFn(TABLE["addmm"], ((SLOT, SLOT, SLOT), {}), (None, None, None))
        self.kernel_fn = _AddmmOfTransposed(self.addmm_fn, self.t_fn)
        self.wt_aval = (weight_shape[::-1], dtype)
        self.t_record = self.addmm_record = None

    def transposed(self, weight):
        """weight.T through the cached `t` kernel (the saved view, where a backward reads it)."""
        return forward.run(self.t_fn, [weight])


def addmm_transposed(bias: Tensor, input: Tensor, weight: Tensor) -> Tensor:
    """bias.addmm(input, weight.t()), with the transpose inside the addmm kernel."""
    fold = None
    if isinstance(bias, Tensor) and isinstance(input, Tensor) and isinstance(weight, Tensor):
        if not profiler.active and weight._view is None:
            arrays = [bias._value, input._value, weight._value]
            fold = _fold_for(*arrays)
    if fold is None:
        return bias.addmm(input, weight.t())
    out = from_array(forward.run(fold.kernel_fn, arrays))
    if _grad_mode._state.enabled and (
        bias.requires_grad or input.requires_grad or weight.requires_grad
    ):
        _record(fold, bias, input, weight, arrays, out)
    return out


def _fold_for(b, x, w) -> _Fold | None:
    for value in (b, x, w):
        if value.__class__ not in _CONCRETE and not _concrete(value):
            return None  # a tracer: the traced program folds the transpose itself
    key = (b.shape, b.dtype, x.shape, x.dtype, w.shape, w.dtype)
    fold = _folds.get(key, False)
    if fold is False:
        foldable = (
            x.ndim == 2 and w.ndim == 2 and b.ndim == 1
            and b.shape[0] == w.shape[0] and x.shape[1] == w.shape[1]
            and b.dtype == x.dtype == w.dtype and w.dtype.kind == "f"
            and b.size and x.size and w.size and not several_devices()
        )  # fmt: skip
        if len(_folds) >= _LIMIT:
            _folds.clear()
        fold = _folds[key] = _Fold(w.shape, w.dtype) if foldable else None
    return fold


def _record(fold: _Fold, bias, input, weight, arrays: list, out: Tensor) -> None:
    """The nodes `weight.t()` and `bias.addmm(input, wt)` record, with the view's value lazy."""
    wt = make_view(weight, _ViewStep(fold.t_fn, [], None), None)
    wt._cache_source = None  # no value yet: computed from the storage when first read
    mark_views([wt], weight, False)
    w = arrays[2]
    if fold.t_record is None:
        fold.t_record = graph.RecordTemplate(
            [weight], [w], [wt], "TBackward0", TABLE["t"], out_avals=(fold.wt_aval,)
        )
    node = graph.record_planned(fold.t_record, fold.t_fn, [weight], [w], [wt])
    remember_kernel_entry(fold.t_record, node)
    leaves = [bias, input, wt]
    arrays = [arrays[0], arrays[1], LazyPrimal(fold.transposed, w, *fold.wt_aval)]
    if fold.addmm_record is None:
        fold.addmm_record = graph.RecordTemplate(
            leaves, arrays, [out], "AddmmBackward0", TABLE["addmm"]
        )
    node = graph.record_planned(fold.addmm_record, fold.addmm_fn, leaves, arrays, [out])
    remember_kernel_entry(fold.addmm_record, node)
