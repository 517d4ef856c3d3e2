"""RNN, LSTM, GRU, the cells and nn.utils.rnn against torch: init bit for bit, values, grads,
grad_fn names, packed sequences, dropout masks, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike

# torch warns on its own LSTM(proj_size) path that oneDNN does not cover it
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")

# (module, kwargs, whether h0 is given); input_size == hidden_size so that layers share kernels
CONFIGS = [
    ("LSTM", {}, False),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "batch_first": True}, True),
    ("GRU", {"bidirectional": True, "bias": False}, False),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}, True),
]
INPUT, HIDDEN, STEPS, BATCH = 3, 3, 5, 2


def _name(value) -> str | None:
    return None if value.grad_fn is None else type(value.grad_fn).__name__


def _flat(result) -> list:
    """(output, h) or (output, (h, c)) as a flat list of tensors."""
    output, hidden = result
    output = output.data if hasattr(output, "batch_sizes") else output
    return [output, *(hidden if isinstance(hidden, tuple) else (hidden,))]


def _arrays(module) -> dict:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def _pair(name, kwargs, seed=0):
    torch.manual_seed(seed)
    expected = getattr(torch.nn, name)(INPUT, HIDDEN, **kwargs)
    torchlike.manual_seed(seed)
    actual = getattr(torchlike.nn, name)(INPUT, HIDDEN, **kwargs)
    return expected, actual


@pytest.mark.parametrize("name,kwargs", [c[:2] for c in CONFIGS] + [
    ("RNNCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}), ("LSTM", {"dropout": 0.25, "num_layers": 3}),
])  # fmt: skip
def test_default_init_repr_and_state_dict(name, kwargs):
    expected, actual = _pair(name, kwargs)
    want, got = _arrays(expected), _arrays(actual)
    assert list(got) == list(want)
    for key in want:
        assert np.array_equal(got[key], want[key]), key
    assert repr(actual) == repr(expected)
    assert torchlike.rand(3).numpy().tolist() == torch.rand(3).numpy().tolist()  # same draws


def _run(lib, module, x, hx, cotangent_seed=1):
    """Forward, backward of a fixed random projection of every output; values and grads."""
    inputs = lib.tensor(x, requires_grad=True)
    state = None if hx is None else tuple(lib.tensor(h, requires_grad=True) for h in hx)
    result = module(inputs, None if state is None else state if len(state) == 2 else state[0])
    outs = _flat(result)
    rng = np.random.default_rng(cotangent_seed)
    total = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32))).sum()
                for o in outs)  # fmt: skip
    total.backward()
    grads = [inputs.grad, *(s.grad for s in state or ())]
    return outs, grads, [p.grad for p in module.parameters()], [_name(o) for o in outs]


def _close(actual, expected, tol=1e-5):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), rtol=tol, atol=tol)


def _state(name, kwargs, batch=BATCH, rng=None):
    rng = rng or np.random.default_rng(5)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    shape = (layers, batch, kwargs.get("proj_size") or HIDDEN)
    h = rng.standard_normal(shape).astype(np.float32)
    if name != "LSTM":
        return (h,)
    return h, rng.standard_normal((layers, batch, HIDDEN)).astype(np.float32)


@pytest.mark.parametrize("name,kwargs,with_state", CONFIGS)
def test_forward_backward_matches_torch(name, kwargs, with_state):
    expected, actual = _pair(name, kwargs)
    rng = np.random.default_rng(3)
    shape = (BATCH, STEPS, INPUT) if kwargs.get("batch_first") else (STEPS, BATCH, INPUT)
    x = rng.standard_normal(shape).astype(np.float32)
    hx = _state(name, kwargs) if with_state else None
    t_outs, t_grads, t_pgrads, t_names = _run(torch, expected, x, hx)
    l_outs, l_grads, l_pgrads, l_names = _run(torchlike, actual, x, hx)
    assert l_names == t_names
    _close(l_outs, t_outs)
    _close(l_grads, t_grads, 1e-4)
    _close(l_pgrads, t_pgrads, 1e-4)


@pytest.mark.parametrize("name", ["RNN"])
def test_unbatched_input(name):
    expected, actual = _pair(name, {})
    x = np.random.default_rng(0).standard_normal((STEPS, INPUT)).astype(np.float32)
    hx = tuple(h[:, 0] for h in _state(name, {}))
    t_outs, t_grads, t_pgrads, t_names = _run(torch, expected, x, hx)
    l_outs, l_grads, l_pgrads, l_names = _run(torchlike, actual, x, hx)
    assert l_names == t_names
    _close(l_outs, t_outs)
    _close(l_grads, t_grads, 1e-4)


def _packed_run(lib, module, x, lengths, hx):
    rnn = lib.nn.utils.rnn
    inputs = lib.tensor(x, requires_grad=True)
    packed = rnn.pack_padded_sequence(inputs, lengths, enforce_sorted=False)
    state = None if hx is None else tuple(lib.tensor(h) for h in hx)
    output, hidden = module(
        packed, None if state is None else state if len(state) == 2 else state[0]
    )
    padded, out_lengths = rnn.pad_packed_sequence(output, batch_first=True, total_length=7)
    hiddens = hidden if isinstance(hidden, tuple) else (hidden,)
    (padded.sum() + sum((h * h).sum() for h in hiddens)).backward()
    names = [_name(t) for t in (output.data, padded, *hiddens)]
    return [output.data, padded, *hiddens], inputs.grad, out_lengths.tolist(), names


@pytest.mark.parametrize("name,kwargs,with_state", [("LSTM", {"bidirectional": True}, True)])
def test_packed_sequence_input(name, kwargs, with_state):
    expected, actual = _pair(name, kwargs)
    x = np.random.default_rng(1).standard_normal((STEPS, 3, INPUT)).astype(np.float32)
    lengths = [3, 5, 2]
    hx = _state(name, kwargs, batch=3) if with_state else None
    t_outs, t_grad, t_lengths, t_names = _packed_run(torch, expected, x, lengths, hx)
    l_outs, l_grad, l_lengths, l_names = _packed_run(torchlike, actual, x, lengths, hx)
    assert (l_names, l_lengths) == (t_names, t_lengths)
    _close(l_outs, t_outs)
    _close([l_grad], [t_grad], 1e-4)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_dropout_between_layers_uses_torch_masks(name):
    expected, actual = _pair(name, {"num_layers": 3, "dropout": 0.5})
    x = np.random.default_rng(2).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    t_out, _ = expected(torch.tensor(x))
    l_out, _ = actual(torchlike.tensor(x))
    _close([l_out], [t_out])
    expected.eval()
    actual.eval()
    _close([actual(torchlike.tensor(x))[0]], [expected(torch.tensor(x))[0]])


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("LSTMCell", {}),
         ("GRUCell", {})]  # fmt: skip


@pytest.mark.parametrize("name,kwargs,batched", [(*cell, True) for cell in CELLS] + [
    ("LSTMCell", {}, False), ("GRUCell", {"bias": False}, False)])  # fmt: skip
def test_cells_match_torch(name, kwargs, batched):
    expected, actual = _pair(name, kwargs)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((BATCH, INPUT) if batched else (INPUT,)).astype(np.float32)
    results = []
    for lib, module in ((torch, expected), (torchlike, actual)):
        inputs = lib.tensor(x, requires_grad=True)
        state = module(inputs)
        state = module(inputs * 2, state)  # a second step from a given state
        outs = list(state) if isinstance(state, tuple) else [state]
        sum((o * o).sum() for o in outs).backward()
        results.append((outs, [inputs.grad, *(p.grad for p in module.parameters())],
                        [_name(o) for o in outs]))  # fmt: skip
    (t_outs, t_grads, t_names), (l_outs, l_grads, l_names) = results
    assert l_names == t_names
    _close(l_outs, t_outs)
    _close(l_grads, t_grads, 1e-4)


def _errors(lib):
    nn = lib.nn
    lstm, gru = nn.LSTM(4, 3), nn.GRU(4, 3, num_layers=2)
    x = lib.zeros(5, 2, 4)
    return [
        lambda: lstm(lib.zeros(5, 2, 3)),
        lambda: gru(lib.zeros(5, 2, 3)),
        lambda: lstm(lib.zeros(2, 5, 2, 4)),
        lambda: nn.RNN(4, 3)(lib.zeros(1, 5, 2, 4)),
        lambda: gru(lib.zeros(4, dtype=lib.float64).view(1, 1, 4)),
        lambda: gru(x, lib.zeros(2, 3, 3)),
        lambda: gru(x, lib.zeros(2, 3)),
        lambda: gru(lib.zeros(5, 4), lib.zeros(2, 1, 3)),
        lambda: lstm(x, (lib.zeros(1, 2, 3), lib.zeros(1, 2, 2))),
        lambda: lstm(x, (lib.zeros(1, 1, 3), lib.zeros(1, 2, 3))),
        lambda: lstm(x, (lib.zeros(2, 3), lib.zeros(1, 2, 3))),
        lambda: nn.LSTM(4, 3, dropout=1.5),
        lambda: nn.GRU(4, 3, proj_size=1),
        lambda: nn.LSTM(4, 3, proj_size=3),
        lambda: nn.RNN(4, 3, nonlinearity="gelu"),
        lambda: nn.LSTM(4.0, 3),
        lambda: nn.GRU(4, 0),
        lambda: nn.LSTMCell(4, 3)(lib.zeros(2, 5)),
        lambda: nn.GRUCell(4, 3)(lib.zeros(2, 4), lib.zeros(3, 3)),
        lambda: nn.RNNCell(4, 3)(lib.zeros(2, 4), lib.zeros(2, 2)),
        lambda: nn.LSTMCell(4, 3)(lib.zeros(2, 4), (lib.zeros(2, 3), lib.zeros(2, 2))),
        lambda: nn.GRUCell(4, 3)(lib.zeros(2, 2, 4)),
        lambda: nn.LSTMCell(4, 3)(lib.zeros(4), (lib.zeros(1, 1, 3), lib.zeros(3))),
    ]


@pytest.mark.parametrize("index", range(len(_errors(torch))))
def test_errors_match_torch(index):
    with pytest.raises(Exception) as expected:
        _errors(torch)[index]()
    with pytest.raises(Exception) as actual:
        _errors(torchlike)[index]()
    assert type(actual.value) is type(expected.value)
    assert str(actual.value) == str(expected.value)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning) as expected:
        torch.nn.GRU(4, 3, dropout=0.2)
    with pytest.warns(UserWarning) as actual:
        torchlike.nn.GRU(4, 3, dropout=0.2)
    assert str(actual[0].message) == str(expected[0].message)


# ----- torch.nn.utils.rnn ------------------------------------------------------------------
def _sequences(lib):
    rng = np.random.default_rng(6)
    return [lib.tensor(rng.standard_normal((n, 2)).astype(np.float32), requires_grad=True)
            for n in (2, 4, 1)]  # fmt: skip


@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True, "padding_value": -1.0},
                                    {"padding_side": "left"}])  # fmt: skip
def test_pad_and_unpad_sequence(kwargs):
    results = []
    for lib in (torch, torchlike):
        rnn = lib.nn.utils.rnn
        padded = rnn.pad_sequence(_sequences(lib), **kwargs)
        batch_first = kwargs.get("batch_first", False)
        pieces = []
        if kwargs.get("padding_side") != "left":
            lengths = lib.tensor([2, 4, 1])
            pieces = rnn.unpad_sequence(padded.clone(), lengths, batch_first=batch_first)
        results.append((padded, pieces))
    (t_padded, t_pieces), (l_padded, l_pieces) = results
    assert [_name(p) for p in [l_padded, *l_pieces]] == [_name(p) for p in [t_padded, *t_pieces]]
    _close([l_padded], [t_padded])
    _close(l_pieces, t_pieces)


def test_pack_sequence_round_trip_and_repr():
    results = []
    for lib in (torch, torchlike):
        rnn = lib.nn.utils.rnn
        packed = rnn.pack_sequence(_sequences(lib), enforce_sorted=False)
        results.append((repr(packed), rnn.unpack_sequence(packed), rnn.pad_packed_sequence(packed)))
    (t_repr, t_seqs, t_pad), (l_repr, l_seqs, l_pad) = results
    assert l_repr == t_repr
    _close(l_seqs, t_seqs)
    _close([l_pad[0]], [t_pad[0]])
    assert l_pad[1].tolist() == t_pad[1].tolist()
    with pytest.raises(RuntimeError) as expected:
        torch.nn.utils.rnn.pack_sequence(_sequences(torch))
    with pytest.raises(RuntimeError) as actual:
        torchlike.nn.utils.rnn.pack_sequence(_sequences(torchlike))
    assert str(actual.value) == str(expected.value)


def test_lstm_graph_edges_match_torch():
    """float32 LSTM: oneDNN's layer node with edges input, weights, biases, hx, cx, as torch."""
    graphs = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        output, (h_n, _) = lib.nn.LSTM(INPUT, HIDDEN, num_layers=2)(lib.randn(STEPS, BATCH, INPUT))
        graphs.append([[n if n is None else type(n).__name__ for n, _ in t.grad_fn.next_functions]
                       for t in (output, h_n)])  # fmt: skip
    assert graphs[1] == graphs[0]
