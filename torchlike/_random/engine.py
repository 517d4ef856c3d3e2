"""PyTorch's CPU generator: MT19937 with torch's (left, next) bookkeeping and normal caches.

The raw 32-bit stream is produced in bulk by numpy's own MT19937 bit generator, which
runs the same recurrence; this module only maps torch's counters onto numpy's position.
"""

from __future__ import annotations

import os
import struct

import numpy as np

MT_N = 624
# torch.Generator() starts from this seed (0x3D30F19CD101).
DEFAULT_SEED = 67280421310721
STATE_NBYTES = 5056

_HEADER = struct.Struct("<QiiQ")  # seed, left, seeded, next
_MT_OFFSET = 24
_DOUBLE_CACHE_OFFSET = 5024
_DOUBLE_FLAG_OFFSET = 5040
_FLOAT_CACHE_OFFSET = 5048
_FLOAT_FLAG_OFFSET = 5052
_LOW24 = np.uint64(0xFFFFFF)
_LOW53 = np.uint64((1 << 53) - 1)
_SHIFT32 = np.uint64(32)
# Below this many words numpy's raw draw is cheaper than its bounded-integer call.
_BULK_MIN = 64


def temper(words: np.ndarray) -> np.ndarray:
    """MT19937's output tempering applied to raw state words."""
    y = words.astype(np.uint32)
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


def _check_seed(seed) -> int:
    if isinstance(seed, np.integer):
        raise TypeError("an integer is required")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed % (1 << 64)


def _check_state_array(state) -> np.ndarray:
    if not isinstance(state, np.ndarray):
        raise TypeError(
            f"expected a torch.ByteTensor, but got {type(state).__module__}.{type(state).__name__}"
        )
    if state.dtype != np.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    if not state.flags.c_contiguous:
        raise RuntimeError("RNG state must be contiguous")
    if state.size != STATE_NBYTES:
        raise RuntimeError(
            f"Expected a CPUGeneratorImplState of size {STATE_NBYTES} but found "
            f"the input RNG state size to be {state.size}"
        )
    return state.reshape(-1)


