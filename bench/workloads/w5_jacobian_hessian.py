"""W5: torch.autograd.functional.jacobian and hessian of functions of a 256-vector.

jacobian of g(x) = x.tanh() * 2 (256 -> 256) and hessian of f(x) = (x.sin() * x).sum(), with
torch's defaults (vectorize=False), against jax.jacrev / jax.hessian under jax.jit.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._common import (
    JAX_JIT,
    TORCH,
    TORCH_COMPILE,
    TORCHLIKE,
    Case,
    Runner,
    libraries,
    sync_jax,
    sync_torch,
    sync_torchlike,
    to_numpy,
)

SIZES = {"full": 256, "tiny": 5}


def vector_fn(x):
    return x.tanh() * 2


def scalar_fn(x):
    return (x.sin() * x).sum()


def jax_vector_fn(x):
    return jnp.tanh(x) * 2


def jax_scalar_fn(x):
    return (jnp.sin(x) * x).sum()


def _point(n: int) -> np.ndarray:
    return np.random.default_rng(5).standard_normal(n, dtype=np.float32)


def torch_api_runner(impl: str, transform: str, n: int) -> Runner:
    """jacobian(vector_fn, x) or hessian(scalar_fn, x) through lib.autograd.functional."""
    lib = libraries(impl)
    functional = lib.autograd.functional
    if transform == "jacobian":
        compute = lambda x: functional.jacobian(vector_fn, x)
    else:
        compute = lambda x: functional.hessian(scalar_fn, x)
    if impl == TORCH_COMPILE:
        compute = lib.compile(compute)
    x = lib.from_numpy(_point(n))
    sync = (lambda out: sync_torchlike([out])) if impl == TORCHLIKE else sync_torch
    return Runner(lambda: compute(x), sync, lambda: {transform: to_numpy(compute(x))})


def jax_runner(transform: str, n: int) -> Runner:
    """jax.jit(jax.jacrev(...)) or jax.jit(jax.hessian(...)) of the same functions in jnp."""
    if transform == "jacobian":
        compute = jax.jit(jax.jacrev(jax_vector_fn))
    else:
        compute = jax.jit(jax.hessian(jax_scalar_fn))
    x = jnp.asarray(_point(n))
    return Runner(lambda: compute(x), sync_jax, lambda: {transform: to_numpy(compute(x))})


def _case(case_id: str, transform: str, title: str, n: int) -> Case:
    factories = {impl: (lambda impl=impl: torch_api_runner(impl, transform, n))
                 for impl in (TORCHLIKE, TORCH, TORCH_COMPILE)}  # fmt: skip
    factories[JAX_JIT] = lambda: jax_runner(transform, n)
    notes = ["torch runs its default vectorize=False: one backward pass per output row"]
    return Case(case_id, title, factories, notes=notes)


def cases(size: str = "full") -> list[Case]:
    n = SIZES[size]
    return [
        _case("W5a", "jacobian", "autograd.functional.jacobian of x.tanh() * 2, x of 256", n),
        _case("W5b", "hessian", "autograd.functional.hessian of (x.sin() * x).sum(), x of 256", n),
    ]
