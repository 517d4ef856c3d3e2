"""`%load_ext torchlike`: in IPython and Jupyter, `import torch` gives torchlike from then on."""

from __future__ import annotations

import sys
import types

from ._shim import install_as_torch, uninstall_as_torch


def _names_bound_to_real_torch(namespace: dict) -> list[str]:
    """Names in the notebook that still hold modules of a torch imported before the extension."""
    torchlike = sys.modules[__package__]
    names = []
    for name, value in namespace.items():
        if not isinstance(value, types.ModuleType) or name.startswith("_"):
            continue
        module_name = getattr(value, "__name__", "")
        is_torch = module_name == "torch" or module_name.startswith("torch.")
        if is_torch and not module_name.startswith("torchlike") and value is not torchlike:
            names.append(name)
    return sorted(names)


def load_ipython_extension(ipython) -> None:
    """IPython's extension hook: make `import torch` resolve to torchlike in this session."""
    install_as_torch()
    stale = _names_bound_to_real_torch(getattr(ipython, "user_ns", {}))
    if stale:
        # Those names were bound before the extension loaded; only a fresh import rebinds them.
        print(
            f"torchlike: {', '.join(stale)} still refer to the real torch imported earlier; "
            "run `import torch` again to get torchlike.",
            file=sys.stderr,
        )


def unload_ipython_extension(ipython) -> None:
    """IPython's unload hook: `import torch` gives whatever it gave before the extension."""
    uninstall_as_torch()
