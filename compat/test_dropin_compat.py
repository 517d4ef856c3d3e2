"""The drop-in surface against torch 2.13: torch.testing, torch.backends, torch.version,
missing-API errors, and one unmodified script printing the same under torch and torchlike.
"""

from __future__ import annotations

import importlib.util
import math
import operator
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest
import torch
import torch.testing
import torch.torch_version

import torchlike

# torch imports these in its __init__; plain `import torchlike` does not (yet).
import torchlike.backends  # noqa: F401
import torchlike.testing
import torchlike.version

REPO_ROOT = Path(__file__).resolve().parents[1]


def _outcome(thunk):
    """("ok", value) or (exception type name, message): what a call gives, to compare."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", thunk())
        except Exception as error:  # noqa: BLE001 - the exception is the result compared
            return (type(error).__name__, str(error))


def _cases(table: dict):
    return pytest.mark.parametrize("case", list(table.values()), ids=list(table))


# ----- torch.testing.assert_close ----------------------------------------------------------------
# Each case gets the module T (torch or torchlike) and T.testing.assert_close.
ASSERT_CLOSE_CASES = {
    "float_one_off": lambda T, ac: ac(T.tensor([1.0, 2.0, 3.0]), T.tensor([1.0, 2.5, 3.0])),
    "float_two_off": lambda T, ac: ac(T.tensor([1.0, 2.0, 3.0]), T.tensor([1.0, 2.5, 3.5])),
    "shape": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0, 3.0])),
    "dtype": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0], dtype=T.float64)),
    "int": lambda T, ac: ac(T.tensor([1, 2]), T.tensor([1, 3])),
    "tensor_list": lambda T, ac: ac(T.tensor([1.0, 2.0]), [1.0, 2.0]),
    "floats": lambda T, ac: ac(1.0, 1.1),
    "zero_dim": lambda T, ac: ac(T.tensor(1.0), T.tensor(2.0)),
    "nan": lambda T, ac: ac(T.tensor([float("nan")]), T.tensor([float("nan")])),
    "rtol_only": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0]), rtol=1e-3),
    "atol_only": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 3.0]), atol=1e-3),
    "matrix": lambda T, ac: ac(T.ones(2, 2), T.ones(2, 2) + T.tensor([[0, 0], [0, 1.0]])),
    "requires_grad": lambda T, ac: ac(
        T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0], requires_grad=True)
    ),
    "dict": lambda T, ac: ac({"a": T.ones(1)}, {"a": T.zeros(1)}),
    "dict_keys": lambda T, ac: ac({"a": T.ones(1), "b": 1}, {"a": T.zeros(1), "c": 2}),
    "list": lambda T, ac: ac([T.ones(1), T.ones(2)], [T.ones(1), T.zeros(2)]),
    "list_length": lambda T, ac: ac([T.ones(1)], [T.ones(1), T.zeros(2)]),
    "nested": lambda T, ac: ac({"x": [1, (T.ones(2), 2.0)]}, {"x": [1, (T.ones(2) * 1.5, 2.0)]}),
    "bool_tensor": lambda T, ac: ac(T.tensor([True, False]), T.tensor([True, True])),
    "custom_msg_pass": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0]), msg="custom"),
    "check_dtype_off": lambda T, ac: ac(T.tensor([1, 2]), T.tensor([1.0, 2.0]), check_dtype=False),
    "check_dtype_off_fail": lambda T, ac: ac(
        T.tensor([1, 2]), T.tensor([1.0, 2.5]), check_dtype=False
    ),
    "custom_msg": lambda T, ac: ac(T.tensor([1.0, 2.0]), T.tensor([1.0, 3.0]), msg="custom"),
    "custom_msg_callable": lambda T, ac: ac(
        [T.tensor([1.0, 2.0])], [T.tensor([1.0, 3.0])], msg=lambda m: "X" + m
    ),
    "ints": lambda T, ac: ac(1, 2),
    "int_float": lambda T, ac: ac(1, 1.0),
    "int_float_no_dtype": lambda T, ac: ac(1, 1.0, check_dtype=False),
    "tiny": lambda T, ac: ac(T.tensor([1e-6]), T.tensor([2e-6])),
    "complex": lambda T, ac: ac(T.tensor([1 + 1j]), T.tensor([1 + 2j])),
    "inf": lambda T, ac: ac(T.tensor([float("inf")]), T.tensor([float("inf")])),
    "inf_neg": lambda T, ac: ac(T.tensor([float("inf"), 1.0]), T.tensor([-float("inf"), 1.0])),
    "nan_equal": lambda T, ac: ac(
        T.tensor([float("nan")]), T.tensor([float("nan")]), equal_nan=True
    ),
    "all_off": lambda T, ac: ac(T.zeros(3, 4), T.ones(3, 4)),
    "all_off_int": lambda T, ac: ac(T.zeros(3, 4, dtype=T.int64), T.ones(3, 4, dtype=T.int64)),
    "tensor_float": lambda T, ac: ac(T.tensor(1.0), 1.0),
    "strings": lambda T, ac: ac("a", "b"),
    "nones": lambda T, ac: ac(None, None),
    "none_tensor": lambda T, ac: ac(None, T.ones(1)),
    "bools": lambda T, ac: ac(True, False),
    "np_bools": lambda T, ac: ac(np.bool_(True), True),
    "half": lambda T, ac: ac(T.ones(2, dtype=T.float16), T.ones(2, dtype=T.float16) + 0.01),
    "half_close": lambda T, ac: ac(T.ones(2, dtype=T.float16), T.ones(2, dtype=T.float16) + 0.0009),
    "bfloat16": lambda T, ac: ac(T.ones(2, dtype=T.bfloat16), T.ones(2, dtype=T.bfloat16) + 0.01),
    "bfloat16_off": lambda T, ac: ac(
        T.ones(2, dtype=T.bfloat16), T.ones(2, dtype=T.bfloat16) + 0.1
    ),
    "float64": lambda T, ac: ac(
        T.tensor([1.0, 2.0], dtype=T.float64), T.tensor([1.0, 2.0000001], dtype=T.float64)
    ),
    "explicit_tol": lambda T, ac: ac(
        T.tensor([1.0, 2.0]), T.tensor([1.05, 2.0]), rtol=0.01, atol=0.01
    ),
    "explicit_tol_pass": lambda T, ac: ac(
        T.tensor([1.0, 2.0]), T.tensor([1.05, 2.0]), rtol=0.1, atol=0.0
    ),
    "zero_tol_float": lambda T, ac: ac(
        T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0001]), rtol=0, atol=0
    ),
    "int_with_tol": lambda T, ac: ac(T.tensor([10, 20]), T.tensor([11, 20]), rtol=0.2, atol=0),
    "int_with_tol_fail": lambda T, ac: ac(
        T.tensor([10, 20]), T.tensor([13, 20]), rtol=0.1, atol=0.5
    ),
    "numpy_arrays": lambda T, ac: ac(np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    "numpy_scalars": lambda T, ac: ac(np.float32(1.0), np.float32(1.5)),
    "float_nan": lambda T, ac: ac(float("nan"), float("nan")),
    "float_nan_equal": lambda T, ac: ac(float("nan"), float("nan"), equal_nan=True),
    "complex_numbers": lambda T, ac: ac(1 + 1j, 1 + 1.5j),
    "scalar_zero_expected": lambda T, ac: ac(1.0, 0.0),
    "zero_dim_int": lambda T, ac: ac(T.tensor(3), T.tensor(4)),
    "tensor_expected_zero": lambda T, ac: ac(T.tensor([1.0, 0.0]), T.tensor([1.0, 1e-3])),
    "tuple_vs_list": lambda T, ac: ac((T.ones(1),), [T.ones(1)]),
    "parameter": lambda T, ac: ac(T.nn.Parameter(T.ones(2)), T.ones(2)),
    "parameter_no_subclass": lambda T, ac: ac(
        T.nn.Parameter(T.ones(2)), T.ones(2), allow_subclasses=False
    ),
    "uint8": lambda T, ac: ac(T.tensor([1, 255], dtype=T.uint8), T.tensor([1, 0], dtype=T.uint8)),
    "int8_promote": lambda T, ac: ac(
        T.tensor([1, -5], dtype=T.int8), T.tensor([1, 5], dtype=T.int16), check_dtype=False
    ),
    "big_3d": lambda T, ac: ac(
        T.arange(24.0).reshape(2, 3, 4), T.arange(24.0).reshape(2, 3, 4) * 1.001
    ),
    "empty": lambda T, ac: ac(T.ones(0), T.ones(0)),
    "stride": lambda T, ac: ac(T.ones(2, 3).t(), T.ones(3, 2), check_stride=True),
    "device_same": lambda T, ac: ac(T.ones(2, device="cpu"), T.ones(2)),
}


@_cases(ASSERT_CLOSE_CASES)
def test_assert_close(case):
    def under(T):
        return _outcome(lambda: case(T, T.testing.assert_close))

    assert under(torchlike) == under(torch)


# ----- torch.testing.make_tensor: the same draws from the same seed ------------------------------
MAKE_TENSOR_CASES = {
    "float": lambda T, mk: mk(3, 4, dtype=T.float32, device="cpu"),
    "shape_tuple": lambda T, mk: mk((2, 3), dtype=T.float32, device="cpu"),
    "float64_range": lambda T, mk: mk(5, dtype=T.float64, device="cpu", low=-1, high=1),
    "half": lambda T, mk: mk(6, dtype=T.float16, device="cpu"),
    "bfloat16": lambda T, mk: mk(6, dtype=T.bfloat16, device="cpu"),
    "int64": lambda T, mk: mk(7, dtype=T.int64, device="cpu"),
    "int8_clamped": lambda T, mk: mk(7, dtype=T.int8, device="cpu", low=-200, high=200),
    "uint8": lambda T, mk: mk(2, 3, dtype=T.uint8, device="cpu"),
    "bool": lambda T, mk: mk(9, dtype=T.bool, device="cpu"),
    "complex64": lambda T, mk: mk(3, dtype=T.complex64, device="cpu"),
    "noncontiguous": lambda T, mk: mk(2, 3, dtype=T.float32, device="cpu", noncontiguous=True),
    "exclude_zero_int": lambda T, mk: mk(
        20, dtype=T.int32, device="cpu", low=-1, high=2, exclude_zero=True
    ),
    "exclude_zero_bool": lambda T, mk: mk(10, dtype=T.bool, device="cpu", exclude_zero=True),
    "requires_grad": lambda T, mk: mk(2, dtype=T.float32, device="cpu", requires_grad=True),
    "requires_grad_int": lambda T, mk: mk(2, dtype=T.int32, device="cpu", requires_grad=True),
    "low_not_below_high": lambda T, mk: mk(2, dtype=T.float32, device="cpu", low=2, high=1),
    "nan_low": lambda T, mk: mk(2, dtype=T.float32, device="cpu", low=math.nan),
    "outside_dtype": lambda T, mk: mk(2, dtype=T.uint8, device="cpu", low=300, high=400),
    "span_past_float16": lambda T, mk: mk(4, dtype=T.float16, device="cpu", low=-1e6, high=1e6),
    "fractional_int_bounds": lambda T, mk: mk(4, dtype=T.int16, device="cpu", low=-2.5, high=3.5),
    "zero_dim": lambda T, mk: mk((), dtype=T.float32, device="cpu"),
}


def _made(case, T):
    def make():
        T.manual_seed(7)
        made = case(T, T.testing.make_tensor)
        return (repr(made), made.is_contiguous(), made.requires_grad)

    return _outcome(make)


@_cases(MAKE_TENSOR_CASES)
def test_make_tensor(case):
    assert _made(case, torchlike) == _made(case, torch)


# ----- torch.backends ----------------------------------------------------------------------------
def _flag_error(T, module: str, flag: str, value):
    owner = getattr(T.backends, module)
    before = getattr(owner, flag)
    try:
        return _outcome(lambda: setattr(owner, flag, value))
    finally:
        setattr(owner, flag, before)


BACKEND_CASES = {
    "cudnn_defaults": lambda T: (
        T.backends.cudnn.enabled, T.backends.cudnn.benchmark, T.backends.cudnn.deterministic,
        T.backends.cudnn.allow_tf32,
    ),
    "cudnn_benchmark_int": lambda T: _flag_error(T, "cudnn", "benchmark", 1),
    "cudnn_deterministic_str": lambda T: _flag_error(T, "cudnn", "deterministic", "yes"),
    "cudnn_enabled_none": lambda T: _flag_error(T, "cudnn", "enabled", None),
    "cudnn_allow_tf32_int": lambda T: _flag_error(T, "cudnn", "allow_tf32", 0),
    "mkldnn_enabled_int": lambda T: _flag_error(T, "mkldnn", "enabled", 1),
    "mkldnn_deterministic_int": lambda T: _flag_error(T, "mkldnn", "deterministic", 1),
    "cudnn_set_and_read": lambda T: _set_and_read(T.backends.cudnn, "benchmark", True),
    "cudnn_flags_context": lambda T: _inside_flags(T.backends.cudnn.flags(deterministic=True), T),
    "cudnn_flags_restore": lambda T: _after_flags(T.backends.cudnn.flags(enabled=False), T),
    "mps": lambda T: (T.backends.mps.is_available(), T.backends.mps.is_built()),
    "matmul_allow_tf32_int": lambda T: _outcome(
        lambda: setattr(T.backends.cuda.matmul, "allow_tf32", 1)
    ),
    "matmul_unknown": lambda T: _outcome(lambda: T.backends.cuda.matmul.nope),
    "matmul_reduction_int": lambda T: _outcome(
        lambda: setattr(T.backends.cuda.matmul, "allow_fp16_reduced_precision_reduction", 1)
    ),
    "matmul_reductions": lambda T: (
        T.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
        T.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
    ),
    "sdp_flags": lambda T: (
        T.backends.cuda.flash_sdp_enabled(), T.backends.cuda.mem_efficient_sdp_enabled(),
        T.backends.cuda.math_sdp_enabled(), T.backends.cuda.cudnn_sdp_enabled(),
    ),
    "opt_einsum": lambda T: (
        T.backends.opt_einsum.is_available(), T.backends.opt_einsum.enabled,
        T.backends.opt_einsum.strategy,
    ),
    "cpu_capability": lambda T: T.backends.cpu.get_cpu_capability(),
}  # fmt: skip


def _set_and_read(module, flag, value):
    before = getattr(module, flag)
    setattr(module, flag, value)
    try:
        return getattr(module, flag)
    finally:
        setattr(module, flag, before)


def _cudnn_state(T):
    cudnn = T.backends.cudnn
    return (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)


def _inside_flags(context, T):
    with context:
        return _cudnn_state(T)


def _after_flags(context, T):
    with context:
        pass
    return _cudnn_state(T)


@_cases(BACKEND_CASES)
def test_backends(case):
    assert _outcome(lambda: case(torchlike)) == _outcome(lambda: case(torch))


def _jax_has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


@pytest.mark.xfail(
    _jax_has_gpu(), reason="JAX sees a GPU: this case is about machines without one", strict=True
)
def test_cuda_backends_without_a_gpu():
    # torch here is a CPU build; torchlike tells the truth about JAX, which has no GPU here.
    for T in (torch, torchlike):
        facts = (T.backends.cudnn.is_available(), T.backends.cudnn.version(), T.version.cuda)
        assert facts == (False, None, None), T.__name__
        assert T.backends.cuda.matmul.allow_tf32 is False, T.__name__
        assert T.backends.cudnn.is_acceptable(T.ones(1)) is False, T.__name__


# ----- torch.version -----------------------------------------------------------------------------
VERSION_STRINGS = ["2.13.0+torchlike0.1.0", "2.13.0", "2.1.0a0", "2.0", "1.13.1.post2", "parrot"]
VERSION_OPERANDS = ["2.13", "2.13.0", "2.13.0+cpu", "2.2", "10.0", (2, 0), (2, 13, 0), [1, 13]]
COMPARISONS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("version", VERSION_STRINGS)
def test_torch_version_compares_like_torchs(version):
    def table(make):
        return [
            _outcome(lambda compare=compare, operand=operand: compare(make(version), operand))
            for operand in VERSION_OPERANDS
            for compare in COMPARISONS
        ]

    assert table(torchlike.version.TorchVersion) == table(torch.torch_version.TorchVersion)


def test_torch_version_names_the_mirrored_release():
    mirrored = str(torch.__version__).split("+")[0]
    assert str(torchlike.version.__version__).split("+")[0] == mirrored
    assert torchlike.version.torch_version == mirrored
    assert isinstance(torchlike.version.__version__, str)
    assert (torchlike.version.hip, torchlike.version.debug) == (torch.version.hip, False)


# ----- missing API: the same probe results, torch's wording with a pointer added -----------------
MISSING_CASES = {
    "torch": lambda T: T.no_such_function,
    "nn": lambda T: T.nn.NoSuchLayer,
    "functional": lambda T: T.nn.functional.no_such_op,
    "optim": lambda T: T.optim.NoSuchOptimizer,
    "tensor": lambda T: T.ones(1).no_such_method,
    "tensor_dunder": lambda T: T.ones(1).__no_such_protocol__,
    "parameter": lambda T: T.nn.Parameter(T.ones(1)).no_such_method,
    "backends": lambda T: T.backends.no_such_backend,
    "cudnn": lambda T: T.backends.cudnn.no_such_flag,
    "testing": lambda T: T.testing.no_such_helper,
}


@_cases(MISSING_CASES)
def test_missing_attribute_keeps_torchs_wording(case):
    kind, message = _outcome(lambda: case(torchlike))
    torch_kind, torch_message = _outcome(lambda: case(torch))
    assert kind == torch_kind == "AttributeError"
    # torchlike's message is torch's, plus a note naming the API and the coverage table.
    assert message.split(" (torchlike does not implement ")[0] == torch_message


def test_find_spec_for_an_absent_submodule_is_none_under_both(tmp_path):
    assert importlib.util.find_spec("torch.no_such_submodule") is None
    probe = "import importlib.util; print(importlib.util.find_spec('torch.no_such_submodule'))"
    result = _run(["-m", "torchlike", "-c", probe], tmp_path)
    assert (result.returncode, result.stdout) == (0, "None\n"), result.stderr


# ----- one unmodified script, both ways ----------------------------------------------------------
DROP_IN_SCRIPT = """
import importlib.util
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.testing import assert_close

