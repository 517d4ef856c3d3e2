"""Conformance records for the pooling, embedding, padding and conv-transpose rows."""

from __future__ import annotations

import numpy as np
from op_db import NUMERIC, E, S, add, f32, functional, i64


def through(name: str):
    """torch.nn.functional.<name> in both libraries (rows with an internal signature)."""

    def call(lib, *args, **kwargs):
        return getattr(lib.nn.functional, name)(*args, **kwargs)

    return call


# ----- pooling -----------------------------------------------------------------------------------
def max_pool2d_samples(m):
    return [S(m(2, 3, 6, 5), 2), S(m(1, 2, 7, 7), 3, 2, 1, return_indices=True),
            S(m(2, 5, 6), (3, 2), (2, 1), (1, 0), (1, 2), True, True),
            S(m(1, 2, 5, 5), 2, ceil_mode=True), S(m(0, 2, 4, 4), 2),
            S(m(1, 2, 7, 7), 3, 1, 1, 2)]  # fmt: skip


POOL2D_ERRORS = (
    E(RuntimeError, f32(4, 4), 2, message=True),
    E(RuntimeError, f32(1, 2, 4, 4), 2, padding=2, message=True),
    E(RuntimeError, f32(1, 3, 2, 2), 3, message=True),
    E(RuntimeError, f32(1, 3, 4, 4), 2, stride=0, message=True),
    E(RuntimeError, f32(1, 3, 4, 4), (2, 2, 2), message=True),
    E(RuntimeError, f32(1, 3, 4, 4), 2, padding=-1, message=True),
    E(RuntimeError, f32(2, 0, 4, 4), 2, message=True),
)
add(
    "max_pool2d",
    max_pool2d_samples,
    dtypes=NUMERIC,
    call=functional("max_pool2d"),
    errors=POOL2D_ERRORS + (E(RuntimeError, f32(1, 3, 4, 4), 2, dilation=0, message=True),),
)
add("max_pool1d", lambda m: [S(m(2, 3, 9), 2), S(m(3, 9), 3, 2, 1, 2, True, True),
                             S(m(2, 2, 7), 3, 1, return_indices=True), S(m(0, 2, 4), 2),
                             S(m(2, 7), 2, 1, 1, 3)],
    call=functional("max_pool1d"), errors=(
        E(NotImplementedError, i64(1, 3, 8), 2, message=True),
        E(RuntimeError, f32(8), 2, message=True),
        E(RuntimeError, f32(2, 3, 4, 8), 2, message=True),
        E(RuntimeError, f32(1, 3, 2), 3, message=True),
        E(RuntimeError, f32(1, 3, 8), 2, padding=2, message=True),
        E(RuntimeError, f32(1, 3, 8), 0, message=True),
        E(RuntimeError, f32(1, 3, 8), 2, stride=0, message=True),
        E(RuntimeError, f32(1, 3, 8), (2, 2), message=True)))  # fmt: skip


def avg_pool2d_samples(m):
    return [S(m(2, 3, 6, 5), 2), S(m(1, 2, 7, 7), 3, 2, 1),
            S(m(2, 5, 6), (3, 2), (2, 1), (1, 0), True, False),
            S(m(1, 2, 5, 5), 3, 2, 1, True, True, 4),
            S(m(1, 2, 5, 5), 2, ceil_mode=True)]  # fmt: skip


add("avg_pool2d", avg_pool2d_samples, dtypes=NUMERIC, call=functional("avg_pool2d"),
    errors=POOL2D_ERRORS[1:-1] + (
        E(RuntimeError, f32(1, 3, 4, 4), 2, divisor_override=0, message=True),))  # fmt: skip
add("avg_pool1d", lambda m: [S(m(2, 3, 9), 2), S(m(3, 9), 3, 2, 1, True, False),
                             S(m(2, 2, 7), 3, 1, 1)],
    dtypes=NUMERIC, call=functional("avg_pool1d"), errors=(
        E(RuntimeError, f32(8), 2, message=True), E(RuntimeError, f32(1, 3, 2), 3, message=True),
        E(RuntimeError, f32(1, 3, 8), 2, padding=2, message=True)))  # fmt: skip
