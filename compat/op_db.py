"""Sample inputs for every row of torchlike's op table, compared against real torch.

One `OpRecord` per row says how the op is called (torch.<name>, or a call for rows reached
through a method, an operator or indexing), how to build sample inputs (numpy data that both
libraries turn into tensors), which dtypes to try, the tolerance, whether gradients are
compared, and which invalid inputs must raise the same exception as torch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

FLOAT = ("float32", "float64")
NUMERIC = ("float32", "float64", "int64")
ALL = ("float32", "float64", "int64", "bool")
INTEGRAL = ("int64", "bool")
LOGICAL = ("float32", "int64", "bool")


@dataclasses.dataclass
class Sample:
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)


def S(*args, **kwargs) -> Sample:
    return Sample(args, kwargs)


@dataclasses.dataclass
class ErrorInput:
    sample: Sample
    error: type
    message: bool = False  # the message text must match torch's too


def E(error: type, *args, message: bool = False, **kwargs) -> ErrorInput:
    return ErrorInput(Sample(args, kwargs), error, message)


class Dtype:
    """A dtype argument: becomes torch.<name> or torchlike.<name>."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"Dtype({self.name})"


class Maker:
    """Random arrays of one dtype within a value range (ints and bools drawn to match)."""

    def __init__(self, dtype: str, rng: np.random.Generator, low=-2.0, high=2.0, nonzero=False):
        self.dtype, self.rng, self.low, self.high, self.nonzero = dtype, rng, low, high, nonzero

    @property
    def is_float(self) -> bool:
        return self.dtype.startswith("float")

    def within(self, low, high, nonzero=False) -> Maker:
        return Maker(self.dtype, self.rng, low, high, nonzero)

    def __call__(self, *shape) -> np.ndarray:
        return self.of(self.dtype, *shape)

    def of(self, dtype: str, *shape) -> np.ndarray:
        rng, low, high = self.rng, self.low, self.high
        if dtype == "bool":
            return np.asarray(rng.random(shape) < 0.5)
        if dtype.startswith("int"):
            values = rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, size=shape)
            return np.asarray(np.where(values == 0, 1, values) if self.nonzero else values, dtype)
        values = rng.uniform(low, high, size=shape)
        if self.nonzero:  # keep |x| >= 0.25 so quotients and their gradients stay tame
            values = np.where(np.abs(values) < 0.25, np.copysign(0.5, values), values)
        return np.asarray(values, dtype)

    def ints(self, low, high, *shape) -> np.ndarray:
        return np.asarray(self.rng.integers(low, high, size=shape), np.int64)

    def mask(self, *shape) -> np.ndarray:
        return self.of("bool", *shape)

    @property
    def scalar(self):
        """A Python number of the sample's own kind."""
        return {"bool": True, "int64": 2}.get(self.dtype, 1.5)


@dataclasses.dataclass
class OpRecord:
    row: str
    samples: Callable[[Maker], list[Sample]]
    torch_name: str = ""  # torch.<name> / Tensor.<name>; the row name when empty
    call: Callable | None = None  # (lib, *args, **kwargs) for rows reached another way
    dtypes: tuple = FLOAT
    grad: bool = True  # compare gradients of the differentiable inputs with torch
    grad_args: tuple | None = None  # positions of differentiable args; None: every float tensor
    gradgrad: bool = False  # also compare second-order gradients (first sample)
    out: bool = False  # torch.<name>(..., out=) exists
    tol: float = 1.0  # multiplier of the per-dtype tolerance
    errors: tuple = ()
    internal: bool = False  # not reached as torch.<name>: variant flags are not compared

    def __post_init__(self):
        self.torch_name = self.torch_name or self.row


RECORDS: dict[str, OpRecord] = {}


def add(row: str, samples, **fields) -> None:
    RECORDS[row] = OpRecord(row, samples, **fields)


def f32(*shape):
    return np.ones(shape, np.float32)


def i64(*shape):
    return np.ones(shape, np.int64)


def through_row(name: str, torch_fn: Callable):
    """torch_fn on torch; on torchlike the op-table row itself."""

    def call(lib, *args, **kwargs):
        if lib.__name__ == "torch":
            return torch_fn(lib)(*args, **kwargs)
        from torchlike._ops.dispatch import call as call_row
        from torchlike._ops.registry import TABLE

        return call_row(TABLE[name], args, kwargs)

    return call


def functional(name: str):
    """torch.nn.functional.<name>; on torchlike the op-table row itself."""
    return through_row(name, lambda torch: getattr(torch.nn.functional, name))


# ----- sample generators -------------------------------------------------------------------
def unary(low=-2.0, high=2.0, extra=(), shapes=((2, 3), (), (0,), (4,))):
    def samples(m: Maker):
        d = m.within(low, high)
        return [S(d(*s)) for s in shapes] + [S(d(2, 3), **kw) for kw in extra]

    return samples


