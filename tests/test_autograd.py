"""Autograd engine facts that need no torch: known derivatives, torch's documented names and
messages, accumulation, hooks, grad modes, custom Functions and functional transforms."""

from __future__ import annotations

import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike as torch
from torchlike._autograd import engine

SECOND_TIME = "Trying to backward through the graph a second time"


def names(node):
    """grad_fn class names down the first input of each node."""
    out = []
    while node is not None:
        out.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    return out


def close(tensor, expected):
    np.testing.assert_allclose(np.asarray(tensor.detach().tolist()), expected, rtol=1e-6)


# ----- derivatives -----------------------------------------------------------------------------
def test_chain_rule_values():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    y.backward()
    xs = np.array([0.5, -1.0, 2.0])
    close(x.grad, (np.cos(xs) + np.sin(xs)) * np.exp(xs))


def test_higher_order_derivatives_of_cube():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    close(g, [3.0, 12.0, 27.0])
    close(g2, [6.0, 12.0, 18.0])
    close(g3, [6.0, 6.0, 6.0])
    assert type(g.grad_fn).__name__ == "MulBackward0"


def test_gradient_of_linear_function_is_constant():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * 2).sum(), x, create_graph=True)
    assert not g.requires_grad and g.grad_fn is None
    (h,) = torch.autograd.grad((x + x * x).sum(), x, create_graph=True)
    assert h.requires_grad


def test_complex_gradient_is_conjugate_wirtinger():
    # torch's convention for a real loss L of complex z: grad = conj(dL/dz), |s|' = s/|s|.
    x = torch.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    (x * (2 + 1j)).sum().abs().backward()
    s = (1 + 2j + 3 - 1j) * (2 + 1j)
    expected = np.conj(2 + 1j) * s / abs(s)
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), [expected, expected], rtol=1e-6)


# ----- graph structure -------------------------------------------------------------------------
def test_grad_fn_chain_names():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x * 2 + 1).exp().sum(1).mean()
    assert names(y.grad_fn) == ["MeanBackward0", "SumBackward1", "ExpBackward0", "AddBackward0",
                                "MulBackward0", "AccumulateGrad"]  # fmt: skip
    assert y.grad_fn.next_functions[0][0].next_functions[0][1] == 0
    mul = y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert mul.next_functions[1] == (None, 0)


def test_index_tensors_are_not_graph_inputs():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert len(x[[0, 2]].grad_fn.next_functions) == 1
    assert len(x[x > 1].grad_fn.next_functions) == 1
    assert len((x + torch.tensor([1, 2, 3])).grad_fn.next_functions) == 2


def test_integer_results_have_no_grad_fn():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.long().grad_fn is None and not (x > 0).requires_grad


# ----- backward --------------------------------------------------------------------------------
def test_backward_twice_only_where_saved_values_were_freed():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()  # AddBackward0 and SumBackward0 save nothing
    close(x.grad, [2.0, 2.0])
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        z.backward()


def test_retain_graph_allows_second_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    close(x.grad, [4.0, 8.0])


def test_backward_errors():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        torch.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\]"):
        (x * 2).backward(torch.ones(3))
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be"):
        (x * 2).sum().backward(inputs=[])


def test_grad_accumulates_into_the_same_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first
    close(first, [5.0, 5.0])


def test_backward_inputs_fills_only_those():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    close(x.grad, [3.0, 4.0])
    assert w.grad is None


def test_non_leaf_grad_warns():
    y = torch.tensor([1.0], requires_grad=True) * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None


def test_version_error_message():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert str(info.value) == (
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]], which is output 0 of Sigmoid, is at version 1; "
        "expected version 0 instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False)."
    )


def test_inplace_after_op_that_saves_nothing_is_fine():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.sum().backward()
    close(x.grad, [2.0, 2.0])


def test_backward_kernels_are_cached():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x.sin() * 3).sum().backward()
    before = engine.stats["kernel_compiles"]
    for _ in range(3):
        (x.sin() * 3).sum().backward()
    assert engine.stats["kernel_compiles"] == before


