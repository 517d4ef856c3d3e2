"""Factory functions: tensor, zeros, ones, full, arange, linspace, eye, *_like, random draws."""

from __future__ import annotations

import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as dt
from .._device import _CPU, jax_device, several_devices
from .._device import device as Device
from .._size import Size
from .._tensor import Tensor, from_array
from . import range_values, tensor_data
from .conversion import cast

_COPY_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor("
    "sourceTensor)."
)


def _check_holdable(dtype: dt.dtype) -> None:
    dtype._np  # noqa: B018 - raises torchlike's TypeError for a dtype JAX cannot hold


def finish(array, dtype: dt.dtype, device=None, requires_grad=False) -> Tensor:
    """Wrap a host or device array as a new leaf on the requested device."""
    _check_holdable(dtype)
    if device is not None and Device(device) != _CPU:
        value = jax.device_put(np.asarray(array, dtype._np), jax_device(Device(device)))
    else:
        value = jnp.asarray(array, dtype=dtype._np)
    return _leaf(value, dtype, requires_grad)


def _leaf(value, dtype: dt.dtype, requires_grad: bool) -> Tensor:
    if requires_grad and dtype._category < dt._FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    tensor = from_array(value)
    if requires_grad:
        tensor.requires_grad = True
    return tensor


_FILLED_LIMIT = 256  # device arrays kept
_FILLED_ELEMENTS = 1 << 16  # larger ones are made on every call
_filled_arrays: dict = {}  # (shape, numpy dtype, the fill's bytes) -> device array


def filled(shape: tuple, fill, dtype: dt.dtype, device=None, requires_grad=False) -> Tensor:
    """`finish(np.full(shape, fill))`. A small array on the default device is made once per
    shape, dtype and fill and shared by the tensors made from it (JAX arrays are immutable, and
    a write to a tensor replaces its storage's array), so zeros for an RNN's initial state
    every step cost no transfer."""
    if (device is not None and Device(device) != _CPU) or several_devices():
        return finish(np.full(shape, fill, dtype._np), dtype, device, requires_grad)
    host = np.asarray(fill, dtype._np)
    key = (shape, host.dtype, host.tobytes())
    array = _filled_arrays.get(key)
    if array is None:
        array = jnp.asarray(np.full(shape, host, dtype._np), dtype=dtype._np)
        if math.prod(shape) <= _FILLED_ELEMENTS:
            if len(_filled_arrays) >= _FILLED_LIMIT:
                _filled_arrays.clear()
            _filled_arrays[key] = array
    return _leaf(array, dtype, requires_grad)


def _optional_dtype(dtype, function: str) -> dt.dtype | None:
    return None if dtype is None else dt.dtype_arg(dtype, function)