BINARY_SHAPES = (((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((0, 3), (3,)))


def binary(low=-2.0, high=2.0, rhs=None, nonzero=False, scalar=True, extra=(), ties=False):
    def samples(m: Maker):
        a = m.within(low, high)
        b = m.within(*(rhs or (low, high)), nonzero=nonzero)
        out = [S(a(*sa), b(*sb)) for sa, sb in BINARY_SHAPES]
        if scalar:
            out.append(S(a(2, 3), b.scalar if not nonzero or m.dtype == "bool" else -b.scalar))
        out += [S(a(2, 3), b(2, 3), **kw) for kw in extra]
        if ties:  # equal entries: torch splits the gradient between both inputs
            same = a(2, 3)
            out.append(S(same, np.where(m.mask(2, 3), same, b(2, 3))))
        return out

    return samples


def reduction(extra=({"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": (0, 1)}), empty=True):
    def samples(m: Maker):
        out = [S(m(3, 4)), S(m()), S(m(), **extra[0] | {"dim": 0})]
        out += [S(m(2, 3, 4), **kw) for kw in extra]
        return out + ([S(m(0, 3)), S(m(0, 3), dim=1)] if empty else [])

    return samples


def special_values(m: Maker):
    if not m.is_float:
        return [S(m(2, 3)), S(m())]
    x = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, -0.0, 2.0], m.dtype)
    return [S(x), S(m(2, 3)), S(m())]


# ----- pointwise ---------------------------------------------------------------------------
SHAPE_MISMATCH = (E(RuntimeError, f32(2, 3), f32(4), message=True),)
add("add", binary(extra=({"alpha": 2},)), dtypes=NUMERIC, out=True, errors=SHAPE_MISMATCH)
add("sub", binary(extra=({"alpha": 2},)), dtypes=NUMERIC, out=True, errors=(
    E(RuntimeError, np.array([True]), np.array([False]), message=True),))  # fmt: skip
add("rsub", binary(extra=({"alpha": 2},)), dtypes=NUMERIC)
add("mul", binary(), dtypes=ALL, gradgrad=True, out=True, errors=SHAPE_MISMATCH)
add("div", binary(nonzero=True, extra=({"rounding_mode": "trunc"}, {"rounding_mode": "floor"})),
    dtypes=NUMERIC, gradgrad=True, out=True, errors=(
        E(RuntimeError, f32(2), f32(2), rounding_mode="bad", message=True),))  # fmt: skip
add("div_scalar", lambda m: [S(m(2, 3), 2), S(m(), 0.5), S(m(0, 3), 3)], dtypes=NUMERIC,
    call=through_row("div_scalar", lambda torch: torch.ops.aten.div.Scalar),
    internal=True)  # fmt: skip
add("true_divide", binary(nonzero=True), dtypes=NUMERIC, out=True)
_INT_DIVISOR_ZERO = (E(RuntimeError, np.array([3, 4]), np.array([0, 1]), message=True),
                     E(RuntimeError, np.array([3, 4]), 0, message=True))  # fmt: skip
add("floor_divide", binary(nonzero=True), dtypes=NUMERIC, out=True, errors=_INT_DIVISOR_ZERO)
add("remainder", binary(nonzero=True), dtypes=NUMERIC, out=True, errors=_INT_DIVISOR_ZERO)


def reflected_samples(m: Maker):
    d = m.within(-3, 3, nonzero=True)
    return [S(d(2, 3), 5), S(d(2, 3), -2.5), S(d(), 3), S(d(0, 3), 2), S(d(2, 3), True)]


_INT_ZERO = (E(RuntimeError, np.array([0, 2]), 5, message=True),)
add("rfloordiv", reflected_samples, call=lambda lib, x, number: number // x, dtypes=NUMERIC,
    internal=True, errors=_INT_ZERO)  # fmt: skip
add("rremainder", reflected_samples, call=lambda lib, x, number: number % x, dtypes=NUMERIC,
    internal=True, errors=_INT_ZERO)  # fmt: skip
add("fmod", binary(nonzero=True), dtypes=NUMERIC, out=True, errors=_INT_DIVISOR_ZERO)
add("atan2", binary(scalar=False), dtypes=NUMERIC, out=True)
for _name in ("maximum", "minimum", "fmax", "fmin"):
    add(_name, binary(scalar=False, ties=True), dtypes=NUMERIC, out=True)
add("hypot", binary(scalar=False), dtypes=FLOAT, out=True)
add("copysign", binary(nonzero=True), dtypes=NUMERIC, out=True)
add("logaddexp", binary(scalar=False), dtypes=FLOAT, out=True)
add("xlogy", binary(rhs=(0.1, 3.0)), dtypes=NUMERIC, out=True)


def lerp_samples(m: Maker):
    return [S(m(2, 3), m(3), m(2, 3)), S(m(2, 3), m(2, 3), m()), S(m(2, 3), m(2, 3), 0.3),
            S(m(), m(), 0.7), S(m(0, 3), m(3), 0.5)]  # fmt: skip


add("lerp", lerp_samples, gradgrad=True, out=True)


def addc_samples(m: Maker):
    d = m.within(0.5, 2.0)
    return [S(m(2, 3), m(2, 3), d(2, 3)), S(m(2, 3), m(3), d(2, 1), value=0.5),
            S(m(), m(), d()), S(m(0, 3), m(3), d(3), value=2)]  # fmt: skip


add("addcmul", addc_samples, dtypes=NUMERIC, gradgrad=True, out=True)
add("addcdiv", addc_samples, gradgrad=True, out=True,
    errors=(E(RuntimeError, i64(2), i64(2), i64(2)),))  # fmt: skip


