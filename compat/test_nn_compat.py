"""torchlike.nn against torch.nn: same values, gradients, grad_fn names, reprs and errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import torchlike as tl

RNG = np.random.default_rng(0)


def to_tl(t: torch.Tensor) -> tl.Tensor:
    return tl.tensor(t.detach().numpy())


def assert_close(ours, theirs, rtol=1e-6):
    """Elementwise rtol, with elements near zero judged against the tensor's largest magnitude.

    XLA and oneDNN sum matrix products in different orders, so an element that cancels to
    nearly zero can differ in relative terms while agreeing to rtol at the tensor's scale.
    """
    expected = theirs.detach().numpy()
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=rtol * scale)


def twin(build):
    """The same module built in torch and in torchlike, with torch's weights copied over."""
    torch.manual_seed(0)
    theirs = build(torch)
    ours = build(tl)
    ours.load_state_dict({k: to_tl(v) for k, v in theirs.state_dict().items()})
    return ours, theirs


def tiny_model(ns):
    """The seed tutorial's TinyModel, written against namespace `ns` (torch or torchlike)."""

    class TinyModel(ns.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = ns.nn.Linear(1000, 100)
            self.relu = ns.nn.ReLU()
            self.layer2 = ns.nn.Linear(100, 10)

        def forward(self, x):
            return self.layer2(self.relu(self.layer1(x)))

    return TinyModel()


# ----- default initialisation ------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 2), (1000, 100), (100, 10), (7, 1)])
def test_linear_default_init_is_bit_identical_after_manual_seed(shape):
    torch.manual_seed(0)
    theirs = torch.nn.Linear(*shape)
    tl.manual_seed(0)
    ours = tl.nn.Linear(*shape)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())


def test_tiny_model_init_and_inputs_match_torch_after_manual_seed():
    torch.manual_seed(0)
    theirs, their_input = tiny_model(torch), torch.randn(16, 1000)
    tl.manual_seed(0)
    ours, our_input = tiny_model(tl), tl.randn(16, 1000)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
    np.testing.assert_array_equal(our_input.numpy(), their_input.numpy())


@pytest.mark.parametrize(
    "recipe",
    [
        lambda ns, w: ns.nn.init.kaiming_uniform_(w, a=0.1),
        lambda ns, w: ns.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
        lambda ns, w: ns.nn.init.xavier_uniform_(w, gain=2.0),
        lambda ns, w: ns.nn.init.xavier_normal_(w),
        lambda ns, w: ns.nn.init.uniform_(w, -0.5, 0.25),
        lambda ns, w: ns.nn.init.normal_(w, 1.0, 0.5),
        lambda ns, w: ns.nn.init.trunc_normal_(w, std=0.02),
        lambda ns, w: ns.nn.init.constant_(w, 0.3),
    ],
)
def test_init_recipes_are_bit_identical(recipe):
    torch.manual_seed(3)
    theirs = recipe(torch, torch.empty(30, 20))
    tl.manual_seed(3)
    ours = recipe(tl, tl.empty(30, 20))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "args", [("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)]
)
def test_calculate_gain(args):
    assert tl.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


# ----- training parity -------------------------------------------------------------------------
def test_tiny_model_sgd_five_steps_match_torch():
    ours, theirs = twin(tiny_model)
    x = RNG.standard_normal((16, 1000), dtype=np.float32)
    ideal = RNG.standard_normal((16, 10), dtype=np.float32)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.001)
    our_opt = tl.optim.SGD(ours.parameters(), lr=0.001)
    our_ids = [id(p) for p in ours.parameters()]
    for _ in range(5):
        their_loss = (torch.tensor(ideal) - theirs(torch.tensor(x))).pow(2).sum()
        our_loss = (tl.tensor(ideal) - ours(tl.tensor(x))).pow(2).sum()
        assert_close(our_loss, their_loss)
        their_opt.zero_grad()
        our_opt.zero_grad()
        their_loss.backward()
        our_loss.backward()
        for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
            # gradients accumulate the forward's rounding differences over five steps
            assert_close(ours_p.grad, theirs_p.grad, rtol=1e-5)
        their_opt.step()
        our_opt.step()
        for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
            assert_close(ours_p, theirs_p)
    assert [id(p) for p in ours.parameters()] == our_ids