add("adaptive_avg_pool2d", lambda m: [S(m(2, 3, 7, 5), (3, 2)), S(m(3, 6, 6), 4),
                                      S(m(2, 3, 5, 5), 1), S(m(1, 2, 5, 6), (None, 4)),
                                      S(m(1, 2, 3, 3), 5)],
    call=functional("adaptive_avg_pool2d"), errors=(
        E(NotImplementedError, i64(1, 2, 4, 4), 2, message=True),
        E(RuntimeError, f32(8), 2, message=True),
        E(RuntimeError, f32(1, 2, 4, 4), (2, 2, 2), message=True)))  # fmt: skip
add("adaptive_avg_pool1d", lambda m: [S(m(2, 3, 7), 3), S(m(3, 6), 4), S(m(2, 3, 5), 1)],
    call=functional("adaptive_avg_pool1d"), errors=(
        E(RuntimeError, f32(8), 2, message=True),
        E(RuntimeError, f32(1, 2, 4, 4), 2, message=True)))  # fmt: skip
add("adaptive_max_pool2d", lambda m: [S(m(2, 3, 7, 5), (3, 2)), S(m(3, 6, 6), 4, True),
                                      S(m(1, 2, 5, 6), (None, 4), return_indices=True)],
    call=functional("adaptive_max_pool2d"), errors=(
        E(NotImplementedError, i64(1, 2, 4, 4), 2, message=True),
        E(RuntimeError, f32(8), 2, message=True)))  # fmt: skip


# ----- transposed convolutions -------------------------------------------------------------------
def conv_transpose_samples(dims: int):
    def samples(m):
        k = (3,) * dims
        return [S(m(2, 4, *(5,) * dims), m(4, 3, *k), m(3)),
                S(m(1, 4, *(4,) * dims), m(4, 2, *k), m(4), 2, 1, 1, 2, 2),
                S(m(4, *(5,) * dims), m(4, 2, *(2,) * dims), stride=3, output_padding=1),
                S(m(1, 2, *(4,) * dims), m(2, 2, *k), None, 1, 2, dilation=2),
                S(m(0, 2, *(4,) * dims), m(2, 3, *k), m(3))]  # fmt: skip

    return samples


def conv_transpose_errors(dims: int):
    x, w = f32(1, 4, *(5,) * dims), f32(4, 3, *(3,) * dims)
    return (
        E(RuntimeError, x, w, output_padding=1, message=True),
        E(RuntimeError, x, f32(3, 3, *(3,) * dims), message=True),
        E(RuntimeError, f32(5), w, message=True),
        E(RuntimeError, x, w, f32(4), message=True),
        E(RuntimeError, x, w, groups=3, message=True),
        E(RuntimeError, x, w, stride=0, message=True),
        E(RuntimeError, x, np.ones(w.shape)),
    )  # torch's text depends on the batch size


for _dims in (1, 2):
    add(f"conv_transpose{_dims}d", conv_transpose_samples(_dims), dtypes=NUMERIC,
        errors=conv_transpose_errors(_dims))  # fmt: skip


# ----- embeddings --------------------------------------------------------------------------------
def embedding_samples(m):
    return [S(m.ints(0, 6, 3), m(6, 4)), S(m.ints(0, 6, 2, 3), m(6, 4), padding_idx=2),
            S(np.array([1, 5, 5, 0]), m(6, 3), padding_idx=-1), S(np.array(3), m(6, 2)),
            S(np.zeros((0,), np.int64), m(6, 2))]  # fmt: skip


add("embedding", embedding_samples, call=through("embedding"), internal=True, errors=(
    E(RuntimeError, np.array([1.0]), f32(10, 3), message=True),
    E(IndexError, np.array([10]), f32(10, 3), message=True),
    E(IndexError, np.array([-1]), f32(10, 3), message=True),
    E(AssertionError, np.array([1]), f32(10, 3), padding_idx=10, message=True),
    E(AssertionError, np.array([1]), f32(10, 3), padding_idx=-11, message=True),
    E(RuntimeError, np.array([1]), f32(10), message=True)))  # fmt: skip


