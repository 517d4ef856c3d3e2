"""The Tensor class: attributes, conversions and Python protocol.

Math, shape and indexing methods are generated from the op table (torchlike/_ops) and
attached to this class when torchlike._ops is imported.
"""

from __future__ import annotations

import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as dt
from ._autograd import graph as _graph
from ._device import _CPU, device, jax_device, torch_device_of
from ._size import Size
from ._storage import DataStorage, Storage, ViewChain


class ConcreteValueNeeded(RuntimeError):
    """item() on a traced value: torch.compile falls back to eager (a graph break) on this."""


# Tensor.type() names: "torch." + c10's ScalarType name + "Tensor" (torch.FloatTensor, ...).
_TYPE_NAMES = {d: f"{d._scalar_name}Tensor" for d in dt.ALL_DTYPES}


class Tensor:
    """torch.Tensor backed by a jax.Array."""

    __slots__ = (
        "_storage", "_view", "_cache", "_cache_source", "_base",
        "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_accumulator",
        "_retains_grad", "_hooks", "_view_meta", "__dict__", "__weakref__",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        # Tensor(data) / Tensor(*sizes): legacy constructors, always float32-ish default dtype.
        from ._ops.creation import legacy_tensor_array

        _init_from_array(self, legacy_tensor_array(args, kwargs))

    # ----- value and storage -------------------------------------------------------------
    @property
    def _value(self):
        array = self._storage.array
        if self._view is None:
            return array
        # The cache holds for the storage array it was read from (arrays are immutable, and a
        # write through any tensor on the storage, `.data` included, replaces the array).
        source = self._cache_source
        if source is None or source() is not array:
            self._cache = self._view.apply(array)
            self._cache_source = _source_ref(array)
        return self._cache

    def _write(self, new_value) -> None:
        """Replace this tensor's elements in place (through to the base for a view)."""
        current = self._value
        if not (
            isinstance(new_value, jax.Array)
            and new_value.dtype == current.dtype
            and new_value.shape == current.shape
        ):
            new_value = jnp.broadcast_to(jnp.asarray(new_value, dtype=current.dtype), current.shape)
        self._replace(new_value)

    def _replace(self, array) -> None:
        """`_write` of an array already of this tensor's shape and dtype (an optimizer's update
        of its own parameter or state), without checking it."""
        storage = self._storage
        if self._view is None:
            storage.array = array
        else:
            storage.array = self._view.scatter(storage.array, array)
            self._cache, self._cache_source = array, _source_ref(storage.array)
        storage.version += 1

    @property
    def _version(self) -> int:
        return self._storage.version

    # ----- metadata -------------------------------------------------------------------------
    @property
    def _meta(self):
        """Where shape, dtype and size are read: the value, or for a base tensor whose value is
        pending (`_deferred`) its Deferred, so reading them runs no pending op."""
        storage = self._storage
        if self._view is None and storage.__class__ is Storage:
            return storage._array
        return self._value

    @property
    def shape(self) -> Size:
        return Size(self._meta.shape)

    def size(self, dim=None):
        shape = self._meta.shape
        if dim is None:
            return Size(shape)
        if not isinstance(dim, int):
            raise TypeError(
                f"size(): argument 'dim' (position 1) must be int, not {type(dim).__name__}"
            )
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return shape[_wrap_dim(dim, len(shape))]

    def dim(self) -> int:
        return len(self._meta.shape)

    ndimension = dim

    @property
    def ndim(self) -> int:
        return len(self._meta.shape)

    def numel(self) -> int:
        return int(self._meta.size)

    nelement = numel

    @property
    def dtype(self) -> dt.dtype:
        return dt._BY_NP[self._meta.dtype]

    @property
    def device(self) -> device:
        value = self._value
        if isinstance(value, jax.core.Tracer):
            return _CPU
        return torch_device_of(next(iter(value.devices())))

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_nested = False
    layout = "torch.strided"

    def get_device(self) -> int:
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * self.numel()

    def stride(self, dim=None):
        strides = _strides_of(self)
        return strides if dim is None else strides[_wrap_dim(dim, self.ndim)]

    def storage_offset(self) -> int:
        if self._view is None or self.numel() == 0:
            return 0
        return self._view.layout(self._storage.array.shape)[0]

    def is_contiguous(self, memory_format=None) -> bool:
        if self._view is None:
            return True
        return self._view.layout(self._storage.array.shape)[2]

    def data_ptr(self) -> int:
        return id(self._storage.root) + self.storage_offset() * self.element_size()

    def untyped_storage(self):
        return self._storage.root

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"torch.{_TYPE_NAMES[self.dtype]}"
        if isinstance(dtype, str):
            by_type_name = {f"torch.{v}": k for k, v in _TYPE_NAMES.items()}
            if dtype not in by_type_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = by_type_name[dtype]
        return self.to(dtype)

    # ----- autograd attributes --------------------------------------------------------------
    @property
    def grad_fn(self):
        if self._view_meta is None:
            return self._grad_fn
        return _graph.grad_fn_of(self)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        if self._requires_grad or self._grad_fn is not None:
            return True
        meta = self._view_meta  # a view requires grad when its base does
        return meta is not None and meta.base.requires_grad

    def _is_view(self) -> bool:
        return self._view_meta is not None

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError("requires_grad must be a bool")
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not isinstance(requires_grad, bool):
            raise TypeError(
                "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                f"{type(requires_grad).__name__}"
            )
        if self._grad_fn is not None and requires_grad:
            return self
        if requires_grad and self.dtype._category < dt._FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        if self._grad is None and not self._retains_grad and self.grad_fn is not None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                "for more information. (Triggered internally at "
                "/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype._cpp_name}' to a "
                    f"tensor with grad_dtype '{self.dtype._scalar_name}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match."
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self) -> Tensor:
        return _alias(self, DataStorage(self._storage))

    @data.setter
    def data(self, other: Tensor) -> None:
        if not isinstance(other, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(other).__name__}")
        if other._storage.root is not self._storage.root:  # same elements (`p.data -= x`): keep
            self._storage = other._storage  # self's own version counter, as torch does
        self._view, self._cache, self._cache_source = other._view, other._cache, other._cache_source

    def detach(self) -> Tensor:
        return _alias(self, self._storage)

    def detach_(self) -> Tensor:
        if self._view_meta is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def _base_tensor(self):
        return self._base

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        api = _AUTOGRAD_API or _autograd_api()
        api[0](self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        return _graph.register_tensor_hook(self, hook)

    def retain_grad(self) -> None:
        _graph.retain_grad(self)

    # ----- conversions ----------------------------------------------------------------------
    def item(self):
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar"
            )
        value = self._value
        if isinstance(value, jax.core.Tracer):
            # Inside jax.vjp/jvp (not jit) a tracer still carries its concrete value.
            value = value.to_concrete_value()
            if value is None:
                raise ConcreteValueNeeded(
                    "item() needs a concrete value, but this tensor is being traced by "
                    "torch.compile/jax.jit; move the Python control flow out of the traced code"
                )
        return np.asarray(value).reshape(()).item()

    def tolist(self):
        return _host(self).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if self.dtype is dt.bfloat16 or self.dtype in dt.FLOAT8_DTYPES:
            raise TypeError(f"Got unsupported ScalarType {self.dtype._scalar_name}")
        return np.array(self._value)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        array = np.asarray(self._value)
        return array if dtype is None else array.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # numpy ufuncs on tensors give tensors back, bool results as uint8 (as torch does).
        from ._ops.creation import from_numpy

        array = np.asarray(array)
        return from_numpy(array.astype(np.uint8) if array.dtype == np.bool_ else array)

    def __jax_array__(self):
        return self._value

    def cpu(self, memory_format=None) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        return self.to("cuda" if device is None else _cuda_device(device))

    def to(self, *args, **kwargs) -> Tensor:
        from ._ops.conversion import to

        return to(self, *args, **kwargs)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self, memory_format=None):
        return self.to(dt.float32)

    def double(self, memory_format=None):
        return self.to(dt.float64)

    def half(self, memory_format=None):
        return self.to(dt.float16)

    def bfloat16(self, memory_format=None):
        return self.to(dt.bfloat16)

    def long(self, memory_format=None):
        return self.to(dt.int64)

    def int(self, memory_format=None):
        return self.to(dt.int32)

    def short(self, memory_format=None):
        return self.to(dt.int16)

    def char(self, memory_format=None):
        return self.to(dt.int8)

    def byte(self, memory_format=None):
        return self.to(dt.uint8)

    def bool(self, memory_format=None):
        return self.to(dt.bool_)

    def cfloat(self, memory_format=None):
        return self.to(dt.complex64)

    def cdouble(self, memory_format=None):
        return self.to(dt.complex128)

    # ----- Python protocol ------------------------------------------------------------------
    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self.numel() > 1
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(_real_scalar(self, "double"))

    def __int__(self) -> int:
        return int(_real_scalar(self, "int64_t"))

    def __complex__(self) -> complex:
        _require_one_element(self)
        return complex(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element) -> bool:
        if not isinstance(element, Tensor | int | float | complex | bool | np.number):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        return bool((self == element).any().item())

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr

        grad_fn = self._grad_fn
        return tensor_repr(
            _host(self),
            dtype_name=self.dtype._name,
            default_dtype_name=dt.get_default_dtype()._name,
            device=str(self.device),
            requires_grad=self.requires_grad,
            grad_fn_name=None if grad_fn is None else type(grad_fn).__name__,
        )

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (_host(self), self.requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        copy = type(self).__new__(type(self))
        _init_from_array(copy, self._value)
        copy._requires_grad = self._requires_grad
        if self._grad is not None:
            copy._grad = self._grad.__deepcopy__(memo)
        copy.__dict__.update(self.__dict__)
        memo[id(self)] = copy
        return copy

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


_AUTOGRAD_API: list = []  # [autograd.backward], imported on first use (it imports this module)


def _autograd_api() -> list:
    from ._autograd import api

    _AUTOGRAD_API.append(api.backward)
    return _AUTOGRAD_API


# ----- helpers used by the op layer ---------------------------------------------------------
def _init_from_array(tensor: Tensor, array, requires_grad: bool = False) -> None:
    tensor._storage = Storage(array)
    tensor._view = None
    tensor._cache = None
    tensor._cache_source = None
    tensor._base = None
    tensor._requires_grad = requires_grad
    tensor._grad_fn = None
    tensor._output_nr = 0
    tensor._grad = None
    tensor._accumulator = None
    tensor._retains_grad = False
    tensor._hooks = None
    tensor._view_meta = None  # differentiable-view facts (torchlike._autograd.views)


def from_array(array, requires_grad: bool = False, cls=Tensor) -> Tensor:
    """Wrap a jax array (or tracer) as a new base tensor."""
    tensor = object.__new__(cls)
    _init_from_array(tensor, array, requires_grad)
    return tensor


def make_view(source: Tensor, step, value, chain: ViewChain | None = None) -> Tensor:
    """A tensor that shares source's storage, seen through one more view step (array -> array);
    `chain`, where given, is source's chain followed by `step` (made once by a caller that
    makes the same view again and again)."""
    view = object.__new__(Tensor)
    _init_from_array(view, None)
    view._storage = source._storage
    if chain is None:
        chain = (source._view or ViewChain(())).then(step)
    view._view = chain
    view._cache = value
    view._cache_source = _source_ref(source._storage.array)
    view._base = source._base if source._base is not None else source
    return view


def _alias(source: Tensor, storage: Storage) -> Tensor:
    """Same elements and view, no autograd history and no base (detach, .data)."""
    alias = object.__new__(Tensor)
    _init_from_array(alias, None)
    alias._storage, alias._view = storage, source._view
    alias._cache, alias._cache_source = source._cache, source._cache_source
    return alias


def _source_ref(array):
    """A weak reference to the storage array a view's cache was read from."""
    try:
        return weakref.ref(array)
    except TypeError:  # not weakly referenceable: the cache is recomputed on the next read
        return None


def _host(tensor: Tensor) -> np.ndarray:
    return np.asarray(tensor._value)


def _rebuild(array, requires_grad):
    return from_array(jnp.asarray(array), requires_grad)


def _strides_of(tensor: Tensor) -> tuple:
    if tensor._view is not None:
        return tensor._view.layout(tensor._storage.array.shape)[1]
    strides, acc = [], 1
    for size in reversed(tensor._value.shape):
        strides.append(acc)
        acc *= max(size, 1)
    return tuple(reversed(strides))


def _wrap_dim(dim: int, ndim: int) -> int:
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            "Dimension out of range (expected to be in range of "
            f"[{-rank}, {rank - 1}], but got {dim})"
        )
    return dim % rank


def _require_one_element(tensor: Tensor) -> None:
    if tensor.numel() != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")


def _real_scalar(tensor: Tensor, c_type: str):
    """float(t) / int(t): one element, and a complex one only when its imaginary part is 0."""
    _require_one_element(tensor)
    value = tensor.item()
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        value = value.real
    return value


def _cuda_device(index) -> device:
    return device(index)


def place(array, dev: device):
    """Put a jax array on a torch device."""
    return jax.device_put(array, jax_device(dev))
