"""torchlike.optim against torch.optim: same updates, state dicts, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike as tl

RNG = np.random.default_rng(1)


def assert_close(ours, theirs, rtol=1e-6):
    """Elementwise rtol, with elements near zero judged against the tensor's largest magnitude."""
    expected = theirs.detach().numpy()
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=rtol * scale)


def twin_params(*shapes):
    """Matching leaf parameters in torch and torchlike (same starting values)."""
    arrays = [RNG.standard_normal(shape).astype(np.float32) for shape in shapes]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    ours = [tl.nn.Parameter(tl.tensor(a)) for a in arrays]
    return ours, theirs


def set_grads(ours, theirs):
    for our_param, their_param in zip(ours, theirs):
        grad = RNG.standard_normal(tuple(their_param.shape)).astype(np.float32)
        their_param.grad = torch.tensor(grad)
        our_param.grad = tl.tensor(grad)


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.01, "maximize": True},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=lambda s: "-".join(map(str, s.items())))
def test_sgd_steps_match_torch(settings):
    ours, theirs = twin_params((4, 3), (3,), (2, 2, 2))
    our_opt, their_opt = tl.optim.SGD(ours, **settings), torch.optim.SGD(theirs, **settings)
    storages = [p.untyped_storage() for p in ours]
    for _ in range(4):
        set_grads(ours, theirs)
        our_opt.step()
        their_opt.step()
        for our_param, their_param in zip(ours, theirs):
            assert_close(our_param, their_param)
    assert [p.untyped_storage() for p in ours] == storages
    _assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict())


def _assert_same_state_dict(ours, theirs):
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for key, their_state in theirs["state"].items():
        assert list(ours["state"][key]) == list(their_state)
        for name, value in their_state.items():
            assert_close(ours["state"][key][name], value)


def test_params_without_grad_are_skipped_like_torch():
    ours, theirs = twin_params((3,), (2,))
    our_opt = tl.optim.SGD(ours, lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    set_grads(ours[:1], theirs[:1])
    our_opt.step()
    their_opt.step()
    _assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict())
    assert_close(ours[1], theirs[1])


def test_param_groups_and_state_dict_format_match_torch():
    ours, theirs = twin_params((3,), (2,), (2, 2))

    def build(ns, params):
        opt = ns.optim.SGD(
            [{"params": params[:2]}, {"params": params[2], "lr": 0.5}], lr=0.1, momentum=0.9
        )
        return opt

    our_opt, their_opt = build(tl, ours), build(torch, theirs)
    set_grads(ours, theirs)
    our_opt.step()
    their_opt.step()
    _assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict())
    assert repr(our_opt) == repr(their_opt)


