"""torchlike.optim on its own: SGD's update rule, parameter groups, state dicts, errors."""

from __future__ import annotations

import pytest

import torchlike as tl
from torchlike import nn, optim


def param(*values):
    """A float64 parameter, so hand-computed expectations are exact to double rounding."""
    return nn.Parameter(tl.tensor(list(values), dtype=tl.float64))


def step_with(opt, params, *grads):
    for p, g in zip(params, grads):
        p.grad = tl.tensor(list(g), dtype=tl.float64)
    opt.step()


def as_list(t):
    return t.detach().numpy().tolist()


def test_plain_sgd_moves_against_the_gradient_in_place():
    p = param(1.0, -2.0)
    storage, ident = p.untyped_storage(), id(p)
    opt = optim.SGD([p], lr=0.5)
    step_with(opt, [p], (2.0, 4.0))
    assert as_list(p) == [0.0, -4.0]
    assert id(p) == ident and p.untyped_storage() is storage and p.is_leaf
    assert dict(opt.state) == {}  # no momentum, no state


def test_momentum_and_dampening_follow_torchs_recurrence():
    p = param(1.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    step_with(opt, [p], (1.0,))  # first step: buffer = grad (no dampening yet)
    assert as_list(p) == pytest.approx([0.9])
    step_with(opt, [p], (2.0,))  # buffer = 0.9 * 1 + 0.5 * 2 = 1.9
    assert as_list(opt.state[p]["momentum_buffer"]) == pytest.approx([1.9])
    assert as_list(p) == pytest.approx([0.9 - 0.19])


def test_nesterov_weight_decay_and_maximize():
    p = param(1.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True)
    step_with(opt, [p], (2.0,))
    # g = -2 + 0.1 * 1 = -1.9; buffer = -1.9; nesterov g = -1.9 + 0.5 * -1.9 = -2.85
    assert as_list(p) == pytest.approx([1.285])


def test_params_without_grad_are_left_alone():
    a, b = param(1.0), param(5.0)
    opt = optim.SGD([a, b], lr=1.0, momentum=0.9)
    step_with(opt, [a], (1.0,))
    assert as_list(b) == [5.0] and b not in opt.state


def test_closure_runs_with_grad_enabled():
    p = param(3.0)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and as_list(p) == [1.5]


def test_zero_grad_to_none_or_zeros():
    p = param(1.0, 2.0)
    opt = optim.SGD([p])
    p.grad = tl.ones(2, dtype=tl.float64)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and as_list(grad) == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_take_defaults_and_overrides():
    a, b = param(1.0), param(2.0)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["momentum"] == 0.9
    assert list(opt.param_groups[0]) == [
        "params",
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
        "foreach",
        "differentiable",
        "fused",
    ]


def test_state_dict_uses_integer_ids_and_round_trips():
    a, b = param(1.0), param(2.0, 3.0)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    step_with(opt, [a, b], (1.0,), (1.0, 2.0))
    saved = opt.state_dict()
    assert list(saved["state"]) == [0, 1]
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert as_list(saved["state"][1]["momentum_buffer"]) == [1.0, 2.0]

    c, d = param(1.0), param(2.0, 3.0)
    fresh = optim.SGD([{"params": [c]}, {"params": [d]}], lr=9.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.5 and fresh.param_groups[1]["params"] == [d]
    assert as_list(fresh.state[d]["momentum_buffer"]) == [1.0, 2.0]
    saved["param_groups"][0]["lr"] = 123.0  # the loaded groups are copies
    assert fresh.param_groups[0]["lr"] == 0.1


def test_repr_lists_each_group_sorted():
    opt = optim.SGD([param(1.0)], lr=0.01, momentum=0.9)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.01\n    maximize: False\n"
        "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)"
    )


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: optim.SGD([param(1.0)], lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda: optim.SGD([param(1.0)], momentum=-1), ValueError, "Invalid momentum value: -1"),
        (lambda: optim.SGD([param(1.0)], weight_decay=-2), ValueError,
         "Invalid weight_decay value: -2"),
        (lambda: optim.SGD([param(1.0)], nesterov=True), ValueError,
         "Nesterov momentum requires a momentum and zero dampening"),
        (lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
        (lambda: optim.SGD(param(1.0)), TypeError,
         "params argument given to the optimizer should be an iterable of Tensors or dicts, "
         "but got torch.DoubleTensor"),
        (lambda: optim.SGD([param(1.0) * 2]), ValueError, "can't optimize a non-leaf Tensor"),
        (lambda: optim.SGD(["x"]), TypeError,
         "optimizer can only optimize Tensors, but one of the params is str"),
    ],
)  # fmt: skip
def test_construction_errors(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == message


def test_a_parameter_may_not_be_in_two_groups():
    p = param(1.0)
    opt = optim.SGD([p])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        optim.Optimizer([param(1.0)], {}).step()


def test_training_loop_reduces_a_quadratic():
    tl.manual_seed(0)  # the initial weights decide how far 30 steps get
    layer = nn.Linear(2, 1)
    opt = optim.SGD(layer.parameters(), lr=0.1, momentum=0.5)
    x = tl.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = tl.tensor([[1.0], [0.0], [2.0]])
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = nn.MSELoss()(layer(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10
