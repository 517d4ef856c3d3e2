"""Module hooks: forward pre/post hooks and full backward (pre) hooks, and the call path.

A module with full backward hooks passes its tensor inputs and outputs through an identity
autograd Function (torch's BackwardHookFunction): the outputs' node sees grad_output first
(backward pre-hooks may replace it), the inputs' node then sees grad_input and calls the
hooks with both.
"""

from __future__ import annotations

import warnings

from ... import _grad_mode
from ..._tensor import Tensor
from ...autograd.function import Function
from ._utils import RemovableHandle


class BackwardHookFunction(Function):
    """Identity on tensors whose backward hands the gradients to a callback."""

    @staticmethod
    def forward(ctx, on_backward, *tensors):
        ctx.on_backward = on_backward
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_backward(grads))


def _packed(indices, values, size: int) -> tuple:
    out = [None] * size
    for index, value in zip(indices, values):
        out[index] = value
    return tuple(out)


class BackwardHook:
    """Links one call's grad_output (from its outputs) to its grad_input (from its inputs)."""

    def __init__(self, module, hooks, pre_hooks) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    def _wrap(self, values: tuple, on_backward):
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in index]
        if not (any(t.requires_grad for t in tensors) and _grad_mode.is_grad_enabled()):
            return values, None
        wrapped = list(values)
        for i, tensor in zip(index, BackwardHookFunction.apply(on_backward, *tensors)):
            wrapped[i] = tensor
        return tuple(wrapped), index

    def setup_input_hook(self, args: tuple) -> tuple:
        args, self.input_index = self._wrap(args, self._on_input_grads)
        self.n_inputs = len(args)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        values, self.output_index = self._wrap(values, self._on_output_grads)
        self.n_outputs = len(values)
        return values[0] if single else values

    def _on_input_grads(self, grads):
        if self.grad_outputs is None:  # the gradient reached the inputs without the outputs
            return grads
        grad_input = _packed(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            replaced = hook(self.module, grad_input, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_input):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, got "
                    f"{len(replaced)}, but expected {len(grad_input)}"
                )
            grad_input = replaced
        self.grad_outputs = None
        return tuple(grad_input[i] for i in self.input_index)

    def _on_output_grads(self, grads):
        self.grad_outputs = _packed(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            replaced = hook(self.module, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(self.grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, got "
                    f"{len(replaced)}, but expected {len(self.grad_outputs)}"
                )
            self.grad_outputs = replaced
        grad_outputs = self.grad_outputs
        if self.input_index is None:
            self._call_hooks_without_input_grads()
        return tuple(grad_outputs[i] for i in self.output_index)

    def _call_hooks_without_input_grads(self) -> None:
        warnings.warn(
            "Full backward hook is firing when gradients are computed with respect to module "
            "outputs since no inputs require gradients. See "
            "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module."
            "register_full_backward_hook for more details.",
            stacklevel=5,
        )
        grad_input = (None,) * self.n_inputs
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is not None and not (
                isinstance(result, tuple) and all(g is None for g in result)
            ):
                raise RuntimeError(
                    "Backward hook for Modules where no input requires gradient should always "
                    "return None or None for all gradients."
                )
        self.grad_outputs = None


# ----- Module methods (attached to Module in module.py) ------------------------------------------
def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
    """torch.nn.Module.register_forward_pre_hook: hook(module, args) before forward."""
    handle = RemovableHandle(
        self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs
    )
    self._forward_pre_hooks[handle.id] = hook
    if with_kwargs:
        self._forward_pre_hooks_with_kwargs[handle.id] = True
    if prepend:
        self._forward_pre_hooks.move_to_end(handle.id, last=False)
    return handle


def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                          always_call: bool = False):  # fmt: skip
    """torch.nn.Module.register_forward_hook: hook(module, args, output) after forward."""
    handle = RemovableHandle(
        self._forward_hooks,
        extra_dict=[self._forward_hooks_with_kwargs, self._forward_hooks_always_called],
    )
    self._forward_hooks[handle.id] = hook
    if with_kwargs:
        self._forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        self._forward_hooks_always_called[handle.id] = True
    if prepend:
        self._forward_hooks.move_to_end(handle.id, last=False)
    return handle


def _register_backward(self, store, hook, prepend: bool):
    if self._is_full_backward_hook is False:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks on a single Module. "
            "Please use only one of them."
        )
    handle = RemovableHandle(store)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    return handle


def register_full_backward_hook(self, hook, prepend: bool = False):
    """torch.nn.Module.register_full_backward_hook: hook(module, grad_input, grad_output)."""
    handle = _register_backward(self, self._backward_hooks, hook, prepend)
    self._is_full_backward_hook = True
    return handle


def register_full_backward_pre_hook(self, hook, prepend: bool = False):
    """torch.nn.Module.register_full_backward_pre_hook: hook(module, grad_output)."""
    return _register_backward(self, self._backward_pre_hooks, hook, prepend)


def register_backward_hook(self, hook):
    """torch.nn.Module.register_backward_hook (deprecated): not supported here."""
    raise NotImplementedError(
        "torchlike: torch.nn.Module.register_backward_hook is not supported; use "
        "register_full_backward_hook"
    )


def call_impl(self, *args, **kwargs):
    """torch.nn.Module.__call__: pre-hooks, backward-hook wiring, forward, forward hooks."""
    full = self._backward_hooks if self._is_full_backward_hook else {}
    if not (self._forward_pre_hooks or self._forward_hooks or full or self._backward_pre_hooks):
        return self.forward(*args, **kwargs)
    args, kwargs = _run_pre_hooks(self, args, kwargs)
    backward_hook = None
    if full or self._backward_pre_hooks:
        backward_hook = BackwardHook(self, list(full.values()),
                                     list(self._backward_pre_hooks.values()))  # fmt: skip
        args = backward_hook.setup_input_hook(args)
    try:
        result = self.forward(*args, **kwargs)
    except Exception:
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_always_called:
                _run_forward_hook(self, hook_id, hook, args, kwargs, None)
        raise
    for hook_id, hook in list(self._forward_hooks.items()):
        hook_result = _run_forward_hook(self, hook_id, hook, args, kwargs, result)
        if hook_result is not None:
            result = hook_result
    if backward_hook is not None:
        result = backward_hook.setup_output_hook(result)
    return result


def _run_pre_hooks(self, args: tuple, kwargs: dict):
    for hook_id, hook in list(self._forward_pre_hooks.items()):
        if hook_id in self._forward_pre_hooks_with_kwargs:
            result = hook(self, args, kwargs)
            if result is None:
                continue
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(
                    "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                    f"but got {result}."
                )
            args, kwargs = result
        else:
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
    if hook_id in self._forward_hooks_with_kwargs:
        return hook(self, args, kwargs, result)
    return hook(self, args, result)
