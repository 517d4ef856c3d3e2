"""torch.random and torch.Generator: PyTorch's CPU generator, reproduced bit for bit."""

from __future__ import annotations

import contextlib

import jax.numpy as jnp
import numpy as np

from ._random.engine import CPUGeneratorState, default_generator_state
from ._tensor import Tensor, from_array


class Generator:
    """torch.Generator (CPU): an MT19937 stream identical to torch's."""

    def __init__(self, device="cpu"):
        self._state = CPUGeneratorState()
        self.device = device

    @classmethod
    def _wrap(cls, state: CPUGeneratorState) -> Generator:
        gen = cls.__new__(cls)
        gen._state, gen.device = state, "cpu"
        return gen

    def manual_seed(self, seed) -> Generator:
        self._state.manual_seed(_seed_value(seed))
        return self

    def seed(self) -> int:
        return self._state.seed()

    def initial_seed(self) -> int:
        return self._state.initial_seed()

    def get_state(self) -> Tensor:
        return from_array(jnp.asarray(self._state.get_state(), jnp.uint8))

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor):
            raise TypeError(
                f"expected a torch.ByteTensor, but got {type(new_state).__name__}"
            )
        if not new_state.is_contiguous():
            raise RuntimeError("RNG state must be contiguous")
        self._state.set_state(np.asarray(new_state._value))
        return self


default_generator = Generator._wrap(default_generator_state())


def _seed_value(seed) -> int:
    if isinstance(seed, Tensor):
        seed = seed.item()
    return int(seed)


def manual_seed(seed) -> Generator:
    """torch.manual_seed."""
    default_generator.manual_seed(seed)
    return default_generator


def seed() -> int:
    """torch.seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """torch.initial_seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """torch.get_rng_state."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """torch.set_rng_state."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):  # fmt: skip
    """torch.random.fork_rng: restore the CPU generator's state on exit."""
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def generator_state(generator) -> CPUGeneratorState:
    """The engine behind a generator= argument (the default generator when None)."""
    return (generator or default_generator)._state
