"""torch's TypeError for out= on an overload that has none (torch.sum(x, out=o), ...).

Generated torch.<op> functions accept out= for every call; torch's argument parser refuses it
where the overload the call matches has no out= parameter. The rules here name those calls.
"""

from __future__ import annotations

from .._tensor import Tensor

_SUM = (
    "(Tensor input, *, torch.dtype dtype = None)",
    "(Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None, "
    "Tensor out = None)",
)
_PROD = (
    "(Tensor input, *, torch.dtype dtype = None)",
    "(Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None)",
)
_MOMENT = (
    "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, "
    "Tensor out = None)",
    "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False, "
    "Tensor out = None)",
    "(Tensor input, bool unbiased = True)",
)


def _type_name(value) -> str:
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _invalid(name: str, args: tuple, kwargs: dict, signatures: tuple) -> str:
    """torch's 'received an invalid combination of arguments' text."""
    given = [_type_name(a) for a in args] + ["out=Tensor"]
    given += [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
    expected = "".join(f" * {s}\n" for s in signatures)
    return (
        f"{name}() received an invalid combination of arguments - got ({', '.join(given)}), "
        f"but expected one of:\n{expected}"
    )


def _reduction(signatures: tuple):
    def rule(name, args, kwargs):
        if len(args) > 1 or "dim" in kwargs:
            return None
        if "dtype" in kwargs:
            return f'{name}() missing 1 required positional arguments: "dim"'
        return _invalid(name, args, kwargs, signatures)

    return rule


def _moment(name, args, kwargs):
    """std/var(input, unbiased): the one overload of the three without out=."""
    if "dim" in kwargs or (len(args) > 1 and not isinstance(args[1], bool)):
        return None
    if len(args) > 1 or "unbiased" in kwargs:
        return _invalid(name, args, kwargs, _MOMENT)
    return None


def _where(name, args, kwargs):
    """where(condition, x, y, out=) needs tensors x and y (the scalar overloads have no out=)."""
    for position, key in ((1, "input"), (2, "other")):
        value = args[position] if len(args) > position else kwargs.get(key)
        if value is not None and not isinstance(value, Tensor):
            return (
                f"where(): argument '{key}' (position {position + 1}) must be Tensor, "
                f"not {_type_name(value)}"
            )
    return None


_RULES = {"sum": _reduction(_SUM), "prod": _reduction(_PROD), "std": _moment, "var": _moment,
          "where": _where}  # fmt: skip


def refuse_out(name: str, args: tuple, kwargs: dict) -> None:
    """Raise torch's TypeError when torch.<name>(*args, **kwargs) has no out= overload."""
    rule = _RULES.get(name)
    message = rule(name, args, kwargs) if rule is not None else None
    if message is not None:
        raise TypeError(message)
