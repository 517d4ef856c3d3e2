"""Recurrent layers: whole-sequence RNN/LSTM/GRU kernels and sequence packing.

One `_rnn_layer` call runs one layer in one direction over the whole sequence with
`jax.lax.scan` inside a cached `jax.jit`, so a layer costs one dispatch (and one backward
kernel) instead of a handful of ops per time step. Packed input (torch's PackedSequence data
and batch sizes) is scattered to a padded (T, B, F) block inside the kernel; a sequence's
state stops changing after its last step, which is exactly torch's per-step shrinking batch.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .registry import op

_LAYER_TENSORS = ("input", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "hx", "cx", "weight_hr")


# ----- one step of each cell (gates as torch orders them) --------------------------------------
def _tanh_step(gates, h, c, w_hr):
    return jnp.tanh(gates), None


def _relu_step(gates, h, c, w_hr):
    return jnp.maximum(gates, 0), None


def _lstm_step(gates, h, c, w_hr):
    """LSTM gates i, f, g, o; c' = f*c + i*g, h' = o*tanh(c') (then projected by W_hr)."""
    i, f, g, o = jnp.split(gates, 4, axis=-1)
    c_new = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h_new = jax.nn.sigmoid(o) * jnp.tanh(c_new)
    return (h_new if w_hr is None else h_new @ w_hr.T), c_new


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step}


def _gru_update(x_gates, h_gates, h):
    """GRU gates r, z, n; n = tanh(x_n + r*(h_n)), h' = n + z*(h - n) (torch's form)."""
    xr, xz, xn = jnp.split(x_gates, 3, axis=-1)
    hr, hz, hn = jnp.split(h_gates, 3, axis=-1)
    reset, update = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
    new = jnp.tanh(xn + reset * hn)
    return new + update * (h - new)


def _recurrence(mode, x_proj, mask, h0, c0, w_hh, b_hh, w_hr, reverse):
    """Scan the recurrence over time; masked steps (padding) keep the previous state."""

    def step(carry, inputs):
        h, c = carry
        x_t, m_t = inputs
        h_gates = h @ w_hh.T if b_hh is None else h @ w_hh.T + b_hh
        if mode == "GRU":
            h_new, c_new = _gru_update(x_t, h_gates, h), None
        else:
            h_new, c_new = _STEPS[mode](x_t + h_gates, h, c, w_hr)
        if m_t is not None:
            h_new = jnp.where(m_t[:, None], h_new, h)
            c_new = None if c is None else jnp.where(m_t[:, None], c_new, c)
        return (h_new, c_new), h_new

    (h_n, c_n), outputs = jax.lax.scan(step, (h0, c0), (x_proj, mask), reverse=reverse)
    return outputs, h_n, c_n


