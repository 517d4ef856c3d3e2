"""Dispatch plans: a repeated flat call skips argument parsing and promotion, with the same results.

The first call of a signature runs eagerly, the second compiles its forward kernel and keeps a
plan, later calls run the plan. Each test compares the plan's results with the first (generic,
eager) call's: values to the bit, dtype, grad_fn name, next_functions and gradients.
"""

import numpy as np
import pytest

import torchlike
from torchlike._autograd import graph
from torchlike._ops import dispatch, forward
from torchlike._ops.registry import TABLE


@pytest.fixture(autouse=True)
def fresh_plans():
    forward.clear()
    forward.set_enabled(True)
    yield
    forward.set_enabled(True)
    torchlike.set_default_dtype(torchlike.float32)


def _bits(t):
    return np.asarray(t.detach()).tobytes()


def _facts(result):
    """What a call's result shows a user: bits, dtype, shape, grad_fn and its edges."""
    tensors = result if isinstance(result, tuple) else (result,)
    facts = []
    for t in tensors:
        grad_fn = t.grad_fn
        edges = None
        if grad_fn is not None:
            edges = [(type(n).__name__, i) for n, i in grad_fn.next_functions]
        facts.append((_bits(t), t.dtype, tuple(t.shape), type(grad_fn).__name__, edges))
    return facts


def _planned(row_name, *args, **kwargs):
    signature = dispatch._signature(TABLE[row_name], args, kwargs)
    return signature is not None and isinstance(forward.plans.get(signature[0]), dispatch.Plan)


def _inputs():
    torchlike.manual_seed(0)
    x = torchlike.rand(3, 4, requires_grad=True)
    y = torchlike.rand(3, 4)
    w = torchlike.rand(5, 4, requires_grad=True)
    b = torchlike.rand(5, requires_grad=True)
    n = torchlike.arange(12).reshape(3, 4)
    return x, y, w, b, n


CALLS = {
    "add": ("add", lambda x, y, w, b, n: (x, y), lambda x, y, w, b, n: x + y),
    "sub": ("sub", lambda x, y, w, b, n: (y, x), lambda x, y, w, b, n: y - x),
    "mul_float": ("mul", lambda x, y, w, b, n: (x, 2.5), lambda x, y, w, b, n: x * 2.5),
    "add_int_tensor": ("add", lambda x, y, w, b, n: (n, x), lambda x, y, w, b, n: n + x),
    "int_plus_int": ("add", lambda x, y, w, b, n: (n, 3), lambda x, y, w, b, n: n + 3),
    "pow": ("pow", lambda x, y, w, b, n: (x, 2), lambda x, y, w, b, n: x.pow(2)),
    "sum": ("sum", lambda x, y, w, b, n: (x,), lambda x, y, w, b, n: x.sum()),
    "sum_dim": ("sum", lambda x, y, w, b, n: (x, 1), lambda x, y, w, b, n: x.sum(1)),
    "relu": ("relu", lambda x, y, w, b, n: (x,), lambda x, y, w, b, n: torchlike.relu(x)),
    "t": ("t", lambda x, y, w, b, n: (w,), lambda x, y, w, b, n: w.t()),
    "addmm": (
        "addmm",
        lambda x, y, w, b, n: (b, x, w.t()),
        lambda x, y, w, b, n: b.addmm(x, w.t()),
    ),
    "max_dim": ("max", lambda x, y, w, b, n: (x, 0), lambda x, y, w, b, n: x.max(0)),
}
KEYWORD_CALLS = {  # name: (row, the row's (args, kwargs), the call)
    "sum_dim": ("sum", lambda x, y: ((x,), {"dim": 1}), lambda x, y: x.sum(dim=1)),
    "mean_keepdim": (
        "mean",
        lambda x, y: ((x,), {"dim": 0, "keepdim": True}),
        lambda x, y: x.mean(dim=0, keepdim=True),
    ),
    "softmax": ("softmax", lambda x, y: ((x,), {"dim": -1}), lambda x, y: x.softmax(dim=-1)),
    "add_alpha": ("add", lambda x, y: ((x, y), {"alpha": 2}), lambda x, y: x.add(y, alpha=2)),
    "clamp_min": ("clamp", lambda x, y: ((x,), {"min": 0.25}), lambda x, y: x.clamp(min=0.25)),
    "sub_other": ("sub", lambda x, y: ((x,), {"other": y}), lambda x, y: x.sub(other=y)),
}


