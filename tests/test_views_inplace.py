"""Views and in-place writes without torch: shared storage, version counters, torch's graph
rules for views (CopySlices, AsStridedBackward0) and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def structure(node):
    if node is None:
        return None
    return (type(node).__name__, tuple(structure(child) for child, _ in node.next_functions))


def values(tensor):
    return np.asarray(tensor.detach().tolist())


def test_chained_indexing_writes_through():
    a = torch.zeros(2, 3)
    a[0][1] = 7
    a[1, 1:] = torch.tensor([1.0, 2.0])
    np.testing.assert_array_equal(values(a), [[0, 7, 0], [0, 1, 2]])
    assert a._version == 2


def test_data_writes_change_the_parameter():
    p = torch.ones(3, requires_grad=True)
    identity = id(p)
    p.data.mul_(0.5)
    with torch.no_grad():
        p -= 0.25
    np.testing.assert_array_equal(values(p), [0.25, 0.25, 0.25])
    assert id(p) == identity and p.is_leaf and p.requires_grad


def test_views_share_storage_and_version():
    base = torch.arange(6.0)
    x = base.view(2, 3)
    t = x.t()
    row = x[1]
    t[0, 1] = 100
    assert x[1, 0].item() == 100 and row[0].item() == 100
    assert x._version == t._version == row._version == 1
    assert row._base is base and x._base is base and x._is_view() and not base._is_view()


def test_inplace_refusals_on_leaves():
    p = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF):
        p.add_(1)
    with pytest.raises(RuntimeError, match=VIEW_OF_LEAF):
        p[0] = 1
    with pytest.raises(RuntimeError, match=LEAF):
        p[[0]] = 1
    with pytest.raises(RuntimeError, match=VIEW_OF_LEAF):
        p.view(3).mul_(2)
    with torch.no_grad():
        p[0] = 5
    assert p[0].item() == 5


def test_setitem_records_copyslices():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.clone()
    y[0] = x[1] * 2
    assert structure(y.grad_fn) == ("CopySlices", (
        ("CloneBackward0", (("AccumulateGrad", ()),)),
        ("MulBackward0", (("SelectBackward0", (("AccumulateGrad", ()),)), None)),
    ))  # fmt: skip
    y.sum().backward()
    np.testing.assert_array_equal(values(x.grad), [[0, 0], [3, 3]])


def test_setitem_with_tensor_index_records_index_put():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y[y > 1.5] = 0
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(values(x.grad), [1, 0, 0])


def test_view_written_in_place_regenerates_its_grad_fn():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.clone()
    row = y[0]
    other = y[1]
    row.mul_(3)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert type(row.grad_fn).__name__ == "AsStridedBackward0"
    assert row.grad_fn.next_functions[0][0] is y.grad_fn
    assert type(other.grad_fn).__name__ == "AsStridedBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(values(x.grad), [[3, 3], [1, 1]])


def test_inplace_view_ops_change_shape_and_record():
    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x.clone()
    assert y.t_() is y and tuple(y.shape) == (3, 1)
    assert type(y.grad_fn).__name__ == "TBackward1"
    y.squeeze_()
    assert type(y.grad_fn).__name__ == "SqueezeBackward3" and tuple(y.shape) == (3,)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [[1, 2, 3]])


def test_views_created_without_grad_cannot_be_written_with_grad():
    y = torch.ones(2, 2, requires_grad=True).clone()
    with torch.no_grad():
        row = y[0]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being"):
        row.mul_(2)


def test_multiple_output_views_cannot_be_written():
    y = torch.ones(2, 2, requires_grad=True).clone()
    first, _ = y.unbind()
    with pytest.raises(RuntimeError, match="Output 0 of Unbind is a view and is being modified"):
        first.mul_(2)


def test_write_into_tensor_without_grad_connects_it():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.zeros(2, 2)
    z[0] = x
    assert z.requires_grad and not z.is_leaf
    z.sum().backward()
    np.testing.assert_array_equal(values(x.grad), [1, 1])


def test_index_errors():
    x = torch.zeros(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte"):
        x[torch.tensor([0.0])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