def embedding_bag_samples(m):
    flat, offsets = np.array([1, 4, 4, 0, 5, 2]), np.array([0, 2, 2, 5])
    return [S(m.ints(0, 6, 3, 4), m(6, 3)), S(flat, m(6, 3), offsets, mode="sum"),
            S(flat, m(6, 3), offsets, mode="max"), S(flat, m(6, 3), offsets, mode="mean"),
            S(flat, m(6, 3), np.array([0, 2, 6]), mode="sum", include_last_offset=True),
            S(flat, m(6, 3), offsets, mode="sum", per_sample_weights=m(6)),
            S(m.ints(0, 6, 3, 4), m(6, 3), padding_idx=4, mode="mean"),
            S(flat, m(6, 3), offsets, mode="max", padding_idx=4)]  # fmt: skip


add("embedding_bag", embedding_bag_samples, call=through("embedding_bag"), internal=True,
    errors=(E(ValueError, np.array([1, 2]), f32(10, 3), message=True),
            E(ValueError, np.array([[1, 2]]), f32(10, 3), np.array([0]), message=True),
            E(ValueError, np.array([1, 2]), f32(10, 3), np.array([0]), mode="bad",
              message=True),
            E(NotImplementedError, np.array([1, 2]), f32(10, 3), np.array([0]), mode="max",
              per_sample_weights=f32(2), message=True),
            E(ValueError, np.array([1, 2]), f32(10, 3), np.array([0]),
              per_sample_weights=f32(3), message=True),
            E(RuntimeError, np.array([1, 2, 3]), f32(10, 3), np.array([0, 4]),
              message=True)))  # fmt: skip
add("one_hot", lambda m: [S(np.array([0, 3, 1])), S(np.array([[1, 2], [0, 0]]), 4),
                          S(np.zeros((0,), np.int64), 3)],
    dtypes=("int64",), grad=False, call=through("one_hot"), internal=True, errors=(
        E(RuntimeError, np.array([1, -1]), message=True),
        E(RuntimeError, np.array([1, 3]), 3, message=True),
        E(RuntimeError, np.array([1.0, 3.0]), message=True),
        E(RuntimeError, np.zeros((0,), np.int64), message=True)))  # fmt: skip


# ----- padding and resampling --------------------------------------------------------------------
add("constant_pad_nd", lambda m: [S(m(2, 3), (1, 2)), S(m(2, 3, 4), (1, 0, 2, 1), 1.5),
                                  S(m(2, 3), (1, -2)), S(m(3, 2), (2, 2, 1, 1))],
    dtypes=NUMERIC, errors=(
        E(RuntimeError, f32(2, 3), (1,), message=True),
        E(RuntimeError, f32(2, 3), (1, 1, 1, 1, 1, 1), message=True),
        E(RuntimeError, f32(2, 3), (1, -5), message=True)))  # fmt: skip


def pad_mode_samples(mode: str):
    def samples(m):
        return [S(m(2, 3, 5), (2, 1), mode=mode), S(m(3, 5), (1, 3), mode=mode),
                S(m(2, 3, 4, 5), (1, 2, 3, 0), mode=mode), S(m(3, 4, 5), (2, 2, 1, 1), mode=mode),
                S(m(2, 3, 5), (-1, 2), mode=mode)]  # fmt: skip

    return samples


PAD_MODE_ERRORS = (
    E(NotImplementedError, f32(2, 3, 4), (1, 1, 1, 1, 1, 1), mode="reflect", message=True),
    E(NotImplementedError, f32(4), (1, 1), mode="replicate", message=True),
    E(RuntimeError, f32(2, 3, 4), (4, 1), mode="reflect", message=True),
    E(RuntimeError, f32(2, 3, 4), (1, 1, 3, 3), mode="reflect", message=True),
    E(RuntimeError, f32(2, 3, 4), (5, 1), mode="circular", message=True),
    E(RuntimeError, f32(2, 3, 4), (1, 1), mode="reflect", value=1.0, message=True),
    E(NotImplementedError, f32(2, 3, 4), (1, 1), mode="bad", message=True),
)
for _row, _mode in (("reflection_pad", "reflect"), ("replication_pad", "replicate"),
                    ("circular_pad", "circular")):  # fmt: skip
    add(_row, pad_mode_samples(_mode), call=through("pad"), internal=True,
        errors=PAD_MODE_ERRORS if _mode == "reflect" else ())  # fmt: skip