# ----- packed layout <-> padded layout (static indices from the batch sizes) -------------------
def _packed_positions(batch_sizes: tuple[int, ...]):
    """(T, B) row of each (step, sequence) in the packed data (-1 where padded), and the mask."""
    sizes = np.asarray(batch_sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    column = np.arange(sizes[0])
    mask = column[None, :] < sizes[:, None]
    return np.where(mask, offsets[:, None] + column[None, :], -1), mask


def _unpack(data, positions):
    padded = jnp.concatenate([data, jnp.zeros((1,) + data.shape[1:], data.dtype)])
    return padded[positions]  # index -1 is the zero row appended above


def _repack(padded, mask):
    flat = padded.reshape((-1,) + padded.shape[2:])
    return flat[np.flatnonzero(mask.reshape(-1))]


@functools.lru_cache(maxsize=256)
def _layer_kernel(mode: str, reverse: bool, batch_sizes):
    """The jitted whole-sequence layer for one (mode, direction, packing)."""

    def run(input, w_ih, w_hh, b_ih, b_hh, hx, cx, w_hr):
        mask = None
        if batch_sizes is not None:
            positions, mask_np = _packed_positions(batch_sizes)
            input, mask = _unpack(input, positions), jnp.asarray(mask_np)
        x_proj = input @ w_ih.T if b_ih is None else input @ w_ih.T + b_ih
        outputs, h_n, c_n = _recurrence(mode, x_proj, mask, hx, cx, w_hh, b_hh, w_hr, reverse)
        if batch_sizes is not None:
            outputs = _repack(outputs, mask_np)
        return (outputs, h_n) if cx is None else (outputs, h_n, c_n)

    return jax.jit(run)


def _layer_name(args, kwargs) -> str:
    """torch's grad_fn of a layer's output: oneDNN's layer for float32 LSTM, else its stack/cat."""
    if kwargs.get("batch_sizes") is not None:
        return "CatBackward0"
    input, weight_hr = args[0], kwargs.get("weight_hr")
    mkldnn = kwargs["mode"] == "LSTM" and weight_hr is None and str(input.dtype) == "torch.float32"
    return "MkldnnRnnLayerBackward0" if mkldnn else "StackBackward0"


@op(grad_fn=_layer_name, tensors=_LAYER_TENSORS, function=False, method=False,
    aten="aten::_rnn_layer", forward_kernel=False)  # fmt: skip
def _rnn_layer(input, weight_ih, weight_hh, bias_ih, bias_hh, hx, cx=None, weight_hr=None, *,
               mode, reverse=False, batch_sizes=None):  # fmt: skip
    """One recurrent layer, one direction: (output, h_n[, c_n]) for a (T, B, F) or packed input."""
    kernel = _layer_kernel(mode, bool(reverse), None if batch_sizes is None else tuple(batch_sizes))
    return kernel(input, weight_ih, weight_hh, bias_ih, bias_hh, hx, cx, weight_hr)


# ----- torch.nn.utils.rnn kernels -------------------------------------------------------------
def _batch_sizes(lengths) -> tuple[int, ...]:
    lengths = np.asarray(lengths)
    return tuple(int((lengths > t).sum()) for t in range(int(lengths.max())))


def _check_lengths(lengths, batch: int) -> None:
    if len(lengths) != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
            f"(batch_size={batch})"
        )
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    if lengths and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )


@op(grad_fn="PackPaddedSequenceBackward0", function=False, method=False,
    aten="aten::_pack_padded_sequence")  # fmt: skip
def _pack_padded_sequence(input, lengths, batch_first=False):
    """The packed data of a padded (T, B, *) batch whose sorted lengths are given."""
    time_major = jnp.swapaxes(input, 0, 1) if batch_first else input
    _check_lengths(list(lengths), time_major.shape[1])
    _, mask = _packed_positions(_batch_sizes(lengths))
    return _repack(time_major[: mask.shape[0]], mask)


@op(grad_fn="CopySlices", function=False, method=False, aten="aten::_pad_packed_sequence")
def _pad_packed_sequence(data, batch_sizes, padding_value=0.0, total_length=0):
    """A padded (T, B, *) block from packed data (padding_value where no sequence reaches)."""
    positions, _ = _packed_positions(tuple(batch_sizes))
    fill = jnp.full((1,) + data.shape[1:], padding_value, data.dtype)
    padded = jnp.concatenate([data, fill])[positions]
    extra = total_length - padded.shape[0]
    if extra > 0:
        padded = jnp.concatenate([padded, jnp.broadcast_to(fill, (extra,) + padded.shape[1:])])
    return padded


def _check_sequence_sizes(sequences) -> None:
    trailing = sequences[0].shape[1:]
    for seq in sequences:
        slot = (seq.shape[0], *trailing)
        for d, (a, b) in enumerate(zip(slot, seq.shape)):
            if a != b and b != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                    f"non-singleton dimension {d}"
                )


@op(grad_fn="CopySlices", tensors=("sequences",), function=False, method=False,
    aten="aten::pad_sequence")  # fmt: skip
def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences of different lengths stacked into one padded block (torch's pad_sequence)."""
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    _check_sequence_sizes(sequences)
    longest = max(seq.shape[0] for seq in sequences)
    dtype = sequences[0].dtype
    rows = []
    for seq in sequences:
        pad = jnp.full((longest - seq.shape[0],) + sequences[0].shape[1:], padding_value, dtype)
        seq = jnp.broadcast_to(seq, (seq.shape[0],) + sequences[0].shape[1:]).astype(dtype)
        rows.append(jnp.concatenate([seq, pad] if padding_side == "right" else [pad, seq]))
    return jnp.stack(rows, axis=0 if batch_first else 1)
