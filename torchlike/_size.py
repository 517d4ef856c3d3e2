"""torch.Size: a tuple of ints that prints as torch.Size([...])."""

from __future__ import annotations

import math


class Size(tuple):
    """torch.Size."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        values = tuple(sizes)
        for v in values:
            if not isinstance(v, int) and not hasattr(v, "__index__"):
                raise TypeError(
                    f"torch.Size() takes an iterable of 'int' (item {values.index(v)} is "
                    f"'{type(v).__name__}')"
                )
        return super().__new__(cls, (int(v) for v in values))

    def __repr__(self):
        return f"torch.Size([{', '.join(str(v) for v in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
