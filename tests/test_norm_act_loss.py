"""Normalization, activations, losses and attention checked against numpy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlike as torch
import torchlike.nn.functional as F

RNG = np.random.default_rng(3)


def _x(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float64)


def _np(t):
    return t.detach().numpy()


def test_batch_norm_running_stats_follow_the_momentum_formula():
    bn = torch.nn.BatchNorm1d(3, momentum=0.2).double()
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = _x(5, 3, 4)
        out = bn(torch.tensor(x))
        batch_mean = x.mean(axis=(0, 2))
        biased = x.var(axis=(0, 2))
        expected = (x - batch_mean[:, None]) / np.sqrt(biased[:, None] + 1e-5)
        np.testing.assert_allclose(_np(out), expected, rtol=1e-10, atol=1e-10)
        mean = 0.8 * mean + 0.2 * batch_mean
        var = 0.8 * var + 0.2 * x.var(axis=(0, 2), ddof=1)
        np.testing.assert_allclose(_np(bn.running_mean), mean, rtol=1e-12)
        np.testing.assert_allclose(_np(bn.running_var), var, rtol=1e-12)
        assert int(bn.num_batches_tracked) == step + 1
    bn.eval()
    x = _x(2, 3, 4)
    expected = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    np.testing.assert_allclose(_np(bn(torch.tensor(x))), expected, rtol=1e-10)


def test_batch_norm_momentum_none_is_a_cumulative_average():
    bn = torch.nn.BatchNorm1d(2, momentum=None, affine=False).double()
    batches = [_x(4, 2) for _ in range(3)]
    for x in batches:
        bn(torch.tensor(x))
    np.testing.assert_allclose(_np(bn.running_mean), np.mean([b.mean(0) for b in batches], 0))


def test_batch_norm_buffers_are_written_in_place():
    bn = torch.nn.BatchNorm2d(2)
    buffers = [id(b) for b in bn.buffers()]
    versions = bn.running_mean._version
    bn(torch.randn(2, 2, 3, 3))
    assert [id(b) for b in bn.buffers()] == buffers
    assert bn.running_mean._version > versions
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_layer_and_group_norm():
    x = _x(2, 4, 3)
    out = F.layer_norm(torch.tensor(x), (4, 3))
    flat = x.reshape(2, -1)
    expected = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_np(out).reshape(2, -1), expected, rtol=1e-10)
    grouped = F.group_norm(torch.tensor(x), 2)
    halves = x.reshape(2, 2, -1)
    expected = (halves - halves.mean(2, keepdims=True)) / np.sqrt(
        halves.var(2, keepdims=True) + 1e-5
    )
    np.testing.assert_allclose(_np(grouped), expected.reshape(x.shape), rtol=1e-10)
    assert out.grad_fn is None


def test_instance_norm_normalizes_each_sample_and_channel():
    x = _x(2, 3, 5)
    out = torch.nn.InstanceNorm1d(3)(torch.tensor(x))
    expected = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-10)


ACTIVATIONS = {
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: F.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    "silu": (F.silu, lambda x: x / (1 + np.exp(-x))),
    "softplus": (F.softplus, lambda x: np.log1p(np.exp(x))),
    "mish": (F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "hardtanh": (F.hardtanh, lambda x: np.clip(x, -1, 1)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, lambda x: -np.log1p(np.exp(-x))),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "softshrink": (F.softshrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values(name):
    ours, reference = ACTIVATIONS[name]
    x = _x(3, 4, low=-8.0, high=8.0)
    np.testing.assert_allclose(_np(ours(torch.tensor(x))), reference(x), rtol=1e-10, atol=1e-12)


def test_inplace_activation_changes_its_input():
    x = torch.tensor([-1.0, 2.0])
    assert F.leaky_relu_(x, 0.5) is x
    np.testing.assert_allclose(_np(x), [-0.5, 2.0])


def test_losses_against_numpy():
    x, y = _x(3, 4), _x(3, 4)
    tx, ty = torch.tensor(x), torch.tensor(y)
    error = np.abs(x - y)
    smooth = np.where(error < 1, 0.5 * error**2, error - 0.5)
    np.testing.assert_allclose(float(F.smooth_l1_loss(tx, ty)), smooth.mean(), rtol=1e-12)
    np.testing.assert_allclose(_np(F.huber_loss(tx, ty, reduction="none")), smooth, rtol=1e-12)
    p = 1 / (1 + np.exp(-x))
    t = (y > 0).astype(np.float64)
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(
        float(F.binary_cross_entropy(torch.tensor(p), torch.tensor(t))), bce.mean(), rtol=1e-10
    )
    with_logits = F.binary_cross_entropy_with_logits(tx, torch.tensor(t), reduction="sum")
    np.testing.assert_allclose(float(with_logits), bce.sum(), rtol=1e-10)
    q = np.exp(y) / np.exp(y).sum(1, keepdims=True)
    kl = (q * (np.log(q) - x)).sum() / 3
    np.testing.assert_allclose(float(F.kl_div(tx, torch.tensor(q), reduction="batchmean")), kl)


def test_cross_entropy_with_probabilities_and_smoothing():
    x = _x(4, 3)
    probs = np.exp(_x(4, 3))
    probs /= probs.sum(1, keepdims=True)
    log_softmax = x - np.log(np.exp(x).sum(1, keepdims=True))
    out = F.cross_entropy(torch.tensor(x), torch.tensor(probs), label_smoothing=0.3)
    smoothed = probs * 0.7 + 0.1
    np.testing.assert_allclose(float(out), -(smoothed * log_softmax).sum(1).mean(), rtol=1e-10)


def test_bce_refuses_probabilities_outside_zero_one():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


def _attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return weights / weights.sum(-1, keepdims=True) @ v


@pytest.mark.parametrize("shape", [(2, 2, 3, 4), (3, 4)])
def test_scaled_dot_product_attention(shape):
    q, k, v = _x(*shape), _x(*shape), _x(*shape)
    causal = np.tril(np.ones((shape[-2], shape[-2]), bool))
    out = F.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), is_causal=True
    )
    np.testing.assert_allclose(_np(out), _attention(q, k, v, causal), rtol=1e-10)
    masked = F.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(causal)
    )
    np.testing.assert_allclose(_np(masked), _np(out), rtol=1e-10)


def test_scaled_dot_product_attention_dropout_is_seeded():
    q = torch.randn(2, 3, 4)
    torch.manual_seed(0)
    first = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    torch.manual_seed(0)
    second = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    np.testing.assert_array_equal(_np(first), _np(second))
    plain = F.scaled_dot_product_attention(q, q, q)
    assert not np.allclose(_np(first), _np(plain))


def test_rms_norm_uses_the_dtype_epsilon_by_default():
    x = _x(2, 3)
    out = torch.nn.RMSNorm(3).double()(torch.tensor(x))
    eps = np.finfo(np.float64).eps
    expected = x / np.sqrt((x**2).mean(1, keepdims=True) + eps)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12)


def test_a_target_checked_once_is_checked_again_after_a_write():
    # the bounds check copies a target to the host once per array; a write makes a new array
    x = torch.tensor(np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32))
    target = torch.tensor([0, 1, 2, 1])
    for _ in range(3):
        F.cross_entropy(x, target)
    target[2] = 7
    with pytest.raises(IndexError, match="^Target 7 is out of bounds.$"):
        F.cross_entropy(x, target)
    with pytest.raises(IndexError, match="^Target 7 is out of bounds.$"):
        F.nll_loss(x.log_softmax(1), target)
    target[2] = -100  # the ignore index is in bounds
    F.cross_entropy(x, target)
    with pytest.raises(IndexError, match="^Target -100 is out of bounds.$"):
        F.cross_entropy(x, target, ignore_index=0)  # same array, another ignore index
