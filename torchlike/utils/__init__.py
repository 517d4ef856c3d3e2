"""torch.utils: helpers around the core (data loading lives in torch.utils.data)."""

from __future__ import annotations

import importlib

from .._missing import module_attribute_error


def __getattr__(name: str):
    # torch imports its utils submodules eagerly; here each loads on first use, when it exists.
    if name.startswith("_"):
        raise module_attribute_error("torch.utils", name)
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise  # the submodule exists but something it imports is missing
    raise module_attribute_error("torch.utils", name)