def test_classifier_with_cross_entropy_trains_like_torch():
    def build(ns):
        return ns.nn.Sequential(ns.nn.Linear(8, 16), ns.nn.Tanh(), ns.nn.Linear(16, 4))

    ours, theirs = twin(build)
    x = RNG.standard_normal((12, 8), dtype=np.float32)
    labels = RNG.integers(0, 4, 12)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    our_opt = tl.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    for _ in range(4):
        their_loss = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(labels))
        our_loss = tl.nn.CrossEntropyLoss()(ours(tl.tensor(x)), tl.tensor(labels))
        assert type(our_loss.grad_fn).__name__ == type(their_loss.grad_fn).__name__
        assert_close(our_loss, their_loss)
        for opt, loss in ((their_opt, their_loss), (our_opt, our_loss)):
            opt.zero_grad()
            loss.backward()
            opt.step()
        for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
            assert_close(ours_p, theirs_p)


# ----- functional ----------------------------------------------------------------------------
def _floats(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _labels(high, *shape):
    return RNG.integers(0, high, shape)


FUNCTIONAL_CASES = {
    "relu": (lambda ns, x: ns.nn.functional.relu(x), [_floats(4, 5)]),
    "sigmoid": (lambda ns, x: ns.nn.functional.sigmoid(x), [_floats(4, 5)]),
    "tanh": (lambda ns, x: ns.nn.functional.tanh(x), [_floats(4, 5)]),
    "softmax_dim1": (lambda ns, x: ns.nn.functional.softmax(x, dim=1), [_floats(4, 5)]),
    "softmax_dim0": (lambda ns, x: ns.nn.functional.softmax(x, 0), [_floats(4, 5)]),
    "softmax_float64": (
        lambda ns, x: ns.nn.functional.softmax(x, -1, dtype=ns.float64),
        [_floats(4, 5)],
    ),
    "log_softmax": (lambda ns, x: ns.nn.functional.log_softmax(x, dim=1), [_floats(3, 4, 2)]),
    "softmax_module": (lambda ns, x: ns.nn.Softmax(dim=-1)(x), [_floats(4, 5)]),
    "linear_2d": (
        lambda ns, x, w, b: ns.nn.functional.linear(x, w, b),
        [_floats(4, 5), _floats(3, 5), _floats(3)],
    ),
    "linear_2d_no_bias": (
        lambda ns, x, w: ns.nn.functional.linear(x, w),
        [_floats(4, 5), _floats(3, 5)],
    ),
    "linear_3d": (
        lambda ns, x, w, b: ns.nn.functional.linear(x, w, b),
        [_floats(2, 4, 5), _floats(3, 5), _floats(3)],
    ),
    "linear_3d_no_bias": (
        lambda ns, x, w: ns.nn.functional.linear(x, w),
        [_floats(2, 4, 5), _floats(3, 5)],
    ),
    "linear_1d": (
        lambda ns, x, w, b: ns.nn.functional.linear(x, w, b),
        [_floats(5), _floats(3, 5), _floats(3)],
    ),
    "linear_1d_no_bias": (
        lambda ns, x, w: ns.nn.functional.linear(x, w),
        [_floats(5), _floats(3, 5)],
    ),
    "mse_mean": (lambda ns, x, y: ns.nn.functional.mse_loss(x, y), [_floats(5, 3), _floats(5, 3)]),
    "mse_sum": (
        lambda ns, x, y: ns.nn.MSELoss(reduction="sum")(x, y),
        [_floats(5, 3), _floats(5, 3)],
    ),
    "mse_none": (
        lambda ns, x, y: ns.nn.functional.mse_loss(x, y, reduction="none"),
        [_floats(5, 3), _floats(5, 3)],
    ),
    "mse_weight": (
        lambda ns, x, y, w: ns.nn.functional.mse_loss(x, y, weight=w.detach()),
        [_floats(5, 3), _floats(5, 3), np.abs(_floats(5, 3))],
    ),
    "l1_mean": (lambda ns, x, y: ns.nn.L1Loss()(x, y), [_floats(5, 3), _floats(5, 3)]),
    "l1_sum": (
        lambda ns, x, y: ns.nn.functional.l1_loss(x, y, reduction="sum"),
        [_floats(5, 3), _floats(5, 3)],
    ),
    "l1_none": (
        lambda ns, x, y: ns.nn.functional.l1_loss(x, y, reduction="none"),
        [_floats(5, 3), _floats(5, 3)],
    ),
    "cross_entropy": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(x, t),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_sum": (
        lambda ns, x, t: ns.nn.CrossEntropyLoss(reduction="sum")(x, t),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_none": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(x, t, reduction="none"),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_weight_ignore": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(
            x, t, weight=ns.tensor([0.5, 1.0, 2.0, 0.25]), ignore_index=2
        ),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_smoothing": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(x, t, label_smoothing=0.1),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_smoothing_weight": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(
            x, t, weight=ns.tensor([0.5, 1.0, 2.0, 0.25]), label_smoothing=0.2, ignore_index=1
        ),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_smoothing_none": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(
            x, t, label_smoothing=0.3, reduction="none"
        ),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "cross_entropy_probs": (
        lambda ns, x, p: ns.nn.functional.cross_entropy(x, p.detach().softmax(1)),
        [_floats(6, 4), _floats(6, 4)],
    ),
    "cross_entropy_1d": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(x, t),
        [_floats(4), np.int64(2)],
    ),
    "cross_entropy_4d": (
        lambda ns, x, t: ns.nn.functional.cross_entropy(x, t),
        [_floats(2, 3, 4, 5), _labels(3, 2, 4, 5)],
    ),
    "nll_loss": (lambda ns, x, t: ns.nn.NLLLoss()(x, t), [_floats(6, 4), _labels(4, 6)]),
    "nll_loss_weight_none": (
        lambda ns, x, t: ns.nn.functional.nll_loss(
            x, t, weight=ns.tensor([1.0, 2.0, 3.0, 4.0]), reduction="none"
        ),
        [_floats(6, 4), _labels(4, 6)],
    ),
    "nll_loss_3d": (
        lambda ns, x, t: ns.nn.functional.nll_loss(x, t),
        [_floats(2, 4, 3), _labels(4, 2, 3)],
    ),
    "nll_loss_3d_none": (
        lambda ns, x, t: ns.nn.functional.nll_loss(x, t, reduction="none"),
        [_floats(2, 4, 3), _labels(4, 2, 3)],
    ),
}


