"""torch.func: composable function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap)
computed by JAX's transforms over the user's function run on Tensors that wrap tracers.
"""

from __future__ import annotations

from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = [
    "functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
    "stack_module_state", "vjp", "vmap",
]  # fmt: skip

from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.func")
