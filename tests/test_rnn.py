"""Recurrent layers without torch: the scanned layers against a step-by-step numpy reference,
packing semantics, parameter layout and kernel reuse."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike
from torchlike._ops import rnn as rnn_ops
from torchlike.nn.utils import rnn as rnn_utils


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _reference_step(mode, x, h, c, p):
    """One step of each cell, written from the textbook formulas (torch's gate order)."""
    gx = x @ p["weight_ih_l0"].T + p["bias_ih_l0"]
    gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
    if mode == "LSTM":
        i, f, g, o = np.split(gx + gh, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    if mode == "GRU":
        (xr, xz, xn), (hr, hz, hn) = np.split(gx, 3, axis=-1), np.split(gh, 3, axis=-1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    return np.tanh(gx + gh), None


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_layer_matches_step_by_step_reference(mode):
    torchlike.manual_seed(0)
    module = getattr(torchlike.nn, mode)(3, 4).double()
    params = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    output, hidden = module(torchlike.tensor(x))
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    steps = []
    for t in range(6):
        h, c = _reference_step(mode, x[t], h, c, params)
        steps.append(h)
    np.testing.assert_allclose(output.detach().numpy(), np.stack(steps), rtol=1e-10, atol=1e-12)
    h_n = hidden[0] if mode == "LSTM" else hidden
    np.testing.assert_allclose(h_n.detach().numpy()[0], h, rtol=1e-10, atol=1e-12)


def test_packed_equals_running_each_sequence_alone():
    torchlike.manual_seed(1)
    module = torchlike.nn.RNN(3, 4, bidirectional=True).double()
    sequences = [
        torchlike.tensor(np.random.default_rng(n).standard_normal((n, 3))) for n in (2, 4, 2)
    ]
    packed = rnn_utils.pack_sequence(sequences, enforce_sorted=False)
    with torchlike.no_grad():
        output, h_n = module(packed)
    padded, lengths = rnn_utils.pad_packed_sequence(output, batch_first=True)
    assert lengths.tolist() == [2, 4, 2]
    for b, seq in enumerate(sequences):
        with torchlike.no_grad():
            alone, h_alone = module(seq.unsqueeze(1))
        n = seq.shape[0]
        np.testing.assert_allclose(padded[b, :n].numpy(), alone[:, 0].numpy(), atol=1e-12)
        assert not padded[b, n:].numpy().any()
        np.testing.assert_allclose(h_n[:, b].numpy(), h_alone[:, 0].numpy(), atol=1e-12)


def test_parameter_names_and_shapes():
    module = torchlike.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert shapes["weight_ih_l0"] == (16, 3)
    assert shapes["weight_hh_l0_reverse"] == (16, 2)
    assert shapes["weight_ih_l1"] == (16, 4)
    assert shapes["weight_hr_l1_reverse"] == (2, 4)
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_hr_l0"]  # fmt: skip
    assert len(module.all_weights) == 4


def test_one_kernel_per_layer_and_direction_is_reused():
    module = torchlike.nn.RNN(3, 3, num_layers=2)
    x = torchlike.randn(4, 2, 3)
    first, _ = module(x)
    before = rnn_ops._layer_kernel.cache_info()
    again, _ = module(x)
    assert rnn_ops._layer_kernel.cache_info().misses == before.misses  # no new layer kernel
    assert again.detach().tolist() == first.detach().tolist()


def test_gradients_flow_to_every_parameter_and_input():
    module = torchlike.nn.RNN(3, 3, num_layers=2)  # the same kernels as the test above
    x = torchlike.randn(4, 2, 3, requires_grad=True)
    output, h_n = module(x)
    (output.sum() + h_n.sum()).backward()
    assert x.grad is not None and x.grad.abs().sum().item() > 0
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum().item() > 0, name


def test_pad_sequence_left_and_right():
    a, b = torchlike.tensor([1.0, 2.0, 3.0]), torchlike.tensor([4.0])
    right = rnn_utils.pad_sequence([a, b], batch_first=True, padding_value=-1)
    left = rnn_utils.pad_sequence([a, b], batch_first=True, padding_side="left")
    assert right.tolist() == [[1.0, 2.0, 3.0], [4.0, -1.0, -1.0]]
    assert left.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 4.0]]


def test_pack_round_trip_restores_order():
    sequences = [torchlike.arange(n, dtype=torchlike.float32).view(n, 1) for n in (1, 3, 2)]
    packed = rnn_utils.pack_sequence(sequences, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices.tolist() == [1, 2, 0]
    restored = rnn_utils.unpack_sequence(packed)
    assert [s.view(-1).tolist() for s in restored] == [[0.0], [0.0, 1.0, 2.0], [0.0, 1.0]]


def test_unbatched_and_cell_shapes():
    gru = torchlike.nn.GRU(3, 4, num_layers=2)
    output, h_n = gru(torchlike.randn(5, 3))
    assert tuple(output.shape) == (5, 4) and tuple(h_n.shape) == (2, 4)
    h, c = torchlike.nn.LSTMCell(3, 4)(torchlike.randn(3))
    assert tuple(h.shape) == (4,) and tuple(c.shape) == (4,)


def test_proj_size_is_rejected_by_gru_and_rnn():
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        torchlike.nn.GRU(3, 4, proj_size=2)
