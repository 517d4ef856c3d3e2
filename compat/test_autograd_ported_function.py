"""Ports of PyTorch's TestAutograd tests on custom autograd.Function and on grad modes.

Same harness as test_autograd_ported: each scenario runs in torch and torchlike and the
observable results (values, grads, grad_fn names, errors, warnings) must agree.
"""

from __future__ import annotations

from test_autograd_ported import data, make_port

port = make_port(globals())


def graph_desc(node):
    """torch's test helper: a node's class name with its next_functions, recursively."""
    if node is None:
        return "None"
    inner = ", ".join(graph_desc(child) for child, _ in node.next_functions)
    return f"{type(node).__name__}({inner})"


def _scalar_mix_function(t, once: bool):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, tensor1, pyscalar, tensor2):
            ctx.pyscalar = pyscalar
            ctx.save_for_backward(tensor1, tensor2)
            return tensor1 + pyscalar * tensor2 + tensor1 * tensor2

        @staticmethod
        def backward(ctx, grad_output):
            var1, var2 = ctx.saved_tensors
            ctx.seen = (type(var1).__name__, t.is_grad_enabled())
            return (grad_output + grad_output * var2, None,
                    grad_output * ctx.pyscalar + grad_output * var1)  # fmt: skip

    if once:
        MyFunction.backward = staticmethod(t.autograd.function.once_differentiable(
            MyFunction.backward))  # fmt: skip
    return MyFunction


def _function_test(t, cls):
    x = data(t, 5, 5, requires_grad=True)
    y = data(t, 5, 5, seed=1, requires_grad=True)
    result = cls.apply(x, 2, y)
    go = t.ones((), requires_grad=True)
    result.sum().backward(go, create_graph=True)
    return x, y, result


@port
def function__port_of_TestAutograd_test_function(t):
    x, y, result = _function_test(t, _scalar_mix_function(t, once=False))
    return x.grad.detach(), y.grad.detach(), x.grad.grad_fn is not None, result.grad_fn.name()


@port(
    xfail="with create_graph=True torch stores a fresh .grad as CopyBackwards; "
    "torchlike/_autograd/engine.py keeps the producing node's grad_fn"
)
def function_graph_desc__port_of_TestAutograd_test_function(t):
    x, y, _ = _function_test(t, _scalar_mix_function(t, once=False))
    return graph_desc(x.grad.grad_fn), graph_desc(y.grad.grad_fn)


@port
def once_differentiable__port_of_TestAutograd_test_once_differentiable(t):
    x, y, result = _function_test(t, _scalar_mix_function(t, once=True))
    return x.grad.detach(), y.grad.detach(), x.grad.requires_grad


@port(
    xfail="with create_graph=True torch stores a fresh .grad as CopyBackwards; "
    "torchlike/_autograd/engine.py keeps the producing node's grad_fn"
)
def once_differentiable_graph_desc__port_of_TestAutograd_test_once_differentiable(t):
    x, y, _ = _function_test(t, _scalar_mix_function(t, once=True))
    return graph_desc(x.grad.grad_fn), graph_desc(y.grad.grad_fn)


@port
def function_returns_input__port_of_TestAutograd_test_function_returns_input(t):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    grads = []
    for shape in [(1,), ()]:
        v = t.ones(shape, requires_grad=True)
        MyFunction.apply(v).backward()
        grads.append(v.grad.clone())
        with t.no_grad():
            v.grad.zero_()
        MyFunction.apply(v.clone()).backward()
        grads.append(v.grad)
    return grads


@port(
    xfail="a node whose incoming gradients are all None still runs (with zeros) and fills "
    ".grad; torch skips it (torchlike/_autograd/engine.py _backward/_run_node)"
)
def function_returns_undefined_tensor__port_of_TestAutograd_test_function_returns_undefined_tensor(
    t,
):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    x = t.ones(1, requires_grad=True)
    MyFunction.apply(x).backward()
    seen = [x.grad]
    MyFunction.apply(x**2).backward()
    seen.append(x.grad)
    MyFunction.apply(x).sum().backward()
    seen.append(x.grad)
    seen.append(t.autograd.grad(MyFunction.apply(x), x, allow_unused=True)[0])
    return seen


def _two_outputs(t, materialize: bool, seen: list):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g0, g1):
            seen.append(g1 if g1 is None else g1.tolist())
            return g0

    return MyFunction


@port
def materialize_grads__port_of_TestAutograd_test_materialize_grads(t):
    # torch's test feeds an undefined gradient through UndefinedGrad; an unused output does too
    seen = []
    x = t.ones(1, requires_grad=True)
    _two_outputs(t, True, seen).apply(x)[0].backward()
    return seen, x.grad


@port
def dont_materialize_grads__port_of_TestAutograd_test_dont_materialize_grads(t):
    seen = []
    x = t.ones(1, requires_grad=True)
    _two_outputs(t, False, seen).apply(x)[0].backward()
    return seen, x.grad


