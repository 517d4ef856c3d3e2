"""Devices against torch 2.13 (a CPU build): torch.device parsing, equality and printing,
tensor placement, .cpu()/.cuda()/.to(device), and torch.cuda on a machine without a GPU.
"""

from __future__ import annotations

import pickle

import jax
import pytest
import torch
from test_tensor_compat import assert_same, cases

import torchlike


def _jax_has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


# What torch.cuda does on a machine without a GPU; a GPU machine is expected to fail these.
CPU_ONLY = pytest.mark.xfail(
    _jax_has_gpu(),
    reason="this machine has a GPU: these cases are about machines without one",
    strict=True,
)
NEEDS_GPU = pytest.mark.xfail(not _jax_has_gpu(), reason="needs a JAX GPU", strict=True)


def _facts(d):
    return (repr(d), str(d), d.type, d.index)


DEVICE_CASES = {
    "cpu": lambda T: _facts(T.device("cpu")),
    "cpu_index": lambda T: _facts(T.device("cpu:0")),
    "cpu_index_argument": lambda T: _facts(T.device("cpu", 1)),
    "cuda": lambda T: _facts(T.device("cuda")),
    "cuda_index": lambda T: _facts(T.device("cuda:1")),
    "cuda_index_argument": lambda T: _facts(T.device("cuda", 2)),
    "keywords": lambda T: _facts(T.device(type="cuda", index=1)),
    "none_index": lambda T: _facts(T.device("cuda", None)),
    "large_index": lambda T: _facts(T.device("cuda:99")),
    "copy": lambda T: _facts(T.device(T.device("cuda:1"))),
    "mps": lambda T: _facts(T.device("mps")),
    "meta": lambda T: _facts(T.device("meta")),
    "xpu": lambda T: _facts(T.device("xpu")),
    "unknown_type": lambda T: T.device("gpu"),
    "upper_case": lambda T: T.device("CPU"),
    "empty": lambda T: T.device(""),
    "leading_space": lambda T: T.device(" cpu"),
    "bad_index": lambda T: T.device("cuda:x"),
    "leading_zero_index": lambda T: T.device("cuda:01"),
    "plus_index": lambda T: T.device("cuda:+1"),
    "negative_index_string": lambda T: T.device("cuda:-1"),
    "trailing_colon": lambda T: T.device("cuda:"),
    "two_indices": lambda T: T.device("cuda:1:2"),
    "negative_index": lambda T: T.device("cuda", -1),
    "index_twice": lambda T: T.device("cuda:0", 1),
    "string_index": lambda T: T.device("cuda", "1"),
    "bool_index": lambda T: T.device("cuda", True),
    "float_index": lambda T: T.device("cuda", 1.0),
    "device_and_index": lambda T: T.device(T.device("cpu"), 1),
    "none": lambda T: T.device(None),
    "float": lambda T: T.device(1.5),
    "bool": lambda T: T.device(True),
    "negative_int": lambda T: T.device(-1),
    "equal": lambda T: (
        T.device("cpu") == T.device("cpu"),
        T.device("cpu") == T.device("cpu:0"),
        T.device("cuda:0") == T.device("cuda", 0),
        T.device("cpu") != T.device("cpu"),
    ),
    "equal_string": lambda T: (T.device("cpu") == "cpu", T.device("cpu") == "foo"),
    "equal_other": lambda T: (T.device("cpu") == 1, T.device("cpu") == None),  # noqa: E711
    "hash": lambda T: {T.device("cpu"): 1}[T.device("cpu")],
    "pickle": lambda T: _facts(pickle.loads(pickle.dumps(T.device("cuda:1")))),
    "set_type": lambda T: setattr(T.device("cpu"), "type", "cuda"),
    "set_index": lambda T: setattr(T.device("cuda:1"), "index", 2),
    "set_other": lambda T: setattr(T.device("cpu"), "foo", 2),
}


@cases(DEVICE_CASES)
def test_device(case):
    assert_same(case)


@pytest.mark.xfail(strict=True, reason="torchlike adds the 'tpu' device type for JAX's TPUs")
def test_tpu_is_not_a_torch_device_type():
    assert_same(lambda T: T.device("tpu"))


def test_tpu_device_parses():
    assert repr(torchlike.device("tpu:1")) == "device(type='tpu', index=1)"


PLACEMENT_CASES = {
    "device_of_tensor": lambda T: _facts(T.ones(1).device),
    "device_of_result": lambda T: _facts((T.ones(1, requires_grad=True) * 2).device),
    "factory_on_cpu": lambda T: T.zeros(1, device="cpu"),
    "factory_on_cpu_device": lambda T: T.tensor([1.0], device=T.device("cpu")),
    "factory_bad_device": lambda T: T.zeros(1, device="foo"),
    "cpu_keeps_values": lambda T: T.tensor([1.5, 2.5]).cpu(),
    "to_cpu_string": lambda T: T.ones(2).to("cpu").device,
    "to_cpu_device": lambda T: T.ones(2).to(T.device("cpu")).device,
    "to_mps": lambda T: T.ones(1).to("mps"),
}


@cases(PLACEMENT_CASES)
def test_placement(case):
    assert_same(case)


