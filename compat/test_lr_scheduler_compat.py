"""torchlike.optim.lr_scheduler against torch's: identical learning rates (exactly, as floats)
over many steps, in chainable and closed forms, the same state dicts, warnings and errors."""

from __future__ import annotations

import warnings

import pytest
import torch

import torchlike as tl


def _optimizer(ns, name="SGD"):
    params = [ns.nn.Parameter(ns.ones(2)), ns.nn.Parameter(ns.ones(3))]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.5}]
    if name == "Adam":
        return ns.optim.Adam(groups, lr=0.1)
    return ns.optim.SGD(groups, lr=0.1, momentum=0.9)


def _scale(epoch):
    return 0.95**epoch


SCHEDULERS = {
    "StepLR": lambda ns, o: ns.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda ns, o: ns.optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda ns, o: ns.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda ns, o: ns.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=7, eta_min=0.01),
    "WarmRestarts": lambda ns, o: ns.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.001),
    "LambdaLR": lambda ns, o: ns.optim.lr_scheduler.LambdaLR(o, _scale),
    "MultiplicativeLR": lambda ns, o: ns.optim.lr_scheduler.MultiplicativeLR(
        o, [_scale, lambda e: 0.9]),
    "LinearLR": lambda ns, o: ns.optim.lr_scheduler.LinearLR(
        o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "ConstantLR": lambda ns, o: ns.optim.lr_scheduler.ConstantLR(o, factor=0.3, total_iters=4),
    "PolynomialLR": lambda ns, o: ns.optim.lr_scheduler.PolynomialLR(
        o, total_iters=8, power=2.0),
    "OneCycleLR": lambda ns, o: ns.optim.lr_scheduler.OneCycleLR(o, max_lr=[1.0, 0.4],
                                                                 total_steps=30),
    "OneCycleLR-3-linear": lambda ns, o: ns.optim.lr_scheduler.OneCycleLR(
        o, max_lr=1.0, total_steps=30, three_phase=True, anneal_strategy="linear"),
    "CyclicLR": lambda ns, o: ns.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, step_size_down=3),
    "CyclicLR-triangular2": lambda ns, o: ns.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "CyclicLR-exp_range": lambda ns, o: ns.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97),
    "SequentialLR": lambda ns, o: ns.optim.lr_scheduler.SequentialLR(o, [
        ns.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
        ns.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)], milestones=[4]),
    "ChainedScheduler": lambda ns, o: ns.optim.lr_scheduler.ChainedScheduler([
        ns.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
        ns.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
}  # fmt: skip


def _group_values(optimizer, key):
    return [group[key] for group in optimizer.param_groups]


def _run(ns, key, steps=29, name="SGD"):
    optimizer = _optimizer(ns, name)
    scheduler = SCHEDULERS[key](ns, optimizer)
    history = [scheduler.get_last_lr()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        history.append(
            (scheduler.get_last_lr(), _group_values(optimizer, "lr"), _momenta(optimizer))
        )
    return scheduler, history


def _momenta(optimizer):
    group = optimizer.param_groups[0]
    return group.get("momentum"), group.get("betas")


@pytest.mark.parametrize("key", sorted(SCHEDULERS))
def test_learning_rates_and_state_dict_match_torch(key):
    ours, our_history = _run(tl, key)
    theirs, their_history = _run(torch, key)
    assert our_history == their_history  # exact float equality
    assert ours.state_dict() == theirs.state_dict()


@pytest.mark.parametrize("key", ["OneCycleLR", "CyclicLR"])
def test_beta1_is_cycled_for_adam_like_torch(key):
    assert _run(tl, key, name="Adam")[1] == _run(torch, key, name="Adam")[1]


CLOSED_FORM = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
               "ConstantLR", "PolynomialLR", "WarmRestarts"]  # fmt: skip


@pytest.mark.parametrize("key", CLOSED_FORM)
def test_step_with_epoch_uses_closed_form_and_warns_like_torch(key):
    results = []
    for ns in (tl, torch):
        optimizer = _optimizer(ns)
        scheduler = SCHEDULERS[key](ns, optimizer)
        optimizer.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in (3, 7, 2, 11):
                scheduler.step(epoch)
        lrs = scheduler.get_last_lr()
        results.append((lrs, [(w.category, str(w.message)) for w in caught]))
    assert results[0] == results[1]
    assert bool(results[0][1]) == (key != "WarmRestarts")  # its step(epoch) is not deprecated


def test_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.96, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.1]

    def run(ns, **options):
        optimizer = _optimizer(ns)
        scheduler = ns.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
        lrs = []
        for metric in metrics * 2:
            scheduler.step(metric)
            lrs.append(scheduler.get_last_lr())
        return lrs, scheduler.state_dict()

    for options in (
        {"patience": 2, "factor": 0.5},
        {"mode": "max", "patience": 1, "cooldown": 2, "min_lr": [0.02, 0.1]},
        {"threshold_mode": "abs", "threshold": 0.05, "patience": 0, "eps": 0.01},
    ):
        assert run(tl, **options) == run(torch, **options)


def test_scheduler_before_optimizer_warns_like_torch():
    messages = []
    for ns in (tl, torch):
        optimizer = _optimizer(ns)
        scheduler = ns.optim.lr_scheduler.StepLR(optimizer, 2)
        with pytest.warns(UserWarning) as caught:
            scheduler.step()
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]


