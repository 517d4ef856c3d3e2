"""Small helpers the module classes share: torch's type names, repr indentation, hook handles."""

from __future__ import annotations

import itertools
import weakref

from ..._tensor import Tensor


def typename(obj) -> str:
    """torch.typename: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    if hasattr(obj, "__qualname__"):
        module, name = getattr(obj, "__module__", "") or "", obj.__qualname__
    elif hasattr(obj, "__name__"):
        module, name = getattr(obj, "__module__", "") or "", obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    if module in ("", "builtins"):
        return name
    # torch's messages name torch's modules; torchlike mirrors its layout under torchlike.*
    if module == "torchlike" or module.startswith("torchlike."):
        module = "torch" + module[len("torchlike") :]
    return f"{module}.{name}"


def addindent(text: str, spaces: int) -> str:
    """Indent every line after the first by `spaces`, leaving blank lines empty (nested reprs)."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    pad = " " * spaces
    return "\n".join([first] + [pad + line if line.strip() else "" for line in rest])


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle for hooks kept in a dict keyed by handle id."""

    _ids = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        extras = [extra_dict] if isinstance(extra_dict, dict) else list(extra_dict or ())
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def reset_weight_and_bias(weight, bias, *, draw_bias_when_fan_in_is_zero: bool) -> None:
    """torch's default layer init: kaiming_uniform_(a=sqrt(5)), then bias U(+-1/sqrt(fan_in)).

    Linear draws the bias with bound 0 when fan_in is 0; the conv layers skip the draw (each as
    torch does, so the generator advances the same way).
    """
    import math

    from .. import init

    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is None:
        return
    fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
    if fan_in > 0:
        init.uniform_(bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
    elif draw_bias_when_fan_in_is_zero:
        init.uniform_(bias, 0, 0)