@pytest.mark.parametrize("name", CALLS)
def test_a_planned_call_matches_the_generic_call(name):
    row_name, plan_args, call = CALLS[name]
    inputs = _inputs()
    first = call(*inputs)  # eager, generic
    call(*inputs)  # compiles the forward kernel, keeps a plan
    assert _planned(row_name, *plan_args(*inputs))
    planned = call(*inputs)
    assert _facts(planned) == _facts(first)
    if isinstance(planned, tuple):
        assert type(planned) is type(first) and planned._fields == first._fields


@pytest.mark.parametrize("name", KEYWORD_CALLS)
def test_a_planned_call_with_keywords_matches_the_generic_call(name):
    row_name, row_args, call = KEYWORD_CALLS[name]
    x, y = _inputs()[:2]
    first = call(x, y)
    call(x, y)
    args, kwargs = row_args(x, y)
    assert _planned(row_name, *args, **kwargs)
    planned = call(x, y)
    assert _facts(planned) == _facts(first)
    planned.sum().backward()
    grad = _bits(x.grad)
    x.grad = None
    first.sum().backward()
    assert grad == _bits(x.grad)


@pytest.mark.parametrize("name", ["add", "mul_float", "pow", "relu", "addmm", "sum_dim"])
def test_gradients_through_a_planned_call_match(name):
    _, _, call = CALLS[name]
    x, y, w, b, n = _inputs()
    grads = []
    for _ in range(3):
        for t in (x, w, b):
            t.grad = None
        call(x, y, w, b, n).sum().backward()
        grads.append([None if t.grad is None else _bits(t.grad) for t in (x, w, b)])
    assert grads[2] == grads[0]


def test_scalars_of_equal_value_but_other_types_get_their_own_plans():
    n = torchlike.arange(4)
    for _ in range(3):
        assert (n + 1).dtype is torchlike.int64
        assert (n + True).dtype is torchlike.int64
        assert (n + 1.0).dtype is torchlike.float32
        assert (n + 1).tolist() == [1, 2, 3, 4]
        assert (n + 1.0).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_keyword_names_are_part_of_the_signature():
    x = torchlike.tensor([0.0, 0.5, 1.0])
    for _ in range(3):
        assert x.clamp(min=0.25).tolist() == [0.25, 0.5, 1.0]
        assert x.clamp(max=0.25).tolist() == [0.0, 0.25, 0.25]


def test_signed_zero_and_nan_scalars_keep_their_values():
    x = torchlike.ones(3)
    for _ in range(3):
        assert np.signbit(np.asarray(x * -0.0)).all()
        assert not np.signbit(np.asarray(x * 0.0)).any()
        assert np.isnan(np.asarray(x * float("nan"))).all()


def test_the_default_dtype_is_part_of_the_signature():
    n = torchlike.arange(3)
    for _ in range(3):
        torchlike.set_default_dtype(torchlike.float32)
        assert (n * 1.5).dtype is torchlike.float32
        torchlike.set_default_dtype(torchlike.float64)
        assert (n * 1.5).dtype is torchlike.float64


def test_a_planned_view_shares_storage_and_writes_through():
    base = torchlike.zeros(2, 3)
    for _ in range(3):
        view = base.t()
    assert _planned("t", base)
    view[0, 1] = 5.0
    assert base[1, 0].item() == 5.0
    assert view._base is base


def test_grad_mode_and_requires_grad_are_read_per_call():
    x, y = torchlike.ones(2, requires_grad=True), torchlike.ones(2)
    for _ in range(3):
        assert type((x + y).grad_fn).__name__ == "AddBackward0"
        assert (y + y).grad_fn is None
        with torchlike.no_grad():
            assert (x + y).grad_fn is None


def test_operand_checks_still_run_for_new_signatures():
    a, b = torchlike.ones(2), torchlike.ones(2)
    for _ in range(3):
        a - b
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        torchlike.ones(2, dtype=torchlike.bool) - torchlike.ones(2, dtype=torchlike.bool)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match"):
        a - torchlike.ones(3)


def test_a_plan_whose_kernel_fails_falls_back_and_is_dropped():
    x = torchlike.ones(3)
    for _ in range(3):
        x * 3.0
    key = dispatch._signature(TABLE["mul"], (x, 3.0), {})[0]

    def broken(*arrays):
        raise ValueError("kernel refused")

    forward.plans[key].kernel = broken
    forward.plans[key].direct = None  # compiled already where kernels are never interpreted
    assert (x * 3.0).tolist() == [3.0, 3.0, 3.0]
    assert key not in forward.plans or forward.plans[key].kernel is not broken


