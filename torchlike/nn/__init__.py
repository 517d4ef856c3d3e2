"""torch.nn: modules, parameters, functional ops and weight initialisation."""

from . import functional, init
from .modules import (
    Conv1d,
    Conv2d,
    Conv3d,
    AlphaDropout,
    CrossEntropyLoss,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
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
    "AlphaDropout", "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "FeatureAlphaDropout", "Identity", "L1Loss", "Linear", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
    "Conv1d", "Conv2d", "Conv3d",
]  # fmt: skip


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.{name} yet; see compat/COVERAGE.md)"
    )
