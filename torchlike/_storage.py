"""Storage and views: a Tensor is a view of a storage that holds one jax.Array.

A view is a chain of steps applied to the storage's array. Writing through a view
scatters into the storage array at the flat positions the view covers, which are found
once by pushing an array of flat indices through the same chain.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class Storage:
    """The one array that a base tensor and all its views share, and its version counter."""

    __slots__ = ("array", "version", "__weakref__")

    def __init__(self, array):
        self.array = array
        self.version = 0

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


class ViewChain:
    """How a view's value derives from its storage's array: a tuple of callables."""

    __slots__ = ("steps", "_flat_index")

    def __init__(self, steps: tuple):
        self.steps = steps
        self._flat_index = None

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

    def scatter(self, base_array, view_value):
        """The storage array with the view's elements replaced by view_value."""
        index = self.flat_index(base_array.shape)
        flat = base_array.reshape(-1).at[index.reshape(-1)].set(view_value.reshape(-1))
        return flat.reshape(base_array.shape)
