"""strict=True for torch.autograd.functional: torch's independence errors.

The values come from JAX transforms (functional.py). Whether an output is independent of
an input is a fact about torch's graph, so strict mode replays the function once on this
package's own recording autograd, on fresh leaves, and asks the same questions torch
asks in the same order: does each output require grad, does each gradient exist, does it
depend on the inputs.
"""

from __future__ import annotations

from .. import _grad_mode
from .._autograd import api
from .._tensor import Tensor, from_array

_REQUIRES_GRAD_TEXT = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of "
    "the user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not allowed in "
    "strict mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for "
    "example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that "
    "your function is thrice differentiable and that the hessian depends on the inputs.",
}
_MISSING_TEXT = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}
_CONSTANT_TEXT = (
    "The {what} of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode when create_graph=True."
)


def _zeros_like(tensor: Tensor) -> Tensor:
    import jax.numpy as jnp

    return from_array(jnp.zeros_like(tensor._value))


def leaves_for(inputs, create_graph: bool) -> tuple:
    """Inputs as graph leaves: kept connected under create_graph, else fresh leaves."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in inputs
    )


def check_requires_grad(tensors, kind: str) -> None:
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(_MISSING_TEXT["back"].format(i=i))
        if not t.requires_grad:
            raise RuntimeError(_REQUIRES_GRAD_TEXT[kind].format(i=i))


def grads(outputs, inputs, grad_outputs=None, create_graph=False) -> tuple:
    """Gradients of the outputs that require grad (None where an input is unreachable)."""
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return api.grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=True,
                       create_graph=create_graph, allow_unused=True)  # fmt: skip


def check_filled(results, stage: str, create_graph: bool) -> None:
    for i, g in enumerate(results):
        if g is None:
            raise RuntimeError(_MISSING_TEXT[stage].format(i=i))
        if create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(_CONSTANT_TEXT.format(what=what, i=i))


def _outputs(func, leaves, fn_name, as_tuple) -> tuple:
    _, outputs = as_tuple(func(*leaves), "outputs of the user-provided function", fn_name)
    check_requires_grad(outputs, "outputs")
    return outputs


def check_vjp(func, inputs, v, create_graph, as_tuple, validate_v) -> None:
    with _grad_mode.enable_grad():
        leaves = leaves_for(inputs, create_graph)
        raw = func(*leaves)
        is_tuple, outputs = as_tuple(raw, "outputs of the user-provided function", "vjp")
        check_requires_grad(outputs, "outputs")
        vs = None
        if v is not None:
            vs = tuple(t.detach() for t in as_tuple(v, "v", "vjp")[1])
            validate_v(vs, outputs, is_tuple)
        results = grads(outputs, leaves, vs, create_graph)
    check_filled(results, "back", create_graph)


def check_jvp(func, inputs, vs, create_graph, as_tuple) -> None:
    with _grad_mode.enable_grad():
        leaves = leaves_for(inputs, create_graph)
        outputs = _outputs(func, leaves, "jvp", as_tuple)
        grad_outputs = tuple(_zeros_like(out).requires_grad_(True) for out in outputs)
        grad_inputs = grads(outputs, leaves, grad_outputs, create_graph=True)
        check_requires_grad(grad_inputs, "grad_inputs")
        results = grads(grad_inputs, grad_outputs, tuple(t.detach() for t in vs), create_graph)
    check_filled(results, "back_trick", create_graph)


def check_jacobian(func, inputs, create_graph, vectorize, as_tuple) -> None:
    with _grad_mode.enable_grad():
        leaves = leaves_for(inputs, create_graph)
        outputs = _outputs(func, leaves, "jacobian", as_tuple)
        _check_not_vectorized(vectorize)
        _check_each_output(outputs, leaves, create_graph)


def _check_not_vectorized(vectorize: bool) -> None:
    if vectorize:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )


def _check_each_output(outputs, leaves, create_graph) -> None:
    """torch's per-output test in jacobian: every output must reach every input."""
    for i, out in enumerate(outputs):
        for k, g in enumerate(grads((out.sum(),), leaves, create_graph=create_graph)):
            if g is None:
                raise RuntimeError(
                    f"Output {i} of the user-provided function is independent of input {k}. "
                    "This is not allowed in strict mode."
                )
            if create_graph and not g.requires_grad:
                raise RuntimeError(_CONSTANT_TEXT.format(what="jacobian", i=i))


def _scalar_output(func, leaves, fn_name, as_tuple):
    raw = func(*leaves)
    is_tuple, outputs = as_tuple(raw, "outputs of the user-provided function", fn_name)
    check_requires_grad(outputs, "outputs")
    if is_tuple or not isinstance(raw, Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if raw.numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return raw


def check_hessian(func, inputs, create_graph, vectorize, as_tuple) -> None:
    with _grad_mode.enable_grad():
        leaves = leaves_for(inputs, create_graph)
        inner = leaves_for(leaves, True)
        out = _scalar_output(func, inner, "hessian", as_tuple).squeeze()
        jac = tuple(
            g if g is not None else _zeros_like(t)
            for g, t in zip(grads((out,), inner, create_graph=True), inner)
        )
        check_requires_grad(jac, "jacobian")
        _check_not_vectorized(vectorize)
        _check_each_output(jac, leaves, create_graph)


def check_vhp(func, inputs, vs, create_graph, as_tuple, fn_name) -> None:
    with _grad_mode.enable_grad():
        leaves = leaves_for(inputs, create_graph)
        out = _scalar_output(func, leaves, fn_name, as_tuple)
        jac = grads((out,), leaves, create_graph=True)
        check_requires_grad(jac, "jacobian")
        vs = tuple(t.detach() for t in vs)
        if fn_name == "vhp":
            results = grads(jac, leaves, vs, create_graph)
            stage = "double_back"
        else:
            grad_jac = tuple(_zeros_like(t).requires_grad_(True) for t in leaves)
            double_back = grads(jac, leaves, grad_jac, create_graph=True)
            check_requires_grad(jac, "hessian")
            results = grads(double_back, grad_jac, vs, create_graph)
            stage = "double_back_trick"
    check_filled(results, stage, create_graph)
