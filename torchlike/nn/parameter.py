"""torch.nn.Parameter: the Tensor subclass a Module registers as a learnable weight."""

from __future__ import annotations

from .._tensor import Tensor, from_array

__all__ = ["Parameter"]


class Parameter(Tensor):
    """torch.nn.Parameter: shares `data`'s storage and requires grad unless told otherwise."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._ops.creation import empty

            data = empty(0)
        source = data.detach()  # a non-tensor fails here with torch's AttributeError
        if requires_grad and not (source.is_floating_point() or source.is_complex()):
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        param = from_array(None, cls=cls)
        param.data = source  # the parameter is a new leaf over the same storage
        param.requires_grad_(requires_grad)
        return param

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__; Tensor.__init__ would rebuild the storage

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copy = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = copy
        return copy

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