def _run_case(ns, fn, arrays):
    leaves = [
        ns.tensor(a, requires_grad=bool(np.issubdtype(np.asarray(a).dtype, np.floating)))
        for a in arrays
    ]
    return leaves, fn(ns, *leaves)


@pytest.mark.parametrize("case", sorted(FUNCTIONAL_CASES))
def test_functional_matches_torch(case):
    fn, arrays = FUNCTIONAL_CASES[case]
    their_leaves, theirs = _run_case(torch, fn, arrays)
    our_leaves, ours = _run_case(tl, fn, arrays)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    assert_close(ours, theirs)
    cotangent = RNG.standard_normal(tuple(theirs.shape)).astype(str(theirs.dtype).split(".")[1])
    theirs.backward(torch.tensor(cotangent))
    ours.backward(tl.tensor(cotangent))
    for our_leaf, their_leaf in zip(our_leaves, their_leaves):
        if their_leaf.grad is not None:
            assert_close(our_leaf.grad, their_leaf.grad)


def test_mse_loss_warns_like_torch_on_broadcast():
    x, y = _floats(3, 4), _floats(4)
    with pytest.warns(UserWarning) as their_warnings:
        theirs = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(y))
    with pytest.warns(UserWarning) as our_warnings:
        ours = tl.nn.functional.mse_loss(tl.tensor(x), tl.tensor(y))
    assert str(our_warnings[0].message) == str(their_warnings[0].message)
    assert_close(ours, theirs)


