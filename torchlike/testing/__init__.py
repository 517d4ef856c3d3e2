"""torch.testing: assert_close and make_tensor for tests written against torch."""

from __future__ import annotations

from .._missing import module_getattr
from ._comparison import assert_close
from ._creation import make_tensor

__all__ = ["assert_close", "make_tensor"]

__getattr__ = module_getattr("torch.testing")
