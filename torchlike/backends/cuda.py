"""torch.backends.cuda: CUDA math settings, mapped onto JAX's GPU backend where one exists."""

from __future__ import annotations

import jax

from .._missing import module_getattr
from ._gpu import has_gpu

__all__ = [
    "cudnn_sdp_enabled", "enable_cudnn_sdp", "enable_flash_sdp", "enable_math_sdp",
    "enable_mem_efficient_sdp", "flash_sdp_enabled", "is_built", "math_sdp_enabled", "matmul",
    "mem_efficient_sdp_enabled",
]  # fmt: skip

# JAX precisions that keep float32 matmuls in full float32 (torch's allow_tf32=False).
_FULL_FLOAT32 = ("highest", "float32")


def is_built() -> bool:
    """torch.backends.cuda.is_built: whether JAX has a CUDA GPU backend."""
    return has_gpu()


def _check_bool(value, setter_name: str) -> None:
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter_name} expects a bool, but got {type(value).__name__}")


class cuBLASModule:
    """torch.backends.cuda.matmul: `allow_tf32` sets JAX's default float32 matmul precision."""

    _reduction_flags = ("allow_fp16_reduced_precision_reduction",
                        "allow_bf16_reduced_precision_reduction")  # fmt: skip

    def __init__(self):
        object.__setattr__(self, "_reductions", dict.fromkeys(self._reduction_flags, True))

    def __getattr__(self, name):
        if name == "allow_tf32":
            precision = jax.config.jax_default_matmul_precision
            if precision is None:
                # JAX's default lets a GPU use TF32; XLA's CPU backend always computes in float32.
                return has_gpu()
            return str(precision).lower() not in _FULL_FLOAT32
        if name in self._reduction_flags:
            return self._reductions[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            _check_bool(value, "set_allow_tf32_cublas")
            jax.config.update(
                "jax_default_matmul_precision", "tensorfloat32" if value else "highest"
            )
        elif name in self._reduction_flags:
            if not isinstance(value, bool):
                raise TypeError(
                    f"{name} expects a bool or a tuple/list of bools, but got {type(value)}"
                )
            self._reductions[name] = value
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = cuBLASModule()

# Which scaled-dot-product-attention kernels may run (XLA picks its own; kept for queries).
_sdp_enabled = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_getter(kind: str):
    def enabled() -> bool:
        return _sdp_enabled[kind]

    enabled.__name__ = f"{kind}_sdp_enabled"
    enabled.__doc__ = f"torch.backends.cuda.{kind}_sdp_enabled."
    return enabled


def _sdp_setter(kind: str):
    def enable(enabled: bool) -> None:
        _check_bool(enabled, f"set_sdp_use_{kind}")
        _sdp_enabled[kind] = enabled

    enable.__name__ = f"enable_{kind}_sdp"
    enable.__doc__ = f"torch.backends.cuda.enable_{kind}_sdp."
    return enable


flash_sdp_enabled, enable_flash_sdp = _sdp_getter("flash"), _sdp_setter("flash")
mem_efficient_sdp_enabled = _sdp_getter("mem_efficient")
enable_mem_efficient_sdp = _sdp_setter("mem_efficient")
math_sdp_enabled, enable_math_sdp = _sdp_getter("math"), _sdp_setter("math")
cudnn_sdp_enabled, enable_cudnn_sdp = _sdp_getter("cudnn"), _sdp_setter("cudnn")

__getattr__ = module_getattr("torch.backends.cuda")
