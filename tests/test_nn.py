"""torchlike.nn on its own: registration, traversal, state dicts, hooks, containers, losses."""

from __future__ import annotations

import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import torchlike as tl
from torchlike import nn
from torchlike.nn import functional as F


class Net(nn.Module):
    """Two parameters, a buffer, a non-persistent buffer and a child, all set in __init__."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tl.tensor([2.0, 3.0]))
        self.shift = nn.Parameter(tl.tensor(1.0))
        self.register_buffer("count", tl.zeros(1))
        self.register_buffer("scratch", tl.zeros(2), persistent=False)
        self.child = nn.Identity()

    def forward(self, x):
        return self.child(x * self.scale + self.shift)


def values(t):
    return t.detach().numpy().tolist()


# ----- Parameter -------------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(tl.ones(2))
    assert isinstance(p, tl.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert not nn.Parameter(tl.ones(2), requires_grad=False).requires_grad


def test_parameter_shares_storage_with_its_data():
    source = tl.tensor([1.0, 2.0])
    p = nn.Parameter(source)
    with tl.no_grad():
        p.mul_(3)
    assert values(source) == [3.0, 6.0]


def test_parameter_repr_and_results_of_ops():
    p = nn.Parameter(tl.tensor([1.0, -2.0]))
    assert repr(p) == "Parameter containing:\ntensor([ 1., -2.], requires_grad=True)"
    assert str(p) == repr(p)
    assert type(p * 2) is tl.Tensor and type(p.detach()) is tl.Tensor
    assert type(p.data) is tl.Tensor


def test_parameter_copies_are_independent_parameters():
    p = nn.Parameter(tl.tensor([1.0, 2.0]))
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(clone) is nn.Parameter and clone.requires_grad
        with tl.no_grad():
            clone.zero_()
        assert values(p) == [1.0, 2.0]


def test_integer_parameter_must_not_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        nn.Parameter(tl.tensor([1, 2]))
    assert nn.Parameter(tl.tensor([1, 2]), requires_grad=False).dtype == tl.int64


# ----- registration ----------------------------------------------------------------------------
def test_setattr_registers_parameters_buffers_and_children():
    net = Net()
    assert list(net._parameters) == ["scale", "shift"]
    assert list(net._buffers) == ["count", "scratch"]
    assert list(net._modules) == ["child"]
    assert net.scale is net._parameters["scale"]
    assert "scale" not in net.__dict__


def test_reassigning_a_name_moves_it_between_stores():
    net = Net()
    net.count = nn.Parameter(tl.ones(1))  # a buffer name given a Parameter becomes a parameter
    assert "count" in net._parameters and "count" not in net._buffers
    net.shift = None
    assert net._parameters["shift"] is None and net.shift is None
    net.child = nn.ReLU()
    assert isinstance(net._modules["child"], nn.ReLU)
    del net.scale
    assert "scale" not in net._parameters
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'scale'"):
        _ = net.scale


def test_assigning_before_init_is_an_error():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tl.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__"):
        Early()


def test_register_parameter_rejects_plain_tensors():
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' object to parameter"):
        Net().register_parameter("w", tl.ones(1))


# ----- traversal -------------------------------------------------------------------------------
def test_named_parameters_prefix_recurse_and_duplicates():
    shared = Net()
    outer = nn.Sequential(OrderedDict([("a", shared), ("b", shared), ("c", Net())]))
    assert [n for n, _ in outer.named_parameters()] == ["a.scale", "a.shift", "c.scale", "c.shift"]
    assert [n for n, _ in outer.named_parameters(remove_duplicate=False)] == [
        "a.scale",
        "a.shift",
        "b.scale",
        "b.shift",
        "c.scale",
        "c.shift",
    ]
    assert [n for n, _ in outer.named_parameters(prefix="m")][0] == "m.a.scale"
    assert list(outer.named_parameters(recurse=False)) == []
    assert [n for n, _ in outer.named_modules()] == ["", "a", "a.child", "c", "c.child"]
    assert [n for n, _ in outer.named_children()] == ["a", "c"]
    assert [n for n, _ in outer.named_buffers()] == ["a.count", "a.scratch", "c.count", "c.scratch"]
    assert len(list(outer.modules())) == 5 and len(list(outer.children())) == 2


def test_train_eval_apply_and_requires_grad_reach_every_submodule():
    outer = nn.Sequential(Net(), nn.Sequential(Net()))
    outer.eval()
    assert not any(m.training for m in outer.modules())
    outer.train()
    assert all(m.training for m in outer.modules())
    visited = []
    outer.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Identity", "Net", "Identity", "Net", "Sequential", "Sequential"]
    outer.requires_grad_(False)
    assert not any(p.requires_grad for p in outer.parameters())


def test_dir_lists_members_but_not_numbered_children():
    seq = nn.Sequential(Net())
    assert "scale" in dir(seq[0]) and "count" in dir(seq[0]) and "child" in dir(seq[0])
    assert "0" not in dir(seq)


# ----- state dicts -----------------------------------------------------------------------------
def test_state_dict_holds_detached_aliases_of_persistent_state():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "shift", "count"]
    assert not state["scale"].requires_grad and type(state["scale"]) is tl.Tensor
    with tl.no_grad():
        net.scale.add_(1)
    assert values(state["scale"]) == [3.0, 4.0]  # same storage as the parameter
    assert net.state_dict(keep_vars=True)["scale"] is net.scale
    assert list(net.state_dict(prefix="net.")) == ["net.scale", "net.shift", "net.count"]
    assert dict(state._metadata) == {"": {"version": 1}, "child": {"version": 1}}


def test_load_state_dict_round_trip_copies_in_place():
    source, target = Net(), Net()
    with tl.no_grad():
        source.scale.fill_(7.0)
    scale_before = target.scale
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert target.scale is scale_before and values(target.scale) == [7.0, 7.0]
    with tl.no_grad():
        source.scale.fill_(0.0)
    assert values(target.scale) == [7.0, 7.0]


def test_load_state_dict_reports_missing_and_unexpected_keys():
    net = Net()
    state = {"scale": tl.ones(2), "extra": tl.ones(1), "child.x": tl.ones(1)}
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["shift", "count"]
    assert result.unexpected_keys == ["extra", "child.x"]
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    assert str(error.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "shift", "count". \n'
        '\tUnexpected key(s) in state_dict: "extra", "child.x". '
    )


def test_load_state_dict_reports_shape_mismatch():
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for scale: copying a param with shape "
        r"torch.Size\(\[3\]\) from checkpoint",
    ):
        Net().load_state_dict({"scale": tl.ones(3), "shift": tl.ones(()), "count": tl.ones(1)})


def test_load_state_dict_assign_replaces_parameters():
    net = Net()
    net.load_state_dict(
        {"scale": tl.ones(2), "shift": tl.ones(()), "count": tl.ones(1)}, assign=True
    )
    assert isinstance(net.scale, nn.Parameter) and net.scale.requires_grad


# ----- calling and hooks -----------------------------------------------------------------------
def test_forward_pre_hook_and_forward_hook_rewrite_inputs_and_outputs():
    net = nn.Identity()
    calls = []
    pre = net.register_forward_pre_hook(lambda m, args: args[0] + 1)  # non-tuple gets wrapped
    post = net.register_forward_hook(lambda m, args, out: out * 10)
    net.register_forward_hook(lambda m, args, out: calls.append("first"), prepend=True)
    assert values(net(tl.tensor([1.0]))) == [20.0]
    assert calls == ["first"]
    pre.remove()
    post.remove()
    assert values(net(tl.tensor([1.0]))) == [1.0]


def test_hooks_with_kwargs_and_handle_as_context_manager():
    class Scale(nn.Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    net = Scale()
    with net.register_forward_pre_hook(lambda m, a, kw: (a, {"factor": 3.0}), with_kwargs=True):
        with net.register_forward_hook(lambda m, a, kw, out: out + kw["factor"], with_kwargs=True):
            assert values(net(tl.tensor([1.0]))) == [6.0]
    assert values(net(tl.tensor([1.0]))) == [1.0]
    assert not net._forward_pre_hooks_with_kwargs and not net._forward_hooks_with_kwargs


def test_always_call_hook_runs_when_forward_raises():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    net = Broken()
    net.register_forward_hook(lambda m, a, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        net(1)
    assert seen == [None]


def test_bad_pre_hook_with_kwargs_result_is_reported():
    net = nn.Identity()
    net.register_forward_pre_hook(lambda m, a, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        net(1)


# ----- gradients and conversions ---------------------------------------------------------------
def test_zero_grad_sets_none_or_zeros_in_place():
    net = Net()
    net(tl.ones(2)).sum().backward()
    grad = net.scale.grad
    net.zero_grad(set_to_none=False)
    assert net.scale.grad is grad and values(grad) == [0.0, 0.0]
    net.zero_grad()
    assert net.scale.grad is None and net.shift.grad is None


def test_to_double_keeps_parameter_objects_and_converts_grads_and_buffers():
    net = Net()
    net(tl.ones(2)).sum().backward()
    ids = [id(p) for p in net.parameters()]
    assert net.to(tl.float64) is net
    assert [id(p) for p in net.parameters()] == ids
    assert net.scale.dtype == tl.float64 and net.scale.grad.dtype == tl.float64
    assert net.count.dtype == tl.float64 and net.scale.requires_grad
    net.float()
    assert net.scale.dtype == tl.float32
    net.to(tl.zeros(1, dtype=tl.float16))
    assert net.shift.dtype == tl.float16


# ----- layers ----------------------------------------------------------------------------------
def test_linear_forward_with_known_weights():
    layer = nn.Linear(3, 2)
    nn.init.constant_(layer.weight, 0.5)
    nn.init.zeros_(layer.bias)
    out = layer(tl.tensor([[1.0, 2.0, 3.0]]))
    assert values(out) == [[3.0, 3.0]]
    assert type(out.grad_fn).__name__ == "AddmmBackward0"
    assert nn.Linear(3, 2, bias=False).bias is None
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=True)"


def test_linear_default_init_stays_within_torchs_bounds():
    layer = nn.Linear(50, 20)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) and the bias share this bound
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    assert layer.weight.detach().numpy().std() > bound / 4


def test_linear_rejects_wrong_input_width():
    with pytest.raises(
        RuntimeError,
        match=r"mat1 and mat2 shapes cannot be multiplied "
        r"\(16x999 and 1000x100\)",
    ):
        nn.Linear(1000, 100)(tl.ones(16, 999))


def test_activation_modules():
    x = tl.tensor([[-1.0, 0.0, 2.0]])
    assert values(nn.ReLU()(x)) == [[0.0, 0.0, 2.0]]
    np.testing.assert_allclose(
        values(nn.Sigmoid()(x)), [[1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-2))]], rtol=1e-6
    )
    np.testing.assert_allclose(
        values(nn.Tanh()(x)), [[math.tanh(-1), 0.0, math.tanh(2)]], rtol=1e-6
    )
    np.testing.assert_allclose(values(nn.Softmax(dim=1)(x).sum(1)), [1.0], rtol=1e-6)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


# ----- containers ------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    relu, tanh, sigmoid = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(relu, tanh, sigmoid)
    assert len(seq) == 3 and seq[0] is relu and seq[-1] is sigmoid
    assert isinstance(seq[1:], nn.Sequential) and list(seq[1:]._modules) == ["1", "2"]
    seq.append(nn.Identity())
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2"] and seq[0] is tanh
    seq.insert(0, relu)
    assert list(seq) == [relu, tanh, sigmoid, seq[3]]
    assert seq.pop(1) is tanh and len(seq) == 3
    named = nn.Sequential(OrderedDict([("same", nn.Identity()), ("act", nn.ReLU())]))
    assert values(named(tl.tensor([-1.0, 2.0]))) == [0.0, 2.0]
    assert named.act is named[1]


def test_module_list_and_module_dict():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers.append(nn.Sigmoid())
    layers.extend([nn.Identity()])
    layers.insert(1, nn.ReLU())
    assert [type(m).__name__ for m in layers] == ["ReLU", "ReLU", "Tanh", "Sigmoid", "Identity"]
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert len(list(nn.Sequential(layers).parameters())) == 0
    heads = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
    heads.update({"c": nn.Identity()})
    assert list(heads) == ["b", "a", "c"] and "a" in heads
    assert isinstance(heads.pop("a"), nn.Tanh) and list(heads.keys()) == ["b", "c"]
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        heads.update([("x",)])


def test_module_list_repr_compresses_repeats():
    layers = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])
    assert repr(layers) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)"


def test_nested_repr_indents_children():
    model = nn.Sequential(nn.Sequential(nn.ReLU()), nn.MSELoss())
    assert repr(model) == (
        "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n  (1): MSELoss()\n)"
    )


# ----- functional and losses -------------------------------------------------------------------
def test_losses_on_known_values():
    x, y = tl.tensor([1.0, 2.0, 4.0]), tl.tensor([0.0, 2.0, 1.0])
    assert F.mse_loss(x, y).item() == pytest.approx(10 / 3)
    assert nn.MSELoss(reduction="sum")(x, y).item() == 10.0
    assert values(F.l1_loss(x, y, reduction="none")) == [1.0, 0.0, 3.0]
    assert nn.L1Loss()(x, y).item() == pytest.approx(4 / 3)
    logits = tl.zeros(2, 5)
    assert F.cross_entropy(logits, tl.tensor([1, 3])).item() == pytest.approx(math.log(5))


def test_nll_loss_weights_and_ignore_index():
    log_probs = tl.tensor([[-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0]])
    target = tl.tensor([0, 1, 1])
    weight = tl.tensor([1.0, 3.0])
    # weighted mean: (1*1 + 3*4 + 3*6) / (1 + 3 + 3)
    assert F.nll_loss(log_probs, target, weight=weight).item() == pytest.approx(31 / 7)
    assert values(nn.NLLLoss(reduction="none", ignore_index=1)(log_probs, target)) == [
        1.0,
        0.0,
        0.0,
    ]
    assert nn.NLLLoss(weight=weight).state_dict()["weight"] is not None


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = tl.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    loss = F.cross_entropy(logits, tl.tensor([1]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    loss.backward()
    expected = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum() - np.array([0, 1, 0])
    np.testing.assert_allclose(values(logits.grad)[0], expected, rtol=1e-6)


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="x is not a valid value for reduction"):
        F.mse_loss(tl.ones(2), tl.ones(2), reduction="x")


def test_legacy_reduction_flags_warn():
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"


# ----- init ------------------------------------------------------------------------------------
def test_init_fills_and_fans():
    w = tl.empty(4, 3, 2, 2)
    assert nn.init._calculate_fan_in_and_fan_out(w) == (12, 16)
    assert values(nn.init.ones_(tl.empty(2))) == [1.0, 1.0]
    assert values(nn.init.zeros_(tl.empty(2))) == [0.0, 0.0]
    assert nn.init.calculate_gain("relu") == math.sqrt(2.0)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        nn.init.kaiming_normal_(tl.empty(0, 3))


def test_init_runs_without_recording_on_parameters():
    p = nn.Parameter(tl.empty(3, 4))
    nn.init.xavier_uniform_(p)
    bound = math.sqrt(6 / 7)
    assert p.is_leaf and p.grad_fn is None
    assert np.abs(p.detach().numpy()).max() <= bound
