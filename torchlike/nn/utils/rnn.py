"""torch.nn.utils.rnn: PackedSequence and the padding/packing helpers around it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtype as dt
from ..._ops.creation import arange as _arange
from ..._ops.creation import tensor as _tensor
from ..._ops.dispatch import call
from ..._ops.registry import TABLE
from ..._tensor import Tensor

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
    "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence",
]  # fmt: skip


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """torch.nn.utils.rnn.PackedSequence: time-major packed data of variable-length sequences."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, list | tuple) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """PackedSequence.to: moves or casts the data (indices follow its device)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))  # fmt: skip

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=dt.float64)

    def float(self):
        return self.to(dtype=dt.float32)

    def long(self):
        return self.to(dtype=dt.int64)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _int_tensor(values) -> Tensor:
    return _tensor(list(map(int, values)), dtype=dt.int64)


def invert_permutation(permutation):
    """torch.nn.utils.rnn.invert_permutation: the permutation that undoes `permutation`."""
    if permutation is None:
        return None
    order = permutation.numpy()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return _int_tensor(inverse).to(permutation.device)


def _batch_sizes(lengths) -> list[int]:
    lengths = np.asarray(lengths)
    return [int((lengths > t).sum()) for t in range(int(lengths.max()))]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """torch.nn.utils.rnn.pack_padded_sequence."""
    values = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    values = [int(v) for v in values.reshape(-1)]
    sorted_indices = None
    if not enforce_sorted:
        order = sorted(range(len(values)), key=lambda i: -values[i])  # stable, like torch.sort
        values = [values[i] for i in order]
        sorted_indices = _int_tensor(order).to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data = call(TABLE["_pack_padded_sequence"], (input, tuple(values), batch_first), {})
    return PackedSequence(data, _int_tensor(_batch_sizes(values)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """torch.nn.utils.rnn.pad_packed_sequence: (padded, lengths)."""
    sizes = [int(s) for s in sequence.batch_sizes.numpy()]
    max_seq_length = len(sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_seq_length}"
            )
        max_seq_length = total_length
    args = (sequence.data, tuple(sizes), padding_value, max_seq_length)
    padded = call(TABLE["_pad_packed_sequence"], args, {})
    if batch_first:  # torch pads time-major, then transposes
        padded = padded.transpose(0, 1)
    lengths = _int_tensor([sum(s > b for s in sizes) for b in range(sizes[0])])
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """torch.nn.utils.rnn.pad_sequence."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    args = (list(sequences), batch_first, padding_value, padding_side)
    return call(TABLE["pad_sequence"], args, {})


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """torch.nn.utils.rnn.unpad_sequence: the list of unpadded sequences."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    steps = _arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[steps < length] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """torch.nn.utils.rnn.pack_sequence."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """torch.nn.utils.rnn.unpack_sequence: the list of sequences a PackedSequence holds."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
