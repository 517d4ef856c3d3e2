"""Module-level flags that check their type on assignment, as torch.backends' flags do."""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator

from .._missing import module_getattr


def bool_flag(name: str, setter_name: str) -> property:
    """A module attribute holding a bool; other values raise torch's RuntimeError."""
    storage = f"_{name}_flag"

    def get(module) -> bool:
        return module.__dict__[storage]

    def set(module, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError(f"{setter_name} expects a bool, but got {type(value).__name__}")
        module.__dict__[storage] = value

    return property(get, set)


def make_flag_module(module_name: str, flags: dict[str, tuple[str, bool]]) -> None:
    """Turn module `module_name` into one whose `flags` ({name: (setter name, default)}) check
    assigned values; unknown attributes raise torchlike's missing-API error."""
    module = sys.modules[module_name]
    properties = {name: bool_flag(name, setter) for name, (setter, _) in flags.items()}
    class_name = module_name.rpartition(".")[2].capitalize() + "Module"  # torch's CudnnModule
    properties["__module__"] = module_name
    module.__class__ = type(class_name, (types.ModuleType,), properties)
    for name, (_, default) in flags.items():
        module.__dict__[f"_{name}_flag"] = default
    module.__getattr__ = module_getattr(module_name.replace("torchlike", "torch", 1))


@contextlib.contextmanager
def flags_set(module: types.ModuleType, values: dict) -> Iterator[None]:
    """Set several flags of `module` for the block, then put the old values back."""
    previous = {name: getattr(module, name) for name in values}
    try:
        for name, value in values.items():
            setattr(module, name, value)
        yield
    finally:
        for name, value in previous.items():
            setattr(module, name, value)
