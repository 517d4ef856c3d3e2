"""torch.nn.modules: the layer classes."""

from .activation import ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module

__all__ = [
    "CrossEntropyLoss", "Identity", "L1Loss", "Linear", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]  # fmt: skip
