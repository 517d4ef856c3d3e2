"""torch.optim.lr_scheduler: learning-rate schedules over an optimizer's parameter groups.

Each scheduler has torch's two forms: the chainable `get_lr()` used by `step()` (it scales each
group's current lr, so schedulers compose) and, where torch has one, the closed form used by
`step(epoch)`. Both evaluate torch's floating-point expressions in torch's order, so the learning
rates equal torch's; state dicts hold the same keys (every attribute but the optimizer).
"""

from ._lr_base import LRScheduler, _LRScheduler
from ._lr_cyclic import CosineAnnealingWarmRestarts, CyclicLR
from ._lr_groups import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ._lr_onecycle import OneCycleLR
from ._lr_simple import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
    "_LRScheduler",
]
