"""Division by a scalar or a broadcast tensor gives torch's bits: every element an IEEE division.

XLA's algebraic simplifier turns `A / C`, for a C that is a constant, a scalar or a broadcast
value, into `A * (1 / C)`, which rounds differently (5 / 3 in float32 is 0x3FD55555 divided,
0x3FD55556 through the reciprocal). torch divides each element.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real

import torchlike as torch

RNG = np.random.default_rng(11)
X = RNG.uniform(0.5, 9.0, (4, 5))
Y_ROW = RNG.uniform(0.5, 3.0, (5,))
W = RNG.uniform(-2.0, 2.0, (4, 5))


def _bits(tensor) -> bytes:
    return tensor.detach().numpy().tobytes()


CASES = {
    "tensor / 3.0": lambda lib, x, y: x / 3.0,
    "tensor / 0.1": lambda lib, x, y: x / 0.1,
    "div(tensor, 7.0)": lambda lib, x, y: lib.div(x, 7.0),
    "true_divide(tensor, 3.0)": lambda lib, x, y: lib.true_divide(x, 3.0),
    "tensor / row": lambda lib, x, y: x / y,
    "tensor / 0-d tensor": lambda lib, x, y: x / y[1],
    "div trunc by 3.0": lambda lib, x, y: lib.div(x * 10, 3.0, rounding_mode="trunc"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_division_values_match_torch_bit_for_bit(case, dtype):
    got = CASES[case](torch, *(torch.tensor(a.astype(dtype)) for a in (X, Y_ROW)))
    want = CASES[case](real, *(real.tensor(a.astype(dtype)) for a in (X, Y_ROW)))
    assert got.dtype.__str__() == str(want.dtype)
    assert _bits(got) == _bits(want)


def test_in_place_division_by_a_scalar_matches_torch():
    got, want = torch.tensor(X.astype("float32")), real.tensor(X.astype("float32"))
    got /= 3.0
    want /= 3.0
    assert _bits(got) == _bits(want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_gradient_of_the_numerator_matches_torch_bit_for_bit(dtype):
    """grad_input = grad / other, by a broadcast divisor, as torch's DivBackward0 divides."""
    grads = []
    for lib in (torch, real):
        x = lib.tensor(X.astype(dtype), requires_grad=True)
        y = lib.tensor(Y_ROW.astype(dtype))
        ((x / y) * lib.tensor(W.astype(dtype))).sum().backward()
        grads.append(_bits(x.grad))
    assert grads[0] == grads[1]


def test_first_calls_in_numpy_divide_as_torch():
    """A new call signature's first runs are interpreted in numpy (torchlike/_tiers.py); the
    barrier before the divisor lets the interpreter take a division by a scalar too (the
    kernel bakes the scalar in as a constant), with torch's bits."""
    import jax.numpy as jnp

    from torchlike import _interpreter
    from torchlike._ops.pointwise import _divide

    x = RNG.uniform(0.5, 9.0, (5, 23)).astype("float32")
    three = np.asarray(3.0, np.float32)  # the scalar as the op's promotion leaves it
    program = _interpreter.program(lambda a: _divide(a, three), (jnp.asarray(x),))
    assert program is not None
    got = np.asarray(program.run([jnp.asarray(x)]))
    assert got.tobytes() == _bits(real.tensor(x) / 3.0)
