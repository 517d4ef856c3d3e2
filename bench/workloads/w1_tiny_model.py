"""W1: the autograd tutorial's TinyModel training step.

16x1000 input -> Linear(1000, 100) -> ReLU -> Linear(100, 10); loss (ideal - pred).pow(2).sum();
backward; SGD(lr=0.001).step(); zero_grad().
"""

from __future__ import annotations

import jax
import numpy as np

from ._common import IMPLS, JAX_JIT, Case, uniform_init
from ._trainer import TrainSpec, jax_runner, torch_api_runner

SIZES = {"full": (16, 1000, 100, 10), "tiny": (4, 12, 8, 3)}


def build_model(lib, dim_in: int, hidden: int, dim_out: int):
    """The tutorial's TinyModel, written against the torch API of `lib`."""

    class TinyModel(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = lib.nn.Linear(dim_in, hidden)
            self.relu = lib.nn.ReLU()
            self.layer2 = lib.nn.Linear(hidden, dim_out)

        def forward(self, x):
            return self.layer2(self.relu(self.layer1(x)))

    return TinyModel()


def squared_error(lib, prediction, ideal):
    return (ideal - prediction).pow(2).sum()


def jax_loss(params, inputs, ideal):
    hidden = jax.nn.relu(inputs @ params["layer1.weight"].T + params["layer1.bias"])
    prediction = hidden @ params["layer2.weight"].T + params["layer2.bias"]
    return ((ideal - prediction) ** 2).sum()


def spec(size: str = "full") -> TrainSpec:
    """The W1 step at the given size, with fixed weights and data."""
    batch, dim_in, hidden, dim_out = SIZES[size]
    rng = np.random.default_rng(1)
    shapes = {
        "layer1.weight": (hidden, dim_in), "layer1.bias": (hidden,),
        "layer2.weight": (dim_out, hidden), "layer2.bias": (dim_out,),
    }  # fmt: skip
    return TrainSpec(
        build_model=lambda lib: build_model(lib, dim_in, hidden, dim_out),
        loss=squared_error,
        jax_loss=jax_loss,
        weights=uniform_init(rng, shapes),
        inputs=rng.standard_normal((batch, dim_in), dtype=np.float32),
        target=rng.standard_normal((batch, dim_out), dtype=np.float32),
        lr=0.001,
    )


def cases(size: str = "full") -> list[Case]:
    train = spec(size)
    factories = {impl: (lambda impl=impl: torch_api_runner(impl, train)) for impl in IMPLS}
    factories[JAX_JIT] = lambda: jax_runner(train)
    return [Case("W1", "TinyModel step: 16x1000 -> 100 -> ReLU -> 10, SGD lr=0.001", factories)]
