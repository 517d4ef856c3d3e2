"""torch.backends.mkldnn: oneDNN flags. torchlike has no oneDNN tensors; XLA picks CPU kernels."""

from __future__ import annotations

import sys

from ._flags import flags_set, make_flag_module

__all__ = ["flags", "is_available"]


def is_available() -> bool:
    """torch.backends.mkldnn.is_available: False, torchlike has no MKL-DNN layout or kernels."""
    return False


def flags(enabled=False, deterministic=False, allow_tf32=True):
    """torch.backends.mkldnn.flags: set every flag for the block (defaults included)."""
    values = {"enabled": enabled, "deterministic": deterministic, "allow_tf32": allow_tf32}
    return flags_set(sys.modules[__name__], values)


make_flag_module(
    __name__,
    {
        "enabled": ("set_enabled_mkldnn", True),
        "deterministic": ("set_deterministic_mkldnn", False),
        "allow_tf32": ("_set_onednn_allow_tf32", False),
    },
)
