"""Make `import torch` (and every `torch.X.Y`) resolve to the matching torchlike module."""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
import types
from collections.abc import Iterator

_TORCH = "torch"
_TORCHLIKE = "torchlike"
# torch's own __init__ imports these, so scripts use them without importing them.
_EAGER_SUBMODULES = ("backends", "testing", "utils", "version")


def _is_torch_name(fullname: str) -> bool:
    return fullname == _TORCH or fullname.startswith(_TORCH + ".")


def _torchlike_name(torch_name: str) -> str:
    return _TORCHLIKE + torch_name[len(_TORCH) :]


def _missing_module_error(torch_name: str) -> ModuleNotFoundError:
    message = (
        f"No module named {torch_name!r} "
        f"(torchlike stands in for torch in this run and does not implement {torch_name} yet; "
        "see compat/COVERAGE.md)"
    )
    return ModuleNotFoundError(message, name=torch_name)


def _torchlike_module_exists(real_name: str) -> bool:
    if real_name in sys.modules:
        return True
    parent_name, _, child = real_name.rpartition(".")
    parent = sys.modules.get(parent_name)
    # Some torch submodules are plain attributes of their package (a module object, no file).
    if parent is not None and isinstance(getattr(parent, child, None), types.ModuleType):
        return True
    return importlib.util.find_spec(real_name) is not None


def _asked_by_find_spec() -> bool:
    """Whether importlib.util.find_spec is asking: a probe, which expects None for a gap."""
    probe = importlib.util.find_spec.__code__
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is probe:
            return True
        frame = frame.f_back
    return False


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already-importable torchlike module under a torch name."""

    def __init__(self, real_name: str):
        self.real_name = real_name
        self._real_spec = None

    def create_module(self, spec):
        parent_name, _, child = self.real_name.rpartition(".")
        module = sys.modules.get(self.real_name)
        if module is None and parent_name in sys.modules:
            attribute = getattr(sys.modules[parent_name], child, None)
            module = attribute if isinstance(attribute, types.ModuleType) else None
        if module is None:
            module = importlib.import_module(self.real_name)
        self._real_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # The import system stamped the alias spec on the module; torchlike keeps its own.
        module.__spec__ = self._real_spec


class _TorchDistribution(importlib.metadata.Distribution):
    """Package metadata for `torch` that names torchlike's torch version (for version checks)."""

    def read_text(self, filename):
        if filename in ("METADATA", "PKG-INFO"):
            version = sys.modules[_TORCHLIKE].version.__version__
            return f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n"
        return None

    def locate_file(self, path):
        return importlib.metadata.PackagePath(path)


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    """A `sys.meta_path` finder that maps `torch.X.Y` onto `torchlike.X.Y`."""

    def __init__(self):
        self.displaced_modules: dict[str, types.ModuleType] = {}
        self.own_version = ""

    def find_spec(self, fullname, path=None, target=None):
        if not _is_torch_name(fullname):
            return None
        real_name = _torchlike_name(fullname)
        if not _torchlike_module_exists(real_name):
            if _asked_by_find_spec():
                return None
            raise _missing_module_error(fullname)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real_name))

    def find_distributions(self, context=None):
        # importlib.metadata.version("torch") must not report a real torch installed alongside.
        name = getattr(context, "name", None)
        if name is not None and name.lower() != _TORCH:
            return iter(())
        return iter((_TorchDistribution(),))


_installed_finder: _TorchAliasFinder | None = None


def _torch_entries() -> dict[str, types.ModuleType]:
    return {name: module for name, module in sys.modules.items() if _is_torch_name(name)}


def _present_torch_version(finder: _TorchAliasFinder) -> None:
    """`torch.__version__` is torchlike's __version__ (one module): give it torch's form."""
    torchlike = sys.modules[_TORCHLIKE]
    for submodule in _EAGER_SUBMODULES:
        importlib.import_module(f"{_TORCHLIKE}.{submodule}")
    finder.own_version = torchlike.__version__
    torchlike.__version__ = torchlike.version.__version__


def install_as_torch() -> None:
    """Make `import torch` and its submodules import torchlike, as a stand-in for `torch`."""
    global _installed_finder
    if _installed_finder is not None:
        return
    finder = _TorchAliasFinder()
    # A torch imported earlier must not answer later imports; keep it to put back afterwards.
    finder.displaced_modules = _torch_entries()
    for name in finder.displaced_modules:
        del sys.modules[name]
    _present_torch_version(finder)
    # First in line, so the real torch on sys.path is never reached.
    sys.meta_path.insert(0, finder)
    _installed_finder = finder


def uninstall_as_torch() -> None:
    """Undo `install_as_torch`: drop the torch aliases and put back any torch seen before."""
    global _installed_finder
    finder = _installed_finder
    if finder is None:
        return
    _installed_finder = None
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(finder)
    for name in _torch_entries():
        del sys.modules[name]
    sys.modules.update(finder.displaced_modules)
    sys.modules[_TORCHLIKE].__version__ = finder.own_version


def is_installed() -> bool:
    """Say whether `import torch` currently resolves to torchlike."""
    return _installed_finder is not None


@contextlib.contextmanager
def as_torch() -> Iterator[None]:
    """Within the block, `import torch` gives torchlike; `sys.modules` is restored on exit."""
    was_installed = is_installed()
    install_as_torch()
    try:
        yield
    finally:
        if not was_installed:
            uninstall_as_torch()
