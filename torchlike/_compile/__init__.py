"""torch.compile on JAX: whole functions and modules as cached jax.jit programs."""

from __future__ import annotations

from ..nn.modules.module import Module
from . import diagnostics
from .api import CompiledFunction, Unsupported, check_options
from .program import tracing

__all__ = ["CompiledFunction", "OptimizedModule", "Unsupported", "compile", "diagnostics"]


class OptimizedModule(Module):
    """torch._dynamo.eval_frame.OptimizedModule: a module whose calls run compiled."""

    def __init__(self, mod: Module, fullgraph: bool):
        super().__init__()
        self._orig_mod = mod
        object.__setattr__(self, "_compiled_call", CompiledFunction(mod, fullgraph, self_root=mod))

    def __call__(self, *args, **kwargs):
        return self._compiled_call(*args, **kwargs)

    def forward(self, *args, **kwargs):
        return self._compiled_call(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, name=None, disable=False, recompile_limit=None,
            isolate_recompiles=False, shapes_spec=None):  # fmt: skip
    """torch.compile: run `model` as cached jax.jit programs (see docs/compile.md)."""
    if model is None:

        def decorate(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, name=name, disable=disable,
                           recompile_limit=recompile_limit)  # fmt: skip

        return decorate
    check_options(mode, options, backend)
    if shapes_spec is not None:
        raise NotImplementedError("torchlike: torch.compile(shapes_spec=...) is not supported")
    if disable:
        return model
    if isinstance(model, Module):
        compiled = OptimizedModule(model, bool(fullgraph))
        target = compiled._compiled_call
    else:
        if not callable(model):
            raise RuntimeError("compile() expects a callable, got " + type(model).__name__)
        compiled = target = CompiledFunction(model, bool(fullgraph))
    if recompile_limit is not None:
        target._recompile_limit = int(recompile_limit)
    return compiled


def is_compiling() -> bool:
    """torch.compiler.is_compiling: True while a compiled function is being traced."""
    return tracing["depth"] > 0
