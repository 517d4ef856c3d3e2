"""Random factories and in-place samplers: torch.rand, torch.normal, Tensor.uniform_, ...

By default every value comes from torch's CPU generator reproduced on the host, drawn in
torch's fill order and handed to JAX, so with the same seed the bits are PyTorch's. With
torchlike.random.use_jax_prng(True) they come from the generator's JAX key instead.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .. import _random as rng
from .._random.discrete import _P_TENSOR_ERROR, _check_multinomial, _expand_probs
from .._random.sampling import _check_std, _check_std_array
from .._tensor import Tensor
from ..random import as_generator, is_jax_prng_enabled
from . import random_exact as exact
from . import random_jax as jr
from .creation import finish
from .random_args import (
    check_generator,
    check_method_generator,
    check_requires_grad,
    invalid_combination,
    parse_randint,
    parse_randperm_n,
    parse_size,
)
from .random_fill import (
    contiguous_strides,
    draw,
    draw_strided,
    fill,
    like_strides,
    record_constant,
)

_FACTORY_DEFAULTS = {"out": None, "dtype": None, "layout": None, "device": None,
                     "requires_grad": False, "pin_memory": False}  # fmt: skip


def _given(**kwargs) -> dict:
    """The keyword arguments a caller actually passed (for torch's TypeError messages)."""
    return {k: v for k, v in kwargs.items() if v is not None and v is not _FACTORY_DEFAULTS.get(k)}


def _host(t: Tensor) -> np.ndarray:
    return np.asarray(t._value)


def _into(out: Tensor | None, result: Tensor) -> Tensor:
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(
            f"torchlike writes random out= results only into a tensor of the result's shape "
            f"{list(result.shape)}, got {list(out.shape)}; pass out=torch.empty(size)"
        )
    out._write(result._value.astype(out._value.dtype))
    return out


def _new_tensor(values, dtype, device, requires_grad, out) -> Tensor:
    check_requires_grad(dtype, requires_grad)
    return _into(out, finish(values, dtype, device, requires_grad))


def _dtype_or(dtype, out, default) -> dt.dtype:
    if dtype is not None:
        return dt.as_dtype(dtype)
    return out.dtype if out is not None else default


# ----- factories --------------------------------------------------------------------------------
def _floats(name, exact_sampler, jax_sampler, sizes, size, generator, out, dtype, device,
            requires_grad, unknown) -> Tensor:  # fmt: skip
    """torch.rand / torch.randn: torch's checks, then sampler(state or key, shape, dtype)."""
    given = _given(size=size, generator=generator, out=out, dtype=dtype, device=device, **unknown)
    if unknown:
        raise invalid_combination(name, sizes, given)
    check_generator(name, generator, sizes, given)
    shape = parse_size(name, sizes, size)
    dtype = _dtype_or(dtype, out, dt.get_default_dtype())
    values = draw(generator, shape, lambda st, s: exact_sampler(st, s, dtype),
                  lambda key, s: jax_sampler(key, s, dtype))  # fmt: skip
    return _new_tensor(values, dtype, device, requires_grad, out)


def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **unknown):  # fmt: skip
    """torch.rand: uniform samples in [0, 1)."""
    return _floats("rand", exact.uniform, jr.uniform, sizes, size, generator, out, dtype, device,
                   requires_grad, unknown)  # fmt: skip


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **unknown):  # fmt: skip
    """torch.randn: standard normal samples."""
    return _floats("randn", exact.normal, jr.normal, sizes, size, generator, out, dtype, device,
                   requires_grad, unknown)  # fmt: skip


def randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False,
            **unknown):  # fmt: skip
    """torch.randint(high, size) / torch.randint(low, high, size): integers in [low, high)."""
    given = _given(low=low, high=high, size=size, generator=generator, out=out, dtype=dtype,
                   device=device, **unknown)  # fmt: skip
    if unknown:
        raise invalid_combination("randint", args, given)
    check_generator("randint", generator, args, given)
    low, high, shape = parse_randint(args, low, high, size, given)
    dtype = _dtype_or(dtype, out, dt.int64)
    values = draw(generator, shape, lambda st, s: exact.random_from_to(st, s, dtype, low, high),
                  lambda key, s: jr.random_from_to(key, s, dtype, low, high))  # fmt: skip
    return _new_tensor(values, dtype, device, requires_grad, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False, **unknown):  # fmt: skip
    """torch.randperm: a random permutation of 0 .. n-1."""
    given = _given(generator=generator, out=out, dtype=dtype, device=device, **unknown)
    if unknown:
        raise invalid_combination("randperm", (n,), given)
    check_generator("randperm", generator, (n,), given)
    n = parse_randperm_n(n)
    dtype = _dtype_or(dtype, out, dt.int64)
    gen = as_generator(generator)
    if is_jax_prng_enabled():
        values = jr.randperm(gen._next_key(), n, dtype)
    else:
        values = rng.randperm(gen._state, n, exact.engine_dtype(dtype)).astype(dtype._np)
    return _new_tensor(values, dtype, device, requires_grad, out)


# ----- *_like: torch's empty_like keeps a dense input's strides, and fills in memory order ----
def _like(input, dtype, device, requires_grad, memory_format, generator, draw_exact, draw_jax):
    shape = tuple(input.shape)
    keep_strides = memory_format is None or str(memory_format) == "torch.preserve_format"
    strides = like_strides(input) if keep_strides else contiguous_strides(shape)
    values = draw_strided(generator, shape, strides, draw_exact, draw_jax)
    return _new_tensor(values, dtype, device or input.device, requires_grad, None)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):  # fmt: skip
    """torch.rand_like."""
    check_method_generator("rand_like", generator)
    dtype = input.dtype if dtype is None else dt.as_dtype(dtype)
    return _like(input, dtype, device, requires_grad, memory_format, generator,
                 lambda st, s, c: exact.uniform(st, s, dtype),
                 lambda key, s: jr.uniform(key, s, dtype))  # fmt: skip


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):  # fmt: skip
    """torch.randn_like."""
    check_method_generator("randn_like", generator)
    dtype = input.dtype if dtype is None else dt.as_dtype(dtype)
    return _like(input, dtype, device, requires_grad, memory_format, generator,
                 lambda st, s, c: exact.normal(st, s, dtype, contiguous=c),
                 lambda key, s: jr.normal(key, s, dtype))  # fmt: skip


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):  # fmt: skip
    """torch.randint_like(input, high) / torch.randint_like(input, low, high)."""
    check_method_generator("randint_like", generator)
    if high is None:
        low, high = 0, low
    low, high = int(low), int(high)
    dtype = input.dtype if dtype is None else dt.as_dtype(dtype)
    return _like(input, dtype, device, requires_grad, memory_format, generator,
                 lambda st, s, c: exact.random_from_to(st, s, dtype, low, high),
                 lambda key, s: jr.random_from_to(key, s, dtype, low, high))  # fmt: skip


# ----- normal, bernoulli, multinomial -------------------------------------------------------------
def normal(mean, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):  # fmt: skip
    """torch.normal: the (Tensor, Tensor), (Tensor, float), (float, Tensor) and
    (float, float, size) overloads."""
    args = tuple(a for a in (mean, std, size) if a is not None)
    given = _given(generator=generator, out=out, dtype=dtype, device=device)
    check_generator("normal", generator, args, given)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise invalid_combination("normal", args, given)
        return _into(out, _normal_tensor(mean, 1.0 if std is None else std, generator))
    if std is None or size is None or not isinstance(size, list | tuple):
        raise invalid_combination("normal", args, given)
    shape = parse_size("normal", (tuple(size),), None)
    dtype = _dtype_or(dtype, out, dt.get_default_dtype())
    mean, std = float(mean), float(std)
    values = draw(generator, shape, lambda st, s: exact.normal(st, s, dtype, mean, std),
                  lambda key, s: jr.normal(key, s, dtype, mean, std))  # fmt: skip
    return _new_tensor(values, dtype, device, requires_grad, out)