def test_softmax_without_dim_warns_like_torch():
    x = _floats(3, 4)
    with pytest.warns(UserWarning) as their_warnings:
        theirs = torch.nn.functional.softmax(torch.tensor(x))
    with pytest.warns(UserWarning) as our_warnings:
        ours = tl.nn.functional.softmax(tl.tensor(x))
    assert str(our_warnings[0].message) == str(their_warnings[0].message)
    assert_close(ours, theirs)


# ----- errors ----------------------------------------------------------------------------------
def _error_of(fn, ns):
    try:
        fn(ns)
    except Exception as error:  # the exception itself is what is compared
        return type(error).__name__, str(error)
    return None


ERROR_CASES = {
    "linear_shape": lambda ns: ns.nn.Linear(1000, 100)(ns.ones(16, 999)),
    "missing_unexpected": lambda ns: ns.nn.Linear(2, 3).load_state_dict(
        {"weight": ns.ones(3, 2), "foo": ns.ones(1)}),
    "size_mismatch": lambda ns: ns.nn.Linear(2, 3).load_state_dict(
        {"weight": ns.ones(3, 3), "bias": ns.ones(3)}),
    "nested_keys": lambda ns: ns.nn.Sequential(ns.nn.Linear(2, 3)).load_state_dict(
        {"0.weight": ns.ones(3, 2), "1.bias": ns.ones(3), "0.x.y": ns.ones(1)}),
    "assign_tensor_to_param": lambda ns: setattr(ns.nn.Linear(2, 3), "weight", ns.ones(3, 2)),
    "assign_int_to_child": lambda ns: setattr(ns.nn.Sequential(ns.nn.ReLU()), "0", 3),
    "buffer_exists": lambda ns: ns.nn.Linear(2, 3).register_buffer("weight", ns.ones(1)),
    "buffer_dot": lambda ns: ns.nn.Linear(2, 3).register_buffer("a.b", ns.ones(1)),
    "buffer_empty": lambda ns: ns.nn.Linear(2, 3).register_buffer("", ns.ones(1)),
    "buffer_name_type": lambda ns: ns.nn.Linear(2, 3).register_buffer(3, ns.ones(1)),
    "buffer_value_type": lambda ns: ns.nn.Linear(2, 3).register_buffer("x", 3),
    "param_value_type": lambda ns: ns.nn.Linear(2, 3).register_parameter("x", ns.ones(1)),
    "module_type": lambda ns: ns.nn.Linear(2, 3).add_module("x", 3),
    "module_dot": lambda ns: ns.nn.Linear(2, 3).add_module("a.b", ns.nn.ReLU()),
    "missing_attribute": lambda ns: ns.nn.Linear(2, 3).nope,
    "no_forward": lambda ns: ns.nn.Module()(1),
    "train_not_bool": lambda ns: ns.nn.Linear(2, 3).train("x"),
    "sequential_index": lambda ns: ns.nn.Sequential(ns.nn.ReLU())[3],
    "module_list_index": lambda ns: ns.nn.ModuleList([ns.nn.ReLU()])[-2],
    "to_int_dtype": lambda ns: ns.nn.Linear(2, 3).to(ns.int64),
    "int_parameter": lambda ns: ns.nn.Parameter(ns.zeros(2, dtype=ns.int64)),
    "module_init_args": lambda ns: ns.nn.Module(3),
    "sequential_add": lambda ns: ns.nn.Sequential() + 3,
    "get_submodule": lambda ns: ns.nn.Linear(2, 3).get_submodule("x"),
    "gain": lambda ns: ns.nn.init.calculate_gain("foo"),
    "fan": lambda ns: ns.nn.init._calculate_fan_in_and_fan_out(ns.ones(3)),
    "fan_mode": lambda ns: ns.nn.init.kaiming_uniform_(ns.ones(3, 3), mode="x"),
    "nll_out_of_bounds": lambda ns: ns.nn.functional.nll_loss(ns.zeros(3, 4), ns.tensor([0, 1, 9])),
    "nll_batch": lambda ns: ns.nn.functional.nll_loss(ns.zeros(3, 4), ns.tensor([0, 1])),
    "nll_target_dtype": lambda ns: ns.nn.functional.nll_loss(
        ns.zeros(3, 4), ns.tensor([0, 1, 2], dtype=ns.int32)),
    "nll_weight_size": lambda ns: ns.nn.functional.nll_loss(
        ns.zeros(3, 4), ns.tensor([0, 1, 2]), weight=ns.ones(3)),
    "nll_3d_target": lambda ns: ns.nn.functional.nll_loss(
        ns.zeros(2, 3, 4), ns.zeros(2, 5, dtype=ns.int64)),
    "ce_negative_target": lambda ns: ns.nn.functional.cross_entropy(
        ns.zeros(3, 4), ns.tensor([0, 1, -1])),
    "ce_smoothing_range": lambda ns: ns.nn.functional.cross_entropy(
        ns.zeros(3, 4), ns.tensor([0, 1, 2]), label_smoothing=1.5),
    "ce_prob_target_dtype": lambda ns: ns.nn.functional.cross_entropy(
        ns.zeros(3, 4), ns.zeros(3, 4, dtype=ns.int64)),
    "bad_reduction": lambda ns: ns.nn.functional.mse_loss(ns.ones(3), ns.ones(3), reduction="x"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_matches_torch(case):
    theirs = _error_of(ERROR_CASES[case], torch)
    assert theirs is not None
    assert _error_of(ERROR_CASES[case], tl) == theirs


# ----- reprs ----------------------------------------------------------------------------------
REPR_CASES = {
    "tiny_model": tiny_model,
    "sequential_ordered_dict": lambda ns: ns.nn.Sequential(OrderedDict([
        ("fc", ns.nn.Linear(2, 3)), ("act", ns.nn.Tanh()), ("sm", ns.nn.Softmax(dim=1))])),
    "module_list_runs": lambda ns: ns.nn.ModuleList(
        [ns.nn.Linear(2, 2) for _ in range(3)]
        + [ns.nn.ReLU(), ns.nn.Sequential(ns.nn.Linear(1, 1), ns.nn.ReLU())]),
    "module_dict": lambda ns: ns.nn.ModuleDict(
        {"b": ns.nn.Identity(), "a": ns.nn.ModuleList([ns.nn.Sigmoid()])}),
    "leaves": lambda ns: [ns.nn.MSELoss(), ns.nn.L1Loss(), ns.nn.CrossEntropyLoss(),
                          ns.nn.NLLLoss(), ns.nn.ReLU(inplace=True), ns.nn.Softmax(),
                          ns.nn.Linear(2, 3, bias=False), ns.nn.ModuleList()],
    "sequential_slice": lambda ns: ns.nn.Sequential(
        ns.nn.ReLU(), ns.nn.Tanh(), ns.nn.Sigmoid(), ns.nn.Identity())[1:3],
    "sequential_edits": lambda ns: _edited_sequential(ns),
    "parameter": lambda ns: ns.nn.Parameter(ns.tensor([[1.5, -2.25], [3.0, 4.0]])),
    "parameter_float64_frozen": lambda ns: ns.nn.Parameter(
        ns.tensor([1.5, -2.25], dtype=ns.float64), requires_grad=False),
    "parameter_empty": lambda ns: ns.nn.Parameter(),
    "incompatible_keys": lambda ns: ns.nn.Linear(2, 3).load_state_dict(
        {"weight": ns.ones(3, 2)}, strict=False),
    "all_keys_matched": lambda ns: ns.nn.Linear(2, 3).load_state_dict(
        {"weight": ns.ones(3, 2), "bias": ns.ones(3)}),
}  # fmt: skip


def _edited_sequential(ns):
    seq = ns.nn.Sequential(ns.nn.ReLU(), ns.nn.Tanh(), ns.nn.Sigmoid())
    seq.append(ns.nn.Linear(1, 2))
    seq.insert(1, ns.nn.Identity())
    del seq[0]
    seq.pop(-1)
    return seq + ns.nn.Sequential(ns.nn.Softmax(dim=0))


@pytest.mark.parametrize("case", sorted(REPR_CASES))
def test_repr_matches_torch(case):
    assert repr(REPR_CASES[case](tl)) == repr(REPR_CASES[case](torch))
    assert str(REPR_CASES[case](tl)) == str(REPR_CASES[case](torch))


# ----- module structure ----------------------------------------------------------------------
def _shared_model(ns):
    shared = ns.nn.Linear(3, 3)
    model = ns.nn.Sequential(
        OrderedDict(
            [
                ("a", shared),
                ("b", ns.nn.Sequential(shared, ns.nn.Tanh())),
                ("loss", ns.nn.CrossEntropyLoss(weight=ns.ones(3))),
            ]
        )
    )
    model.register_buffer("steps", ns.zeros(1))
    model.register_buffer("scratch", ns.zeros(2), persistent=False)
    return model


@pytest.mark.parametrize("remove_duplicate", [True, False])
def test_named_members_match_torch(remove_duplicate):
    ours, theirs = _shared_model(tl), _shared_model(torch)

    def names(model):
        kw = {"remove_duplicate": remove_duplicate}
        return (
            [n for n, _ in model.named_modules(**kw)],
            [n for n, _ in model.named_parameters(**kw)],
            [n for n, _ in model.named_buffers(**kw)],
            [n for n, _ in model.named_parameters(prefix="m", recurse=False)],
            [n for n, _ in model.named_children()],
            list(model.state_dict(keep_vars=True)),
            list(model.state_dict()._metadata.items()),
        )

    assert names(ours) == names(theirs)


def test_state_dict_matches_torch():
    ours, theirs = twin(tiny_model)
    our_state, their_state = ours.state_dict(), theirs.state_dict()
    assert type(our_state).__name__ == type(their_state).__name__ == "OrderedDict"
    assert list(our_state) == list(their_state)
    for key, value in their_state.items():
        assert tuple(our_state[key].shape) == tuple(value.shape)
        assert our_state[key].requires_grad is value.requires_grad is False
        np.testing.assert_array_equal(our_state[key].numpy(), value.numpy())
    assert dict(our_state._metadata) == dict(their_state._metadata)


def test_hooks_change_inputs_and_outputs_like_torch():
    def build(ns):
        model = ns.nn.Linear(4, 2)
        model.register_forward_pre_hook(lambda m, args: args[0] * 2)
        model.register_forward_hook(lambda m, args, out: out + args[0].sum())
        model.register_forward_pre_hook(
            lambda m, args, kwargs: ((args[0] - 1,), kwargs), with_kwargs=True, prepend=True
        )
        return model

    ours, theirs = twin(build)
    x = _floats(3, 4)
    assert_close(ours(tl.tensor(x)), theirs(torch.tensor(x)))


@pytest.mark.parametrize(
    "convert",
    [
        lambda m, ns: m.double(),
        lambda m, ns: m.to(ns.float64),
        lambda m, ns: m.to(dtype=ns.float16),
        lambda m, ns: m.half().float(),
        lambda m, ns: m.type(ns.float64),
        lambda m, ns: m.to("cpu"),
        lambda m, ns: m.cpu(),
    ],
)
def test_dtype_conversions_match_torch(convert):
    ours, theirs = twin(
        lambda ns: ns.nn.Sequential(ns.nn.Linear(3, 2), ns.nn.NLLLoss(weight=ns.ones(2)))
    )
    our_ids = [id(p) for p in ours.parameters()]
    assert convert(ours, tl) is ours
    convert(theirs, torch)
    assert [id(p) for p in ours.parameters()] == our_ids
    for (name, value), their_value in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert str(value.dtype) == str(their_value.dtype), name
        np.testing.assert_array_equal(value.numpy(), their_value.numpy())


def test_zero_grad_keep_as_zeros_matches_torch():
    ours, theirs = twin(tiny_model)
    x = _floats(2, 1000)
    ours(tl.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    ours.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    for ours_p, theirs_p in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(ours_p.grad.numpy(), theirs_p.grad.numpy())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_dir_lists_members_like_torch():
    ours, theirs = _shared_model(tl), _shared_model(torch)
    for name in ("a", "b", "loss", "steps", "scratch", "forward", "state_dict"):
        assert (name in dir(ours)) == (name in dir(theirs)) is True
    assert not any(key[0].isdigit() for key in dir(ours))
