"""torch.random and torch.Generator: PyTorch's CPU generator reproduced bit for bit.

A switch (`use_jax_prng(True)` or the environment variable TORCHLIKE_RNG=jax) makes every
generator draw from a JAX counter-based key instead: same API, not torch's numbers.
"""

from __future__ import annotations

import contextlib
import os

import jax
import jax.numpy as jnp
import numpy as np

from ._device import device as _device
from ._random.engine import STATE_NBYTES, CPUGeneratorState, default_generator_state
from ._tensor import Tensor, from_array

__all__ = [
    "Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
    "is_jax_prng_enabled", "manual_seed", "seed", "set_rng_state", "use_jax_prng",
]  # fmt: skip

# A JAX-mode state is torch's 5056 bytes followed by the threefry key's two uint32 words.
_KEY_NBYTES = 8
JAX_STATE_NBYTES = STATE_NBYTES + _KEY_NBYTES
_RNG_ENV = "TORCHLIKE_RNG"
_RNG_CHOICES = {"torch": False, "mt19937": False, "": False, "jax": True}
_CUDA_UNAVAILABLE = (
    "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by the "
    "dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if this "
    "has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so "
    "library."
)


def _mode_from_environment() -> bool:
    choice = os.environ.get(_RNG_ENV, "").strip().lower()
    if choice not in _RNG_CHOICES:
        raise ValueError(
            f"{_RNG_ENV}={os.environ[_RNG_ENV]!r} is not understood; use {_RNG_ENV}=torch for "
            f"PyTorch's bit-exact generator or {_RNG_ENV}=jax for JAX's counter-based one"
        )
    return _RNG_CHOICES[choice]


_jax_mode = _mode_from_environment()


def use_jax_prng(enabled: bool = True) -> None:
    """Draw from JAX's counter-based generator (True) or PyTorch's bit-exact one (False)."""
    global _jax_mode
    _jax_mode = bool(enabled)


def is_jax_prng_enabled() -> bool:
    """Whether random functions draw from JAX's generator rather than torch's MT19937."""
    return _jax_mode


def _generator_device(device) -> _device:
    if device is None:
        return _device("cpu")
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    dev = _device(device)
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        from . import cuda

        if cuda.is_available():
            return dev
        raise RuntimeError(_CUDA_UNAVAILABLE)
    raise RuntimeError(f"{dev.type.upper()} device type not an accelerator.")


def _type_path(obj) -> str:
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


class Generator:
    """torch.Generator: an MT19937 stream identical to torch's CPU generator."""

    __slots__ = ("_state", "_key", "device", "__weakref__")

    def __init__(self, device="cpu"):
        self.device = _generator_device(device)
        self._state = CPUGeneratorState()
        self._key = None  # the JAX key, made from the seed on first use in JAX mode

    @classmethod
    def _wrap(cls, state: CPUGeneratorState) -> Generator:
        gen = cls.__new__(cls)
        gen._state, gen._key, gen.device = state, None, _device("cpu")
        return gen

    def manual_seed(self, seed) -> Generator:
        """torch.Generator.manual_seed: reseed (ints only, like torch) and return self."""
        self._state.manual_seed(seed)
        self._key = None
        return self

    def seed(self) -> int:
        """torch.Generator.seed: reseed from the operating system's entropy."""
        self._key = None
        return self._state.seed()

    def initial_seed(self) -> int:
        """torch.Generator.initial_seed."""
        return self._state.initial_seed()

    def get_state(self) -> Tensor:
        """torch.Generator.get_state: 5056 bytes, interchangeable with torch's (JAX mode adds 8)."""
        state = self._state.get_state()
        if _jax_mode:
            key_words = np.asarray(jax.random.key_data(self._current_key()), np.uint32)
            state = np.concatenate([state, key_words.astype("<u4").view(np.uint8)])
        return from_array(jnp.asarray(state, jnp.uint8))

    def set_state(self, new_state) -> Generator:
        """torch.Generator.set_state: accepts torch's byte tensors (and JAX-mode states)."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {_type_path(new_state)}")
        if new_state.dtype._name != "uint8":
            raise TypeError("RNG state must be a torch.ByteTensor")
        if not new_state.is_contiguous():
            raise RuntimeError("RNG state must be contiguous")
        data = np.asarray(new_state._value).reshape(-1)
        if data.size == JAX_STATE_NBYTES:
            key_words = data[STATE_NBYTES:].copy().view("<u4").astype(np.uint32)
            self._state.set_state(data[:STATE_NBYTES].copy())
            self._key = jax.random.wrap_key_data(jnp.asarray(key_words), impl="threefry2x32")
            return self
        self._state.set_state(data)
        return self

    def clone_state(self) -> Generator:
        """torch.Generator.clone_state: an independent generator in the same state."""
        other = Generator.__new__(Generator)
        other._state, other._key, other.device = self._state.clone(), self._key, self.device
        return other

    def graphsafe_get_state(self):
        """torch.Generator.graphsafe_get_state (not supported by CPU generators)."""
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        """torch.Generator.graphsafe_set_state (not supported by CPU generators)."""
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def get_offset(self) -> int:
        """torch.Generator.get_offset (CPU generators have none)."""
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset) -> Generator:
        """torch.Generator.set_offset (CPU generators have none)."""
        raise RuntimeError("CPU Generator does not use offset")

    def __deepcopy__(self, memo):
        return self.clone_state()

    def __reduce__(self):
        return (_rebuild_generator, (str(self.device), self._state.get_state(), self._key_words()))

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {id(self):#x}>"

    # ---- JAX mode ----------------------------------------------------------------------------
    def _current_key(self):
        if self._key is None:
            seed = self._state.initial_seed()
            words = np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32)
            self._key = jax.random.wrap_key_data(jnp.asarray(words), impl="threefry2x32")
        return self._key

    def _key_words(self):
        return None if self._key is None else np.asarray(jax.random.key_data(self._key))

    def _next_key(self):
        """A fresh subkey for one call; the generator keeps the other half of the split."""
        self._key, subkey = jax.random.split(self._current_key())
        return subkey


def _rebuild_generator(device: str, state: np.ndarray, key_words) -> Generator:
    gen = Generator(device)
    gen._state.set_state(state)
    if key_words is not None:
        gen._key = jax.random.wrap_key_data(jnp.asarray(key_words), impl="threefry2x32")
    return gen


default_generator = Generator._wrap(default_generator_state())


def manual_seed(seed) -> Generator:
    """torch.manual_seed / torch.random.manual_seed: seed the default generator, return it."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """torch.seed: reseed the default generator nondeterministically and return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """torch.initial_seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """torch.get_rng_state: the default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """torch.set_rng_state."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):  # fmt: skip
    """torch.random.fork_rng: the default generator's state is restored on exit."""
    if not enabled or device_type == "meta":
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def as_generator(generator) -> Generator:
    """The generator a generator= argument names (the default generator for None)."""
    return default_generator if generator is None else generator


def jax_key(generator=None):
    """A fresh JAX key split off a generator's key, for samplers written directly in JAX."""
    return as_generator(generator)._next_key()


def generator_state(generator) -> CPUGeneratorState:
    """The bit-exact engine behind a generator= argument (the default generator for None)."""
    return as_generator(generator)._state


from ._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.random")