def _normal_tensor(mean, std, generator) -> Tensor:
    like = mean if isinstance(mean, Tensor) else std
    leaves = [t for t in (mean, std) if isinstance(t, Tensor)]
    m = _host(mean) if isinstance(mean, Tensor) else float(mean)
    s = _host(std) if isinstance(std, Tensor) else float(std)
    gen = as_generator(generator)
    if is_jax_prng_enabled():
        _check_normal_std(s)
        shape = rng.broadcast_shape(np.shape(m), np.shape(s))
        m_value = mean._value if isinstance(mean, Tensor) else m
        s_value = std._value if isinstance(std, Tensor) else s
        values = jr.normal_tensor(gen._next_key(), m_value, s_value, shape, like.dtype)
    else:
        values = rng.normal_tensor(gen._state, m, s)
    result = finish(values, like.dtype, like.device)
    names = {(True, False): "NormalBackward1", (False, True): "NormalBackward2"}
    name = names.get((isinstance(mean, Tensor), isinstance(std, Tensor)), "NormalBackward3")
    return record_constant(result, leaves, name)


def _check_normal_std(std) -> None:
    if isinstance(std, np.ndarray):
        _check_std_array(std)
    else:
        _check_std(std)


def bernoulli(input, p=None, *, generator=None, out=None):
    """torch.bernoulli(input): 1 with probability input[i]; with p, every element uses p."""
    args = (input,) if p is None else (input, p)
    check_generator("bernoulli", generator, args, {})
    gen = as_generator(generator)
    shape, dtype = tuple(input.shape), input.dtype
    if p is not None:
        values = draw(generator, shape, lambda st, s: exact.bernoulli_scalar(st, s, p, dtype),
                      lambda key, s: jr.bernoulli(key, float(p), s, dtype))  # fmt: skip
        return _into(out, finish(values, dtype, input.device))
    if is_jax_prng_enabled():
        _check_probabilities(_probabilities(input))
        values = jr.bernoulli(gen._next_key(), input._value, shape, dtype)
    else:
        values = rng.bernoulli_tensor(gen._state, _probabilities(input))
    result = record_constant(finish(values, dtype, input.device), [input], "BernoulliBackward0")
    return _into(out, result)


def _probabilities(p: Tensor) -> np.ndarray:
    # torch compares 16-bit float probabilities as floats (one 32-bit draw each).
    probs = _host(p)
    return probs.astype(np.float32) if p.dtype._name in ("float16", "bfloat16") else probs


def _check_probabilities(probs: np.ndarray) -> None:
    if probs.dtype not in (np.float32, np.float64):
        rng.bernoulli_tensor(rng.CPUGeneratorState(0), probs)  # torch's dtype error
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError(_P_TENSOR_ERROR)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """torch.multinomial: indices drawn from the rows of input (weights, not log-probs)."""
    check_method_generator("multinomial", generator)
    gen = as_generator(generator)
    probs = _host(input)
    if is_jax_prng_enabled():
        _check_multinomial_weights(probs, int(num_samples), replacement)
        values = jr.multinomial(gen._next_key(), input._value, int(num_samples), replacement)
    else:
        strides = like_strides(input) if input.dim() == 2 else None
        values = rng.multinomial(gen._state, probs, num_samples, replacement, strides)
    return _into(out, finish(np.asarray(values, np.int64), dt.int64, input.device))


def _check_multinomial_weights(probs: np.ndarray, num_samples: int, replacement: bool) -> None:
    """torch's multinomial errors, for JAX mode (the bit-exact sampler raises its own)."""
    _check_multinomial(probs, num_samples, replacement)
    rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    if not replacement or num_samples == 1:
        if rows.size and not (rows.max() < np.inf and rows.min() >= 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    else:
        suspicious = np.flatnonzero(~((rows >= 0) & np.isfinite(rows)))
        if suspicious.size and not rows.reshape(-1)[suspicious[0]] >= 0:
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        if suspicious.size:
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry = infinity "
                "or NaN)"
            )
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