# ----- autograd.grad ---------------------------------------------------------------------------
def test_grad_allow_unused_and_materialize():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    gx, gw = torch.autograd.grad(y, [x, w], allow_unused=True, retain_graph=True)
    assert gw is None
    _, zeros = torch.autograd.grad(y, [x, w], materialize_grads=True)
    close(zeros, [0.0, 0.0])
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears"):
        torch.autograd.grad((x * 2).sum(), [x, w])


def test_grad_does_not_touch_leaf_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x)
    close(g, [2.0, 4.0])
    assert x.grad is None


def test_grads_batched():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (jac,) = torch.autograd.grad(x * x, x, torch.eye(3), is_grads_batched=True)
    close(jac, np.diag([2.0, 4.0, 6.0]))


# ----- hooks -----------------------------------------------------------------------------------
def test_tensor_hooks_modify_gradients():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    close(x.grad, [60.0, 60.0])  # (1 + 1) * 3, then * 10


def test_retain_grad_sees_hooked_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    close(y.grad, [2.0, 2.0])


def test_node_hooks_and_handles():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    pre = y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    post = y.grad_fn.register_hook(lambda gi, go: seen.append(gi[0].tolist()))
    y.sum().backward(retain_graph=True)
    close(x.grad, [6.0, 6.0])
    assert seen == [[6.0, 6.0]]
    pre.remove()
    post.remove()
    x.grad = None
    y.sum().backward()
    close(x.grad, [3.0, 3.0])


def test_hook_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        torch.tensor([1.0]).register_hook(lambda g: g)


# ----- grad modes ------------------------------------------------------------------------------
def test_grad_mode_managers_and_decorators():
    x = torch.tensor([1.0], requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad
        with torch.enable_grad():
            assert (x * 2).requires_grad

    @torch.no_grad()
    def f(v):
        return v * 2

    @torch.set_grad_enabled(False)
    def g(v):
        return v * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert torch.is_grad_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        with torch.inference_mode(False):
            assert torch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = []
    with torch.no_grad():
        worker = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


# ----- custom Function -------------------------------------------------------------------------
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


def test_custom_function_name_and_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    close(g, [3.0, 12.0])
    (g2,) = torch.autograd.grad(g.sum(), x)
    close(g2, [6.0, 12.0])


def test_custom_function_saved_tensors_are_freed():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward()


# ----- functional ------------------------------------------------------------------------------
def test_functional_values():
    f = torch.autograd.functional
    x = torch.tensor([1.0, 2.0])
    close(f.jacobian(lambda a: a**2, x), [[2.0, 0.0], [0.0, 4.0]])
    close(f.hessian(lambda a: (a**3).sum(), x), [[6.0, 0.0], [0.0, 12.0]])
    out, vjp = f.vjp(lambda a: a**2, x, torch.ones(2))
    close(vjp, [2.0, 4.0])
    _, hvp = f.hvp(lambda a: (a**3).sum(), x, torch.ones(2))
    close(hvp, [6.0, 12.0])


def test_functional_follows_python_control_flow():
    def f(x):
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        return y

    x = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    out, g = torch.autograd.functional.vjp(f, x, torch.tensor([0.1, 1.0, 0.0001]))
    close(out, [409.6, 819.2, 1228.8])
    close(g, [409.6, 4096.0, 0.4096])


def test_functional_strict_detects_independence():
    with pytest.raises(RuntimeError, match="independent of input 1"):
        torch.autograd.functional.vjp(lambda a, b: a * 2, (torch.ones(2), torch.ones(2)),
                                      torch.ones(2), strict=True)  # fmt: skip


def test_item_reads_concrete_values_inside_jax_transforms():
    def f(array):
        tensor = torch._tensor.from_array(array)
        return (tensor * 2)._value if tensor.sum().item() > 0 else tensor._value

    _, pullback = jax.vjp(f, jnp.ones(2))
    np.testing.assert_allclose(pullback(jnp.ones(2))[0], [2.0, 2.0])
    with pytest.raises(RuntimeError, match="item\\(\\) needs a concrete value"):
        jax.jit(f)(jnp.ones(2))
