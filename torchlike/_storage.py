"""Storage and views: a Tensor is a view of a storage that holds one jax.Array.

A view is a chain of steps applied to the storage's array. Writing through a view
scatters into the storage array at the flat positions the view covers, which are found
once by pushing an array of flat indices through the same chain.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._deferred import Deferred


class Storage:
    """The one array that a base tensor and all its views share, and its version counter.

    The array may be a `_deferred.Deferred` (a small op's result not computed yet); reading
    `array` computes every deferred op first. Only the readers that keep a result pending read
    `_array`: the dispatch fast path, F.linear's fold and a tensor's metadata (`Tensor._meta`).
    """

    __slots__ = ("_array", "version", "__weakref__")

    def __init__(self, array):
        self._array = array
        self.version = 0

    @property
    def array(self):
        array = self._array
        if array.__class__ is Deferred:
            array = self._array = array.result()
        return array

    @array.setter
    def array(self, value) -> None:
        self._array = value

    @property
    def root(self) -> Storage:
        """The storage that owns the array (itself; see DataStorage)."""
        return self


class DataStorage(Storage):
    """Another storage's array under a version counter of its own: what `Tensor.data` sees.

    torch's `.data` shares the elements but not the version counter, so writes through it
    never trip autograd's saved-tensor checks and reads see every write through either side.
    """

    __slots__ = ("_root",)

    def __init__(self, root: Storage):
        self._root = root.root
        self.version = 0

    @property
    def root(self) -> Storage:
        return self._root

    @property
    def array(self):
        return self._root.array

    @array.setter
    def array(self, value) -> None:
        self._root.array = value


_LAYOUT_LIMIT = 1024
_layouts: dict = {}  # (chain key, storage shape) -> (offset, strides, contiguous)


def chain_key(steps):
    """A hashable key for a sequence of view steps, or None if one cannot be cached: a step
    keys itself by its function's key and output index when it reads no other array."""
    keys = []
    for step in steps:
        fn_key = getattr(getattr(step, "fn", None), "key", None)
        if fn_key is None or getattr(step, "others", None):
            return None
        keys.append((fn_key, step.index))
    return ("view_chain", tuple(keys))


class ViewChain:
    """How a view's value derives from its storage's array: a tuple of callables."""

    __slots__ = ("steps", "_flat_index", "_key")

    def __init__(self, steps: tuple):
        self.steps = steps
        self._flat_index = None
        self._key = False

    def then(self, step) -> ViewChain:
        return ViewChain(self.steps + (step,))

    def apply(self, array):
        for step in self.steps:
            array = step(array)
        return array

    def flat_index(self, base_shape) -> np.ndarray:
        """For each element of the view, its flat position in the storage array."""
        if self._flat_index is None:
            positions = np.arange(int(np.prod(base_shape)), dtype=np.int64).reshape(base_shape)
            with jax.ensure_compile_time_eval():  # concrete even while torch.compile traces
                self._flat_index = np.asarray(self.apply(jnp.asarray(positions)))
        return self._flat_index

    def layout(self, base_shape) -> tuple:
        """(storage offset, strides, whether contiguous) of the view over a storage array of
        `base_shape`: read off its flat positions once per chain of view ops and storage
        shape, so a view made the same way again (a model's forward, step after step) is
        answered without pushing an index array through its chain."""
        if self._key is False:
            self._key = chain_key(self.steps)
        key = None if self._key is None else (self._key, tuple(base_shape))
        found = None if key is None else _layouts.get(key)
        if found is None:
            found = _layout_of(self.flat_index(base_shape))
            if key is not None:
                if len(_layouts) >= _LAYOUT_LIMIT:
                    _layouts.clear()
                _layouts[key] = found
        return found

    def scatter(self, base_array, view_value):
        """The storage array with the view's elements replaced by view_value."""
        index = self.flat_index(base_array.shape)
        flat = base_array.reshape(-1).at[index.reshape(-1)].set(view_value.reshape(-1))
        return flat.reshape(base_array.shape)


def _layout_of(index: np.ndarray) -> tuple:
    """(offset, strides, contiguous) of a view whose elements sit at these flat positions."""
    shape, flat = index.shape, index.reshape(-1)
    strides = []
    for axis, size in enumerate(shape):
        if size <= 1 or flat.size == 0:
            strides.append(int(np.prod(shape[axis + 1 :])) if size <= 1 else 1)
            continue
        # Storage positions of elements 0 and 1 along this axis (others held at 0).
        pair = np.moveaxis(np.take(index, [0, 1], axis=axis), axis, 0).reshape(2, -1)
        strides.append(int(pair[1, 0] - pair[0, 0]))
    if flat.size == 0:
        return 0, tuple(strides), True
    return int(flat[0]), tuple(strides), bool(np.all(np.diff(flat) == 1))
