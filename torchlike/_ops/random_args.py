"""Argument parsing for the random factories, with the TypeErrors torch's argument parser raises."""

from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as dt
from .._device import device as Device
from .._size import Size
from .._tensor import Tensor

_TAIL = (
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
    "bool pin_memory = False, bool requires_grad = False)"
)


def _factory(leading: str) -> list[str]:
    return [
        f"({leading}*, torch.Generator generator, Tensor out = None, {_TAIL}",
        f"({leading}*, Tensor out = None, {_TAIL}",
    ]


_NORMAL_KW = "*, torch.Generator generator = None, Tensor out = None"
OVERLOADS = {
    "rand": _factory("tuple of ints size, "),
    "randn": _factory("tuple of ints size, "),
    "randint": _factory("int high, tuple of ints size, ")
    + _factory("int low, int high, tuple of ints size, "),
    "randperm": _factory("int n, "),
    "normal": [
        f"(Tensor mean, Tensor std, {_NORMAL_KW})",
        f"(Tensor mean, float std = 1, {_NORMAL_KW})",
        f"(float mean, Tensor std, {_NORMAL_KW})",
        f"(float mean, float std, tuple of ints size, {_NORMAL_KW}, {_TAIL}",
    ],
    "bernoulli": [
        "(Tensor input, *, torch.Generator generator = None, Tensor out = None)",
        "(Tensor input, float p, *, torch.Generator generator = None)",
    ],
}


def type_word(value) -> str:
    """How torch's argument parser names a value's type in its messages."""
    special = (
        (Tensor, "Tensor"), (Size, "torch.Size"), (dt.dtype, "torch.dtype"),
        (Device, "torch.device"),
    )  # fmt: skip
    for kind, word in special:
        if isinstance(value, kind):
            return word
    if type(value).__name__ == "Generator" and hasattr(value, "_state"):
        return "torch.Generator"
    return type(value).__name__


def invalid_combination(name: str, args, kwargs) -> TypeError:
    """torch's 'received an invalid combination of arguments' TypeError for `name`."""
    words = [type_word(a) for a in args]
    words += [f"{k}={type_word(v)}" for k, v in reversed(list(kwargs.items()))]
    expected = "".join(f" * {line}\n" for line in OVERLOADS[name])
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({', '.join(words)}), "
        f"but expected one of:\n{expected}"
    )


def is_int_like(value) -> bool:
    """An int torch's parser accepts: Python or numpy ints, or a one-element integer tensor."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, numbers.Integral):
        return True
    if isinstance(value, Tensor):
        return not (value.dtype.is_floating_point or value.dtype.is_complex) and value.numel() == 1
    return False


def _is_generator(generator) -> bool:
    from ..random import Generator

    return generator is None or isinstance(generator, Generator)


def check_generator(name: str, generator, args, kwargs) -> None:
    """A bad generator= on a function with overloads: torch's invalid-combination TypeError."""
    if not _is_generator(generator):
        raise invalid_combination(name, args, {**kwargs, "generator": generator})


def check_method_generator(name: str, generator) -> None:
    """A bad generator= on an in-place sampler or multinomial: torch's argument TypeError."""
    if not _is_generator(generator):
        raise TypeError(
            f"{name}(): argument 'generator' must be torch.Generator, not {type_word(generator)}"
        )


def parse_size(name: str, args: tuple, size) -> tuple[int, ...]:
    """The size of rand(2, 3) / rand((2, 3)) / rand(size=(2, 3)), checked like torch."""
    if size is not None:
        if args:
            raise invalid_combination(name, args, {"size": size})
        args = (size,)
    if not args:
        raise invalid_combination(name, (), {})
    if len(args) == 1 and not is_int_like(args[0]):
        if not isinstance(args[0], list | tuple):
            raise TypeError(
                f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                f"{type_word(args[0])}"
            )
        args = tuple(args[0])
    for position, value in enumerate(args, start=1):
        if not is_int_like(value):
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {position} with "
                f'error "type must be tuple of ints,but got {type_word(value)}"'
            )
    return check_sizes(tuple(int(v) for v in args))


def check_sizes(shape: tuple[int, ...]) -> tuple[int, ...]:
    for size in shape:
        if size < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {size}: "
                f"[{', '.join(map(str, shape))}]"
            )
    return shape


def parse_randint(args: tuple, low, high, size, kwargs) -> tuple[int, int, tuple[int, ...]]:
    """(low, high, size) from randint's (high, size) and (low, high, size) forms."""
    given = list(args)
    if size is None and given and isinstance(given[-1], list | tuple):
        size = given.pop()
    if len(given) == 2 and low is None and high is None:
        low, high = given
    elif len(given) == 1 and high is None:
        high = given[0]
    elif len(given) == 1 and low is None:
        low = given[0]
    elif given:
        raise invalid_combination("randint", args, kwargs)
    low = 0 if low is None else low
    for position, (arg_name, value) in enumerate((("low", low), ("high", high)), start=1):
        if isinstance(value, bool | np.bool_):
            slot = position if len(args) > 2 or arg_name == "low" else 1
            raise TypeError(
                f"randint(): argument '{arg_name}' (position {slot}) must be int, not bool"
            )
    if high is None or size is None or not (is_int_like(low) and is_int_like(high)):
        raise invalid_combination("randint", args, kwargs)
    if not isinstance(size, list | tuple):
        raise invalid_combination("randint", args, kwargs)
    return int(low), int(high), parse_size("randint", (tuple(size),), None)


def parse_randperm_n(n) -> int:
    if not is_int_like(n):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type_word(n)}")
    return check_sizes((int(n),))[0]


def check_requires_grad(dtype: dt.dtype, requires_grad: bool) -> None:
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