def test_cpu_and_to_cpu_return_the_tensor():
    for T in (torch, torchlike):
        x = T.ones(2)
        assert x.cpu() is x
        assert x.to("cpu") is x
        assert x.to(T.device("cpu")) is x


CUDA_ERROR_CASES = {
    "cuda_method": lambda T: T.ones(1).cuda(),
    "cuda_method_index": lambda T: T.ones(1).cuda(0),
    "cuda_method_string": lambda T: T.ones(1).cuda("cuda:0"),
    "to_cuda": lambda T: T.ones(1).to("cuda"),
    "to_cuda_index": lambda T: T.ones(1).to("cuda:0"),
    "to_cuda_device": lambda T: T.ones(1).to(T.device("cuda")),
    "to_int_device": lambda T: T.ones(1).to(0),
    "factory_on_cuda": lambda T: T.ones(1, device="cuda"),
    "factory_on_cuda_index": lambda T: T.ones(1, device="cuda:0"),
    "tensor_on_cuda": lambda T: T.tensor([1.0], device=T.device("cuda")),
    "factory_on_int_device": lambda T: T.ones(1, device=0),
    "int_device": lambda T: T.device(0),
    "is_available": lambda T: (T.cuda.is_available(), T.cuda.device_count()),
    "is_initialized": lambda T: T.cuda.is_initialized(),
    "current_device": lambda T: T.cuda.current_device(),
    "get_device_name": lambda T: T.cuda.get_device_name(),
    "get_device_properties": lambda T: T.cuda.get_device_properties(0),
    "get_device_capability": lambda T: T.cuda.get_device_capability(),
    "synchronize": lambda T: T.cuda.synchronize(),
    "init": lambda T: T.cuda.init(),
    "is_bf16_supported": lambda T: T.cuda.is_bf16_supported(),
    "memory_allocated": lambda T: (T.cuda.memory_allocated(), T.cuda.max_memory_allocated()),
    "memory_reserved": lambda T: T.cuda.memory_reserved(),
    "empty_cache": lambda T: T.cuda.empty_cache(),
    "manual_seed": lambda T: (T.cuda.manual_seed(1), T.cuda.manual_seed_all(1)),
    "device_context": lambda T: type(T.cuda.device(0)).__name__,
}


@CPU_ONLY
@cases(CUDA_ERROR_CASES)
def test_cuda_without_a_gpu(case):
    assert not _jax_has_gpu()
    assert_same(case)


@CPU_ONLY
def test_cuda_assertion_text():
    assert not _jax_has_gpu()
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        torchlike.ones(1).cuda()


@NEEDS_GPU
def test_cuda_round_trip_on_a_gpu():
    x = torchlike.arange(6.0, requires_grad=True)
    y = (x.cuda() * 2).cpu()
    assert torchlike.cuda.is_available()
    assert x.cuda().device == torchlike.device("cuda", 0)
    assert repr(x.cuda().detach()).endswith("device='cuda:0')")
    assert y.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    y.sum().backward()
    assert x.grad.tolist() == [2.0] * 6


@pytest.mark.xfail(
    not (_jax_has_gpu() and torch.cuda.is_available()),
    reason="needs a JAX GPU and a CUDA build of the reference torch",
    strict=True,
)
def test_cuda_and_cpu_tensors_in_one_op_raise_torchs_error():
    for lhs_device, rhs_device in (("cuda", "cpu"), ("cpu", "cuda")):
        messages = []
        for lib in (torch, torchlike):
            with pytest.raises(RuntimeError) as caught:
                lib.ones(2, device=lhs_device) + lib.ones(2, device=rhs_device)
            messages.append(str(caught.value))
        assert messages[1] == messages[0]


@NEEDS_GPU
def test_cuda_tensor_accepts_cpu_scalars_copies_and_index_values():
    on_gpu = torchlike.zeros(3, device="cuda")
    assert (on_gpu + torchlike.tensor(2.0)).tolist() == [2.0, 2.0, 2.0]
    assert (on_gpu + torchlike.tensor(2.0)).device.type == "cuda"
    on_gpu.copy_(torchlike.arange(3.0))
    assert on_gpu.tolist() == [0.0, 1.0, 2.0] and on_gpu.device.type == "cuda"
    on_gpu[torchlike.tensor([0, 2])] = torchlike.tensor([5.0, 7.0])
    assert on_gpu.tolist() == [5.0, 1.0, 7.0] and on_gpu.device.type == "cuda"
    back = torchlike.zeros(3)
    back.copy_(on_gpu)
    assert back.device.type == "cpu" and back.tolist() == [5.0, 1.0, 7.0]


@NEEDS_GPU
def test_repeated_moves_to_cuda_stay_on_cuda():
    # A repeated call runs as a cached kernel; device moves must still land on the device.
    values = torchlike.arange(4.0)
    for _ in range(4):
        moved = values.to("cuda")
        assert moved.device.type == "cuda"
        assert torchlike.nn.Parameter(values.to("cuda")).device.type == "cuda"
        assert (moved * 2).device.type == "cuda"
        back = moved.cpu()
        assert back.device.type == "cpu" and back.tolist() == [0.0, 1.0, 2.0, 3.0]
    weight = torchlike.nn.Parameter(torchlike.ones(3, device="cuda"))
    weight.grad = torchlike.zeros(3).to("cuda")
    assert weight.grad.device.type == "cuda"
