"""default_collate / default_convert: how torch.utils.data turns samples into batches."""

from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

from .... import _dtype as dt
from ...._ops.creation import as_tensor, tensor
from ...._tensor import Tensor

# numpy dtypes torch leaves alone: strings, unicode and objects.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(value) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_")


def _rebuild_mapping(data, convert):
    try:
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({key: convert(key) for key in data})
            return clone
        return type(data)({key: convert(key) for key in data})
    except TypeError:  # the mapping type cannot be copied or built from a dict
        return {key: convert(key) for key in data}


def _rebuild_sequence(data, items):
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(data)(list(items))
    except TypeError:  # the sequence type cannot be copied or built from a list
        return list(items)


def default_convert(data):
    """torch.utils.data.default_convert: numpy arrays and numbers become tensors, recursively."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if type(data).__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, lambda key: default_convert(data[key]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(item) for item in data])
    return data


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack same-shaped tensors along a new first dimension."""
    from ...._ops import FUNCTIONS

    return FUNCTIONS["stack"](list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """numpy arrays: as tensors, then stacked (string and object arrays are refused)."""
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([as_tensor(item) for item in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=dt.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def _collate_sequence(batch, collate_fn_map):
    elem = batch[0]
    size = len(elem)
    if not all(len(item) == size for item in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
    if isinstance(elem, tuple):
        return columns  # torch returns a list for plain tuples
    return _rebuild_sequence(elem, columns)


def collate(batch, *, collate_fn_map=None):
    """torch.utils.data._utils.collate.collate: collate by the first sample's type."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, function in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return function(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        columns = {key: [sample[key] for sample in batch] for key in elem}
        return _rebuild_mapping(
            elem, lambda key: collate(columns[key], collate_fn_map=collate_fn_map)
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))  # fmt: skip
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(batch, collate_fn_map)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """torch.utils.data.default_collate: stack samples into batched tensors, keeping structure."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
