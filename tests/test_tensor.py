"""torchlike's Tensor basics against fixed facts of torch 2.13 (values printed from torch on
x86-64): creation and its errors, exact arange/linspace elements, attributes, casts, the Python
protocol, devices and printing.
"""

from __future__ import annotations

import copy
import math
import operator
import pickle

import numpy as np
import pytest

import torchlike as torch

NAN, INF = math.nan, math.inf


def bits(t) -> list[str]:
    array = t.numpy()
    return [hex(v) for v in array.view(np.uint32 if array.itemsize == 4 else np.uint64)]


# ----- exact element values ----------------------------------------------------------------------
def test_arange_tenths_are_torchs_float32_values():
    expected = ["0x0", "0x3dcccccd", "0x3e4ccccd", "0x3e99999a", "0x3ecccccd", "0x3f000000",
                "0x3f19999a", "0x3f333333", "0x3f4ccccd", "0x3f666666"]  # fmt: skip
    assert bits(torch.arange(0, 1, 0.1)) == expected


def test_arange_float64_values():
    expected = ["0xbff0000000000000", "0xbfe6666666666666", "0xbfd999999999999a",
                "0xbfb999999999999c", "0x3fc9999999999998", "0x3fdfffffffffffff",
                "0x3fe9999999999999"]  # fmt: skip
    assert bits(torch.arange(-1, 1, 0.3, dtype=torch.float64)) == expected


def test_linspace_float32_values():
    expected = ["0x0", "0x3d2aaaab", "0x3daaaaab", "0x3e000000", "0x3e2aaaab", "0x3e555556",
                "0x3e800000", "0x3e955556", "0x3eaaaaab", "0x3ec00000", "0x3ed55556",
                "0x3eeaaaab", "0x3f000000", "0x3f0aaaaa", "0x3f155555", "0x3f200000",
                "0x3f2aaaaa", "0x3f355555", "0x3f400000", "0x3f4aaaab", "0x3f555555",
                "0x3f600000", "0x3f6aaaab", "0x3f755555", "0x3f800000"]  # fmt: skip
    assert bits(torch.linspace(0, 1, 25)) == expected


def test_linspace_float64_values():
    expected = ["0xc00d99999999999a", "0xc000444444444444", "0xbfd7777777777778",
                "0x3ff4cccccccccccd", "0x4007bbbbbbbbbbbc", "0x4012888888888889",
                "0x4019333333333334", "0x401fddddddddddde", "0x4023444444444445",
                "0x402699999999999a"]  # fmt: skip
    assert bits(torch.linspace(-3.7, 11.3, 10, dtype=torch.float64)) == expected


def test_linspace_integer_dtypes():
    assert torch.linspace(-3, 10, 7, dtype=torch.uint8).tolist() == [253, 212, 172, 131, 91, 50, 10]
    assert torch.linspace(-3, 10, 25, dtype=torch.int64).tolist() == [
        -3, -2, -1, -1, 0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10,
    ]  # fmt: skip


def test_linspace_small_step_counts():
    assert torch.linspace(2, 5, 0).shape == (0,)
    assert torch.linspace(2, 5, 1).tolist() == [2.0]
    assert torch.linspace(2, 5, 2).tolist() == [2.0, 5.0]


def test_logspace_values():
    assert torch.logspace(0, 2, 7).tolist() == [
        1.0, 2.1544346809387207, 4.6415886878967285, 10.0, 21.544347763061523,
        46.415889739990234, 100.0,
    ]  # fmt: skip
    assert torch.logspace(0, 3, 4, dtype=torch.uint8).tolist() == [1, 10, 100, 232]


ARANGE_ERRORS = [
    ((0, 1, 0), RuntimeError, "step must be nonzero"),
    ((0, 10, -1), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, NAN), RuntimeError, "unsupported range: 0 -> nan"),
    ((0, 2**63 - 1, 2**62), RuntimeError, "invalid size, possible overflow?"),
]


@pytest.mark.parametrize("args,error,message", ARANGE_ERRORS)
def test_arange_errors(args, error, message):
    with pytest.raises(error, match=f"^{message.replace('?', '[?]')}$"):
        torch.arange(*args)


def test_arange_dtype_inference_and_wrapping():
    assert torch.arange(5).dtype is torch.int64
    assert torch.arange(5.0).dtype is torch.float32
    assert torch.arange(250, 260, dtype=torch.uint8).tolist()[-3:] == [1, 2, 3]
    assert torch.arange(0.7, 5, 1.5, dtype=torch.int64).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="^step must be nonzero$"):
        torch.arange(0, 2.5, 0.5, dtype=torch.int64)
    with pytest.raises(NotImplementedError, match="\"arange_cpu\" not implemented for 'Bool'"):
        torch.arange(2, dtype=torch.bool)