# ----- tensor, as_tensor, from_numpy ---------------------------------------------------------
def _python_data(data, dtype: dt.dtype | None):
    """(host array, dtype) for Python numbers and (nested) sequences, checked like torch."""
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not (tensor_data.is_sequence(data) or isinstance(data, numbers.Number | Tensor)):
        if hasattr(data, "__array__"):
            return None, dtype
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    sizes = tensor_data.compute_sizes(data)
    if dtype is None:
        dtype = tensor_data.infer_dtype(data)
    _check_holdable(dtype)
    leaves = tensor_data.flatten(data, sizes)
    if any(isinstance(leaf, np.ndarray) for leaf in (data if isinstance(data, list) else ())):
        warnings.warn(
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
            "converting the list to a single numpy.ndarray with numpy.array() before converting "
            "to a tensor.",
            UserWarning,
            stacklevel=3,
        )
    host = tensor_data.leaves_to_array(leaves, dtype) if leaves else np.zeros(0, dtype._np)
    return host.reshape(sizes), dtype


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """torch.tensor: copy data into a new leaf tensor."""
    dtype = _optional_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        warnings.warn(_COPY_WARNING, UserWarning, stacklevel=2)
        target = dtype or data.dtype
        _check_holdable(target)
        return finish(cast(data._value, target._np), target, device, requires_grad)
    if isinstance(data, np.ndarray | np.generic):
        natural = dt.numpy_input_dtype(data.dtype)
        target = dtype or natural
        _check_holdable(target)
        # A numpy copy first: JAX may alias an aligned numpy buffer (and only sometimes).
        return finish(cast(jnp.asarray(np.array(data)), target._np), target, device, requires_grad)
    host, target = _python_data(data, dtype)
    if host is None:
        return tensor(np.asarray(data), dtype=dtype, device=device, requires_grad=requires_grad)
    return finish(host, target, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """torch.as_tensor: share the tensor when no conversion is needed."""
    dtype = _optional_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        same_dtype = dtype is None or dtype == data.dtype
        if same_dtype and (device is None or Device(device) == data.device):
            return data
        return data.to(dtype=dtype, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """torch.from_numpy; the data is copied (JAX arrays cannot share a writable numpy buffer)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return finish(np.array(ndarray), dt.numpy_input_dtype(ndarray.dtype))


# ----- shape factories -------------------------------------------------------------------------
def _size_error(function: str, value) -> TypeError:
    return TypeError(
        f"{function}(): argument 'size' (position 1) must be tuple of ints, not "
        f"{type(value).__name__}"
    )


def _sizes(function: str, size: tuple) -> tuple:
    """torch's *size / size= forms (ints, a tuple or list, or torch.Size) as a tuple of ints."""
    if len(size) > 1 and any(isinstance(s, list | tuple) for s in size):
        raise TypeError(f"{function}() takes 1 positional argument but {len(size)} were given")
    if len(size) == 1 and isinstance(size[0], list | tuple):
        size = tuple(size[0])
    elif len(size) == 1 and not isinstance(size[0], numbers.Integral):
        raise _size_error(function, size[0])
    for position, s in enumerate(size, start=1):
        if not isinstance(s, numbers.Integral | np.integer) or isinstance(s, bool | np.bool_):
            raise TypeError(
                f"{function}(): argument 'size' failed to unpack the object at pos {position} "
                f'with error "type must be tuple of ints,but got {type(s).__name__}"'
            )
    return tuple(int(s) for s in size)


def _check_non_negative(shape: tuple, function: str) -> None:
    if any(s < 0 for s in shape):
        if function == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        negative = next(s for s in shape if s < 0)
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {negative}: "
            f"[{', '.join(map(str, shape))}]"
        )


def _factory(name: str, fill):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
                pin_memory=False, memory_format=None, **kwargs):  # fmt: skip
        if "size" in kwargs:
            size = (kwargs.pop("size"),)
        if kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        shape = _sizes(name, size)
        _check_non_negative(shape, name)
        dtype = _optional_dtype(dtype, name) or dt.get_default_dtype()
        _check_holdable(dtype)
        return filled(shape, fill, dtype, device, requires_grad)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"torch.{name}."
    return factory


zeros = _factory("zeros", 0)
ones = _factory("ones", 1)
empty = _factory("empty", 0)


def _fill_number(fill_value, function: str):
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        return fill_value.item()
    if isinstance(fill_value, numbers.Number | np.generic) and not isinstance(fill_value, Tensor):
        return fill_value.item() if isinstance(fill_value, np.generic) else fill_value
    raise TypeError(
        f"{function}(): argument 'fill_value' (position 2) must be Number, not "
        f"{type(fill_value).__name__}"
    )


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """torch.full: the dtype comes from the fill value when none is given."""
    if not isinstance(size, list | tuple):
        raise _size_error("full", size)
    shape = _sizes("full", (size,))
    _check_non_negative(shape, "full")
    fill_value = _fill_number(fill_value, "full")
    dtype = _optional_dtype(dtype, "full") or dt.scalar_dtype(fill_value)
    _check_holdable(dtype)
    value = tensor_data.checked_scalar(fill_value, dtype)
    return filled(shape, value, dtype, device, requires_grad)


def _like(name: str, fill):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None, pin_memory=False):  # fmt: skip
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}"
            )
        dtype = _optional_dtype(dtype, name) or input.dtype
        device = input.device if device is None else device
        return filled(tuple(input.shape), fill, dtype, device, requires_grad)

    like.__name__ = like.__qualname__ = name
    like.__doc__ = f"torch.{name}."
    return like


zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)
empty_like = _like("empty_like", 0)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    """torch.full_like."""
    dtype = _optional_dtype(dtype, "full_like") or input.dtype
    value = tensor_data.checked_scalar(_fill_number(fill_value, "full_like"), dtype)
    return finish(np.full(tuple(input.shape), value, dtype._np), dtype,
                  device or input.device, requires_grad)  # fmt: skip


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:  # fmt: skip
    """torch.eye."""
    for name, position, value in (("n", 1, n), ("m", 2, m)):
        if value is not None and not isinstance(value, numbers.Integral):
            raise TypeError(
                f"eye(): argument '{name}' (position {position}) must be int, not "
                f"{type(value).__name__}"
            )
        if value is not None and value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    dtype = _optional_dtype(dtype, "eye") or dt.get_default_dtype()
    return finish(np.eye(n, n if m is None else m, dtype=dtype._np), dtype, device, requires_grad)


# ----- arange, linspace, logspace ------------------------------------------------------------
_ARANGE_DTYPES = (
    dt.uint8, dt.int8, dt.int16, dt.int32, dt.int64, dt.float16, dt.bfloat16, dt.float32,
    dt.float64,
)  # fmt: skip


def _not_implemented(kernel: str, dtype: dt.dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtype._scalar_name}'")


def _number(value, function: str, name: str, position: int):
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number) and not isinstance(value, Tensor):
        return value
    raise TypeError(
        f"{function}(): argument '{name}' (position {position}) must be Number, not "
        f"{type(value).__name__}"
    )


_ARANGE_FORMS = (
    " * (Number end)\n * (Number start, Number end)\n * (Number start, Number end, Number step)"
)
_RANGE_FORMS = " * (Number start, Number end, int steps)"


def _arange_bounds(args, kwargs):
    if len(args) > 3 or (not args and "end" not in kwargs):
        raise tensor_data.invalid_arguments("arange", args, {}, _ARANGE_FORMS)
    names = ("end",) if len(args) == 1 else ("start", "end", "step")
    bounds = {"start": 0, "step": 1, **dict(zip(names, args)), **kwargs}
    positions = {name: i for i, name in enumerate(names, start=1)}
    return [
        _number(bounds[name], "arange", name, positions.get(name, 1))
        for name in ("start", "end", "step")
    ]


def _c_double(value: float) -> str:
    """A double as C++'s ostream prints it (6 significant digits)."""
    return f"{value:g}"


def _wrap_int64(value: int) -> int:
    return (value + 2**63) % 2**64 - 2**63