# ----- in-place samplers (Tensor methods) ------------------------------------------------------
def _from_keyword(name: str, default, kwargs: dict):
    """`from` is a Python keyword, so torch's from= arrives through **kwargs."""
    value = kwargs.pop("from", default)
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return value


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    low = _from_keyword("uniform_", from_, kwargs)
    check_method_generator("uniform_", generator)
    dtype = self.dtype
    return fill(self, "UniformBackward0", generator,
                lambda st, s, c: exact.uniform(st, s, dtype, low, to),
                lambda key, s: jr.uniform(key, s, dtype, float(low), float(to)))  # fmt: skip


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    check_method_generator("normal_", generator)
    dtype = self.dtype
    return fill(self, "NormalBackward0", generator,
                lambda st, s, c: exact.normal(st, s, dtype, mean, std, contiguous=c),
                lambda key, s: jr.normal(key, s, dtype, float(mean), float(std)))  # fmt: skip


def _bernoulli_(self, p=0.5, *, generator=None):
    check_method_generator("bernoulli_", generator)
    dtype = self.dtype
    if isinstance(p, Tensor):
        return _bernoulli_tensor_(self, p, generator)
    return fill(self, "BernoulliBackward2", generator,
                lambda st, s, c: exact.bernoulli_scalar(st, s, p, dtype),
                lambda key, s: jr.bernoulli(key, float(p), s, dtype))  # fmt: skip


def _bernoulli_tensor_(self, p: Tensor, generator):
    shape = tuple(self.shape)
    expanded = _expand_probs(_probabilities(p), shape)  # torch's expand error
    if is_jax_prng_enabled():
        _check_probabilities(_probabilities(p))

    def draw_exact(state, s, contiguous):
        if s != shape:
            return np.empty(s)  # JAX mode's argument-check call; the checks ran above
        # The k-th draw goes to the k-th element in fill order and uses that element's p.
        order = None if contiguous else rng.fill_order(shape, self.stride())
        seq = expanded if order is None else expanded.reshape(-1)[order].reshape(shape)
        return rng.bernoulli_tensor(state, seq, s, exact.engine_dtype(self.dtype))

    return fill(self, "BernoulliBackward1", generator, draw_exact,
                lambda key, s: jr.bernoulli(key, p._value, s, self.dtype))  # fmt: skip


def _random_(self, from_=None, to=None, *, generator=None, **kwargs):
    low = _from_keyword("random_", from_, kwargs)
    check_method_generator("random_", generator)
    dtype = self.dtype
    if low is None and to is None:
        return fill(self, "RandomBackward2", generator,
                    lambda st, s, c: exact.random_(st, s, dtype),
                    lambda key, s: jr.random_unbounded(key, s, dtype))  # fmt: skip
    name = "RandomBackward0"
    if to is None:
        low, to, name = 0, low, "RandomBackward1"
    low = 0 if low is None else low
    return fill(self, name, generator,
                lambda st, s, c: exact.random_from_to(st, s, dtype, low, to),
                lambda key, s: jr.random_from_to(key, s, dtype, int(low), int(to)))  # fmt: skip


def _continuous_(name, grad_fn_name, exact_sampler, jax_sampler):
    def method(self, *params, generator=None):
        check_method_generator(name, generator)
        dtype = self.dtype
        return fill(self, grad_fn_name, generator,
                    lambda st, s, c: exact.continuous(exact_sampler, st, s, dtype, *params),
                    lambda key, s: jax_sampler(key, s, dtype, *params))  # fmt: skip

    method.__name__ = name
    method.__doc__ = f"Tensor.{name}: fill in place from the generator."
    return method


def _exponential_(self, lambd=1.0, *, generator=None):
    return _EXPONENTIAL(self, float(lambd), generator=generator)


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _LOG_NORMAL(self, float(mean), float(std), generator=generator)


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _CAUCHY(self, float(median), float(sigma), generator=generator)


def _geometric_(self, p, *, generator=None):
    return _GEOMETRIC(self, float(p), generator=generator)


_EXPONENTIAL = _continuous_("exponential_", "ExponentialBackward0", rng.exponential, jr.exponential)
_LOG_NORMAL = _continuous_("log_normal_", "LogNormalBackward0", rng.log_normal, jr.log_normal)
_CAUCHY = _continuous_("cauchy_", "CauchyBackward0", rng.cauchy, jr.cauchy)
_GEOMETRIC = _continuous_("geometric_", "GeometricBackward0", rng.geometric, jr.geometric)

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
