"""Every torchlike optimizer against torch's, step by step on identical parameters and gradients.

The first case of each optimizer runs the default fused step.
Optimizers without a square root (SGD, Adamax) agree with torch bit for bit. The others agree to
float32 rounding: torch's CPU `sqrt` is not correctly rounded (about one ulp off on a fifth of
the elements) while XLA's is, so those are compared with a tolerance of a few ulps per step.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike as tl

SHAPES = [(4, 3), (3,), (37,), (2, 2, 2)]
STEPS = 6

CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"maximize": True, "weight_decay": 0.05, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True, "alpha": 0.9}),
    ("RMSprop", {"momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.3}),
    ("Adagrad", {"weight_decay": 0.1, "maximize": True, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.8, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"weight_decay": 0.1, "maximize": True, "betas": (0.8, 0.99)}),
    ("NAdam", {}),
    ("NAdam", {"momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"weight_decay": 0.1, "betas": (0.9, 0.9)}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}),
]
EXACT = {"SGD", "Adamax"}
FIRST_CASES = [next(case for case in CASES if case[0] == name) for name in dict(CASES)]


def _case_id(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


def _twins(rng):
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    return (
        [tl.nn.Parameter(tl.tensor(a)) for a in arrays],
        [torch.nn.Parameter(torch.tensor(a)) for a in arrays],
    )


def _groups(params, name):
    second_lr = {"Adadelta": 0.5, "SGD": 0.02}.get(name, 0.003)
    return [{"params": params[:2]}, {"params": params[2:], "lr": second_lr}]


def _compare(ours, theirs, exact):
    expected = theirs.detach().numpy()
    actual = ours.detach().numpy()
    if exact:
        np.testing.assert_array_equal(actual, expected)
    else:
        scale = float(np.abs(expected).max()) if expected.size else 0.0
        np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=2e-6 * scale)


def _run_both(name, options, steps=STEPS, seed=0):
    """Step both optimizers; the first case of each optimizer runs torchlike's fused (default)
    step, the others its per-tensor path (`foreach=False`, equal to the fused step bit for bit,
    see tests/test_optim_fused.py), which spares a compile per case."""
    if (name, options) not in FIRST_CASES:
        options = {**options, "foreach": False}
    rng = np.random.default_rng(seed)
    ours, theirs = _twins(rng)
    our_opt = getattr(tl.optim, name)(_groups(ours, name), **options)
    their_opt = getattr(torch.optim, name)(_groups(theirs, name), **options)
    for step in range(steps):
        for index, (our_param, their_param) in enumerate(zip(ours, theirs)):
            if step == 2 and index == 1:  # a parameter without a gradient is skipped
                our_param.grad = their_param.grad = None
                continue
            grad = rng.standard_normal(tuple(their_param.shape)).astype(np.float32)
            our_param.grad, their_param.grad = tl.tensor(grad), torch.tensor(grad)
        our_opt.step()
        their_opt.step()
        for our_param, their_param in zip(ours, theirs):
            _compare(our_param, their_param, name in EXACT)
    return our_opt, their_opt


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_steps_state_dict_and_repr_match_torch(case):
    name, options = case
    our_opt, their_opt = _run_both(name, options)
    assert repr(our_opt) == repr(their_opt)
    ours, theirs = our_opt.state_dict(), their_opt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for key, their_state in theirs["state"].items():
        assert list(ours["state"][key]) == list(their_state)
        for field, value in their_state.items():
            ours_value = ours["state"][key][field]
            if field in ("step", "mu_product"):
                assert ours_value.dtype == tl.float32 and ours_value.shape == value.shape
                np.testing.assert_array_equal(ours_value.numpy(), value.numpy())
            else:
                _compare(ours_value, value, name in EXACT)


def test_load_torch_state_dict_then_continue_identically():
    rng = np.random.default_rng(5)
    ours, theirs = _twins(rng)
    their_opt = torch.optim.Adam(theirs, lr=0.01, amsgrad=True)
    for _ in range(3):
        for p in theirs:
            p.grad = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
        their_opt.step()
    ours = [tl.nn.Parameter(tl.tensor(p.detach().numpy())) for p in theirs]
    saved = their_opt.state_dict()
    converted = {
        "state": {
            k: {n: tl.tensor(v.numpy()) for n, v in s.items()} for k, s in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    our_opt = tl.optim.Adam(ours, lr=1.0)
    our_opt.load_state_dict(converted)
    for _ in range(3):
        for our_param, their_param in zip(ours, theirs):
            grad = rng.standard_normal(tuple(their_param.shape)).astype(np.float32)
            our_param.grad, their_param.grad = tl.tensor(grad), torch.tensor(grad)
        our_opt.step()
        their_opt.step()
    for our_param, their_param in zip(ours, theirs):
        _compare(our_param, their_param, exact=False)


def test_lr_changed_between_steps_is_used_like_torch():
    our_opt, their_opt = _run_both("Adam", {"lr": 0.01}, steps=1)
    for lr in (0.02, 0.005):
        for opt in (our_opt, their_opt):
            opt.param_groups[0]["lr"] = lr
    rng = np.random.default_rng(9)
    ours = [p for g in our_opt.param_groups for p in g["params"]]
    theirs = [p for g in their_opt.param_groups for p in g["params"]]
    for our_param, their_param in zip(ours, theirs):
        grad = rng.standard_normal(tuple(their_param.shape)).astype(np.float32)
        our_param.grad, their_param.grad = tl.tensor(grad), torch.tensor(grad)
    our_opt.step()
    their_opt.step()
    for our_param, their_param in zip(ours, theirs):
        _compare(our_param, their_param, exact=False)


# Optimizers whose first steps take no square root, on parameters large enough for XLA's
# vectorised loops, where LLVM would fuse a rounded product into the following add.
LARGE_EXACT = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.05}),
    ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("Adamax", {"weight_decay": 0.1}),
]


@pytest.mark.parametrize("case", LARGE_EXACT, ids=_case_id)
def test_large_parameters_match_torch_bit_for_bit(case):
    name, options = case
    rng = np.random.default_rng(11)
    start = rng.standard_normal((300, 257)).astype(np.float32)
    ours, theirs = tl.nn.Parameter(tl.tensor(start)), torch.nn.Parameter(torch.tensor(start))
    our_opt = getattr(tl.optim, name)([ours], **options)
    their_opt = getattr(torch.optim, name)([theirs], **options)
    for _ in range(4):  # RAdam rectifies (takes a square root) only from its sixth step
        grad = rng.standard_normal(start.shape).astype(np.float32)
        ours.grad, theirs.grad = tl.tensor(grad), torch.tensor(grad)
        our_opt.step()
        their_opt.step()
        _compare(ours, theirs, exact=True)


def _error_of(fn, ns):
    try:
        fn(ns)
    except Exception as error:  # the exception itself is what is compared
        return type(error).__name__, str(error)
    return None


def _p(ns):
    return [ns.nn.Parameter(ns.ones(2))]


ERRORS = {
    "adam_lr": lambda ns: ns.optim.Adam(_p(ns), lr=-0.1),
    "adam_eps": lambda ns: ns.optim.Adam(_p(ns), eps=-1.0),
    "adam_beta0": lambda ns: ns.optim.Adam(_p(ns), betas=(1.0, 0.9)),
    "adam_beta1": lambda ns: ns.optim.Adam(_p(ns), betas=(0.9, -0.1)),
    "adam_int_betas": lambda ns: ns.optim.Adam(_p(ns), betas=(0, 0.9)),
    "adam_wd": lambda ns: ns.optim.Adam(_p(ns), weight_decay=-1.0),
    "adam_fused_foreach": lambda ns: ns.optim.Adam(_p(ns), fused=True, foreach=True),
    "adamw_lr": lambda ns: ns.optim.AdamW(_p(ns), lr=-2.0),
    "rmsprop_alpha": lambda ns: ns.optim.RMSprop(_p(ns), alpha=-0.5),
    "rmsprop_momentum": lambda ns: ns.optim.RMSprop(_p(ns), momentum=-0.5),
    "adagrad_lr_decay": lambda ns: ns.optim.Adagrad(_p(ns), lr_decay=-0.5),
    "adagrad_initial": lambda ns: ns.optim.Adagrad(_p(ns), initial_accumulator_value=-1),
    "adadelta_rho": lambda ns: ns.optim.Adadelta(_p(ns), rho=1.5),
    "adamax_beta": lambda ns: ns.optim.Adamax(_p(ns), betas=(0.9, 1.0)),
    "nadam_momentum_decay": lambda ns: ns.optim.NAdam(_p(ns), momentum_decay=-1.0),
    "radam_eps": lambda ns: ns.optim.RAdam(_p(ns), eps=-1e-8),
    "tensor_lr_size": lambda ns: ns.optim.RMSprop(_p(ns), lr=ns.tensor([0.1, 0.2])),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_constructor_errors_match_torch(case):
    theirs = _error_of(ERRORS[case], torch)
    assert theirs is not None
    assert _error_of(ERRORS[case], tl) == theirs


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam"])
def test_default_param_groups_match_torch(name):
    ours = getattr(tl.optim, name)(_p(tl)).state_dict()["param_groups"]
    theirs = getattr(torch.optim, name)(_p(torch)).state_dict()["param_groups"]
    assert ours == theirs


def test_param_group_added_mid_training_matches_torch():
    rng = np.random.default_rng(11)
    ours, theirs = _twins(rng)
    our_opt = tl.optim.Adam(ours[:2], lr=0.01)
    their_opt = torch.optim.Adam(theirs[:2], lr=0.01)
    for step in range(4):
        if step == 2:
            our_opt.add_param_group({"params": ours[2:], "lr": 0.1, "amsgrad": True})
            their_opt.add_param_group({"params": theirs[2:], "lr": 0.1, "amsgrad": True})
        for our_param, their_param in zip(ours, theirs):
            grad = rng.standard_normal(tuple(their_param.shape)).astype(np.float32)
            our_param.grad, their_param.grad = tl.tensor(grad), torch.tensor(grad)
        our_opt.step()
        their_opt.step()
    for our_param, their_param in zip(ours, theirs):
        _compare(our_param, their_param, exact=False)
    assert repr(our_opt) == repr(their_opt)
    assert our_opt.state_dict()["param_groups"] == their_opt.state_dict()["param_groups"]
