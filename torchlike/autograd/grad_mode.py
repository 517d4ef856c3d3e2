"""torch.autograd.grad_mode and anomaly-detection switches."""

from __future__ import annotations

from .._grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)  # fmt: skip

_anomaly = {"enabled": False}


class set_detect_anomaly:
    """torch.autograd.set_detect_anomaly (accepted; errors already name the failing op)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._previous = _anomaly["enabled"]
        _anomaly["enabled"] = mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly["enabled"] = self._previous


class detect_anomaly(set_detect_anomaly):
    """torch.autograd.detect_anomaly."""

    def __init__(self, check_nan: bool = True):
        super().__init__(True, check_nan)