def pow_samples(m: Maker):
    base, exps = m.within(0.5, 2.0), m.within(0, 3)
    out = [S(base(2, 3), 2), S(base(2, 3), exps(2, 3)), S(base(2, 3), exps(3)), S(base(), 3),
           S(base(0, 3), 2), S(2.0 if m.is_float else 2, exps(2, 3))]  # fmt: skip
    if m.is_float:
        out += [S(base(2, 3), 2.5), S(base(2, 3), -1), S(base(2, 3), 0.5), S(base(2, 3), exps())]
    return out


add("pow", pow_samples, dtypes=NUMERIC, gradgrad=True, out=True,
    errors=(E(RuntimeError, i64(2), -1, message=True),))  # fmt: skip
add("pow_scalar_base", lambda m: [S(m(2, 3), base=2.0), S(m(2, 3), base=3), S(m(), base=0.5)],
    call=lambda lib, x, base: base**x, dtypes=NUMERIC, internal=True)  # fmt: skip


def clamp_samples(m: Maker):
    lo, hi = (-0.5, 0.5) if m.is_float else (-1, 1)
    return [S(m(2, 3), lo, hi), S(m(2, 3), min=lo), S(m(2, 3), max=hi), S(m(), lo, hi),
            S(m(2, 3), m(3), m.within(1, 2)(2, 3)), S(m(2, 3), min=m(2, 1)),
            S(m(0, 3), lo)]  # fmt: skip


add("clamp", clamp_samples, dtypes=NUMERIC, out=True, errors=(
    E(RuntimeError, f32(2), message=True),))  # fmt: skip


def clamp_bound_samples(m: Maker):
    bound = -0.5 if m.is_float else -1
    return [S(m(2, 3), bound), S(m(), bound), S(m(2, 3), m(3)), S(m(0, 3), bound)]


add("clamp_min", clamp_bound_samples, dtypes=NUMERIC, out=True)
add("clamp_max", clamp_bound_samples, dtypes=NUMERIC, out=True)


def where_samples(m: Maker):
    return [S(m.mask(2, 3), m(2, 3), m(2, 3)), S(m.mask(2, 1), m(3), m(2, 3)),
            S(m.mask(2, 3), m(2, 3), m.scalar), S(m.mask(), m(), m()),
            S(m.mask(0, 3), m(3), m(3))]  # fmt: skip


add("where", where_samples, dtypes=NUMERIC, out=True, errors=(
    E(RuntimeError, f32(2), f32(2), f32(2), message=True),))  # fmt: skip


def masked_fill_samples(m: Maker):
    return [S(m(2, 3), m.mask(2, 3), m.scalar), S(m(2, 3), m.mask(3), m.scalar),
            S(m(2, 3), m.mask(2, 3), m()), S(m(), m.mask(), m.scalar)]  # fmt: skip


add("masked_fill", masked_fill_samples, dtypes=NUMERIC, errors=(
    E(RuntimeError, f32(2), f32(2), 1.0, message=True),))  # fmt: skip

_FLOAT_UNARY_DOMAINS = {
    "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log": (0.1, 3), "log2": (0.1, 3),
    "log10": (0.1, 3), "log1p": (-0.5, 2), "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "sin": (-2, 2),
    "cos": (-2, 2), "tan": (-1, 1), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": (-2, 2),
    "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-2, 2), "acosh": (1.1, 3),
    "atanh": (-0.9, 0.9), "sigmoid": (-2, 2), "erf": (-2, 2), "erfc": (-2, 2),
    "erfinv": (-0.9, 0.9), "reciprocal": (0.5, 2), "lgamma": (0.5, 3), "digamma": (0.5, 3),
    "sinc": (-2, 2),
}  # fmt: skip
_SECOND_ORDER = {"exp", "log", "sin", "tanh", "sigmoid", "sqrt", "reciprocal", "erf"}
for _name, (_low, _high) in _FLOAT_UNARY_DOMAINS.items():
    add(_name, unary(_low, _high), dtypes=NUMERIC, gradgrad=_name in _SECOND_ORDER, out=True,
        tol=10.0 if _name in ("lgamma", "digamma", "erfinv", "sinc") else 1.0)  # fmt: skip

NEG_BOOL = (E(RuntimeError, np.array([True]), message=True),)
for _name in ("neg", "negative"):
    add(_name, unary(), dtypes=NUMERIC, out=True, errors=NEG_BOOL)
for _name in ("abs", "absolute"):
    add(_name, unary(), dtypes=NUMERIC, out=True, errors=(
        E(NotImplementedError, np.array([True]), message=True),))  # fmt: skip
for _name in ("sign", "sgn"):
    add(_name, unary(), dtypes=ALL, out=True)
for _name in ("floor", "ceil", "trunc", "fix"):
    add(_name, unary(), dtypes=NUMERIC, out=True)
add("frac", unary(), out=True, errors=(E(NotImplementedError, i64(2), message=True),))
add("relu", unary(), dtypes=NUMERIC, errors=(E(RuntimeError, np.array([True]), message=True),))
add("square", unary(), dtypes=ALL, gradgrad=True, out=True)
add("round", unary(-20, 20, extra=({"decimals": 1}, {"decimals": -1})), out=True)