print(__name__, sys.argv[1:], torch.__version__ >= (2, 0), torch.__version__ >= "2.13")
print(torch.cuda.is_available(), torch.backends.mps.is_available())
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
print(torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
print(hasattr(torch, "no_such_function"), hasattr(torch.ones(1), "no_such_method"))
print(importlib.util.find_spec("torch.no_such_submodule"))

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
optimizer = optim.SGD(model.parameters(), lr=0.1)
inputs, targets = torch.randn(5, 4), torch.randn(5, 1)
for step in range(3):
    optimizer.zero_grad()
    loss = F.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    print(step, loss)
print(model[0].weight.grad)
assert_close(model(inputs), model(inputs))
try:
    assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
except AssertionError as error:
    print(error)
try:
    torch.ones(2).no_such_method
except AttributeError as error:
    print(type(error).__name__, str(error).split(" (")[0])
sys.exit(5)
"""


def _run(args, cwd, extra_path=()):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    search_path = [str(REPO_ROOT), *extra_path, env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, search_path))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_unmodified_script_prints_the_same_under_torch_and_torchlike(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(DROP_IN_SCRIPT))
    reference = _run([str(script), "--epochs", "3"], tmp_path)
    # A real torch that must not be reached under the shim.
    poisoned = tmp_path / "poisoned" / "torch"
    poisoned.mkdir(parents=True)
    (poisoned / "__init__.py").write_text("raise ImportError('the real torch was imported')\n")
    shimmed = _run(
        ["-m", "torchlike", str(script), "--epochs", "3"], tmp_path, [str(poisoned.parent)]
    )
    assert reference.returncode == 5, reference.stderr
    assert shimmed.returncode == 5, shimmed.stderr
    assert shimmed.stdout == reference.stdout