def test_get_lr_outside_step_warns_like_torch():
    messages = []
    for ns in (tl, torch):
        scheduler = ns.optim.lr_scheduler.ExponentialLR(_optimizer(ns), 0.5)
        with pytest.warns(UserWarning) as caught:
            values = scheduler.get_lr()
        messages.append(([str(w.message) for w in caught], values))
    assert messages[0] == messages[1]


def test_load_state_dict_resumes_like_torch():
    results = []
    for ns in (tl, torch):
        optimizer = _optimizer(ns)
        first = ns.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=9)
        for _ in range(4):
            optimizer.step()
            first.step()
        saved = first.state_dict()
        resumed = ns.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=9, last_epoch=3)
        resumed.load_state_dict(saved)
        for _ in range(3):
            optimizer.step()
            resumed.step()
        results.append(resumed.get_last_lr())
    assert results[0] == results[1]


def _error_of(fn, ns):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(ns)
    except Exception as error:  # the exception itself is what is compared
        return type(error).__name__, str(error)
    return None


def _plain_optimizer(ns):
    return ns.optim.SGD([ns.nn.Parameter(ns.ones(2))], lr=0.1)


LS = "optim.lr_scheduler"
ERRORS = {
    "not_optimizer": lambda ns: ns.optim.lr_scheduler.StepLR(object(), 2),
    "resume_without_initial_lr": lambda ns: ns.optim.lr_scheduler.StepLR(
        _plain_optimizer(ns), 2, last_epoch=3),
    "constant_factor": lambda ns: ns.optim.lr_scheduler.ConstantLR(_plain_optimizer(ns), 2.0),
    "linear_start": lambda ns: ns.optim.lr_scheduler.LinearLR(_plain_optimizer(ns), 0.0),
    "linear_end": lambda ns: ns.optim.lr_scheduler.LinearLR(_plain_optimizer(ns), 0.5, 1.5),
    "lambda_count": lambda ns: ns.optim.lr_scheduler.LambdaLR(
        _plain_optimizer(ns), [_scale, _scale]),
    "multiplicative_not_callable": lambda ns: ns.optim.lr_scheduler.MultiplicativeLR(
        _plain_optimizer(ns), 3),
    "restarts_t0": lambda ns: ns.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        _plain_optimizer(ns), 0),
    "restarts_tmult": lambda ns: ns.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        _plain_optimizer(ns), 2, T_mult=0),
    "onecycle_no_total": lambda ns: ns.optim.lr_scheduler.OneCycleLR(_plain_optimizer(ns), 1.0),
    "onecycle_pct": lambda ns: ns.optim.lr_scheduler.OneCycleLR(
        _plain_optimizer(ns), 1.0, total_steps=10, pct_start=1.5),
    "onecycle_anneal": lambda ns: ns.optim.lr_scheduler.OneCycleLR(
        _plain_optimizer(ns), 1.0, total_steps=10, anneal_strategy="exp"),
    "onecycle_past_end": lambda ns: _past_end(ns),
    "cyclic_mode": lambda ns: ns.optim.lr_scheduler.CyclicLR(
        _plain_optimizer(ns), 0.1, 1.0, mode="sine"),
    "cyclic_no_momentum": lambda ns: ns.optim.lr_scheduler.CyclicLR(
        ns.optim.Adagrad([ns.nn.Parameter(ns.ones(2))]), 0.1, 1.0),
    "cyclic_max_lr_count": lambda ns: ns.optim.lr_scheduler.CyclicLR(
        _plain_optimizer(ns), 0.1, [1.0, 2.0], cycle_momentum=False),
    "plateau_factor": lambda ns: ns.optim.lr_scheduler.ReduceLROnPlateau(
        _plain_optimizer(ns), factor=1.0),
    "plateau_mode": lambda ns: ns.optim.lr_scheduler.ReduceLROnPlateau(
        _plain_optimizer(ns), mode="up"),
    "plateau_min_lrs": lambda ns: ns.optim.lr_scheduler.ReduceLROnPlateau(
        _plain_optimizer(ns), min_lr=[0.1, 0.2]),
    "sequential_milestones": lambda ns: _sequential(ns, milestones=[1, 2]),
    "sequential_empty": lambda ns: ns.optim.lr_scheduler.SequentialLR(
        _plain_optimizer(ns), [], []),
    "chained_plateau": lambda ns: _chained_plateau(ns),
}  # fmt: skip


def _past_end(ns):
    optimizer = _plain_optimizer(ns)
    scheduler = ns.optim.lr_scheduler.OneCycleLR(optimizer, 1.0, total_steps=2)
    for _ in range(3):
        optimizer.step()
        scheduler.step()


def _sequential(ns, milestones):
    optimizer = _plain_optimizer(ns)
    inner = [ns.optim.lr_scheduler.ExponentialLR(optimizer, 0.9) for _ in range(2)]
    ns.optim.lr_scheduler.SequentialLR(optimizer, inner, milestones)


def _chained_plateau(ns):
    optimizer = _plain_optimizer(ns)
    ns.optim.lr_scheduler.ChainedScheduler(
        [ns.optim.lr_scheduler.ReduceLROnPlateau(optimizer)], optimizer
    )


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    theirs = _error_of(ERRORS[case], torch)
    assert theirs is not None
    assert _error_of(ERRORS[case], tl) == theirs
