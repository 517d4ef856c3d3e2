"""The layer stack behind torch's _VF.rnn_tanh / rnn_relu / lstm / gru, and the single cells.

A layer runs as one `_rnn_layer` op-table call per direction (a whole-sequence jax.lax.scan);
directions are concatenated, dropout goes between layers, final states are stacked, so the
outputs carry torch's grad_fn names (CatBackward0, StackBackward0, ...).
"""

from __future__ import annotations

from ..._ops import FUNCTIONS
from ..._ops.dispatch import call
from ..._ops.registry import TABLE
from ..._tensor import Tensor
from .._dropout import dropout as _dropout
from ..functional import linear


def _layer_weights(flat_weights, has_biases: bool, proj: bool, index: int) -> dict:
    per = 2 + 2 * has_biases + proj
    group = list(flat_weights[index * per : (index + 1) * per])
    weights = {"weight_ih": group[0], "weight_hh": group[1]}
    weights["bias_ih"], weights["bias_hh"] = (group[2], group[3]) if has_biases else (None, None)
    weights["weight_hr"] = group[-1] if proj else None
    return weights


def rnn_layers(mode, input, hx, cx, flat_weights, has_biases, num_layers, dropout, train,
               bidirectional, batch_first=False, batch_sizes=None, proj=False):  # fmt: skip
    """(output, h_n, c_n) of a stacked, optionally bidirectional RNN (c_n is None but for LSTM)."""
    directions = 2 if bidirectional else 1
    time_major = batch_sizes is None and batch_first
    layer_input = input.transpose(0, 1) if time_major else input
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for direction in range(directions):
            index = layer * directions + direction
            # edges in torch's order: input, weights, biases, hx, cx (then weight_hr)
            weights = _layer_weights(flat_weights, has_biases, proj, index)
            weight_hr = weights.pop("weight_hr")
            result = call(TABLE["_rnn_layer"], (layer_input,), {
                **weights, "hx": hx[index], "cx": None if cx is None else cx[index],
                "weight_hr": weight_hr, "mode": mode, "reverse": direction == 1,
                "batch_sizes": batch_sizes,
            })  # fmt: skip
            outs.append(result[0])
            hs.append(result[1])
            if cx is not None:
                cs.append(result[2])
        layer_output = outs[0] if directions == 1 else FUNCTIONS["cat"](outs, -1)
        if dropout > 0 and train and layer < num_layers - 1:
            layer_output = _dropout(layer_output, dropout, True)
        layer_input = layer_output
    output = layer_input
    if time_major:  # torch's LSTM transposes its result; RNN and GRU transpose in place
        output = output.transpose(0, 1) if mode == "LSTM" else output.transpose_(0, 1)
    stack = FUNCTIONS["stack"]
    return output, stack(hs, 0), (stack(cs, 0) if cx is not None else None)


# ----- single cells (torch composes these from linear and pointwise ops) ---------------------
def _check_cell(input: Tensor, hx: Tensor, input_size: int, hidden_size: int, name: str):
    if input.shape[1] != input_size:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.shape[1]} expected {input_size}"
        )
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(
            f"Input batch size {input.shape[0]} doesn't match {name} batch size {hx.shape[0]}"
        )
    if hx.shape[1] != hidden_size:
        raise RuntimeError(
            f"{name} has inconsistent hidden_size: got {hx.shape[1]}, expected {hidden_size}"
        )


def _check_dtypes(input: Tensor, weight: Tensor) -> None:
    if input.dtype != weight.dtype:
        first, second = (str(d).removeprefix("torch.") for d in (input.dtype, weight.dtype))
        words = {"float32": "Float", "float64": "Double", "float16": "Half"}
        raise RuntimeError(
            "mat1 and mat2 must have the same dtype, but got "
            f"{words.get(first, first)} and {words.get(second, second)}"
        )


def _gates(input, hx, w_ih, w_hh, b_ih, b_hh, hidden_size: int, name: str = "hidden0"):
    _check_cell(input, hx, w_ih.shape[1], hidden_size, name)
    _check_dtypes(input, w_ih)
    return linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh)


def rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity: str = "tanh"):
    """torch.rnn_tanh_cell / rnn_relu_cell: act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    x_gates, h_gates = _gates(input, hx, w_ih, w_hh, b_ih, b_hh, w_hh.shape[1])
    total = x_gates + h_gates
    return total.tanh() if nonlinearity == "tanh" else total.relu()


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    """torch.lstm_cell: gates i, f, g, o; returns (h', c')."""
    hidden_size = w_hh.shape[1]
    x_gates, h_gates = _gates(input, hx, w_ih, w_hh, b_ih, b_hh, hidden_size)
    _check_cell(input, cx, w_ih.shape[1], hidden_size, "hidden1")
    i, f, g, o = (x_gates + h_gates).chunk(4, 1)
    c_new = f.sigmoid() * cx + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_new.tanh(), c_new


def gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh):
    """torch.gru_cell: gates r, z, n with n = tanh(x_n + r * h_n); h' = n + z * (h - n)."""
    x_gates, h_gates = _gates(input, hx, w_ih, w_hh, b_ih, b_hh, w_hh.shape[1])
    xr, xz, xn = x_gates.chunk(3, 1)
    hr, hz, hn = h_gates.chunk(3, 1)
    reset, update = (hr + xr).sigmoid(), (hz + xz).sigmoid()
    new = (xn + hn * reset).tanh()
    return new + (hx - new) * update
