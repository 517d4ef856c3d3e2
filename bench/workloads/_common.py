"""What every workload shares: the case/runner shapes, weight init, and the two trainers.

A workload module exposes `cases(size) -> list[Case]` for size "full" or "tiny". A Case maps
each implementation label to a factory that returns a Runner, or raises Unavailable with the
reason printed in the results. Torch-API code is written once and run on both `torch` and
`torchlike` (same API); the JAX side is a hand-written pure function under `jax.jit`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

TORCHLIKE = "torchlike"
TORCHLIKE_COMPILE = "torchlike.compile"
TORCH = "torch"
JAX_JIT = "jax.jit"
TORCH_COMPILE = "torch.compile"
IMPLS = (TORCHLIKE, TORCHLIKE_COMPILE, TORCH, JAX_JIT, TORCH_COMPILE)


# Where the training cases (W1-W3, W6) run: "cpu" (the default) or "cuda" (`run.py --device`).
_DEVICE = {"name": "cpu"}


def set_device(name: str) -> None:
    """Run the training cases on `name` ("cpu" or "cuda") from now on."""
    _DEVICE["name"] = name


def device() -> str:
    return _DEVICE["name"]


def jax_device():
    """The JAX device the hand-written steps place their arrays on (None: JAX's default)."""
    return jax.devices("gpu")[0] if device() == "cuda" else None


class Unavailable(Exception):
    """An implementation that cannot run this workload; the message says why."""


@dataclass
class Runner:
    """One implementation of a workload, ready to time.

    step() does one timed unit of work and returns what must be finished before the clock
    stops; sync(handle) waits for it. result() runs from the initial state and returns the
    numbers the smoke test compares (call it on a fresh runner). facts() returns extra
    counters for the report (e.g. backward kernel compilations).
    """

    step: Callable[[], Any]
    sync: Callable[[Any], None]
    result: Callable[[], dict[str, np.ndarray]]
    facts: Callable[[], dict[str, Any]] = field(default=lambda: {})


@dataclass
class Case:
    """One timed workload: id, one-line title, notes for the report, factories per impl."""

    id: str
    title: str
    factories: dict[str, Callable[[], Runner]]
    notes: list[str] = field(default_factory=list)


def time_call(fn: Callable[[], Any], sync: Callable[[Any], None]) -> float:
    """Seconds one call of fn takes, including waiting for its result."""
    start = time.perf_counter()
    sync(fn())
    return time.perf_counter() - start


def libraries(impl: str):
    """The torch-API module an implementation label runs on, importing it only when asked."""
    if impl in (TORCHLIKE, TORCHLIKE_COMPILE):
        import torchlike

        return torchlike
    import torch

    return torch


def sync_torch(handle) -> None:
    """torch CPU ops are synchronous; CUDA ones are waited for."""
    if device() == "cuda":
        import torch

        torch.cuda.synchronize()


def sync_torchlike(tensors) -> None:
    """Wait for the JAX arrays behind torchlike tensors (no host copy, unlike .numpy())."""
    jax.block_until_ready([t._value for t in tensors])


def sync_jax(handle) -> None:
    """Wait for JAX's asynchronous dispatch to finish."""
    jax.block_until_ready(handle)


def to_numpy(value) -> np.ndarray:
    """A torch or torchlike tensor, or a JAX array, as a numpy array."""
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return np.asarray(value)


def uniform_init(rng: np.random.Generator, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """float32 weights uniform in +-1/sqrt(fan_in), torch's default Linear/Conv scale.

    A `<layer>.bias` takes the fan-in of `<layer>.weight`, which must come first in shapes.
    """
    weights, fan_ins = {}, {}
    for name, shape in shapes.items():
        layer, _, kind = name.rpartition(".")
        if kind == "weight":
            fan_ins[layer] = int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_ins[layer])
        weights[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return weights


def load_weights(lib, module, weights: dict[str, np.ndarray]) -> None:
    """Copy numpy weights into a torch/torchlike module's parameters, by parameter name."""
    params = dict(module.named_parameters())
    if set(params) != set(weights):
        raise ValueError(f"parameter names differ: {sorted(params)} vs {sorted(weights)}")
    with lib.no_grad():
        for name, param in params.items():
            param.copy_(lib.from_numpy(weights[name].copy()))