def test_load_state_dict_from_torch_continues_identically():
    ours, theirs = twin_params((4, 3), (3,))
    their_opt = torch.optim.SGD(theirs, lr=0.05, momentum=0.9, nesterov=True)
    for _ in range(2):
        set_grads(ours, theirs)
        their_opt.step()
    for our_param, their_param in zip(ours, theirs):
        with tl.no_grad():
            our_param.copy_(tl.tensor(their_param.detach().numpy()))
    saved = their_opt.state_dict()
    converted = {
        "state": {
            k: {n: tl.tensor(v.numpy()) for n, v in s.items()} for k, s in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    our_opt = tl.optim.SGD(ours, lr=1.0)
    our_opt.load_state_dict(converted)
    assert our_opt.param_groups[0]["lr"] == 0.05
    assert our_opt.param_groups[0]["params"][0] is ours[0]
    for _ in range(2):
        set_grads(ours, theirs)
        our_opt.step()
        their_opt.step()
    for our_param, their_param in zip(ours, theirs):
        assert_close(our_param, their_param)


def test_zero_grad_matches_torch():
    for set_to_none in (True, False):
        ours, theirs = twin_params((3,))
        our_opt, their_opt = tl.optim.SGD(ours), torch.optim.SGD(theirs)
        set_grads(ours, theirs)
        our_opt.zero_grad(set_to_none=set_to_none)
        their_opt.zero_grad(set_to_none=set_to_none)
        if set_to_none:
            assert ours[0].grad is None and theirs[0].grad is None
        else:
            np.testing.assert_array_equal(ours[0].grad.numpy(), theirs[0].grad.numpy())


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    ours, theirs = twin_params((3,))

    def closure_for(ns, params, opt):
        def closure():
            opt.zero_grad()
            loss = (params[0] ** 2).sum()
            loss.backward()
            return loss

        return closure

    our_opt, their_opt = tl.optim.SGD(ours, lr=0.1), torch.optim.SGD(theirs, lr=0.1)
    with tl.no_grad():
        our_loss = our_opt.step(closure_for(tl, ours, our_opt))
    with torch.no_grad():
        their_loss = their_opt.step(closure_for(torch, theirs, their_opt))
    assert_close(our_loss, their_loss)
    assert_close(ours[0], theirs[0])


def _error_of(fn, ns):
    try:
        fn(ns)
    except Exception as error:  # the exception itself is what is compared
        return type(error).__name__, str(error)
    return None


def _leaf(ns):
    return ns.nn.Parameter(ns.ones(2))


ERROR_CASES = {
    "negative_lr": lambda ns: ns.optim.SGD([_leaf(ns)], lr=-1),
    "negative_momentum": lambda ns: ns.optim.SGD([_leaf(ns)], lr=0.1, momentum=-0.5),
    "negative_weight_decay": lambda ns: ns.optim.SGD([_leaf(ns)], weight_decay=-1e-3),
    "nesterov_without_momentum": lambda ns: ns.optim.SGD([_leaf(ns)], nesterov=True),
    "nesterov_with_dampening": lambda ns: ns.optim.SGD(
        [_leaf(ns)], momentum=0.9, dampening=0.1, nesterov=True),
    "tensor_lr_size": lambda ns: ns.optim.SGD([_leaf(ns)], lr=ns.tensor([0.1, 0.2])),
    "empty": lambda ns: ns.optim.SGD([], lr=0.1),
    "tensor_params": lambda ns: ns.optim.SGD(_leaf(ns), lr=0.1),
    "set_params": lambda ns: ns.optim.SGD([{"params": {_leaf(ns)}}], lr=0.1),
    "not_a_tensor": lambda ns: ns.optim.SGD([1.0], lr=0.1),
    "non_leaf": lambda ns: ns.optim.SGD([_leaf(ns) * 2], lr=0.1),
    "overlapping_groups": lambda ns: _overlapping(ns),
    "group_not_dict": lambda ns: ns.optim.SGD([_leaf(ns)]).add_param_group([1]),
    "base_step": lambda ns: ns.optim.Optimizer([_leaf(ns)], {}).step(),
    "load_group_count": lambda ns: ns.optim.SGD([_leaf(ns)]).load_state_dict(
        {"state": {}, "param_groups": []}),
    "load_group_size": lambda ns: ns.optim.SGD([_leaf(ns)]).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0, 1]}]}),
    "fused_differentiable": lambda ns: ns.optim.SGD([_leaf(ns)], fused=True, differentiable=True),
}  # fmt: skip


def _overlapping(ns):
    p = _leaf(ns)
    ns.optim.SGD([{"params": [p]}, {"params": [p]}])


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_matches_torch(case):
    theirs = _error_of(ERROR_CASES[case], torch)
    assert theirs is not None
    assert _error_of(ERROR_CASES[case], tl) == theirs


def test_duplicate_params_warn_like_torch():
    with pytest.warns(UserWarning) as their_warnings:
        p = torch.nn.Parameter(torch.ones(2))
        torch.optim.SGD([p, p])
    with pytest.warns(UserWarning) as our_warnings:
        q = tl.nn.Parameter(tl.ones(2))
        tl.optim.SGD([q, q])
    assert str(our_warnings[0].message) == str(their_warnings[0].message)


def test_named_params_are_kept_like_torch():
    ours, theirs = twin_params((3,), (2,))
    our_opt = tl.optim.SGD(list(zip(["a", "b"], ours)), lr=0.1)
    their_opt = torch.optim.SGD(list(zip(["a", "b"], theirs)), lr=0.1)
    assert our_opt.state_dict()["param_groups"] == their_opt.state_dict()["param_groups"]