def _arange_size(start, end, step, dtype: dt.dtype) -> int:
    if any(isinstance(v, complex) for v in (start, end, step)):
        raise RuntimeError("value cannot be converted to type double without overflow")
    d_start, d_end, d_step = float(start), float(end), float(step)
    if not (d_step > 0 or d_step < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(d_start) and math.isfinite(d_end)):
        raise RuntimeError(f"unsupported range: {_c_double(d_start)} -> {_c_double(d_end)}")
    if not ((d_step > 0 and d_end >= d_start) or (d_step < 0 and d_end <= d_start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is dt.int64:
        # int64 sizes are counted in (wrapping) int64 arithmetic on the truncated bounds.
        i_start, i_end, i_step = (int(v) for v in (start, end, step))
        if i_step == 0:
            raise ValueError("step must be nonzero")
        sign = 1 if i_step > 0 else -1
        numerator = _wrap_int64(i_end - i_start + i_step - sign)
        size = float(abs(numerator) // abs(i_step) * (1 if numerator * i_step >= 0 else -1))
    else:
        size = math.ceil((d_end - d_start) / d_step)
    if not (0 <= size <= float(2**63 - 1)):
        raise RuntimeError("invalid size, possible overflow?")
    return int(size)


def arange(*args, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False, **bounds) -> Tensor:  # fmt: skip
    """torch.arange, with the element values torch's CPU kernel computes."""
    start, end, step = _arange_bounds(args, bounds)
    dtype = _optional_dtype(dtype, "arange")
    if dtype is None:
        inexact = any(isinstance(v, float) for v in (start, end, step))
        dtype = dt.get_default_dtype() if inexact else dt.int64
    count = _arange_size(start, end, step, dtype)
    if dtype not in _ARANGE_DTYPES:
        raise _not_implemented("arange_cpu", dtype)
    if dtype._category == dt._INT:
        first, increment = int(start), int(step)
    elif dtype in (dt.float16, dt.bfloat16):
        first, increment = np.float32(start), np.float32(step)
    else:
        first, increment = float(start), float(step)
    values = range_values.arange_values(first, increment, count, dtype)
    return finish(values, dtype, device, requires_grad)


def _range_ends(start, end, steps, function: str):
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        if isinstance(steps, Tensor) and steps.ndim == 0 and not steps.is_floating_point():
            steps = steps.item()
        else:
            given = (start, end) if steps is None else (start, end, steps)
            raise tensor_data.invalid_arguments(function, given, {}, _RANGE_FORMS)
    ends = []
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(
                f"{function} only supports 0-dimensional start and end tensors, but got {name} "
                f"with {value.ndim} dimension(s)."
            )
        ends.append(_number(value, function, name, len(ends) + 1))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return ends[0], ends[1], int(steps)


def _range_dtype(start, end, dtype, function: str) -> dt.dtype:
    is_complex = isinstance(start, complex) or isinstance(end, complex)
    dtype = _optional_dtype(dtype, function)
    if dtype is None:
        return dt.default_complex_dtype() if is_complex else dt.get_default_dtype()
    if is_complex and not dtype.is_complex:
        inferred = dt.default_complex_dtype()
        raise RuntimeError(
            f"torch.{function}(): inferred dtype {tensor_data.checked_name(inferred)} can't be "
            f"safely cast to passed dtype {dtype._scalar_name}"
        )
    return dtype


def linspace(start, end, steps=None, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """torch.linspace, with torch's two-sided formula evaluated as its CPU kernel does."""
    start, end, steps = _range_ends(start, end, steps, "linspace")
    dtype = _range_dtype(start, end, dtype, "linspace")
    if dtype in (dt.bool_, dt.complex32, *dt.FLOAT8_DTYPES):
        raise _not_implemented("linspace_cpu", dtype)
    first = tensor_data.checked_scalar(start, dtype)
    last = tensor_data.checked_scalar(end, dtype)
    if steps <= 1:
        values = np.full(steps, first, dtype._np)
    else:
        values = range_values.linspace_values(first, last, steps, dtype)
    return finish(values, dtype, device, requires_grad)


def logspace(start, end, steps=None, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """torch.logspace: base ** linspace(start, end, steps), computed as torch's CPU code does."""
    start, end, steps = _range_ends(start, end, steps, "logspace")
    dtype = _range_dtype(start, end, dtype, "logspace")
    if dtype in (dt.bool_, dt.complex32, *dt.FLOAT8_DTYPES):
        raise _not_implemented("logspace_cpu", dtype)
    if steps == 1:
        power = complex(base) ** start if dtype.is_complex else range_values.pow_(base, start)
        values = np.full(1, tensor_data.checked_scalar(power, dtype), dtype._np)
    elif steps == 0:
        values = np.zeros(0, dtype._np)
    else:
        first = tensor_data.checked_scalar(start, dtype)
        last = tensor_data.checked_scalar(end, dtype)
        values = range_values.logspace_values(first, last, steps, float(base), dtype)
    return finish(values, dtype, device, requires_grad)


def legacy_tensor_array(args, kwargs):
    """torch.Tensor(...) legacy constructor: sizes or data, always the default dtype."""
    if kwargs:
        forms = (
            " * (*, torch.device device = None)\n * (object data, *, torch.device device = None)"
        )
        raise tensor_data.invalid_arguments("new", args, kwargs, forms)
    dtype = dt.get_default_dtype()
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]._value
    if args and all(isinstance(a, numbers.Integral) for a in args):
        _check_non_negative(tuple(args), "Tensor")
        return jnp.zeros(tuple(int(a) for a in args), dtype._np)
    if len(args) == 1 and not isinstance(args[0], str) and hasattr(args[0], "__len__"):
        if isinstance(args[0], Size):
            return jnp.zeros(tuple(args[0]), dtype._np)
        return tensor(args[0], dtype=dtype)._value
    if not args:
        return jnp.zeros((0,), dtype._np)
    if isinstance(args[0], numbers.Number):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
