"""torchlike's fused optimizer step on its own: one compiled update per parameter group that
equals the per-tensor path bit for bit, writes in place and does not recompile as lr changes."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as tl
from torchlike import nn, optim
from torchlike._compile import diagnostics
from torchlike.optim import _stepper

SHAPES = [(3, 4), (5,), (2, 1, 3)]
OPTIMIZERS = {
    "SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01},
    "RMSprop": {"centered": True, "momentum": 0.5},
    "Adagrad": {"lr_decay": 0.01},
    "Adadelta": {"weight_decay": 0.1},
    "Adamax": {"maximize": True},
    "NAdam": {"decoupled_weight_decay": True, "weight_decay": 0.1},
    "RAdam": {"weight_decay": 0.1},
}


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(tl.tensor(rng.standard_normal(s).astype(np.float32))) for s in SHAPES]


def _set_grads(params, rng):
    for p in params:
        p.grad = tl.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fused_equals_per_tensor_bit_for_bit(name):
    fused, single = _params(), _params()
    fused_opt = getattr(optim, name)(fused, **OPTIMIZERS[name])
    single_opt = getattr(optim, name)(single, foreach=False, **OPTIMIZERS[name])
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    for _ in range(7):  # RAdam switches to its rectified update after step 5
        _set_grads(fused, rng_a)
        _set_grads(single, rng_b)
        fused_opt.step()
        single_opt.step()
    for a, b, start in zip(fused, single, _params()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert not np.array_equal(a.detach().numpy(), start.detach().numpy())  # it moved


def test_step_writes_in_place_and_keeps_views_and_state_objects():
    params = _params()
    view = params[0][1]  # a view into the first parameter
    ident, storage, version = id(params[0]), params[0].untyped_storage(), params[0]._version
    opt = optim.Adam(params, lr=0.1)
    _set_grads(params, np.random.default_rng(2))
    opt.step()
    state = opt.state[params[0]]
    exp_avg, step = state["exp_avg"], state["step"]
    assert id(params[0]) == ident and params[0].untyped_storage() is storage
    assert params[0]._version > version and params[0].is_leaf and params[0].requires_grad
    np.testing.assert_array_equal(view.detach().numpy(), params[0].detach().numpy()[1])
    _set_grads(params, np.random.default_rng(3))
    opt.step()
    assert opt.state[params[0]]["exp_avg"] is exp_avg and opt.state[params[0]]["step"] is step
    assert step.dtype == tl.float32 and step.shape == () and step.item() == 2.0


def test_changing_lr_every_step_does_not_recompile():
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    scheduler = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    rng = np.random.default_rng(4)
    run = _stepper._compiled_in_two(
        optim.Adam._state_update, optim.Adam._param_update, opt._flags(opt.param_groups[0])
    )

    def compiled():
        return sum(program._cache_size() for program in run.programs)

    _set_grads(params, rng)
    opt.step()
    scheduler.step()
    programs = compiled()  # the first step compiled (other tests may share the programs)
    assert programs >= 2
    for _ in range(5):
        _set_grads(params, rng)
        opt.step()
        scheduler.step()
    assert compiled() == programs and opt.param_groups[0]["lr"] == 0.1 * 0.5**6


def test_adam_steps_write_over_arrays_nothing_else_holds():
    """Adam's state program and parameter program donate the arrays they replace; a tensor
    sharing the storage (detach) sees the new values, as torch's in-place update shows them."""
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    twins = _params()
    twin_opt = optim.Adam(twins, lr=0.1, foreach=False)
    shared = params[0].detach()
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    before = _stepper.stats["donated_programs"]
    for _ in range(3):
        _set_grads(params, rng_a)
        _set_grads(twins, rng_b)
        opt.step()
        twin_opt.step()
    assert _stepper.stats["donated_programs"] - before == 6
    np.testing.assert_array_equal(shared.numpy(), params[0].detach().numpy())
    for ours, twin in zip(params, twins):
        np.testing.assert_array_equal(ours.detach().numpy(), twin.detach().numpy())


def test_adam_keeps_arrays_something_else_holds():
    """A numpy view of a parameter's array keeps it: that step's parameter program writes new
    buffers (the state program still donates), and the view keeps the old values."""
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    _set_grads(params, np.random.default_rng(6))
    opt.step()
    view = np.asarray(params[1].detach())
    old = view.copy()
    before = _stepper.stats["donated_programs"]
    _set_grads(params, np.random.default_rng(7))
    opt.step()
    assert _stepper.stats["donated_programs"] - before == 1
    np.testing.assert_array_equal(view, old)
    assert not np.array_equal(params[1].detach().numpy(), old)


def test_step_numbers_are_shared_by_parameters_with_equal_scalars_only():
    """Numbers are computed and passed once per distinct set of scalar values: an int, a float
    and a negative zero never share, and NaN or a traced value never shares."""
    key = _stepper._numbers_key
    keys = [key({"step": v}) for v in (0, 0.0, -0.0, 1, 1.0)]
    assert len(set(keys)) == 5 and key({"step": 2.0}) == key({"step": 2.0})
    assert key({"step": float("nan")}) is None and key({"step": tl.tensor(1.0)}) is None
    assert key({}) == ()


