"""Fit sin(x) on [-pi, pi] with a cubic written through a Legendre polynomial, where the
polynomial P3 is a custom autograd.Function with a hand-written backward.

Runs unmodified on PyTorch (`python examples/polynomial_custom_function.py`) and on torchlike
(`python -m torchlike examples/polynomial_custom_function.py`); both print the same.
"""

import math

import torch


class LegendreP3(torch.autograd.Function):
    """P3(z) = (5 z^3 - 3 z) / 2, with dP3/dz = (15 z^2 - 3) / 2."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return 0.5 * (5 * z**3 - 3 * z)

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * z**2 - 1)


def fixed(value):
    """Four decimals, with values that round to zero printed as 0.0000 whatever their sign."""
    return f"{round(value, 4) + 0.0:.4f}"


def main():
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # y ~ a + b * P3(c + d * x), starting near a reasonable fit so plain SGD converges.
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    params = (a, b, c, d)

    z = c + d * x
    print("P3 output:", LegendreP3.apply(z[:3]))
    print("grad_fn name:", type(LegendreP3.apply(z).grad_fn).__name__)

    learning_rate = 5e-6
    for step in range(2000):
        prediction = a + b * LegendreP3.apply(c + d * x)
        loss = (prediction - y).pow(2).sum()
        if step % 250 == 249:
            print(f"step {step + 1:4d}  loss {loss.item():.3f}")
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad
                p.grad = None

    a, b, c, d = (fixed(p.item()) for p in params)
    print(f"y = {a} + {b} * P3({c} + {d} x)")
    check = torch.tensor([0.5, 1.0], requires_grad=True)
    LegendreP3.apply(check).sum().backward()
    print("dP3/dz at 0.5 and 1.0:", check.grad)


if __name__ == "__main__":
    main()
