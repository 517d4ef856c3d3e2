"""torchlike: PyTorch's API on JAX.

`import torchlike as torch` gives torch's tensors, autograd, nn and optim computed by JAX.
"""

import gc as _gc

import jax as _jax

_jax.config.update("jax_enable_x64", True)  # torch's int64/float64 need JAX's 64-bit types
# torch's default device is the CPU even where a GPU exists; tensors move with .to("cuda").
_jax.config.update("jax_default_device", _jax.devices("cpu")[0])

from . import _compile_cache, _malloc

_compile_cache.configure()  # compiled programs kept on disk across runs (see the module)
_malloc.configure()  # glibc keeps freed step buffers instead of faulting them in again

# The order matters: the Tensor class first, then the op table that adds its methods.
from . import _dtype, return_types
from ._device import device
from ._dtype import (
    bfloat16, can_cast, complex32, complex64, complex128, dtype, float8_e4m3fn, float8_e4m3fnuz,
    float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu, float16, float32, float64, get_default_dtype,
    int8, int16, int32, int64, promote_types, set_default_dtype, uint8, uint16, uint32, uint64,
)  # fmt: skip
from ._grad_mode import (
    enable_grad, inference_mode, is_anomaly_check_nan_enabled, is_anomaly_enabled,
    is_grad_enabled, is_inference_mode_enabled, no_grad, set_anomaly_enabled, set_grad_enabled,
)  # fmt: skip
from ._size import Size
from ._tensor import Tensor
from ._ops import FUNCTIONS as _FUNCTIONS
from ._ops.creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    ones, ones_like, tensor, zeros, zeros_like,
)  # fmt: skip
from ._ops.random import (
    bernoulli, multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like,
    randperm,
)  # fmt: skip
from ._tensor_str import set_printoptions
from ._toplevel import (
    allclose, equal, is_complex, is_floating_point, is_tensor, numel, result_type,
)  # fmt: skip
from .random import (
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)  # fmt: skip
from . import autograd, backends, cuda, nn, optim, profiler, testing, utils
from . import compiler
from ._compile import compile  # noqa: A004  (torch.compile shadows the builtin here)
from . import func, linalg
from ._ops.linalg_decomp import svd
from ._ops.sorting import cartesian_prod, combinations, meshgrid, repeat_interleave
from ._ipython import load_ipython_extension, unload_ipython_extension
from ._missing import module_getattr as _module_getattr
from ._shim import install_as_torch, uninstall_as_torch
from .autograd import Function
from .nn._dropout import (
    alpha_dropout_, dropout_, feature_alpha_dropout_, feature_dropout, feature_dropout_,
)  # fmt: skip
from .nn._dropout import functional_alpha_dropout as alpha_dropout
from .nn._dropout import functional_dropout as dropout
from .nn._dropout import functional_feature_alpha_dropout as feature_alpha_dropout
from .version import torchlike_version as __version__
from . import serialization
from .serialization import load, save

globals().update(_FUNCTIONS)

# torch's dtype aliases (these names shadow builtins inside this module only).
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

__getattr__ = _module_getattr("torch")

# The modules just imported (torchlike, JAX, numpy) live as long as the process: move them out
# of the cyclic collector's sight so its full collections, which an eager loop of small ops
# triggers often, do not rescan them each time.
_gc.freeze()
