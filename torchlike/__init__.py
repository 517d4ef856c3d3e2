"""torchlike: PyTorch's API on JAX.

`import torchlike as torch` gives torch's tensors, autograd, nn and optim computed by JAX.
"""

from __future__ import annotations

import jax as _jax

_jax.config.update("jax_enable_x64", True)  # torch's int64/float64 need JAX's 64-bit types
# torch's default device is the CPU even where a GPU exists; tensors move with .to("cuda").
_jax.config.update("jax_default_device", _jax.devices("cpu")[0])

from . import (
    _dtype,  # noqa: E402
    return_types,  # noqa: E402
)
from ._device import device  # noqa: E402
from ._dtype import (  # noqa: E402
    bfloat16,
    can_cast,
    complex32,
    complex64,
    complex128,
    dtype,
    float8_e4m3fn,
    float8_e4m3fnuz,
    float8_e5m2,
    float8_e5m2fnuz,
    float8_e8m0fnu,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)  # fmt: skip
from ._grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)  # fmt: skip
from ._ops import FUNCTIONS as _FUNCTIONS  # noqa: E402
from ._ops.creation import (  # noqa: E402
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)  # fmt: skip
from ._size import Size  # noqa: E402
from ._tensor import Tensor  # noqa: E402
from ._tensor_str import set_printoptions  # noqa: E402

globals().update(_FUNCTIONS)

bool = _dtype.bool_  # noqa: A001
float = float32  # noqa: A001
double = float64
half = float16
cfloat = complex64
cdouble = complex128
short = int16
int = int32  # noqa: A001
long = int64
chalf = complex32

from .version import torchlike_version as __version__  # noqa: E402, F401



def is_tensor(obj) -> bool:
    """torch.is_tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    """torch.is_floating_point."""
    return input.is_floating_point()


def is_complex(input) -> bool:
    """torch.is_complex."""
    return input.is_complex()


def numel(input) -> builtins_int:
    """torch.numel."""
    return input.numel()


def result_type(tensor1, tensor2):
    """torch.result_type."""
    from ._ops.dispatch import compute_dtype
    from ._ops.registry import TABLE

    return compute_dtype(TABLE["add"], [tensor1, tensor2])


import builtins as _builtins  # noqa: E402

builtins_int = _builtins.int
builtins_bool = _builtins.bool

from . import autograd, cuda, nn, optim, profiler  # noqa: E402, F401
from ._ipython import load_ipython_extension, unload_ipython_extension  # noqa: E402, F401
from ._ops.random import (  # noqa: E402, F401
    bernoulli,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)  # fmt: skip
from ._shim import install_as_torch, uninstall_as_torch  # noqa: E402, F401
from .autograd import Function  # noqa: E402, F401
from .random import (  # noqa: E402, F401
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)  # fmt: skip


from . import backends, testing, utils  # noqa: E402
from ._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch")
