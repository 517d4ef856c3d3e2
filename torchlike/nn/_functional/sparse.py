"""torch.nn.functional embedding, embedding_bag and one_hot over the op-table rows."""

from __future__ import annotations

from ... import _grad_mode
from ..._ops.creation import arange
from ..._ops.dispatch import call
from ..._ops.embedding import check_range, one_hot_classes
from ..._ops.registry import TABLE

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _padding_index(padding_idx, weight) -> int | None:
    """padding_idx as a row number (negative counts from the end), checked like torch."""
    if padding_idx is None:
        return None
    rows = weight.size(0)
    if padding_idx > 0 and padding_idx >= rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if padding_idx < 0:
        if padding_idx < -rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = rows + padding_idx
    return padding_idx


def _unsupported(fn: str, scale_grad_by_freq: bool, sparse: bool) -> None:
    for name, flag in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
        if flag:
            raise NotImplementedError(
                f"torchlike: torch.nn.functional.{fn}({name}=True) is not supported"
            )


def _renorm_rows(input, weight, max_norm, norm_type) -> None:
    """torch.embedding_renorm_: rows that input uses, scaled in place to norm <= max_norm."""
    with _grad_mode.no_grad():
        rows = input.reshape(-1).unique()
        picked = weight.index_select(0, rows)
        norms = picked.norm(norm_type, 1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        weight.index_copy_(0, rows, picked * scale)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):  # fmt: skip
    """torch.nn.functional.embedding: rows of weight picked by input."""
    padding_idx = _padding_index(padding_idx, weight)
    _unsupported("embedding", scale_grad_by_freq, sparse)
    if max_norm is not None:
        _renorm_rows(input.contiguous(), weight, max_norm, norm_type)
    if weight.dim() == 2 and not input.dtype.is_floating_point:
        check_range(input.numpy(), weight.size(0))
    return call(TABLE["embedding"], (input, weight, padding_idx), {})


def _bag_inputs(input, offsets, per_sample_weights):
    """A 2-d input as one flat bag list with offsets every row, as torch reshapes it."""
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{_type_text(offsets)}"
            )
        offsets = arange(0, input.numel(), input.size(1), device=input.device)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    return input, offsets, per_sample_weights


def _type_text(value) -> str:
    kind = type(value)
    module = "torch" if kind.__module__.startswith("torchlike") else kind.__module__
    return f"<class '{module}.{kind.__name__}'>"


def _check_offsets(input, offsets, include_last_offset: bool) -> None:
    values = offsets.numpy()
    if values.size and values[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {values[0]}\n[ torch.LongTensor{{}} ]"
        )
    if values.size and values[-1] > input.numel():
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {input.numel()} but got "
            f"offsets[-1] of {values[-1]}"
        )


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):  # fmt: skip
    """torch.nn.functional.embedding_bag: sums, means or maxima of bags of embeddings."""
    input, offsets, per_sample_weights = _bag_inputs(input, offsets, per_sample_weights)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    _unsupported("embedding_bag", scale_grad_by_freq, sparse)
    padding_idx = _padding_index(padding_idx, weight)
    _check_offsets(input, offsets, include_last_offset)
    if weight.dim() == 2 and not input.dtype.is_floating_point:
        check_range(input.numpy(), weight.size(0))
    if max_norm is not None:
        _renorm_rows(input, weight, max_norm, norm_type)
    args = (input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx)
    return call(TABLE["embedding_bag"], args, {})


def one_hot(tensor, num_classes=-1):
    """torch.nn.functional.one_hot: int64 indicator vectors along a new last dim."""
    values = tensor.numpy()
    return call(TABLE["one_hot"], (tensor, one_hot_classes(values, values.dtype, num_classes)), {})
