"""Dropout facts that hold without torch: identity cases, 1 / (1 - p) scaling, channel masks."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
import torchlike.nn.functional as F


def _ones(*shape, dtype=torch.float32):
    return torch.ones(*shape, dtype=dtype)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_eval_mode_is_identity(p):
    x = torch.randn(4, 5)
    assert F.dropout(x, p, training=False) is x
    layer = torch.nn.Dropout(p).eval()
    assert layer(x) is x


def test_p_zero_returns_input():
    x = torch.randn(3, 3)
    assert F.dropout(x, 0.0) is x


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_kept_values_are_scaled_by_one_over_one_minus_p(dtype, p):
    torch.manual_seed(0)
    out = F.dropout(_ones(1000, dtype=dtype), p).numpy()
    scale = np.dtype(out.dtype).type(1) / np.dtype(out.dtype).type(1 - p)
    assert set(np.unique(out)) <= {0, scale}
    assert abs((out == 0).mean() - p) < 0.06


def test_p_one_zeroes_everything_keeping_signs():
    out = F.dropout(torch.tensor([-1.0, 2.0]), 1.0).numpy()
    assert np.array_equal(out, [0.0, 0.0])
    assert list(np.signbit(out)) == [True, False]


def test_same_seed_same_mask():
    torch.manual_seed(42)
    first = F.dropout(_ones(64), 0.5)
    torch.manual_seed(42)
    assert np.array_equal(first.numpy(), F.dropout(_ones(64), 0.5).numpy())


def test_channel_dropout_zeroes_whole_channels():
    torch.manual_seed(1)
    out = F.dropout2d(_ones(4, 8, 3, 3), 0.5).numpy()
    per_channel = out.reshape(4, 8, -1)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_inplace_writes_into_input():
    x = _ones(10)
    torch.manual_seed(3)
    result = F.dropout(x, 0.5, inplace=True)
    assert result is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


def test_gradient_is_the_mask():
    x = _ones(50).requires_grad_()
    torch.manual_seed(4)
    out = F.dropout(x, 0.2)
    out.sum().backward()
    assert type(out.grad_fn).__name__ == "MulBackward0"
    assert np.array_equal(x.grad.numpy(), out.detach().numpy())


def test_invalid_p_and_rank_errors():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(_ones(2), 1.5)
    with pytest.raises(ValueError, match="but got -0.5"):
        torch.nn.Dropout(-0.5)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(_ones(2))


def test_dropout3d_warns_for_wrong_rank():
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(_ones(2, 3, 4), 0.5)


def test_module_repr_and_state():
    assert repr(torch.nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(torch.nn.Dropout2d(0.25, inplace=True)) == "Dropout2d(p=0.25, inplace=True)"
    assert torch.nn.Dropout(0.3).state_dict() == {}


def test_jax_prng_mode_draws_valid_masks():
    was_enabled = torch.random.is_jax_prng_enabled()
    torch.random.use_jax_prng(True)
    try:
        torch.manual_seed(0)
        first = F.dropout(_ones(256), 0.5).numpy()
        torch.manual_seed(0)
        second = F.dropout(_ones(256), 0.5).numpy()
    finally:
        torch.random.use_jax_prng(was_enabled)
    assert np.array_equal(first, second)
    assert set(np.unique(first)) == {0.0, 2.0}
