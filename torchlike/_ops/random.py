"""Random factories and in-place samplers, drawing from torch's CPU generator on the host.

Values are drawn in torch's fill order (memory order of the target) and handed to JAX, so
with the same seed every function here returns PyTorch's exact bits.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .. import _random as rng
from .._tensor import Tensor
from ..random import generator_state
from .creation import finish
from .inplace import check_inplace_allowed
from .shape import sizes_arg


def _float_dtype(dtype) -> dt.dtype:
    return dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.rand."""
    dtype = _float_dtype(dtype)
    values = rng.uniform(generator_state(generator), sizes_arg(size), dtype._name)
    return finish(values, dtype, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.randn."""
    dtype = _float_dtype(dtype)
    values = rng.normal(generator_state(generator), sizes_arg(size), dtype._name)
    return finish(values, dtype, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):  # fmt: skip
    """torch.randint(high, size) / torch.randint(low, high, size)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments")
    dtype = dt.int64 if dtype is None else dt.as_dtype(dtype)
    values = rng.randint(generator_state(generator), tuple(size), low, high, dtype._name)
    return finish(values, dtype, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.randperm."""
    dtype = dt.int64 if dtype is None else dt.as_dtype(dtype)
    values = rng.randperm(generator_state(generator), n, dtype._name)
    return finish(values, dtype, device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):  # fmt: skip
    """torch.rand_like."""
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)  # fmt: skip


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):  # fmt: skip
    """torch.randn_like."""
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)  # fmt: skip


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):  # fmt: skip
    """torch.randint_like(input, high) / torch.randint_like(input, low, high)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device, generator=generator)  # fmt: skip


def _host(t: Tensor) -> np.ndarray:
    return np.asarray(t._value)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False):  # fmt: skip
    """torch.normal: the (Tensor, Tensor), (Tensor, float), (float, Tensor), (float, float, size)
    overloads."""
    gen = generator_state(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        m = _host(mean) if isinstance(mean, Tensor) else float(mean)
        s = _host(std) if isinstance(std, Tensor) else float(std)
        values = rng.normal_tensor(gen, m, s)
        result = finish(values, dt.from_numpy_dtype(values.dtype), like.device)
        return result if out is None else out.copy_(result)
    if size is None:
        raise TypeError(
            "normal() received an invalid combination of arguments - got (float, float), but "
            "expected one of: (Tensor mean, Tensor std), (Tensor mean, float std), "
            "(float mean, Tensor std), (float mean, float std, tuple of ints size)"
        )
    dtype = _float_dtype(dtype)
    values = rng.normal(gen, tuple(size), dtype._name, float(mean), float(std))
    return finish(values, dtype, device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli(input) draws 1 with probability input[i]; with p, every element uses p."""
    gen = generator_state(generator)
    if p is None:
        values = rng.bernoulli_tensor(gen, _host(input))
    else:
        values = rng.bernoulli_scalar(gen, tuple(input.shape), float(p), input.dtype._name)
    return finish(values, input.dtype, input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """torch.multinomial."""
    values = rng.multinomial(generator_state(generator), _host(input), num_samples, replacement)
    return finish(np.asarray(values, np.int64), dt.int64, input.device)


# ----- in-place samplers (Tensor methods) ------------------------------------------------------
def _fill(self: Tensor, draw) -> Tensor:
    """Draw numel values in torch's fill order for self's strides and write them into self."""
    check_inplace_allowed(self)
    shape = tuple(self.shape)
    contiguous = self.is_contiguous()
    values = draw(shape, contiguous)
    if not contiguous:
        values = rng.place_in_fill_order(values, shape, self.stride())
    self._write(jnp.asarray(values, self._value.dtype))
    return self


def _uniform_(self, from_=0.0, to=1.0, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.uniform(gen, shape, self.dtype._name, float(from_),
                                                    float(to)))  # fmt: skip


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.normal(gen, shape, self.dtype._name, float(mean),
                                                   float(std), contiguous=c))  # fmt: skip


def _bernoulli_(self, p=0.5, *, generator=None):
    gen = generator_state(generator)
    if isinstance(p, Tensor):
        return _fill(self, lambda shape, c: rng.bernoulli_tensor(gen, _host(p), shape,
                                                                 self._value.dtype))  # fmt: skip
    return _fill(self, lambda shape, c: rng.bernoulli_scalar(gen, shape, float(p),
                                                             self.dtype._name))  # fmt: skip


def _random_(self, from_=None, to=None, *, generator=None):
    gen = generator_state(generator)
    if from_ is None and to is None:
        return _fill(self, lambda shape, c: rng.random_(gen, shape, self.dtype._name))
    if to is None:
        from_, to = 0, from_
    return _fill(self, lambda shape, c: rng.random_from_to(gen, shape, self.dtype._name, from_,
                                                           to))  # fmt: skip


def _exponential_(self, lambd=1.0, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.exponential(gen, shape, self.dtype._name,
                                                        float(lambd)))  # fmt: skip


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.log_normal(gen, shape, self.dtype._name, float(mean),
                                                       float(std)))  # fmt: skip


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.cauchy(gen, shape, self.dtype._name, float(median),
                                                   float(sigma)))  # fmt: skip


def _geometric_(self, p, *, generator=None):
    gen = generator_state(generator)
    return _fill(self, lambda shape, c: rng.geometric(gen, shape, self.dtype._name, float(p)))


TENSOR_METHODS = {
    "uniform_": _uniform_, "normal_": _normal_, "bernoulli_": _bernoulli_, "random_": _random_,
    "exponential_": _exponential_, "log_normal_": _log_normal_, "cauchy_": _cauchy_,
    "geometric_": _geometric_,
    "bernoulli": lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator),
    "multinomial": lambda self, num_samples, replacement=False, *, generator=None: multinomial(
        self, num_samples, replacement, generator=generator),
}  # fmt: skip
for _name, _fn in TENSOR_METHODS.items():
    setattr(Tensor, _name, _fn)
