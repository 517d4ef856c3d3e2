"""W2: MLP 784-512-512-10, batch 128, CrossEntropyLoss, Adam(lr=1e-3)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._common import IMPLS, JAX_JIT, Case, uniform_init
from ._trainer import TrainSpec, jax_runner, torch_api_runner

SIZES = {"full": (128, (784, 512, 512, 10)), "tiny": (6, (20, 16, 12, 5))}


def build_model(lib, widths):
    """Linear-ReLU-Linear-ReLU-Linear as nn.Sequential (parameters named 0.*, 2.*, 4.*)."""
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        if i:
            layers.append(lib.nn.ReLU())
        layers.append(lib.nn.Linear(fan_in, fan_out))
    return lib.nn.Sequential(*layers)


def cross_entropy(lib, logits, labels):
    return lib.nn.CrossEntropyLoss()(logits, labels)


def jax_loss(params, inputs, labels):
    hidden = inputs
    for index in (0, 2, 4):
        if index:
            hidden = jax.nn.relu(hidden)
        hidden = hidden @ params[f"{index}.weight"].T + params[f"{index}.bias"]
    log_probs = jax.nn.log_softmax(hidden, axis=-1)
    picked = jnp.take_along_axis(log_probs, labels[:, None], axis=-1)
    return -picked.mean()


def spec(size: str = "full") -> TrainSpec:
    """The W2 step at the given size, with fixed weights and data."""
    batch, widths = SIZES[size]
    rng = np.random.default_rng(2)
    shapes = {}
    for index, fan_in, fan_out in zip((0, 2, 4), widths[:-1], widths[1:]):
        shapes[f"{index}.weight"] = (fan_out, fan_in)
        shapes[f"{index}.bias"] = (fan_out,)
    return TrainSpec(
        build_model=lambda lib: build_model(lib, widths),
        loss=cross_entropy,
        jax_loss=jax_loss,
        weights=uniform_init(rng, shapes),
        inputs=rng.standard_normal((batch, widths[0]), dtype=np.float32),
        target=rng.integers(0, widths[-1], batch, dtype=np.int64),
        lr=1e-3,
        optimizer="Adam",
    )


def cases(size: str = "full") -> list[Case]:
    train = spec(size)
    factories = {impl: (lambda impl=impl: torch_api_runner(impl, train)) for impl in IMPLS}
    factories[JAX_JIT] = lambda: jax_runner(train)
    title = "MLP 784-512-512-10, batch 128, CrossEntropyLoss, Adam lr=1e-3"
    return [Case("W2", title, factories)]