def nan_to_num_samples(m: Maker):
    out = special_values(m)
    return out + [S(out[0].args[0], nan=0.5, posinf=10.0, neginf=-10.0)] if m.is_float else out


add("nan_to_num", nan_to_num_samples, dtypes=NUMERIC, out=True)
add("clone", unary(), dtypes=ALL)
for _name in ("isnan", "isinf", "isfinite", "signbit"):
    add(_name, special_values, dtypes=NUMERIC, grad=False, out=_name == "signbit")

_COMPARISONS = ("eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater",
                "ge", "greater_equal")  # fmt: skip
for _name in _COMPARISONS:
    add(_name, binary(ties=True), dtypes=LOGICAL, grad=False, out=True)


def isclose_samples(m: Maker):
    near = m(2, 3)
    return [S(near, near + np.asarray(1e-6, near.dtype)), S(m(2, 3), m(3), rtol=0.5, atol=0.1),
            S(np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0]), equal_nan=True),
            S(m(0, 3), m(3))]  # fmt: skip


add("isclose", isclose_samples, dtypes=("float32", "float64"), grad=False,
    errors=(E(RuntimeError, i64(2), f32(2), message=True),))  # fmt: skip
for _name in ("logical_and", "logical_or", "logical_xor"):
    add(_name, binary(scalar=False), dtypes=LOGICAL, grad=False, out=True)
add("logical_not", unary(), dtypes=LOGICAL, grad=False, out=True)

BITWISE_FLOAT = (E(NotImplementedError, f32(2), f32(2), message=True),)
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    add(_name, binary(), dtypes=INTEGRAL, grad=False, out=True, errors=BITWISE_FLOAT)
for _name in ("bitwise_left_shift", "bitwise_right_shift"):
    add(_name, binary(-8, 8, rhs=(0, 3)), dtypes=("int64",), grad=False, out=True,
        errors=BITWISE_FLOAT)  # fmt: skip
add("bitwise_not", unary(), dtypes=INTEGRAL, grad=False, out=True, errors=(
    E(NotImplementedError, f32(2), message=True),))  # fmt: skip

add("fill", lambda m: [S(m(2, 3), m.scalar), S(m(2, 3), m()), S(m(), m.scalar)], dtypes=NUMERIC)
add("zero", unary(), call=lambda lib, x: x.clone().zero_(), dtypes=NUMERIC, internal=True)
add("copy", lambda m: [S(m(2, 3), m(2, 3)), S(m(2, 3), m(3)), S(m(2, 3), m.of("float64", 2, 3))],
    call=lambda lib, x, src: x.clone().copy_(src), dtypes=NUMERIC, internal=True)  # fmt: skip

# ----- reductions --------------------------------------------------------------------------
NOT_FLOAT = (E(RuntimeError, i64(2, 3), message=True),)
add("sum", reduction(extra=({"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": (0, 2)},
                            {"dim": 1, "dtype": Dtype("float64")})),
    dtypes=ALL, out=True, errors=(E(IndexError, f32(2, 3), 2, message=True),))  # fmt: skip
add("nansum", lambda m: reduction()(m) + special_values(m)[:1], dtypes=NUMERIC, out=True)
add("mean", reduction(), out=True, errors=NOT_FLOAT)
add("nanmean", lambda m: reduction(empty=False)(m) + special_values(m)[:1], out=True)
add("prod", reduction(extra=({"dim": 1}, {"dim": -1, "keepdim": True})), dtypes=NUMERIC,
    out=True, errors=(E(TypeError, f32(2, 3), (0, 1)),))  # fmt: skip


def extreme_samples(m: Maker):
    return [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), -1, keepdim=True), S(m(), 0), S(m()),
            S(m(0, 3), 1), S(m(2, 3), m(2, 3)), S(m(2, 3), dim=0)]  # fmt: skip


_EMPTY_REDUCE = (E(RuntimeError, f32(0, 3), message=True), E(IndexError, f32(0, 3), 0))
add("max", extreme_samples, dtypes=NUMERIC, errors=_EMPTY_REDUCE)
add("min", extreme_samples, dtypes=NUMERIC, errors=_EMPTY_REDUCE)
for _name in ("amax", "amin"):
    add(_name, reduction(empty=False), dtypes=NUMERIC, out=True)
for _name in ("argmax", "argmin"):
    add(_name, lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), -1, keepdim=True), S(m()),
                          S(m(3, 4), keepdim=True)],
        dtypes=NUMERIC, grad=False, out=True)  # fmt: skip


def moment_samples(m: Maker):
    return [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), (0, 2), keepdim=True),
            S(m(3, 4), 1, unbiased=False), S(m(3, 4), dim=0, correction=0),
            S(m(3, 4), correction=2), S(m(3, 4), False)]  # fmt: skip


add("std", moment_samples, gradgrad=True, out=True, errors=(E(RuntimeError, i64(3)),))
add("var", moment_samples, gradgrad=True, out=True, errors=(E(RuntimeError, i64(3)),))
for _name in ("std_mean", "var_mean"):
    add(_name, moment_samples, errors=(E(RuntimeError, i64(3), message=True),))