def interpolate_call(lib, *args, **kwargs):
    return lib.nn.functional.interpolate(*args, **kwargs)


add("upsample_nearest", lambda m: [
    S(m(2, 3, 4), scale_factor=2), S(m(1, 2, 3, 5), size=(7, 4)), S(m(1, 2, 3, 5), size=6),
    S(m(1, 2, 4, 4), scale_factor=1.7), S(m(1, 2, 5), scale_factor=0.5),
    S(m(1, 2, 3, 5), size=(7, 4), mode="nearest-exact"),
    S(m(1, 2, 4, 4), scale_factor=2.5, mode="nearest-exact"),
    S(m(1, 2, 3), scale_factor=1.5, recompute_scale_factor=True)],
    call=interpolate_call, internal=True, errors=(
        E(NotImplementedError, f32(2, 3, 4), scale_factor=2, mode="bilinear", message=True),
        E(ValueError, f32(2, 3, 4), scale_factor=2, align_corners=True, message=True),
        E(ValueError, f32(2, 3, 4), size=3, scale_factor=2, message=True),
        E(ValueError, f32(2, 3, 4), message=True),
        E(ValueError, f32(2, 3, 4), size=(3, 3), message=True),
        E(NotImplementedError, f32(2, 3, 4), scale_factor=2, mode="bad",
          message=True)))  # fmt: skip
add("upsample_linear", lambda m: [
    S(m(2, 3, 4), scale_factor=2, mode="linear"),
    S(m(2, 3, 4), size=7, mode="linear", align_corners=True),
    S(m(1, 2, 3, 5), size=(7, 4), mode="bilinear"),
    S(m(1, 2, 3, 5), size=(7, 4), mode="bilinear", align_corners=True),
    S(m(1, 2, 4, 4), scale_factor=1.7, mode="bilinear"),
    S(m(1, 2, 5, 6), scale_factor=(0.5, 0.7), mode="bilinear"),
    S(m(2, 4, 4), size=1, mode="linear", align_corners=True)],
    call=interpolate_call, internal=True)  # fmt: skip


# ----- bilinear ----------------------------------------------------------------------------------
add("bilinear", lambda m: [S(m(4, 3), m(4, 2), m(5, 3, 2), m(5)), S(m(4, 3), m(4, 2), m(5, 3, 2)),
                           S(m(2, 4, 3), m(2, 4, 2), m(1, 3, 2), m(1)), S(m(3), m(2), m(2, 3, 2))],
    errors=(E(RuntimeError, f32(2, 3), f32(3, 4), f32(5, 3, 4), message=True),
            E(RuntimeError, f32(2, 2), f32(2, 4), f32(5, 3, 4), message=True),
            E(RuntimeError, f32(2, 3), f32(2, 5), f32(5, 3, 4), message=True),
            E(RuntimeError, f32(2, 3), f32(2, 4), f32(5, 3, 4), f32(4), message=True),
            E(RuntimeError, f32(2, 3), f32(2, 1, 4), f32(5, 3, 4), message=True)))  # fmt: skip
add("upsample_bicubic2d", lambda m: [
    S(m(1, 2, 5, 6), scale_factor=2, mode="bicubic"),
    S(m(1, 2, 5, 6), size=(7, 4), mode="bicubic", align_corners=True),
    S(m(2, 1, 5, 6), scale_factor=1.7, mode="bicubic")],
    call=interpolate_call, internal=True, errors=(
        E(NotImplementedError, f32(2, 3, 4), scale_factor=2, mode="bicubic",
          message=True),))  # fmt: skip
