"""torch.autograd: backward, grad, custom Functions, functional transforms, profiler."""

from __future__ import annotations

from .._autograd.engine import backward, grad
from .._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)  # fmt: skip
from . import functional, graph, profiler
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import detect_anomaly, set_detect_anomaly

Variable = None  # replaced below: torch.autograd.Variable is Tensor


def _variable():
    from .._tensor import Tensor

    return Tensor


Variable = _variable()

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "functional", "graph", "profiler",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "once_differentiable", "set_detect_anomaly", "detect_anomaly", "Variable",
]  # fmt: skip