@port
def set_materialize_non_diff_grads__port_of_TestAutograd_test_set_materialize_non_diff_grads(t):
    seen = []

    class Func(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out0, out1 = x.clone(), x.clone()
            ctx.mark_non_differentiable(out1)
            ctx._materialize_non_diff_grads = False
            return out0, out1

        @staticmethod
        def backward(ctx, g0, g1):
            seen.append(g1)
            return g0

    a = t.tensor(1.0, requires_grad=True)
    Func.apply(a)[0].backward()
    return seen, a.grad


@port
def custom_function_exception__port_of_TestAutograd_test_custom_function_exception(t):
    class SimulateBackwardError(t.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.clone()

        @staticmethod
        @t.autograd.function.once_differentiable
        def backward(ctx, inp):
            raise Exception("Simulate error on backward pass")  # noqa: TRY002

    t1 = data(t, 3, 3, requires_grad=True)
    t2 = data(t, 3, 3, seed=1, requires_grad=True)
    tmp = (t1 + t2) * (t1 + t2)
    t3 = SimulateBackwardError.apply(tmp)
    t3.sum().backward()


def _non_tensor_outputs(t):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, t1, t2, scale, t3):
            t4 = t1 + t2 * t3
            t5 = t1 * t2 + t3
            t4 *= scale
            t5 *= scale
            ctx.scale = scale
            ctx.save_for_backward(t1, t2, t3)
            return scale, t4, None, True, t5, "bar", t1

        @staticmethod
        @t.autograd.function.once_differentiable
        def backward(ctx, *grads):
            ctx.none_grads = [g is None for g in grads]
            scale = ctx.scale
            var1, var2, var3 = ctx.saved_tensors
            return (
                grads[1] * scale + grads[4] * var2 * scale + grads[6],
                grads[1] * var3 * scale + grads[4] * var1 * scale,
                None,
                grads[1] * var2 * scale + grads[4] * scale,
            )

    return MyFunction


@port
def custom_function_non_tensor_inputs_outputs__port_of_TestAutograd_test_custom_function_non_tensor_inputs_outputs(  # noqa: E501
    t,
):
    t1 = data(t, 10, dtype=t.double, requires_grad=True)
    t2 = data(t, 10, seed=1, dtype=t.double, requires_grad=True)
    t3 = data(t, 10, seed=2, dtype=t.double)
    res = _non_tensor_outputs(t).apply(t1, t2, 7, t3)
    t.autograd.backward([res[1].sum(), res[4].sum(), res[6].sum()])
    return res, t1.grad, t2.grad, t3.grad


@port
def custom_function_no_tensors__port_of_TestAutograd_test_custom_function_no_tensors(t):
    return _non_tensor_outputs(t).apply(0.25, 0.5, 3, 0.75)


@port
def custom_function_save_non_tensor__port_of_TestAutograd_test_custom_function_non_tensor_inputs_outputs(  # noqa: E501
    t,
):
    # saving the Python scalars is only an error once a graph is recorded
    _non_tensor_outputs(t).apply(0.25, t.ones(2, requires_grad=True), 3, 0.75)


@port
def invalid_gradients__port_of_TestAutograd_test_invalid_gradients(t):
    class MyFunction(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return t.zeros(10, dtype=t.float)

    inp = data(t, 5, 5, requires_grad=True)
    MyFunction.apply(inp).sum().backward()


@port
def save_none_for_backward__port_of_TestAutograd_test_save_none_for_backward(t):
    seen = []

    class MyFn(t.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            ctx.save_for_backward(None, inp, None)
            return inp * inp

        @staticmethod
        def backward(ctx, grad_output):
            n1, inp, n2 = ctx.saved_tensors
            seen.append((n1, n2))
            return 2 * inp * grad_output

    x = data(t, 5, 5, requires_grad=True)
    MyFn.apply(x).sum().backward()
    return seen, x.grad


@port
def too_many_grads__port_of_TestAutograd_test_too_many_grads(t):
    class MyFn(t.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None, None

    x = data(t, 5, 5, requires_grad=True)
    MyFn.apply(x).sum().backward()
    return x.grad


def _square_setup_context(t):
    class MySquare(t.autograd.Function):
        @staticmethod
        def forward(x):
            return x**2

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    return MySquare


@port
def custom_function_setup_context_simple__port_of_TestAutograd_test_custom_function_setup_context_simple(  # noqa: E501
    t,
):
    x = t.tensor(0.75, requires_grad=True)
    y = _square_setup_context(t).apply(x)
    return y, t.autograd.grad(y, x)


@port
def custom_function_setup_context_multi_output__port_of_TestAutograd_test_custom_function_setup_context_multi_output(  # noqa: E501
    t,
):
    class MySquare(t.autograd.Function):
        @staticmethod
        def forward(x):
            return x**2, x.item() * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.two_x = output[1]

        @staticmethod
        @t.autograd.function.once_differentiable
        def backward(ctx, g, _):
            return g * ctx.two_x

    x = t.tensor(0.75, requires_grad=True)
    y, two_x = MySquare.apply(x)
    return y, two_x, t.autograd.grad(y, x)


@port
def custom_function_setup_context_multi_input__port_of_TestAutograd_test_custom_function_setup_context_multi_input(  # noqa: E501
    t,
):
    class MyReshape(t.autograd.Function):
        @staticmethod
        def forward(x, shape, scale_forward, scale_backward):
            return x.reshape(shape) * scale_forward

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, _, _, scale_backward = inputs
            ctx.scale_backward = scale_backward
            ctx.x_shape = x.shape

        @staticmethod
        def backward(ctx, g):
            return g.reshape(ctx.x_shape) * ctx.scale_backward, None, None, None

    results = []
    for x, shape, fwd, bwd in ((data(t, 24, requires_grad=True), (3, 8), 7, 11),
                               (data(t, 2, 3, 4, requires_grad=True), (6, 4), -1, 2)):  # fmt: skip
        y = MyReshape.apply(x, shape, fwd, bwd).sum()
        results.append((y, t.autograd.grad(y, x)))
    return results


@port
def custom_function_vmap_defaults__port_of_TestAutograd_test_custom_function_vmap_defaults(t):
    cls = _square_setup_context(t)
    cls.vmap(None, None, None)


@port
def custom_function_vmap_flag__port_of_TestAutograd_test_custom_function_vmap_defaults(t):
    cls = _square_setup_context(t)
    return cls.generate_vmap_rule, hasattr(cls, "vmap")
