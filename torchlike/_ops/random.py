"""Random factories and in-place samplers, drawing from torch's CPU generator on the host."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._random import sampling
from ..random import generator_state
from .creation import finish
from .shape import sizes_arg


def _float_dtype(dtype):
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    return dtype


def _draw_dtype(dtype: dt.dtype) -> str:
    return "float64" if dtype is dt.float64 else "float32"


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.rand."""
    dtype = _float_dtype(dtype)
    values = sampling.uniform(generator_state(generator), sizes_arg(size), _draw_dtype(dtype))
    return finish(values, dtype, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.randn."""
    dtype = _float_dtype(dtype)
    values = sampling.normal(generator_state(generator), sizes_arg(size), _draw_dtype(dtype))
    return finish(values, dtype, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):  # fmt: skip
    """torch.randint(low=0, high, size)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    dtype = dt.int64 if dtype is None else dt.as_dtype(dtype)
    values = sampling.randint(generator_state(generator), tuple(size), low, high, dtype._name)
    return finish(values, dtype, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.randperm."""
    dtype = dt.int64 if dtype is None else dt.as_dtype(dtype)
    values = sampling.randperm(generator_state(generator), n, dtype._name)
    return finish(values, dtype, device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):  # fmt: skip
    """torch.rand_like."""
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)  # fmt: skip


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):  # fmt: skip
    """torch.randn_like."""
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)  # fmt: skip


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):  # fmt: skip
    """torch.randint_like."""
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device)  # fmt: skip


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False):  # fmt: skip
    """torch.normal (the float-mean, float-std, size overload)."""
    dtype = _float_dtype(dtype)
    values = sampling.normal(generator_state(generator), tuple(size), _draw_dtype(dtype),
                             float(mean), float(std))  # fmt: skip
    return finish(values, dtype, device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli(input): 1 with probability input[i]."""
    probs = np.asarray(input._value)
    values = sampling.bernoulli(generator_state(generator), probs, probs.shape, input.dtype._name)
    return finish(values, input.dtype, input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """torch.multinomial."""
    probs = np.asarray(input._value)
    values = sampling.multinomial(generator_state(generator), probs, num_samples, replacement)
    return finish(np.asarray(values, np.int64), dt.int64, input.device)


def _uniform_(self, from_=0.0, to=1.0, *, generator=None):
    values = sampling.uniform(generator_state(generator), tuple(self.shape),
                              _draw_dtype(self.dtype), float(from_), float(to))  # fmt: skip
    self._write(jnp.asarray(values, self._value.dtype))
    return self


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    values = sampling.normal(generator_state(generator), tuple(self.shape),
                             _draw_dtype(self.dtype), float(mean), float(std))  # fmt: skip
    self._write(jnp.asarray(values, self._value.dtype))
    return self