# ----- torch.tensor ------------------------------------------------------------------------------
INFERENCE = [
    ([1, 2], torch.int64),
    ([1, 2.5], torch.float32),
    ([1, True], torch.int64),
    ([True], torch.bool),
    ([1, 2j], torch.complex64),
    ([], torch.float32),
    ([[], [1]], torch.float32),
    ([np.int32(2), 1], torch.int64),
    ([np.float16(2), 1], torch.float16),
    (np.float32(2.5), torch.float32),
    (np.arange(3, dtype=np.int16), torch.int16),
]


@pytest.mark.parametrize("data,dtype", INFERENCE)
def test_tensor_dtype_inference(data, dtype):
    assert torch.tensor(data).dtype is dtype


TENSOR_ERRORS = [
    ([[1, 2], [3]], ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ([[1], [2, 3]], ValueError, "expected sequence of length 1 at dim 1 (got 2)"),
    ([[1, 2], 3], TypeError, "not a sequence"),
    ([1, [2, 3]], TypeError, "'list' object cannot be interpreted as an integer"),
    ("abc", TypeError, "new(): invalid data type 'str'"),
    (["a"], ValueError, "too many dimensions 'str'"),
    (None, RuntimeError, "Could not infer dtype of NoneType"),
    ({1, 2}, RuntimeError, "Could not infer dtype of set"),
    (2**63, ValueError, "Overflow when unpacking long long"),
]


@pytest.mark.parametrize("data,error,message", TENSOR_ERRORS)
def test_tensor_errors(data, error, message):
    with pytest.raises(error) as raised:
        torch.tensor(data)
    assert str(raised.value) == message


def test_tensor_integer_conversion_checks():
    assert torch.tensor([-1, -129], dtype=torch.uint8).tolist() == [255, 127]
    assert torch.tensor([-1.5], dtype=torch.int8).tolist() == [-1]
    for data in ([256], [-1.5], [NAN]):
        with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8 without"):
            torch.tensor(data, dtype=torch.uint8)
    with pytest.raises(TypeError, match="^must be real number, not complex$"):
        torch.tensor([1j], dtype=torch.float32)


def test_tensor_requires_grad():
    assert torch.tensor([1.0], requires_grad=True).requires_grad
    message = "^Only Tensors of floating point and complex dtype can require gradients$"
    with pytest.raises(RuntimeError, match=message):
        torch.tensor([1], requires_grad=True)


def test_tensor_of_tensor_warns():
    with pytest.warns(UserWarning, match="rather than torch.tensor\\(sourceTensor\\)"):
        copy_ = torch.tensor(torch.ones(2, requires_grad=True))
    assert copy_.is_leaf and not copy_.requires_grad


def test_as_tensor_and_from_numpy():
    x = torch.ones(2)
    assert torch.as_tensor(x) is x
    assert torch.as_tensor(x, dtype=torch.float64) is not x
    assert torch.from_numpy(np.array([1, 2], np.uint8)).dtype is torch.uint8
    with pytest.raises(TypeError, match=r"^expected np.ndarray \(got list\)$"):
        torch.from_numpy([1, 2])


@pytest.mark.parametrize("factory", [torch.tensor, torch.from_numpy, torch.as_tensor, torch.Tensor])
@pytest.mark.parametrize("length", [1, 100, 100_000])
def test_numpy_data_is_always_copied(factory, length):
    # torch shares from_numpy's memory; JAX cannot, and must not alias it half of the time.
    array = np.zeros(length, np.float64)
    wrapped = factory(array)
    array[0] = 7.0
    assert wrapped[0].item() == 0.0


def test_full_infers_dtype_from_the_fill_value():
    assert torch.full((2,), 3).dtype is torch.int64
    assert torch.full((2,), 3.0).dtype is torch.float32
    assert torch.full((2,), True).dtype is torch.bool
    assert torch.full((2,), 1j).dtype is torch.complex64
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without"):
        torch.full((2,), 300, dtype=torch.uint8)


FACTORY_ERRORS = [
    (lambda: torch.zeros(2, -1), RuntimeError, "zeros: Dimension size must be non-negative."),
    (lambda: torch.ones(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, -1]"),
    (lambda: torch.zeros(), TypeError, 'zeros() missing 1 required positional arguments: "size"'),
    (lambda: torch.zeros(2.5), TypeError,
     "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda: torch.full(2, 7), TypeError,
     "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    (lambda: torch.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    (lambda: torch.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
]  # fmt: skip


@pytest.mark.parametrize("make,error,message", FACTORY_ERRORS)
def test_factory_errors(make, error, message):
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_legacy_constructor_and_new_methods():
    assert torch.Tensor(2, 3).shape == (2, 3)
    assert torch.Tensor([1, 2]).dtype is torch.float32
    assert torch.Tensor(torch.Size([4])).shape == (4,)
    x = torch.tensor([1, 2], dtype=torch.int8)
    assert x.new_zeros(2, 3).dtype is torch.int8
    assert x.new_full((2,), 3.7).tolist() == [3, 3]
    assert x.new_tensor([1.5]).dtype is torch.int8
    assert x.new_ones(2, dtype=torch.float16).dtype is torch.float16


# ----- attributes --------------------------------------------------------------------------------
def test_size_and_dims():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert x.size() == x.shape == torch.Size([2, 3, 4])
    assert (x.size(-1), x.dim(), x.ndim, x.numel()) == (4, 3, 3, 24)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
        x.size(3)
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions"):
        torch.tensor(1.0).size(0)


def test_strides_and_contiguity():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert x.stride() == (12, 4, 1)
    assert x.transpose(0, 2).stride() == (1, 4, 12)
    assert x[..., ::2].stride() == (12, 4, 2)
    assert torch.ones(3, 1).expand(3, 4).stride() == (1, 0)
    assert not torch.ones(3, 4).t().is_contiguous()
    assert not x[:, 1:].is_contiguous() and x[1:].is_contiguous()
    assert torch.ones(3, 4).t().contiguous().is_contiguous()


def test_requires_grad_rules():
    leaf = torch.ones(2, requires_grad=True)
    result = leaf * 2
    assert leaf.is_leaf and not result.is_leaf and result.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="^you can only change requires_grad flags of leaf"):
        result.requires_grad = False
    with pytest.raises(RuntimeError, match="^requires_grad must be a bool$"):
        torch.ones(1).requires_grad = 1
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require"):
        torch.tensor([1]).requires_grad_()


def test_grad_assignment_errors():
    x = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^attempting to assign a gradient of size '\[3, 2\]'"):
        x.grad = torch.ones(3, 2)
    with pytest.raises(
        RuntimeError, match="with dtype 'double' to a tensor with grad_dtype 'Float'"
    ):
        x.grad = torch.ones(2, 3, dtype=torch.float64)


def test_type_names():
    assert torch.ones(1).type() == "torch.FloatTensor"
    assert torch.ones(1, dtype=torch.uint8).type() == "torch.ByteTensor"
    assert torch.ones(1).type("torch.LongTensor").dtype is torch.int64
    with pytest.raises(ValueError, match="^invalid type: 'foo'$"):
        torch.ones(1).type("foo")


# ----- casts ---------------------------------------------------------------------------------
SPECIAL = [NAN, INF, -INF, 1e20, 300.7, -1.5, -300.7, 2.0**31 + 5, 70000.5]
# torch's float64 -> integer casts on x86 (INT_MIN for what does not fit, then wrap).
CAST_FACTS = {
    torch.uint8: [0, 0, 0, 0, 44, 255, 212, 5, 112],
    torch.int8: [0, 0, 0, 0, 44, -1, -44, 0, 112],
    torch.int16: [0, 0, 0, 0, 300, -1, -300, 0, 4464],
    torch.int32: [-(2**31)] * 4 + [300, -1, -300, -(2**31), 70000],
    torch.int64: [-(2**63)] * 4 + [300, -1, -300, 2**31 + 5, 70000],
    torch.bool: [True] * 9,
}


@pytest.mark.parametrize("target", CAST_FACTS, ids=str)
def test_float_to_integer_casts(target):
    assert torch.tensor(SPECIAL, dtype=torch.float64).to(target).tolist() == CAST_FACTS[target]


def test_to_and_shorthands():
    x = torch.tensor([1.7, -1.7])
    assert x.to(torch.float32) is x and x.to("cpu") is x
    assert x.long().tolist() == [1, -1] and x.half().dtype is torch.float16
    assert x.to(torch.tensor([1], dtype=torch.int8)).dtype is torch.int8
    assert torch.ones(2, requires_grad=True).double().grad_fn.name() == "ToCopyBackward0"
    assert torch.tensor([1 + 2j, 0j]).bool().tolist() == [True, False]


def test_numpy_conversions():
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad"):
        torch.ones(2, requires_grad=True).numpy()
    with pytest.raises(TypeError, match="^Got unsupported ScalarType BFloat16$"):
        torch.ones(2, dtype=torch.bfloat16).numpy()
    assert np.asarray(torch.arange(3)).dtype == np.int64
    assert isinstance(np.sin(torch.ones(2)), torch.Tensor)
    assert np.greater(torch.arange(3), 0).dtype is torch.uint8


# ----- Python protocol ---------------------------------------------------------------------------
PROTOCOL_ERRORS = [
    (lambda: len(torch.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    (lambda: iter(torch.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    (lambda: bool(torch.ones(2)), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    (lambda: float(torch.ones(2)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    (lambda: float(torch.tensor(1 + 2j)), RuntimeError,
     "value cannot be converted to type double without overflow"),
    (lambda: operator.index(torch.tensor(3.0)), TypeError,
     "only integer tensors of a single element can be converted to an index"),
    (lambda: torch.ones(2).item(), RuntimeError,
     "a Tensor with 2 elements cannot be converted to Scalar"),
    (lambda: "a" in torch.ones(2), RuntimeError,
     "Tensor.__contains__ only supports Tensor or scalar, but you passed in a <class 'str'>."),
]  # fmt: skip


@pytest.mark.parametrize("action,error,message", PROTOCOL_ERRORS)
def test_protocol_errors(action, error, message):
    with pytest.raises(error) as raised:
        action()
    assert str(raised.value) == message


def test_protocol():
    x = torch.arange(6).reshape(2, 3)
    assert len(x) == 2 and [row.tolist() for row in x] == [[0, 1, 2], [3, 4, 5]]
    assert list(range(torch.tensor(3))) == [0, 1, 2] and [10, 20][torch.tensor(1)] == 20
    assert f"{torch.tensor(3.14159):.3f}" == "3.142" and int(torch.tensor(-2.7)) == -2
    assert 4 in x and torch.tensor([3, 4, 5]) in x and 9 not in x
    assert hash(x) == id(x)


def test_copy_and_pickle():
    leaf = torch.tensor([1.0, 2.0], requires_grad=True)
    clone = copy.deepcopy(leaf)
    assert clone.requires_grad and clone.is_leaf and clone.tolist() == [1.0, 2.0]
    restored = pickle.loads(pickle.dumps(torch.arange(6).reshape(2, 3).t()))
    assert restored.tolist() == [[0, 3], [1, 4], [2, 5]]
    with pytest.raises(RuntimeError, match="^Only Tensors created explicitly by the user"):
        copy.deepcopy(leaf * 2)


# ----- devices and printing ----------------------------------------------------------------------
def test_devices():
    assert repr(torch.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(torch.device("cuda", 1)) == "cuda:1"
    assert torch.device("cpu") == torch.device("cpu") != torch.device("cpu:0")
    assert torch.device("cpu") != "cpu"
    assert repr(torch.ones(1).device) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match="^Invalid device string: 'cuda:01'$"):
        torch.device("cuda:01")
    with pytest.raises(AttributeError, match="^attribute 'type' of 'torch.device' objects is not"):
        torch.device("cpu").type = "cuda"


@pytest.mark.xfail(torch.cuda.is_available(), reason="asserts the no-GPU behaviour", strict=True)
def test_cuda_without_a_gpu():
    assert torch.cuda.device_count() == 0
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        torch.ones(1).cuda()
    with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is"):
        torch.ones(1).cuda(0)


REPRS = [
    (lambda: torch.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: torch.tensor([1.0, 2.0], requires_grad=True) * 2,
     "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: torch.tensor([1.0, 2.0], dtype=torch.float64),
     "tensor([1., 2.], dtype=torch.float64)"),
    (lambda: torch.tensor(3), "tensor(3)"),
    (lambda: torch.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: torch.tensor([True, False]), "tensor([ True, False])"),
]  # fmt: skip


@pytest.mark.parametrize("make,text", REPRS)
def test_repr(make, text):
    assert repr(make()) == text


def test_a_view_made_the_same_way_again_reads_its_layout_from_the_first(monkeypatch):
    """stride(), storage_offset() and is_contiguous() of a view push an index array through its
    chain of view ops once per chain and storage shape; the next view made the same way (the
    heads of an attention layer, step after step) is answered from that. Their values against
    torch's: compat/test_tensor_compat.py."""
    from torchlike import _storage

    pushed = []
    flat_index = _storage.ViewChain.flat_index

    def counting(self, base_shape):
        pushed.append(tuple(base_shape))
        return flat_index(self, base_shape)

    monkeypatch.setattr(_storage.ViewChain, "flat_index", counting)
    monkeypatch.setattr(_storage, "_layouts", {})

    def heads(n):
        return torch.ones(5, n, 12).unflatten(-1, (3, 4)).unsqueeze(0).transpose(0, -2)

    def facts(view):
        return view.stride(), view.storage_offset(), view.is_contiguous()

    first = heads(2)
    assert facts(first) == facts(heads(2)) and pushed == [(5, 2, 12)]
    offset, strides, contiguous = _storage._layout_of(flat_index(first._view, (5, 2, 12)))
    assert facts(first) == (strides, offset, contiguous) and not contiguous
    other = heads(3)  # another storage shape: a layout of its own
    assert facts(other) == facts(heads(3)) and pushed == [(5, 2, 12), (5, 3, 12)]
    assert facts(other)[0] != facts(first)[0]
