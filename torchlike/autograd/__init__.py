"""torch.autograd: backward, grad, custom Functions, functional transforms, grad modes."""

from __future__ import annotations

from .._autograd.api import backward, grad
from .._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .._tensor import Tensor as Variable  # torch.autograd.Variable is Tensor nowadays
from . import anomaly_mode, function, functional, grad_mode, graph, profiler
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "functional", "graph", "profiler",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "once_differentiable", "set_detect_anomaly", "detect_anomaly", "Variable", "anomaly_mode",
    "function", "grad_mode",
]  # fmt: skip


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.autograd")