def norm_samples(m: Maker):
    inf = float("inf")
    return [S(m(3, 4)), S(m(3, 4), 1), S(m(3, 4), 2, 1), S(m(3, 4), inf), S(m(3, 4), -inf, 0),
            S(m(3, 4), 3, dim=1, keepdim=True), S(m(3, 4), "fro", (0, 1)), S(m()),
            S(m(0, 3))]  # fmt: skip


add("norm", norm_samples, gradgrad=True, out=True)
add("logsumexp", lambda m: [S(m(3, 4), 1), S(m(2, 3, 4), (0, 2), keepdim=True), S(m(), 0),
                            S(m(3, 4), -1)], dtypes=NUMERIC, gradgrad=True, out=True)  # fmt: skip
for _name in ("all", "any"):
    add(_name, lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), -1, keepdim=True), S(m()),
                          S(m(0, 3)), S(m(2, 3, 4), dim=(0, 2))], dtypes=LOGICAL, grad=False,
        out=True)  # fmt: skip
add("count_nonzero", lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(2, 3, 4), (0, 2)), S(m())],
    dtypes=LOGICAL, grad=False)  # fmt: skip
for _name in ("cumsum", "cumprod"):
    add(_name, lambda m: [S(m(3, 4), 1), S(m(3, 4), 0), S(m(), 0), S(m(0, 3), 1),
                          S(m(3, 4), -1, dtype=Dtype("float64"))],
        dtypes=ALL, out=True)  # fmt: skip

# ----- shapes and views --------------------------------------------------------------------
add("view", lambda m: [S(m(2, 3), 3, 2), S(m(2, 3), -1), S(m(2, 3), (1, 6)), S(m(), 1),
                       S(m(0, 3), 3, 0)], dtypes=NUMERIC, errors=(
    E(RuntimeError, f32(2, 3), 4, message=True), E(RuntimeError, f32(2, 3), -1, -1)))  # fmt: skip
add("reshape", lambda m: [S(m(2, 3), (3, 2)), S(m(2, 3), (-1,)), S(m(), (1, 1)),
                          S(m(0, 3), (3, -1))], dtypes=NUMERIC, errors=(
    E(RuntimeError, f32(2, 3), (4,), message=True),))  # fmt: skip
add("flatten", lambda m: [S(m(2, 3, 4)), S(m(2, 3, 4), 1), S(m(2, 3, 4), 0, 1), S(m()),
                          S(m(2, 3), -1)], dtypes=NUMERIC)  # fmt: skip
add("unflatten", lambda m: [S(m(2, 6), 1, (2, 3)), S(m(6), 0, (-1, 2))], dtypes=NUMERIC,
    errors=(E(RuntimeError, f32(2, 6), 1, (4, 2), message=True),
            E(RuntimeError, f32(2, 6), -1, (-1, 4), message=True),
            E(RuntimeError, f32(2, 6), 1, (), message=True),
            E(RuntimeError, f32(2, 6), 1, (-1, -1))))  # fmt: skip
add("squeeze", lambda m: [S(m(2, 1, 3)), S(m(2, 1, 3), 1), S(m(2, 1, 3), 0), S(m(1, 3, 1), (0, 2)),
                          S(m())], dtypes=NUMERIC)  # fmt: skip
add("unsqueeze", lambda m: [S(m(2, 3), 0), S(m(2, 3), -1), S(m(), 0)], dtypes=NUMERIC,
    errors=(E(IndexError, f32(2, 3), 3, message=True),))  # fmt: skip
add("permute", lambda m: [S(m(2, 3, 4), (1, 0, 2)), S(m(2, 3), (-1, 0)), S(m(), ())],
    dtypes=NUMERIC, errors=(E(RuntimeError, f32(2, 3), (0,)),))  # fmt: skip
for _name in ("transpose", "swapaxes", "swapdims"):
    add(_name, lambda m: [S(m(2, 3), 0, 1), S(m(2, 3, 4), -1, 0), S(m(), 0, 0)], dtypes=NUMERIC)
add("t", lambda m: [S(m(2, 3)), S(m(3)), S(m())], dtypes=NUMERIC,
    errors=(E(RuntimeError, f32(2, 3, 4), message=True),))  # fmt: skip
for _name in ("movedim", "moveaxis"):
    add(_name, lambda m: [S(m(2, 3, 4), 0, 2), S(m(2, 3, 4), (0, 1), (2, 0))], dtypes=NUMERIC)
add("expand", lambda m: [S(m(3), 2, 3), S(m(2, 1), -1, 4), S(m(), 2), S(m(1, 3), (2, 2, 3))],
    call=lambda lib, x, *size: x.expand(*size), dtypes=NUMERIC, errors=(
        E(RuntimeError, f32(2, 3), 4, 3, message=True),))  # fmt: skip
add("broadcast_to", lambda m: [S(m(3), (2, 3)), S(m(2, 1), (2, 4)), S(m(), (2,))], dtypes=NUMERIC)
add("narrow", lambda m: [S(m(4, 3), 0, 1, 2), S(m(4, 3), -1, 0, 3), S(m(4, 3), 0, -2, 2)],
    dtypes=NUMERIC, errors=(E(RuntimeError, f32(4, 3), 0, 3, 2),))  # fmt: skip
