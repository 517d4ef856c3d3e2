"""Shared helpers for the random-number compat tests: torch is the oracle."""

import struct

import numpy as np
import pytest
import torch

from torchlike._random import CPUGeneratorState

FLOATS = {"float32": torch.float32, "float64": torch.float64}


def pair(seed):
    """A torch generator and ours, seeded alike."""
    return torch.Generator().manual_seed(seed), CPUGeneratorState(seed)


def assert_same(ours: np.ndarray, theirs: torch.Tensor):
    expected = theirs.numpy()
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    assert np.array_equal(ours.view(np.uint8), expected.view(np.uint8)), (ours, expected)


def assert_same_state(gen: CPUGeneratorState, tgen: torch.Generator):
    assert np.array_equal(gen.get_state(), tgen.get_state().numpy())


def assert_same_error(ours, theirs):
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as actual:
        ours()
    assert str(actual.value) == str(expected.value)


def edit_state(state: torch.Tensor, fmt: str, offset: int, value) -> torch.Tensor:
    raw = bytearray(state.numpy().tobytes())
    struct.pack_into(fmt, raw, offset, value)
    return torch.frombuffer(raw, dtype=torch.uint8).clone()


def _undo_left(y: int, shift: int, mask: int) -> int:
    result = y
    for _ in range(32 // shift + 1):
        result = y ^ ((result << shift) & mask)
    return result & 0xFFFFFFFF


def _undo_right(y: int, shift: int) -> int:
    result = y
    for _ in range(32 // shift + 1):
        result = y ^ (result >> shift)
    return result


def untemper(word: int) -> int:
    """The state word that MT19937's tempering turns into `word`."""
    y = _undo_right(word, 18)
    y = _undo_left(y, 15, 0xEFC60000)
    y = _undo_left(y, 7, 0x9D2C5680)
    return _undo_right(y, 11)


def crafted_state(words: list[int]) -> torch.Tensor:
    """A state whose next draws are exactly `words` (left=624, next=0, mt[i]=untemper(w_i))."""
    state = torch.Generator().manual_seed(0).get_state()
    state = edit_state(state, "<i", 8, 624)
    state = edit_state(state, "<Q", 16, 0)
    for i, word in enumerate(words):
        state = edit_state(state, "<Q", 24 + 8 * i, untemper(word))
    return state
