"""Errors for torch API that torchlike lacks: they name the torch API and point at the coverage.

Python probes (`hasattr`, `getattr(x, name, default)`, `from m import name`) still see a plain
AttributeError, so feature detection in user code behaves as it would with a missing name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

COVERAGE_HINT = "see compat/COVERAGE.md"


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def not_implemented_note(torch_name: str) -> str:
    """The parenthesised note torchlike adds to an error about a torch API it lacks."""
    return f"(torchlike does not implement {torch_name} yet; {COVERAGE_HINT})"


def module_attribute_error(torch_module: str, name: str) -> AttributeError:
    """AttributeError for `torch_module.name`, worded like Python's and naming the torch API."""
    message = f"module '{torch_module}' has no attribute '{name}'"
    if not _is_dunder(name):
        message += " " + not_implemented_note(f"{torch_module}.{name}")
    return AttributeError(message)


def module_getattr(torch_module: str) -> Callable[[str], NoReturn]:
    """A module-level `__getattr__` for a torchlike module standing in for `torch_module`."""

    def __getattr__(name: str) -> NoReturn:
        raise module_attribute_error(torch_module, name)

    return __getattr__


def _defined_on_class(cls: type, name: str) -> bool:
    return any(name in vars(klass) for klass in cls.__mro__)


def _tensor_getattr(self, name: str):
    """Tensor.__getattr__: runs only after normal lookup failed."""
    cls = type(self)
    if _defined_on_class(cls, name):
        # A property or slot that exists raised AttributeError itself: surface its real error.
        return object.__getattribute__(self, name)
    message = f"'{cls.__name__}' object has no attribute '{name}'"
    if not _is_dunder(name):
        message += " " + not_implemented_note(f"Tensor.{name}")
    raise AttributeError(message)


def install_tensor_getattr(tensor_class: type) -> None:
    """Give Tensor a `__getattr__` whose error names the missing `Tensor.X` torch API."""
    if "__getattr__" not in vars(tensor_class):
        tensor_class.__getattr__ = _tensor_getattr
