"""Conformance records for the recurrent-layer rows (see op_db.py)."""

from __future__ import annotations

import numpy as np
from op_db import E, S, add, f32

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_MODES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}


def _layer_call(lib, mode, input, hx, cx, weights, bidirectional):
    """torch.lstm/gru/rnn_* over one layer; torchlike's layer stack over `_rnn_layer` rows."""
    if lib.__name__ == "torch":
        state = (hx, cx) if mode == "lstm" else hx
        return getattr(lib, mode)(input, state, weights, True, 1, 0.0, False, bidirectional, False)
    from torchlike.nn._functional.rnn import rnn_layers

    out, h, c = rnn_layers(_MODES[mode], input, hx, cx, weights, True, 1, 0.0, False,
                           bidirectional)  # fmt: skip
    return (out, h) if c is None else (out, h, c)


def _layer_sample(m, mode, bidirectional=False, steps=5, batch=2, features=3, hidden=4):
    directions = 2 if bidirectional else 1
    gates = _GATES[mode] * hidden
    weights = []
    for _ in range(directions):
        weights += [m(gates, features), m(gates, hidden), m(gates), m(gates)]
    state = m(directions, batch, hidden)
    cell = m(directions, batch, hidden) if mode == "lstm" else None
    return S(mode, m(steps, batch, features), state, cell, weights, bidirectional)


def layer_samples(m):
    d = m.within(-0.5, 0.5)
    return [_layer_sample(d, mode) for mode in ("lstm", "gru", "rnn_tanh")] + [
        _layer_sample(d, "lstm", bidirectional=True)
    ]


# float64 only: float32 runs are covered by compat/test_rnn_compat.py (each dtype compiles anew)
add("_rnn_layer", layer_samples, call=_layer_call, internal=True, dtypes=("float64",))


# ----- torch.nn.utils.rnn ------------------------------------------------------------------
def _pack_call(lib, input, lengths, batch_first=False):
    packed = lib.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first)
    return packed.data, packed.batch_sizes


def _pad_packed_call(lib, data, batch_sizes, **kwargs):
    packed = lib.nn.utils.rnn.PackedSequence(data, lib.tensor(batch_sizes))
    return lib.nn.utils.rnn.pad_packed_sequence(packed, **kwargs)


def _pad_sequence_call(lib, sequences, **kwargs):
    return lib.nn.utils.rnn.pad_sequence(sequences, **kwargs)


add("_pack_padded_sequence",
    lambda m: [S(m(4, 3, 2), [4, 2, 1]), S(m(3, 4, 2), [4, 3, 1], True),
               S(m(3, 2), [3, 1]), S(m(5, 2, 2), [2, 2])],
    call=_pack_call, internal=True,
    errors=(E(RuntimeError, f32(4, 3, 2), [1, 2, 4], message=True),
            E(RuntimeError, f32(4, 3, 2), [4, 2], message=True),
            E(RuntimeError, f32(4, 3, 2), [4, 2, 0], message=True)))  # fmt: skip

add("_pad_packed_sequence",
    lambda m: [S(m(7, 2), [3, 2, 1, 1]), S(m(7, 2), [3, 2, 1, 1], batch_first=True),
               S(m(4), [2, 2], padding_value=-1.5, total_length=3)],
    call=_pad_packed_call, internal=True,
    errors=(E(ValueError, f32(7, 2), [3, 2, 1, 1], total_length=2, message=True),))  # fmt: skip

add("pad_sequence",
    lambda m: [S([m(4, 2), m(2, 2), m(3, 2)]),
               S([m(3), m(1)], batch_first=True, padding_value=1.5, padding_side="left"),
               S([m(2, 1, 3), m(3, 1, 3)], batch_first=True)],
    call=_pad_sequence_call, internal=True,
    errors=(E(RuntimeError, [], message=True),
            E(RuntimeError, [f32(2, 2)], padding_side="middle", message=True),
            E(RuntimeError, [f32(2, 2), f32(3, 3)], message=True),
            E(RuntimeError, np.int64(5), message=True)))  # fmt: skip