def test_a_compiled_plan_calls_its_executable_directly(monkeypatch):
    """Once the kernel is compiled, a plan goes straight to the executable's own call (not
    through the tiered kernel), with the generic call's bits."""
    from torchlike import _tiers

    monkeypatch.setitem(_tiers._settings, "mode", "off")  # compile on the second call
    x, y = torchlike.rand(3, 4), torchlike.rand(3, 4)
    want = _bits(x / y)  # the first call runs eagerly
    results = [_bits(x / y) for _ in range(4)]
    plan = forward.plans[dispatch._signature(TABLE["div"], (x, y), {})[0]]
    assert plan.direct is not None and plan.direct is not plan.kernel
    assert plan.direct is plan.kernel.direct()
    assert results == [want] * 4


def test_a_direct_call_that_refuses_its_arguments_falls_back_and_is_dropped(monkeypatch):
    """An executable called with arguments it was not compiled for raises TypeError: the call
    takes the generic path, which gives the right result, and the plan is dropped."""
    from torchlike import _tiers

    monkeypatch.setitem(_tiers._settings, "mode", "off")
    x = torchlike.ones(3)
    for _ in range(4):
        x * 3.0
    key = dispatch._signature(TABLE["mul"], (x, 3.0), {})[0]
    plan = forward.plans[key]
    assert plan.direct is not None

    def refuses(*arrays):
        raise TypeError("compiled for other avals")

    plan.direct = refuses
    assert (x * 3.0).tolist() == [3.0, 3.0, 3.0]
    assert forward.plans.get(key) is not plan


def test_calls_with_numpy_scalars_or_tracers_take_the_generic_path():
    x = torchlike.ones(2, 3)
    assert dispatch._signature(TABLE["split"], (x, [1, np.int64(2)], 1), {}) is None
    assert dispatch._signature(TABLE["sum"], (x,), {"dim": np.int64(1)}) is None

    def f(t):
        return (t * 2.0).sum()

    for _ in range(3):
        assert torchlike.func.grad(f)(x).tolist() == [[2.0] * 3] * 2
        assert x.sum(dim=1).tolist() == [3.0, 3.0]


def test_turning_kernels_off_or_clearing_them_drops_the_plans():
    x = torchlike.ones(3)
    for _ in range(3):
        x + x
    assert forward.plans
    forward.set_enabled(False)
    assert not forward.plans
    for _ in range(3):
        assert (x + x).tolist() == [2.0] * 3
    assert not forward.plans
    forward.set_enabled(True)
    for _ in range(3):
        x + x
    assert forward.plans
    forward.clear()
    assert not forward.plans


def test_planned_calls_count_as_kernel_runs():
    x = torchlike.ones(3)
    x + x
    x + x
    runs = forward.stats["forward_kernel_runs"]
    x + x
    assert forward.stats["forward_kernel_runs"] == runs + 1


def _plans_of(row_name):
    return [
        key for key, plan in forward.plans.items()
        if isinstance(key, tuple) and key[0] is TABLE[row_name] and isinstance(plan, dispatch.Plan)
    ]  # fmt: skip


@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_calls_with_tuples_of_ints_are_planned_by_value(stride):
    """A convolution's stride and padding or a layer norm's shape are tuples of ints: keyed by
    their values, so each tuple gets a plan of its own and matches the generic call."""
    F = torchlike.nn.functional
    torchlike.manual_seed(0)
    x = torchlike.rand(2, 3, 8, 8, requires_grad=True)
    w = torchlike.rand(4, 3, 3, 3, requires_grad=True)

    def step(stride):
        out = F.conv2d(x, w, None, stride, (1, 0))
        return F.layer_norm(out, tuple(out.shape[-2:]))

    first = step(stride)
    other = step((1, 2))
    assert other.shape != first.shape
    for _ in range(2):
        planned = step(stride)
    assert len(_plans_of("conv2d")) == 2 and len(_plans_of("layer_norm")) == 2
    assert _facts(planned) == _facts(first)
    planned.sum().backward()
    grads = [_bits(x.grad), _bits(w.grad)]
    x.grad = w.grad = None
    first.sum().backward()
    assert grads == [_bits(x.grad), _bits(w.grad)]


def test_tuples_of_anything_but_ints_take_the_generic_path():
    x = torchlike.ones(2, 3)
    for shape in [(3.0,), (True,), ((3,),), (3, None)]:
        assert dispatch._signature(TABLE["layer_norm"], (x, shape), {}) is None
    assert dispatch._signature(TABLE["layer_norm"], (x, (3,)), {}) is not None


