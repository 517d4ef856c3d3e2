"""zeros, ones, empty, full and their _like forms share one device array per shape, dtype and fill
(small arrays on the default device): tensors made from it stay independent."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike._device import several_devices
from torchlike._ops import creation


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(creation, "_filled_arrays", {})


@pytest.mark.xfail(
    several_devices(), reason="with several devices every fill makes its own array", strict=True
)
def test_tensors_from_one_shared_array_are_written_independently():
    a, b, c, d = (torch.zeros(2, 3) for _ in range(4))
    assert a._value is b._value  # one device array behind them
    a.add_(1)
    b[0, 1] = 5.0
    c.data.mul_(0).add_(7)
    d.t()[2, 0] = -1.0  # through a view
    e = torch.zeros(2, 3)
    assert a.tolist() == [[1.0] * 3] * 2
    assert b.tolist() == [[0.0, 5.0, 0.0], [0.0] * 3]
    assert c.tolist() == [[7.0] * 3] * 2
    assert d.tolist() == [[0.0, 0.0, -1.0], [0.0] * 3]
    assert e.tolist() == [[0.0] * 3] * 2 and e._version == 0
    assert len({t.data_ptr() for t in (a, b, c, d, e)}) == 5


def test_gradients_accumulate_into_separate_tensors():
    x = torch.zeros(3, requires_grad=True)
    y = torch.zeros(3, requires_grad=True)
    (x * 2 + 1).sum().backward()
    (y * 3).sum().backward()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [4.0] * 3 and y.grad.tolist() == [3.0] * 3
    assert torch.zeros(3).tolist() == [0.0] * 3


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: torch.full((2,), -0.0), [True, True]),
        (lambda: torch.full((2,), 0.0), [False, False]),
        (lambda: torch.zeros(2), [False, False]),
    ],
)
def test_signed_zeros_are_told_apart(make, expected):
    for first in (lambda: torch.full((2,), 0.0), lambda: torch.full((2,), -0.0)):
        first()
    assert np.signbit(make().numpy()).tolist() == expected


def test_fills_dtypes_and_devices_are_kept_apart():
    assert torch.full((2,), 1).dtype is torch.int64
    assert torch.full((2,), 1.0).dtype is torch.float32
    assert torch.full((2,), True).dtype is torch.bool
    assert torch.ones(2, dtype=torch.float64).dtype is torch.float64
    assert torch.ones(2).tolist() == [1.0, 1.0] and torch.zeros(2).tolist() == [0.0, 0.0]
    assert np.isnan(torch.full((2,), float("nan")).numpy()).all()
    assert torch.full((2,), 2.5).tolist() == [2.5, 2.5]
    assert torch.zeros_like(torch.ones(2, 2)).tolist() == [[0.0, 0.0]] * 2
    assert torch.ones(2, 3).shape == (2, 3) and torch.ones(3, 2).shape == (3, 2)


def test_large_arrays_are_made_each_time_and_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(creation, "_FILLED_LIMIT", 4)
    big = torch.zeros(creation._FILLED_ELEMENTS + 1)
    assert big._value is not torch.zeros(creation._FILLED_ELEMENTS + 1)._value
    for n in range(10):
        torch.ones(n + 1)
    assert len(creation._filled_arrays) <= 4
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.zeros(2, dtype=torch.int64, requires_grad=True)
