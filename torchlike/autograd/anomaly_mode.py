"""torch.autograd.anomaly_mode: detect_anomaly and set_detect_anomaly."""

from __future__ import annotations

import warnings

from .._grad_mode import (  # noqa: F401
    anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)


class detect_anomaly:
    """torch.autograd.detect_anomaly: NaN gradients raise, version errors hint differently."""

    def __init__(self, check_nan: bool = True):
        self.previous = (anomaly["enabled"], anomaly["check_nan"])
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self.previous)


class set_detect_anomaly:
    """torch.autograd.set_detect_anomaly: switches at once; as a context, restores on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.previous = (anomaly["enabled"], anomaly["check_nan"])
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self.previous)
