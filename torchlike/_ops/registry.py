"""The op table: one row per torch op, the single source of truth for its variants.

A row names the torch op, holds its JAX implementation (written over arrays with torch's
argument names) and says which variants exist. Rows carry no backward code: JAX derives
every gradient from `impl`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

# How a row's tensor arguments are promoted to a common dtype before `impl` runs.
PROMOTE_NONE = None  # arrays reach impl as they are
PROMOTE_BINARY = "binary"  # torch.result_type over the tensor arguments and scalars
PROMOTE_FLOAT = "float"  # as binary, then integer/bool results become the default float
PROMOTE_INT_TO_LONG = "int_to_long"  # as binary, then integer/bool results become int64 (sum)


@dataclasses.dataclass(eq=False)
class OpRow:
    name: str
    impl: Callable
    # torch's grad_fn class name, or f(args, kwargs) -> name, reading only what a dispatch plan
    # keys (which arguments are tensors, their shapes and dtypes, the other arguments' values):
    # a plan names every call of its signature with the name its first call got
    grad_fn: str | Callable | None
    tensors: tuple[str, ...] = ("input",)  # parameters that take a tensor (or a scalar for one)
    promote: str | None = PROMOTE_NONE
    promote_skip: int = 0  # leading tensor arguments left out of promotion (where's condition)
    function: bool = True  # torch.<name>
    method: bool = True  # Tensor.<name>
    inplace: bool = False  # Tensor.<name>_ (and torch.<name>_ when it exists in torch)
    inplace_function: bool = False
    view: bool = False  # the output shares storage with the first input
    saves: str = "inputs"  # what backward saves: "inputs", "output", "none" (for version checks)
    returns: Callable | None = None  # named tuple type for multi-output ops
    aten: str = ""
    differentiable: bool = True
    nondiff_outputs: tuple[int, ...] = ()
    scalar_edges: bool = True  # a scalar in a tensor position shows as (None, 0) in next_functions
    same_device: bool = True  # tensor arguments must share a device (0-d CPU tensors excepted)
    check: Callable | None = None  # check(*leaves) before promotion: torch's operand errors
    forward_kernel: bool = True  # repeated calls run as a cached jit (off: impl jits itself)

    def __post_init__(self):
        if not self.aten:
            self.aten = f"aten::{self.name}"

    def grad_fn_name(self, args, kwargs) -> str:
        return self.grad_fn(args, kwargs) if callable(self.grad_fn) else self.grad_fn

    def __repr__(self):
        return f"OpRow({self.name})"


TABLE: dict[str, OpRow] = {}


def op(name=None, **fields):
    """Register `impl` as a row of the op table (decorator)."""

    def register(impl):
        row = OpRow(name=name or impl.__name__.rstrip("_"), impl=impl, **fields)
        if row.name in TABLE:
            raise ValueError(f"op {row.name} registered twice")
        TABLE[row.name] = row
        return row

    return register