class CPUGeneratorState:
    """The state behind a CPU torch.Generator: MT19937 engine plus cached normal samples."""

    __slots__ = ("_bitgen", "_legacy", "_seed", "_left", "_next", "double_normal", "float_normal")

    def __init__(self, seed: int = DEFAULT_SEED):
        self._bitgen = np.random.MT19937(0)
        # RandomState shares the bit generator; it provides init_genrand and masked draws.
        self._legacy = np.random.RandomState(self._bitgen)
        self.manual_seed(seed)

    # ---- seeding ---------------------------------------------------------------------
    def manual_seed(self, seed: int) -> CPUGeneratorState:
        """Reseed like torch.Generator.manual_seed (only the low 32 bits reach the engine)."""
        seed = _check_seed(seed)
        self._seed = seed
        # init_genrand, leaving numpy at position 624 so the first draw twists, as torch does.
        self._legacy.seed(seed & 0xFFFFFFFF)
        self._left, self._next = 1, 0
        self.double_normal = None
        self.float_normal = None
        return self

    def initial_seed(self) -> int:
        """The 64-bit seed last set, like torch.Generator.initial_seed."""
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the seed, like Generator.seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    # ---- state serialisation -----------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The 5056-byte state of torch.Generator.get_state / torch.get_rng_state."""
        buf = bytearray(STATE_NBYTES)
        _HEADER.pack_into(buf, 0, self._seed, self._left, 1, self._next)
        mt = self._bitgen.state["state"]["key"].astype("<u8")
        buf[_MT_OFFSET : _MT_OFFSET + MT_N * 8] = mt.tobytes()
        if self.double_normal is not None:
            struct.pack_into("<d", buf, _DOUBLE_CACHE_OFFSET, self.double_normal)
            struct.pack_into("<i", buf, _DOUBLE_FLAG_OFFSET, 1)
        if self.float_normal is not None:
            struct.pack_into("<f", buf, _FLOAT_CACHE_OFFSET, self.float_normal)
            buf[_FLOAT_FLAG_OFFSET] = 1
        return np.frombuffer(bytes(buf), dtype=np.uint8).copy()

    def set_state(self, state: np.ndarray) -> CPUGeneratorState:
        """Restore a state from get_state or from real torch, with torch's validation."""
        data = _check_state_array(state).tobytes()
        seed, left, seeded, next_ = _HEADER.unpack_from(data, 0)
        if seeded == 0 or not 1 <= left <= MT_N or next_ > MT_N:
            raise RuntimeError("Invalid mt19937 state")
        words = np.frombuffer(data, dtype="<u8", count=MT_N, offset=_MT_OFFSET)
        mt = (words & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        self._seed, self._left, self._next = seed, left, next_
        # Out of step states (left + next != 625) keep numpy parked before a twist; see _words.
        pos = next_ if self._numpy_in_step() and left > 1 else MT_N
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": mt, "pos": pos}}
        has_double = struct.unpack_from("<i", data, _DOUBLE_FLAG_OFFSET)[0] != 0
        has_float = data[_FLOAT_FLAG_OFFSET] != 0
        self.double_normal = (
            struct.unpack_from("<d", data, _DOUBLE_CACHE_OFFSET)[0] if has_double else None
        )
        self.float_normal = (
            struct.unpack_from("<f", data, _FLOAT_CACHE_OFFSET)[0] if has_float else None
        )
        return self

    def clone(self) -> CPUGeneratorState:
        """An independent copy (torch.Generator.clone_state / graphsafe copies)."""
        other = CPUGeneratorState.__new__(CPUGeneratorState)
        other._bitgen = np.random.MT19937(0)
        other._bitgen.state = self._bitgen.state
        other._legacy = np.random.RandomState(other._bitgen)
        other._seed, other._left, other._next = self._seed, self._left, self._next
        other.double_normal, other.float_normal = self.double_normal, self.float_normal
        return other

    def __deepcopy__(self, memo):
        return self.clone()

    # ---- counters ----------------------------------------------------------------------
    def _numpy_in_step(self) -> bool:
        # torch reads mt[next] while left > 1; numpy reads key[pos]: both agree iff left+next=625.
        return self._left == 1 or self._left + self._next == MT_N + 1

    def _advance(self, count: int) -> None:
        if count < self._left:
            self._left -= count
            self._next += count
        else:
            since_twist = (count - self._left) % MT_N + 1
            self._left, self._next = MT_N + 1 - since_twist, since_twist

    def _catch_up(self, count: int) -> np.ndarray:
        """Draw the words an out-of-step state yields before its next twist."""
        head = min(count, self._left - 1)
        if self._next + head > MT_N:
            raise RuntimeError(
                "this RNG state reads past the end of the Mersenne Twister array "
                f"(left={self._left}, next={self._next}); torch's output there is undefined"
            )
        key = self._bitgen.state["state"]["key"]
        words = temper(key[self._next : self._next + head])
        self._left -= head
        self._next += head
        return words

    # ---- raw draws -----------------------------------------------------------------------
    def next32(self, count: int) -> np.ndarray:
        """`count` engine outputs (torch's random()), as uint32."""
        head = None
        if not self._numpy_in_step():
            head = self._catch_up(count)
            count -= head.size
            if count == 0:
                return head
        words = self._bitgen.random_raw(count).astype(np.uint32)
        self._advance(count)
        return words if head is None else np.concatenate([head, words])

    def next64(self, count: int) -> np.ndarray:
        """`count` values of torch's random64(): first draw in the high half."""
        words = self.next32(2 * count).astype(np.uint64)
        return (words[0::2] << _SHIFT32) | words[1::2]

    def low24(self, count: int) -> np.ndarray:
        """Low 24 bits of `count` draws: the integer numerator of a float32 uniform."""
        if count < _BULK_MIN or not self._numpy_in_step():
            return self.next32(count) & np.uint32(0xFFFFFF)
        # The masked draw with mask == bound never rejects: exactly one word per value.
        out = self._legacy.randint(0, 1 << 24, count, dtype=np.uint32)
        self._advance(count)
        return out

    def low53(self, count: int) -> np.ndarray:
        """Low 53 bits of `count` random64() values: the numerator of a float64 uniform."""
        if count < _BULK_MIN or not self._numpy_in_step():
            return self.next64(count) & _LOW53
        out = self._legacy.randint(0, 1 << 53, count, dtype=np.uint64)
        self._advance(2 * count)
        return out

    def uniform32(self, count: int) -> np.ndarray:
        """`count` float32 uniforms in [0, 1) (low 24 bits times 2**-24)."""
        return self.low24(count).astype(np.float32) * np.float32(2.0**-24)

    def uniform64(self, count: int) -> np.ndarray:
        """`count` float64 uniforms in [0, 1) (low 53 bits of random64() times 2**-53)."""
        return self.low53(count).astype(np.float64) * (2.0**-53)

    def uniform(self, count: int, dtype) -> np.ndarray:
        """Uniforms in [0, 1) with the draw width torch uses for `dtype`."""
        return self.uniform64(count) if np.dtype(dtype) == np.float64 else self.uniform32(count)

    def __repr__(self) -> str:
        return f"CPUGeneratorState(initial_seed={self._seed})"


def default_generator_state() -> CPUGeneratorState:
    """A generator seeded nondeterministically, as torch's process-wide default one is."""
    gen = CPUGeneratorState()
    gen.seed()
    return gen