add("slice_dim", lambda m: [S(m(4, 3), 0, 1, 3, 1), S(m(4, 3), 1, 0, 3, 2), S(m(4, 3), 0, 2, 2, 1)],
    call=lambda lib, x, dim, *bounds: x[(slice(None),) * dim + (slice(*bounds),)],
    dtypes=NUMERIC, internal=True)  # fmt: skip
add("select", lambda m: [S(m(4, 3), 0, 1), S(m(4, 3), 1, -1), S(m(4), 0, 2)], dtypes=NUMERIC,
    errors=(E(IndexError, f32(4, 3), 0, 4, message=True),))  # fmt: skip
add("diagonal", lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(3, 4), -1), S(m(2, 3, 4), 0, 1, 2)],
    dtypes=NUMERIC)  # fmt: skip
add("unbind", lambda m: [S(m(3, 2)), S(m(3, 2), 1), S(m(2, 3, 4), -1)], dtypes=NUMERIC)
add("split", lambda m: [S(m(5, 2), 2), S(m(5, 2), [1, 4]), S(m(5, 2), 1, 1), S(m(0, 2), 2)],
    dtypes=NUMERIC, errors=(E(RuntimeError, f32(5, 2), [1, 1], message=True),))  # fmt: skip
add("chunk", lambda m: [S(m(5, 2), 2), S(m(5, 2), 3), S(m(4, 3), 2, 1), S(m(2, 3), 5)],
    dtypes=NUMERIC)  # fmt: skip
add("repeat", lambda m: [S(m(2, 3), 2, 1), S(m(3), 2, 2), S(m(), 3), S(m(2, 3), (1, 2, 2))],
    call=lambda lib, x, *sizes: x.repeat(*sizes), dtypes=NUMERIC, errors=(
        E(RuntimeError, f32(2, 3), 2, message=True),))  # fmt: skip
add("tile", lambda m: [S(m(2, 3), (2, 1)), S(m(3), (2,)), S(m(2, 3), (2,))], dtypes=NUMERIC)


def cat_samples(m: Maker):
    return [S([m(2, 3), m(1, 3)]), S([m(2, 3), m(2, 2)], 1), S([m(2, 3), m(0)]),
            S([m(2, 3), m.of("float64", 2, 3)], -1), S([m(3)]), S((m(2), m(3)))]  # fmt: skip


CAT_ERRORS = (E(RuntimeError, [f32(2, 3), f32(2, 2)], message=True),
              E(RuntimeError, [f32(2, 3), f32(3)]), E(ValueError, []))  # fmt: skip
for _name in ("cat", "concat", "concatenate"):
    add(_name, cat_samples, dtypes=NUMERIC, out=True, errors=CAT_ERRORS)
add("stack", lambda m: [S([m(2, 3), m(2, 3)]), S([m(2, 3), m(2, 3)], -1), S([m(), m()]),
                        S([m(2), m.of("float64", 2)])], dtypes=NUMERIC, out=True,
    errors=(E(RuntimeError, [f32(2, 3), f32(3, 2)], message=True),))  # fmt: skip
for _name in ("hstack", "vstack"):
    add(_name, lambda m: [S([m(2, 3), m(2, 3)]), S([m(3), m(3)]), S([m(), m()])],
        dtypes=NUMERIC, out=True)  # fmt: skip
add("flip", lambda m: [S(m(2, 3), (0,)), S(m(2, 3, 4), (0, 2)), S(m(2, 3), (-1,))], dtypes=NUMERIC)
add("roll", lambda m: [S(m(2, 3), 1), S(m(2, 3), 1, 0), S(m(2, 3), (1, -1), (0, 1)), S(m(), 2)],
    dtypes=NUMERIC)  # fmt: skip
for _name in ("tril", "triu"):
    add(_name, lambda m: [S(m(3, 4)), S(m(3, 4), 1), S(m(3, 4), -1), S(m(2, 3, 3))],
        dtypes=NUMERIC, out=True)  # fmt: skip


def gather_samples(m: Maker):
    return [S(m(3, 4), 1, m.ints(0, 4, 3, 2)), S(m(3, 4), 0, m.ints(0, 3, 2, 4)),
            S(m(3, 4), -1, m.ints(0, 4, 3, 4))]  # fmt: skip


add("gather", gather_samples, dtypes=NUMERIC, out=True, grad_args=(0,))


def scatter_samples(m: Maker):
    rows = np.array([[0, 1, 2, 0], [2, 0, 1, 1]], np.int64)  # distinct rows per column
    return [S(m(3, 4), 0, rows, m(2, 4)), S(m(3, 4), 0, rows, m.scalar),
            S(m(3, 4), 1, np.array([[3, 0], [1, 2], [0, 3]], np.int64), m(3, 2))]  # fmt: skip


add("scatter", lambda m: scatter_samples(m) + [S(m(3, 4), 0, np.array([[0, 1]]), m.scalar,
                                                 reduce="add")], dtypes=NUMERIC)  # fmt: skip
add("scatter_add", lambda m: [s for s in scatter_samples(m) if hasattr(s.args[3], "shape")] + [
    S(m(3, 4), 0, np.array([[0, 0, 1, 1], [0, 2, 2, 1]]), m(2, 4))], dtypes=NUMERIC)  # fmt: skip


def index_samples(m: Maker):
    return [S(m(4, 3), 0, np.array([2, 0]), m(2, 3)), S(m(4, 3), 1, np.array([1]), m(4, 1)),
            S(m(4, 3), -1, np.array([0, 2]), m(4, 2))]  # fmt: skip


