"""weights_only loading: the globals a checkpoint may name, and torch's refusal messages."""

from __future__ import annotations

import _compat_pickle
import codecs
import collections
import pickle

from .. import _dtype as dt
from .._device import device as Device
from .._size import Size
from .._tensor import Tensor
from . import rebuild
from .saving import STORAGE_TYPES

_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_user_allowed: set = set()

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source."
)
DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


def default_allowed() -> dict:
    """torch's weights_only allowlist, mapped to the torchlike objects that stand in for it."""
    from ..nn.parameter import Parameter

    allowed = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": Device,
        "_codecs.encode": codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": rebuild.rebuild_from_type_v2,
    }
    allowed.update({f"torch.{name}": d for name, d in dt._BY_NAME.items()})
    for d in dt._BY_NAME.values():
        if d._name in STORAGE_TYPES:
            allowed[f"torch.{STORAGE_TYPES[d._name]}"] = rebuild.StorageType(d)
    untyped = rebuild.StorageType(dt.uint8, untyped=True)
    allowed["torch.storage.UntypedStorage"] = allowed["torch.UntypedStorage"] = untyped
    for name, function in rebuild.REBUILD_FUNCTIONS.items():
        allowed[f"torch._utils.{name}"] = function
    return allowed


def _user_allowed_globals() -> dict:
    named = {}
    for entry in _user_allowed:
        obj, path = entry if isinstance(entry, tuple) else (entry, None)
        if path is None:
            path = f"{obj.__module__}.{obj.__qualname__}"
        named[path] = obj
    return named


def _shown_name(full_path: str) -> str:
    # torch names builtins without their module: GLOBAL eval, not builtins.eval.
    if full_path.startswith("builtins."):
        return full_path[len("builtins.") :]
    return full_path


def refusal(module: str, full_path: str) -> pickle.UnpicklingError:
    """torch's UnpicklingError for a global that weights_only loading does not allow."""
    if module in _BLOCKED_MODULES:
        detail = f"Trying to load unsupported GLOBAL {full_path} whose module {module} is blocked."
        return pickle.UnpicklingError(
            f"Weights only load failed. {UNSAFE_MESSAGE}\n\n\n{detail}{DOCS_MESSAGE}"
        )
    shown = _shown_name(full_path)
    detail = (
        f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{shown}])` or the "
        f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global "
        "if you trust this class/function."
    )
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
        f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please "
        "check the recommended steps in the following error message.\n\tWeightsUnpickler error: "
        f"{detail}{DOCS_MESSAGE}"
    )


def python3_name(module: str, name: str) -> tuple[str, str]:
    """Python 2 names in protocol-2 pickles, as Python 3 spells them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def lookup_allowed(module: str, name: str):
    """The object a weights_only checkpoint may name as module.name, else torch's error."""
    full_path = f"{module}.{name}"
    if module in _BLOCKED_MODULES:
        raise refusal(module, full_path)
    allowed = default_allowed()
    if full_path in allowed:
        return allowed[full_path]
    user = _user_allowed_globals()
    if full_path in user:
        return user[full_path]
    raise refusal(module, full_path)
