"""torch.nn.init's structured recipes (eye_, dirac_, orthogonal_, sparse_) and the deprecated
names without the trailing underscore."""

from __future__ import annotations

import math
import warnings

import torchlike

from .. import _grad_mode


def eye_(tensor):
    """torch.nn.init.eye_: the identity matrix in a 2-d tensor."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with _grad_mode.no_grad():
        tensor.copy_(torchlike.eye(*tensor.shape, dtype=tensor.dtype))
    return tensor


def dirac_(tensor, groups: int = 1):
    """torch.nn.init.dirac_: the identity convolution kernel, per group of output channels."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    with _grad_mode.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(per_group, tensor.shape[1])):
                tensor[(g * per_group + d, d, *centre)] = 1
    return tensor


def orthogonal_(tensor, gain: float = 1, generator=None):
    """torch.nn.init.orthogonal_: a (semi-)orthogonal matrix from the QR of a normal draw."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with _grad_mode.no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        if rows < cols:
            flat = flat.t()
        q, r = torchlike.linalg.qr(flat)
        q = q * torchlike.diag(r, 0).sign()  # unique Q: R's diagonal made positive
        if rows < cols:
            q = q.t()
        tensor.view_as(q).copy_(q)
        tensor.mul_(gain)
    return tensor


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """torch.nn.init.sparse_: N(0, std) with a fraction of each column set to zero."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    with _grad_mode.no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            tensor[torchlike.randperm(rows)[:zeros], col] = 0
    return tensor


def deprecated(recipe):
    """The old name without `_`: warns like torch, then runs the recipe."""
    new_name = recipe.__name__
    old_name = new_name[:-1]

    def old(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return recipe(*args, **kwargs)

    old.__name__ = old.__qualname__ = old_name
    old.__doc__ = f"torch.nn.init.{old_name} (deprecated: use {new_name})."
    return old
