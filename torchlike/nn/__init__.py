"""torch.nn: modules, parameters, functional ops and weight initialisation."""

from . import functional, init
from .modules import (
    CrossEntropyLoss,
    Identity,
    L1Loss,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "CrossEntropyLoss", "Identity", "L1Loss", "Linear", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
]  # fmt: skip


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.{name} yet; see compat/COVERAGE.md)"
    )
