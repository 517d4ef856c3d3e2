"""Activation modules: torch.nn.ReLU, Sigmoid, Tanh, Softmax."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ReLU", "Sigmoid", "Softmax", "Tanh"]


class ReLU(Module):
    """torch.nn.ReLU: max(0, x) elementwise."""

    __constants__ = ["inplace"]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """torch.nn.Sigmoid: 1 / (1 + exp(-x)) elementwise."""

    def forward(self, input):
        return input.sigmoid()


class Tanh(Module):
    """torch.nn.Tanh: tanh(x) elementwise."""

    def forward(self, input):
        return input.tanh()


class Softmax(Module):
    """torch.nn.Softmax: exp(x) / sum(exp(x)) along `dim`."""

    __constants__ = ["dim"]

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
