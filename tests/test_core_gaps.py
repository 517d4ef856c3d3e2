"""torchlike alone: `.data` storages and view caches, index checks on concrete values only."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import torchlike as torch
from torchlike._ops.registry import TABLE
from torchlike._storage import DataStorage

INDEX_ROWS = ("gather", "scatter", "scatter_add", "index_select", "index_add", "index_copy",
              "index_fill", "take")  # fmt: skip


def test_data_shares_elements_not_version():
    x = torch.zeros(4)
    d = x.data
    assert isinstance(d._storage, DataStorage) and d._storage.root is x._storage
    assert d.untyped_storage() is x.untyped_storage()
    d.add_(1)
    assert (x._version, d._version) == (0, 1)
    np.testing.assert_array_equal(x.numpy(), [1, 1, 1, 1])
    assert x.data.data._storage.root is x._storage  # .data of .data: one level of indirection


def test_view_caches_follow_writes_through_data_and_base():
    x = torch.arange(6.0)
    view = x[1:4]
    data_view = x.data[2:5]
    assert view.tolist() == [1, 2, 3] and data_view.tolist() == [2, 3, 4]
    x.data.mul_(10)  # x's version counter does not move
    assert x._version == 0
    assert view.tolist() == [10, 20, 30]
    x.add_(1)
    assert data_view.tolist() == [21, 31, 41]
    data_view.zero_()
    assert x.tolist() == [1, 11, 0, 0, 0, 51] and view.tolist() == [11, 0, 0]


def test_view_cache_does_not_keep_old_storage_arrays_alive():
    x = torch.arange(1000.0)  # not from zeros/ones, whose shared arrays their cache keeps
    view = x[0:2]
    view.tolist()
    old = weakref.ref(x._storage.array)
    x.add_(1)
    gc.collect()
    assert old() is None
    assert view.tolist() == [1.0, 2.0]


def test_index_rows_stay_out_of_forward_kernels():
    """A cached forward kernel would skip the Python index check."""
    assert all(not TABLE[name].forward_kernel for name in INDEX_ROWS)


def test_index_check_on_every_repeat():
    x = torch.arange(12.0).reshape(3, 4)
    good, bad = torch.tensor([[0, 1]]), torch.tensor([[0, 4]])
    for _ in range(4):
        x.gather(1, good)
        x.scatter_add(1, good, torch.ones(1, 2))
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, bad)
    with pytest.raises(RuntimeError, match="index 4 is out of bounds"):
        x.scatter_add(1, bad, torch.ones(1, 2))


def test_index_ops_under_jax_transforms():
    """Traced indices have no values to check: the ops run (valid indices give exact results)."""
    x = torch.arange(12.0).reshape(3, 4)
    index = torch.tensor([[0], [3], [1]])

    def picked(t):
        return t.gather(1, index).sum() + t.index_select(0, torch.tensor([2])).sum()

    jacobian = torch.autograd.functional.jacobian(picked, x)
    expected = np.zeros((3, 4), np.float32)
    expected[[0, 1, 2], [0, 3, 1]] = 1
    expected[2] += 1
    np.testing.assert_array_equal(jacobian.numpy(), expected)
    np.testing.assert_array_equal(torch.func.grad(picked)(x).numpy(), expected)


def test_index_ops_in_compiled_function():
    x = torch.arange(12.0).reshape(3, 4)

    @torch.compile
    def step(t, index):
        return t.gather(1, index) * 2

    index = torch.tensor([[1], [2], [3]])
    for _ in range(2):
        np.testing.assert_array_equal(step(x, index).numpy(), [[2.0], [12.0], [22.0]])


def test_flatten_returns_input_for_one_dim():
    x = torch.arange(3.0, requires_grad=True)
    assert x.flatten() is x and torch.flatten(x, 0, -1) is x
    y = torch.ones(2, 3)
    assert y.flatten(1, 1) is y and y.flatten().shape == (6,)
    zero_d = torch.tensor(1.0)
    assert zero_d.flatten().shape == (1,) and zero_d.flatten()._base is zero_d