def test_planned_views_and_multiple_outputs_record_from_the_plans_template(monkeypatch):
    """A planned call whose outputs are views or several tensors records its node from the
    template its plan kept, as a single-output call does: no template is derived again."""
    x = _inputs()[0]
    calls = [lambda: x.t(), lambda: x.max(0), lambda: x.unflatten(1, (2, 2))]
    first = [call() for call in calls]
    for call in calls:
        call()  # compiles the forward kernel, keeps a plan
    made = []
    init = graph.RecordTemplate.__init__

    def counting(self, *args, **kwargs):
        made.append(args[3])
        init(self, *args, **kwargs)

    monkeypatch.setattr(graph.RecordTemplate, "__init__", counting)
    again = [call() for call in calls]
    assert made == []
    assert [_facts(a) for a in again] == [_facts(f) for f in first]
    sum(a.sum() if not isinstance(a, tuple) else a[0].sum() for a in again).backward()
    grad = _bits(x.grad)
    x.grad = None
    sum(f.sum() if not isinstance(f, tuple) else f[0].sum() for f in first).backward()
    assert grad == _bits(x.grad)


@pytest.mark.parametrize("form", [list, tuple])
def test_calls_with_sequences_of_tensors_are_planned_by_their_avals(form):
    """cat's and stack's tensors are keyed by their shapes and dtypes, as single tensors are:
    planned repeats match the generic call, and other shapes get plans of their own."""
    x, y = _inputs()[:2]

    def calls():
        return [torchlike.cat(form([x, y]), 1), torchlike.stack(form([y, x, y])),
                torchlike.cat(form([x, y[:2]]))]  # fmt: skip

    first = calls()
    calls()
    assert len(_plans_of("cat")) == 2 and len(_plans_of("stack")) == 1
    again = calls()
    assert [_facts(a) for a in again] == [_facts(f) for f in first]
    sum(a.sum() for a in again).backward()
    grad = _bits(x.grad)
    x.grad = None
    sum(f.sum() for f in first).backward()
    assert grad == _bits(x.grad)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        torchlike.cat(form([x, y[:, :2]]))


def test_mixed_sequences_take_the_generic_path_and_size_lists_are_planned_by_value():
    x = torchlike.ones(2, 4)
    assert dispatch._signature(TABLE["cat"], ([x, 1.0],), {}) is None
    assert dispatch._signature(TABLE["cat"], ([x, x.numpy()],), {}) is None
    assert dispatch._signature(TABLE["split"], (x, [1, 3.0], 1), {}) is None
    lists = dispatch._signature(TABLE["split"], (x, [1, 3], 1), {})
    assert lists is not None and lists != dispatch._signature(TABLE["split"], (x, (1, 3), 1), {})
    sizes = [1, 3]
    for _ in range(3):
        assert [t.shape[1] for t in x.split(sizes, 1)] == [1, 3]
    assert len(_plans_of("split")) == 1
    sizes[0], sizes[1] = 3, 1  # changed after its calls: the next sees the new sizes
    assert [t.shape[1] for t in x.split(sizes, 1)] == [3, 1]
    assert [t.shape[1] for t in x.split([1, 3], 1)] == [1, 3]


OVERLOADS = [  # calls of one row whose torch grad_fn names differ by overload
    lambda m, x, y, t: x.pow(2),
    lambda m, x, y, t: x.pow(t),
    lambda m, x, y, t: x.div(y),
    lambda m, x, y, t: x.div(y, rounding_mode="trunc"),
    lambda m, x, y, t: x.div(2.0),
    lambda m, x, y, t: x.clamp(min=0.2),
    lambda m, x, y, t: x.clamp(min=t),
    lambda m, x, y, t: x.sum(),
    lambda m, x, y, t: x.sum(1),
    lambda m, x, y, t: m.sub(x, 1.5),
]


def test_each_overload_keeps_torchs_grad_fn_name_once_planned():
    import torch

    def names(lib):
        x = lib.tensor(np.linspace(0.1, 1.2, 12, dtype=np.float32).reshape(3, 4))
        x.requires_grad_()
        y = lib.full((3, 4), 0.75)
        t = lib.full((3, 4), 0.5)
        return [type(call(lib, x, y, t).grad_fn).__name__ for call in OVERLOADS]

    want = names(torch)
    for _ in range(3):  # the first calls are generic; later ones run the plans they made
        assert names(torchlike) == want