def test_parameters_at_different_steps_take_their_own_numbers_and_match_torch():
    """A parameter that missed a step has its own step count (so its own bias corrections);
    the others share theirs, and every parameter ends where torch's Adamax puts it, bit for bit
    (Adamax's bias correction depends on the step; it has no square root, whose CPU rounding
    differs in torch)."""
    import torch

    fused = _params()
    mine = optim.Adamax(fused, lr=0.1)
    theirs_params = [torch.nn.Parameter(torch.from_numpy(p.detach().numpy().copy())) for p in fused]
    theirs = torch.optim.Adamax(theirs_params, lr=0.1)
    seen = []
    advance = mine._advance_all

    def spy(group, states):
        shared, slots = advance(group, states)
        seen.append(slots)
        return shared, slots

    mine._advance_all = spy
    for step in range(4):
        _set_grads(fused, np.random.default_rng(step))
        for p, q in zip(fused, theirs_params):
            q.grad = torch.from_numpy(p.grad.numpy().copy())
        if step == 1:
            fused[1].grad = theirs_params[1].grad = None
        for opt in (mine, theirs):
            opt.step()
    assert seen == [(0, 0, 0), (0, 0), (0, 1, 0), (0, 1, 0)]
    for a, b in zip(fused, theirs_params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_steps_with_converted_numbers_match_torch_bit_for_bit():
    """Steps whose numbers went in once for the whole group (lr changing every step) give
    torch's SGD results bit for bit."""
    import torch

    fused = _params()
    mine = optim.SGD(fused, lr=0.1, momentum=0.9)
    theirs_params = [torch.nn.Parameter(torch.from_numpy(p.detach().numpy().copy())) for p in fused]
    theirs = torch.optim.SGD(theirs_params, lr=0.1, momentum=0.9)
    for step in range(3):
        _set_grads(fused, np.random.default_rng(step))
        for p, q in zip(fused, theirs_params):
            q.grad = torch.from_numpy(p.grad.numpy().copy())
        for opt in (mine, theirs):
            opt.step()
            opt.param_groups[0]["lr"] *= 0.5
    for a, b in zip(fused, theirs_params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_parameters_without_grad_are_skipped():
    params = _params()
    before = params[1].detach().numpy().copy()
    opt = optim.RMSprop(params)
    _set_grads(params, np.random.default_rng(5))
    params[1].grad = None
    opt.step()
    np.testing.assert_array_equal(params[1].detach().numpy(), before)
    assert params[1] not in opt.state and params[0] in opt.state


def test_adam_first_step_moves_each_weight_by_lr():
    p = nn.Parameter(tl.tensor([1.0, -2.0, 3.0]))
    opt = optim.Adam([p], lr=0.1)
    p.grad = tl.tensor([0.5, -4.0, 1e-3])
    opt.step()  # the bias-corrected first step is lr * sign(grad) (up to eps)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-5)


def test_adagrad_makes_state_up_front_and_sgd_has_none_without_momentum():
    params = _params()
    adagrad = optim.Adagrad(params, initial_accumulator_value=0.25)
    assert list(adagrad.state[params[0]]) == ["step", "sum"]
    assert adagrad.state[params[0]]["sum"].detach().numpy().tolist()[0] == [0.25] * 4
    sgd = optim.SGD(params, lr=0.1)
    _set_grads(params, np.random.default_rng(6))
    sgd.step()
    assert dict(sgd.state) == {}


def test_float64_parameters_stay_float64():
    p = nn.Parameter(tl.tensor([1.0, 2.0], dtype=tl.float64))
    opt = optim.NAdam([p])
    p.grad = tl.tensor([0.1, -0.2], dtype=tl.float64)
    opt.step()
    assert p.dtype == tl.float64 and opt.state[p]["exp_avg"].dtype == tl.float64


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda p: optim.Adam([p], differentiable=True), "optim.Adam(differentiable=True)"),
        (lambda p: optim.RMSprop([p], differentiable=True), "optim.RMSprop(differentiable=True)"),
    ],
)
def test_unsupported_options_name_themselves(make, error):
    p = nn.Parameter(tl.ones(2))
    opt = make(p)
    p.grad = tl.ones(2)
    with pytest.raises(NotImplementedError, match=error.replace("(", r"\(").replace(")", r"\)")):
        opt.step()


@pytest.mark.parametrize("name", ["Adam", "RAdam", "NAdam"])
def test_step_inside_torch_compile_matches_eager(name):
    def make():
        tl.manual_seed(0)
        model = nn.Linear(4, 3)
        return model, getattr(optim, name)(model.parameters(), lr=0.05)

    x = tl.tensor(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32))

    def train_step(model, opt):
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    (eager, eager_opt), (traced, traced_opt) = make(), make()
    compiled_step = tl.compile(lambda: train_step(traced, traced_opt))
    diagnostics.reset_counters()
    for _ in range(7):  # RAdam's rectification switches on inside the compiled program
        train_step(eager, eager_opt)
        compiled_step()
    for a, b in zip(eager.parameters(), traced.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert traced_opt.state[traced.weight]["step"].item() == 7.0
    counters = diagnostics.counters
    assert counters["eager_calls"] == 0 and counters["cache_hits"] >= 5, counters


def _step_before_backward(lib):
    lib.manual_seed(0)
    model = lib.nn.Linear(4, 3)
    opt = lib.optim.Adam(model.parameters())
    x = lib.ones(2, 4, requires_grad=True)
    (model(x) ** 2).sum().backward()
    loss = (model(x) ** 2).sum()  # its graph saved the weight
    opt.step()
    try:
        loss.backward()
    except RuntimeError as error:
        return str(error)
    return None


def test_a_step_between_forward_and_backward_gives_torchs_error():
    """The graph holds the weight's array, so the step does not write over it: the backward
    reports the in-place change as torch does (not a deleted array)."""
    import torch

    expected = _step_before_backward(torch)
    assert expected is not None and "modified by an inplace operation" in expected
    assert _step_before_backward(tl) == expected
