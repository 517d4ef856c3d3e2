"""torch.optim: optimizers."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.optim' has no attribute '{name}' (torchlike does not implement "
        f"torch.optim.{name} yet; see compat/COVERAGE.md)"
    )
