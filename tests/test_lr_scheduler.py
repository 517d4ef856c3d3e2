"""torchlike.optim.lr_scheduler on its own: hand-computed schedules, state dicts and warnings."""

from __future__ import annotations

import math

import pytest

import torchlike as tl
from torchlike import nn, optim
from torchlike.optim import lr_scheduler


def _optimizer(lr=1.0, momentum=0.0):
    return optim.SGD([nn.Parameter(tl.ones(2))], lr=lr, momentum=momentum)


def _schedule(optimizer, scheduler, steps):
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_step_lr_halves_every_two_epochs():
    opt = _optimizer()
    assert _schedule(opt, lr_scheduler.StepLR(opt, 2, gamma=0.5), 5) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert opt.param_groups[0]["lr"] == 0.25 and opt.param_groups[0]["initial_lr"] == 1.0


def test_multistep_and_exponential():
    opt = _optimizer()
    assert _schedule(opt, lr_scheduler.MultiStepLR(opt, [1, 3], 0.1), 3) == pytest.approx(
        [1, 0.1, 0.1, 0.01]
    )
    opt = _optimizer(2.0)
    assert _schedule(opt, lr_scheduler.ExponentialLR(opt, 0.5), 3) == [2.0, 1.0, 0.5, 0.25]


def test_linear_warmup_reaches_base_lr():
    opt = _optimizer()
    lrs = _schedule(opt, lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3), 5)
    assert lrs == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])


def test_cosine_annealing_follows_the_half_cosine():
    opt = _optimizer()
    lrs = _schedule(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0), 4)
    assert lrs == pytest.approx([(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)])


def test_one_cycle_starts_low_peaks_then_ends_lower():
    opt = _optimizer(momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs = _schedule(opt, sched, 9)
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_plateau_cuts_after_patience():
    opt = _optimizer()
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for metric in (1.0, 1.0, 1.0, 1.0, 1.0):
        sched.step(metric)
    assert sched.get_last_lr() == [0.25]


def test_state_dict_round_trip_and_warnings():
    opt = _optimizer()
    sched = lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 1
    other = lr_scheduler.StepLR(_optimizer(), 5)
    other.load_state_dict(saved)
    assert other.step_size == 2 and other.last_epoch == 1
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_import_paths():
    from torchlike.optim.lr_scheduler import LRScheduler, OneCycleLR

    assert issubclass(OneCycleLR, LRScheduler) and optim.lr_scheduler is lr_scheduler


def test_drop_in_runner_resolves_the_scheduler_submodule():
    import subprocess
    import sys

    code = (
        "import torch.optim.lr_scheduler as L\n"
        "from torch.optim.lr_scheduler import OneCycleLR\n"
        "import torchlike\n"
        "print(L is torchlike.optim.lr_scheduler, OneCycleLR is L.OneCycleLR)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "torchlike", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