add("index_select", lambda m: [S(*s.args[:3]) for s in index_samples(m)] + [
    S(m(4), 0, np.array(1))], dtypes=NUMERIC, out=True, errors=(
        E(IndexError, f32(4, 3), 0, np.zeros((2, 2), np.int64), message=True),))  # fmt: skip
add("index_add", lambda m: index_samples(m) + [S(m(4, 3), 0, np.array([1, 1]), m(2, 3), alpha=2)],
    dtypes=NUMERIC, out=True)  # fmt: skip
add("index_copy", index_samples, dtypes=NUMERIC)
add("index_fill", lambda m: [S(*s.args[:3], m.scalar) for s in index_samples(m)], dtypes=NUMERIC)
add("take", lambda m: [S(m(3, 4), np.array([0, 5, 11])), S(m(3, 4), np.array([[1, -1]])),
                       S(m(), np.array(0))], dtypes=NUMERIC, out=True)  # fmt: skip

# ----- matrix products ---------------------------------------------------------------------
MATMUL_SHAPES = (((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2, 3), (4, 3, 2)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((0, 3), (3, 2)))  # fmt: skip
add("matmul", lambda m: [S(m(*a), m(*b)) for a, b in MATMUL_SHAPES], dtypes=NUMERIC,
    gradgrad=True, out=True, errors=(
        E(RuntimeError, f32(2, 3), f32(2, 3), message=True),
        E(RuntimeError, f32(), f32(2), message=True),
        E(RuntimeError, f32(2, 3), np.ones((3, 2)), message=True)))  # fmt: skip
add("mm", lambda m: [S(m(2, 3), m(3, 4)), S(m(0, 3), m(3, 2)), S(m(2, 0), m(0, 2))],
    dtypes=NUMERIC, gradgrad=True, out=True, errors=(
        E(RuntimeError, f32(2, 3), f32(2, 3), message=True),
        E(RuntimeError, f32(3), f32(3, 2), message=True)))  # fmt: skip
add("bmm", lambda m: [S(m(2, 2, 3), m(2, 3, 4)), S(m(0, 2, 3), m(0, 3, 1))], dtypes=NUMERIC,
    out=True, errors=(E(RuntimeError, f32(2, 2, 3), f32(3, 3, 4), message=True),))  # fmt: skip
add("mv", lambda m: [S(m(2, 3), m(3)), S(m(0, 3), m(3))], dtypes=NUMERIC, out=True,
    errors=(E(RuntimeError, f32(2, 3), f32(2), message=True),))  # fmt: skip
add("dot", lambda m: [S(m(3), m(3)), S(m(0), m(0))], dtypes=NUMERIC, out=True, errors=(
    E(RuntimeError, f32(3), f32(2), message=True),
    E(RuntimeError, f32(2), np.ones(2), message=True)))  # fmt: skip
for _name in ("outer", "ger"):
    add(_name, lambda m: [S(m(3), m(2)), S(m(0), m(2)), S(m(3), m.of("float64", 2))],
        dtypes=NUMERIC, out=True)  # fmt: skip
add("addmm", lambda m: [S(m(2, 4), m(2, 3), m(3, 4)), S(m(4), m(2, 3), m(3, 4), beta=0.5, alpha=2),
                        S(m(), m(2, 3), m(3, 4))], dtypes=NUMERIC, out=True, errors=(
    E(RuntimeError, f32(3), f32(2, 3), f32(3, 4), message=True),
    E(RuntimeError, f32(2, 2, 4), f32(2, 3), f32(3, 4), message=True),
    E(RuntimeError, f32(5, 4), f32(2, 3), f32(3, 4), message=True),
    E(RuntimeError, f32(4), f32(3), f32(3, 4), message=True),
    E(RuntimeError, f32(4), f32(2, 3, 1), f32(3, 4), message=True),
    E(RuntimeError, f32(4), f32(2, 3), f32(4, 4), message=True)))  # fmt: skip


def _linear_exact_call(lib, bias, input, weight):
    """F.linear; on torchlike the opt-in exact-order addmm row, emulating two torch threads."""
    if lib.__name__ == "torch":
        return lib.nn.functional.linear(input, weight, bias)
    from torchlike._ops.dispatch import call as call_row
    from torchlike._ops.registry import TABLE

    return call_row(TABLE["_linear_addmm_exact"], (bias, input, weight.t()), {"threads": 2})


add("_linear_addmm_exact", lambda m: [S(m(5), m(3, 7), m(5, 7)), S(m(16), m(4, 24), m(16, 24))],
    call=_linear_exact_call, internal=True, dtypes=("float32", "float64"))  # fmt: skip
add("baddbmm", lambda m: [S(m(2, 2, 4), m(2, 2, 3), m(2, 3, 4)),
                          S(m(2, 4), m(2, 2, 3), m(2, 3, 4), beta=0.5, alpha=2)],
    dtypes=NUMERIC, out=True)  # fmt: skip
add("addmv", lambda m: [S(m(2), m(2, 3), m(3)), S(m(), m(2, 3), m(3), beta=2, alpha=0.5)],
    dtypes=NUMERIC, out=True)  # fmt: skip
add("einsum", lambda m: [S("ij,jk->ik", m(2, 3), m(3, 4)), S("ii->i", m(3, 3)),
                         S("bij,bjk->bik", [m(2, 2, 3), m(2, 3, 2)]), S("i,i->", m(3), m(3))],
    dtypes=NUMERIC)  # fmt: skip
add("tensordot", lambda m: [S(m(2, 3, 4), m(3, 4, 2)), S(m(2, 3), m(3, 2), 1),
                            S(m(2, 3), m(3, 2), ([1], [0]))], dtypes=NUMERIC)  # fmt: skip
add("kron", lambda m: [S(m(2, 2), m(2, 3)), S(m(2), m(3))], dtypes=NUMERIC, out=True)

# ----- conversion and indexing -------------------------------------------------------------
add("to_copy", lambda m: [S(m(2, 3), Dtype("float64")), S(m(2, 3), Dtype("float32")),
                          S(m(), Dtype("int64"))],
    call=lambda lib, x, dtype: x.to(dtype), dtypes=NUMERIC, internal=True)  # fmt: skip
add("index", lambda m: [S(m(4, 3), np.array([2, 0, 2])), S(m(4, 3), m.mask(4, 3)),
                        S(m(4, 3), (np.array([0, 1]), np.array([2, 2])))],
    call=lambda lib, x, index: x[index], dtypes=NUMERIC, internal=True)  # fmt: skip


add("index_put", lambda m: [S(m(4, 3), (np.array([2, 0]),), m(2, 3)),
                            S(m(4, 3), (m.mask(4, 3),), m()),
                            S(m(4, 3), (np.array([0, 1]), np.array([2, 2])), m(2)),
                            S(m(4, 3), (np.array([1, 1, 2]),), m(3, 3), True)],
    dtypes=NUMERIC)  # fmt: skip
add("alias", unary(), dtypes=NUMERIC, internal=True,
    call=lambda lib, x: lib.ops.aten.alias(x) if hasattr(lib, "ops") else lib.alias(x))  # fmt: skip


# ----- softmax and losses ------------------------------------------------------------------
for _name in ("softmax", "log_softmax"):
    add(_name, lambda m: [S(m(3, 4), 1), S(m(2, 3, 4), 0), S(m(), 0), S(m(0, 3), 1),
                          S(m(3, 4), -1, dtype=Dtype("float64"))], gradgrad=True)  # fmt: skip


def nll_samples(m: Maker):
    return [S(m(3, 4), np.array([0, 3, 1])), S(m(3, 4), np.array([0, 3, 1]), reduction="sum"),
            S(m(3, 4), np.array([2, -100, 1]), reduction="none"),
            S(m(3, 4), np.array([0, 3, 1]), m.within(0.5, 2)(4)), S(m(4), np.array(2)),
            S(m(2, 3, 2, 2), m.ints(0, 3, 2, 2, 2))]  # fmt: skip


add("mse_loss", lambda m: [S(m(2, 3), m(2, 3)), S(m(2, 3), m(2, 3), reduction="sum"),
                           S(m(2, 3), m(2, 3), reduction="none"), S(m(), m())],
    call=functional("mse_loss"), gradgrad=True, internal=True)  # fmt: skip
add("nll_loss", nll_samples, call=functional("nll_loss"), internal=True, grad_args=(0,))


# ----- convolutions ------------------------------------------------------------------------
def conv_samples(dims: int):
    def samples(m: Maker):
        k = (3,) * dims
        return [S(m(2, 4, *(6,) * dims), m(3, 4, *k), m(3)),
                S(m(1, 4, *(7,) * dims), m(4, 2, *k), None, 2, 1, 1, 2),
                S(m(4, *(5,) * dims), m(2, 4, *k), m(2), padding="same", dilation=2),
                S(m(1, 2, *(5,) * dims), m(2, 2, *(2,) * dims), padding="valid",
                  stride=(2,) * dims),
                S(m(0, 2, *(4,) * dims), m(3, 2, *k), m(3))]  # fmt: skip

    return samples


def conv_errors(dims: int):
    x, w = f32(1, 4, *(8,) * dims), f32(6, 3, *(3,) * dims)
    return (E(RuntimeError, x, w, message=True), E(RuntimeError, f32(8), w, message=True),
            E(RuntimeError, f32(1, 6, *(8,) * dims), f32(5, 3, *(3,) * dims), groups=2,
              message=True),
            E(RuntimeError, f32(1, 3, *(2,) * dims), w, message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, f32(5), message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, stride=2, padding="same", message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, padding="full", message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, padding=-1, message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, stride=0, message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), np.ones(w.shape), message=True),
            E(RuntimeError, np.ones((1, 3, *(8,) * dims)), w, message=True),
            E(RuntimeError, f32(1, 3, *(8,) * dims), w, np.ones(6), message=True))  # fmt: skip


for _dims in (1, 2, 3):
    add(f"conv{_dims}d", conv_samples(_dims), dtypes=NUMERIC, errors=conv_errors(_dims))


# Records kept beside their families; imported last so they can use the helpers above.
import op_db_layers  # noqa: E402, F401
import op_db_nn  # noqa: E402, F401
import op_db_rnn  # noqa: E402, F401
import op_db_sorting  # noqa: E402, F401
