"""A numpy evaluator for the jaxprs of small kernels, so a kernel's first calls compile nothing.

XLA compiles even a one-op program in about 20 ms on a CPU, while numpy runs a small
elementwise op in a microsecond. `program(fn, args)` traces `fn` once per input signature and
returns a `Program` when every equation is one whose numpy evaluation gives XLA's CPU bits:
exact IEEE arithmetic (add, sub, mul, div, sqrt, integer powers as XLA's multiply chain),
comparisons, selects, conversions that round or widen, max/min with XLA's NaN and signed-zero
rules, float sums that come out exact (see `_exact_sum`), and data movement (reshape,
broadcast, transpose, slice, concatenate, ...), over float32, float64, integer and bool arrays.
Anything whose bits depend on an implementation (matmuls, transcendental functions, half and
complex types, gathers) makes the kernel non-interpretable, and it compiles as before; so do
programs where XLA's algebraic simplifier could rewrite the arithmetic (see `_rewritten`).
Single elementwise ops, the bulk of a script's first calls, qualify, and so does torch's
float32 `sum` of values within a modest range of magnitudes.

XLA's CPU runtime flushes subnormal inputs and results to zero and numpy does not; a run that
reads or makes a subnormal float is abandoned (`Program.run` returns None) and the caller
runs the compiled or eager path instead, so an interpreted result always has XLA's bits. A
float sum that would round somewhere is abandoned the same way.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax._src import core
from jax._src.interpreters import partial_eval as pe
from jax._src.lib import xla_client as xc

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_DTYPES = frozenset(
    [*_FLOATS, np.dtype(bool)]
    + [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)]
    + [np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)]
)
# Bit patterns of the subnormals, by float width: 0 < (bits & ~sign) < smallest normal.
_SUBNORMAL = {
    np.dtype(t): (u, u(m), u(top), np.finfo(t).tiny)
    for t, u, m, top in (
        (np.float32, np.uint32, 0x7FFFFFFF, 0x007FFFFF),
        (np.float64, np.uint64, 0x7FFFFFFFFFFFFFFF, 0x000FFFFFFFFFFFFF),
    )
}


def has_subnormal(x) -> bool:
    """Whether a float32/float64 array holds a subnormal (what XLA's CPU runtime flushes)."""
    spec = _SUBNORMAL.get(x.dtype)
    if spec is None or x.size == 0:
        return False
    if x.size <= _FEW:  # Python floats beat two ufunc calls on a few values
        smallest = min(map(abs, x.ravel().tolist()))  # NaN, if first, is never replaced
    else:
        smallest = _minimum(_abs(x), axis=None)
    if smallest >= spec[3]:  # the common case: no zero, NaN or subnormal anywhere
        return False
    utype, magnitude, top, _tiny = spec
    bits = np.asarray(x).view(utype) & magnitude
    return bool(((bits <= top) & (bits != 0)).any())


_minimum, _abs = np.minimum.reduce, np.abs
_FEW = 16


def any_subnormal(values) -> bool:
    """Whether any of the arrays holds a float32/float64 subnormal, checked all at once: their
    concatenation comes out float32 only when no value is wider (a float32 subnormal stays
    one); otherwise the arrays of each float type are joined and checked apart."""
    if not values:
        return False
    joined = np.concatenate(values, axis=None)
    if joined.dtype == _FLOATS[0]:
        return has_subnormal(joined)
    if joined.dtype not in _FLOATS:  # integers and booleans only
        return False
    groups: dict = {}
    for x in values:
        if x.dtype in _SUBNORMAL:
            groups.setdefault(x.dtype, []).append(x)
    return any(has_subnormal(np.concatenate(group, axis=None)) for group in groups.values())


class _Abandon(Exception):
    """This run's bits could differ from XLA's (a float op read or made a subnormal, which XLA
    flushes, or a sum would round), so the run is abandoned."""


# ----- rules: numpy evaluation of one primitive, giving XLA's CPU bits ---------------------------


def _flushing(fn, ufunc=None):
    """An arithmetic rule whose float result XLA would flush to zero if subnormal. For a
    caller that checks all results at once, `unchecked` is `fn` itself and `ufunc` the numpy
    function a binary rule applies to its two arrays (None for other rules)."""

    def rule(params, *args):
        return _check(fn(params, *args))

    rule.unchecked, rule.ufunc = fn, ufunc
    return rule


def _binary(ufunc):
    return _flushing(lambda params, a, b: ufunc(a, b), ufunc)


def _max_min(pick, negative_zero):
    """XLA's max/min: NaN wins, and +0 > -0 (numpy returns either zero)."""

    def rule(params, a, b):
        out = pick(a, b)
        if out.dtype in _FLOATS:
            zeros = (a == 0) & (b == 0)
            if np.any(zeros):
                sign = negative_zero(np.signbit(a), np.signbit(b))
                out = np.where(zeros, np.where(sign, -0.0, 0.0).astype(out.dtype), out)
        return out

    return rule


def _integer_pow(params, x):
    """lax.integer_pow as XLA lowers it (`power_steps`)."""
    y = params["y"]
    if y == 0:
        return np.ones_like(x)
    steps, result = power_steps(y)
    values = [x]
    for step in steps:
        if len(step) == 3:
            values.append(_check(np.multiply(values[step[1]], values[step[2]])))
        else:
            values.append(_check(reciprocal(values[step[1]])))
    return values[result]


@functools.lru_cache(maxsize=64)
def power_steps(y: int) -> tuple:
    """x**y for y != 0 as XLA computes it: square-and-multiply, then a reciprocal for y < 0.
    Value 0 is x; each step, ("mul", a, b) or ("reciprocal", a), makes the next value from
    earlier ones; (steps, the result's value)."""
    steps, power, acc, x = [], abs(y), None, 0
    while power > 0:
        if power & 1:
            if acc is not None:
                steps.append(("mul", acc, x))
                acc = len(steps)
            else:
                acc = x
        power >>= 1
        if power > 0:
            steps.append(("mul", x, x))
            x = len(steps)
    if y < 0:
        steps.append(("reciprocal", acc))
        acc = len(steps)
    return tuple(steps), acc


def reciprocal(x):
    """1 / x, rounded once (as dividing a ones array by x)."""
    return np.divide(x.dtype.type(1), x)


def _check(out):
    if out.dtype in _FLOATS and has_subnormal(out):
        raise _Abandon
    return out


def _convert(params, x):
    return _check(np.asarray(x).astype(params["new_dtype"]))


def _convertible(params, in_dtype) -> bool:
    new = np.dtype(params["new_dtype"])
    if in_dtype in _FLOATS:  # float -> int saturates differently in XLA and numpy
        return new in _FLOATS or new == np.dtype(bool)
    return True


def _select_n(params, which, *cases):
    if len(cases) == 1:
        return cases[0]
    if which.dtype == np.dtype(bool):
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _broadcast_in_dim(params, x):
    shape, dims = params["shape"], params["broadcast_dimensions"]
    expanded = [1] * len(shape)
    for axis, size in zip(dims, np.shape(x)):
        expanded[axis] = size
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _slice(params, x):
    strides = params["strides"] or (1,) * np.ndim(x)
    return x[tuple(map(slice, params["start_indices"], params["limit_indices"], strides))]


def _iota(params):
    shape, dim = params["shape"], params["dimension"]
    values = np.arange(shape[dim], dtype=params["dtype"])
    column = [-1 if i == dim else 1 for i in range(len(shape))]
    return np.broadcast_to(values.reshape(column), shape)


def _squeeze(params, x):
    return np.squeeze(x, axis=tuple(params["dimensions"]))


def _split(params, x):
    cuts = np.cumsum(params["sizes"])[:-1]
    return tuple(np.split(x, cuts, axis=params["axis"]))


def _reduce(ufunc):
    return lambda params, x: ufunc.reduce(x, axis=tuple(params["axes"]))


# Per float type: its unsigned view, mantissa bits (its precision is one more), exponent mask,
# and the exponent of the mantissa's lowest bit at biased exponent 0 (bias + mantissa bits).
_LAYOUT = {
    np.dtype(np.float32): (np.uint32, 23, 0xFF, 150),
    np.dtype(np.float64): (np.uint64, 52, 0x7FF, 1075),
}


def _exact_sum(params, x):
    """A float reduce_sum whose every partial sum is exact, so that every summation order
    (XLA picks its own: sequential, vectorized, a tree) gives the exact sum; else abandoned.

    The values are integer multiples of 2**g (g: the lowest set bit over all nonzero values).
    When n * max|x| < 2**(g + p), p the type's precision, every partial sum of n of them is
    such a multiple below 2**(g + p), hence representable. torch's float32 `sum` accumulates
    in float64 (see `_ops.reduction`), where this holds for spreads of up to about 2**25.
    """
    axes = tuple(params["axes"])
    out = np.add.reduce(x, axis=axes)
    count = 1
    for axis in axes:
        count *= x.shape[axis]
    if count > 1:
        largest = _maximum(_abs(x), axis=None)
        if not np.isfinite(largest):
            raise _Abandon  # inf - inf and NaN payloads: leave them to XLA
        precision = _LAYOUT[x.dtype][1] + 1
        bound = np.ldexp(1.0, _granularity(x) + precision) if largest != 0 else 1.0
        if count * float(largest) >= bound:
            raise _Abandon
    # XLA's sum starts from +0.0, numpy's from the first value: they differ on -0.0 + -0.0.
    zero = out == 0
    if np.any(zero):
        if np.any(zero & np.logical_and.reduce(np.signbit(x), axis=axes)):
            raise _Abandon  # a sum of negative zeros (XLA may or may not add the +0.0)
        out = out + out.dtype.type(0.0)
    return _check(out)


_maximum = np.maximum.reduce


def _granularity(x) -> int:
    """The exponent of the lowest set bit over the nonzero values of a float array."""
    utype, width, exponent_mask, bias = _LAYOUT[x.dtype]
    bits = np.asarray(x).reshape(-1).view(utype)
    biased = (bits >> utype(width)) & utype(exponent_mask)
    implicit = np.where(biased > 0, utype(1 << width), utype(0))  # normal numbers' leading 1
    mantissa = (bits & utype((1 << width) - 1)) | implicit
    nonzero = mantissa != 0
    mantissa, biased = mantissa[nonzero], biased[nonzero]
    lowest = mantissa & (~mantissa + utype(1))  # the lowest set bit, as an integer
    position = np.frexp(lowest.astype(np.float64))[1] - 1
    exponent = np.maximum(biased.astype(np.int64), 1) - bias + position
    return int(exponent.min())


_RULES = {
    "add": _binary(np.add),
    "sub": _binary(np.subtract),
    "mul": _binary(np.multiply),
    "neg": lambda p, x: np.negative(x),
    "abs": lambda p, x: np.abs(x),
    "sqrt": lambda p, x: np.sqrt(x),
    "floor": lambda p, x: np.floor(x),
    "ceil": lambda p, x: np.ceil(x),
    "is_finite": lambda p, x: np.isfinite(x),
    "max": _max_min(np.maximum, np.logical_and),
    "min": _max_min(np.minimum, np.logical_or),
    "integer_pow": _integer_pow,
    "square": _flushing(lambda p, x: np.multiply(x, x)),
    "eq": lambda p, a, b: np.equal(a, b),
    "ne": lambda p, a, b: np.not_equal(a, b),
    "lt": lambda p, a, b: np.less(a, b),
    "le": lambda p, a, b: np.less_equal(a, b),
    "gt": lambda p, a, b: np.greater(a, b),
    "ge": lambda p, a, b: np.greater_equal(a, b),
    "and": lambda p, a, b: np.bitwise_and(a, b),
    "or": lambda p, a, b: np.bitwise_or(a, b),
    "xor": lambda p, a, b: np.bitwise_xor(a, b),
    "not": lambda p, x: np.invert(x),
    "select_n": _select_n,
    "convert_element_type": _convert,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": lambda p, x: np.reshape(x, p["new_sizes"]),
    "squeeze": _squeeze,
    "transpose": lambda p, x: np.transpose(x, p["permutation"]),
    "rev": lambda p, x: np.flip(x, tuple(p["dimensions"])),
    "slice": _slice,
    "concatenate": lambda p, *xs: np.concatenate(xs, axis=p["dimension"]),
    "iota": _iota,
    "copy": lambda p, x: np.array(x),
    "copy_p": lambda p, x: np.array(x),
    "split": _split,
    # an identity the compiler cannot see through (a divisor broadcast behind one reaches the
    # division as a whole array, see pointwise._divide): a register of its own, no broadcast
    "optimization_barrier": lambda p, *xs: xs[0] if len(xs) == 1 else list(xs),
    "reduce_or": _reduce(np.bitwise_or),
    "reduce_and": _reduce(np.bitwise_and),
}
_FLOAT_DIV = _binary(np.divide)
_INT_ONLY = {  # exact for integers; float max/min differ on NaN and signed zeros
    "reduce_sum": _reduce(np.add),
    "reduce_max": _reduce(np.maximum),
    "reduce_min": _reduce(np.minimum),
}
_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "custom_jvp_call": "call_jaxpr",
          "custom_vjp_call": "call_jaxpr", "closed_call": "call_jaxpr"}  # fmt: skip


def _rule(eqn):
    """The numpy rule for one equation, or None when its bits could differ from XLA's."""
    name = eqn.primitive.name
    in_dtypes = [np.dtype(v.aval.dtype) for v in eqn.invars]
    if name == "div":
        return _FLOAT_DIV if in_dtypes[0] in _FLOATS else None
    if name == "reduce_sum" and in_dtypes[0] in _FLOATS:
        return _exact_sum
    if name in _INT_ONLY:
        return _INT_ONLY[name] if in_dtypes[0] not in _FLOATS else None
    if name == "integer_pow" and in_dtypes[0] not in _FLOATS and eqn.params["y"] < 0:
        return None
    if name == "convert_element_type" and not _convertible(eqn.params, in_dtypes[0]):
        return None
    if name == "reshape" and eqn.params.get("dimensions") is not None:
        return None
    return _RULES.get(name)


# ----- programs ---------------------------------------------------------------------------------


class _NotInterpretable(Exception):
    """An equation without a numpy rule that gives XLA's bits."""


class Program:
    """A kernel's jaxpr flattened into numpy steps over a register file."""

    __slots__ = ("steps", "registers", "inputs", "outputs", "out_avals", "out_tree", "checks",
                 "strong")  # fmt: skip

    def run(self, args):
        """The kernel's outputs as JAX arrays, or None when the run is abandoned (`_Abandon`)."""
        values = [np.asarray(arg) for arg in args]
        with np.errstate(all="ignore"):
            for position in self.checks:
                if has_subnormal(values[position]):
                    return None
            outs = self.evaluate(values)
        if outs is None:
            return None
        results = []
        for index, aval, value in zip(self.outputs, self.out_avals, outs):
            # an input returned as it is stays that very array
            results.append(args[-index - 1] if index < 0 else _to_jax(value, aval))
        return jax.tree_util.tree_unflatten(self.out_tree, results)

    def evaluate(self, values):
        """The flat outputs as numpy arrays, for numpy inputs already free of subnormals, or
        None when the run is abandoned. Call it under `np.errstate(all="ignore")`."""
        registers = list(self.registers)
        for index, value in zip(self.inputs, values):
            registers[index] = value
        try:
            for rule, params, ins, outs in self.steps:
                result = rule(params, *[registers[i] for i in ins])
                if outs.__class__ is int:
                    registers[outs] = result
                else:
                    for i, value in zip(outs, result):
                        registers[i] = value
        except _Abandon:
            return None
        return [values[-index - 1] if index < 0 else registers[index] for index in self.outputs]


_DEVICE: list = []


def to_jax(value):
    """A numpy result as a JAX array on the CPU (not weak-typed)."""
    value = np.asarray(value)
    aval = _AVALS.get((value.shape, value.dtype))
    if aval is None:
        if len(_AVALS) > 1024:
            _AVALS.clear()
        aval = _AVALS[(value.shape, value.dtype)] = core.ShapedArray(value.shape, value.dtype)
    return _to_jax(value, aval)


_AVALS: dict = {}


def _to_jax(value, aval):
    if not _DEVICE:
        device = jax.devices("cpu")[0]
        _DEVICE.extend((device, jax.sharding.SingleDeviceSharding(device)))
    device, sharding = _DEVICE
    value = np.asarray(value, dtype=aval.dtype)
    if value.base is not None or not value.flags.writeable or not value.flags.c_contiguous:
        value = value.copy()  # a view of an input's buffer, or of a broadcast
    return xc.batched_device_put(aval, sharding, [value], [device], False)


def program(fn, args):
    """`fn`'s Program for arguments shaped like `args`, or None when it cannot be interpreted."""
    try:
        closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    except Exception:  # noqa: BLE001 - untraceable here: the caller's compiled or eager path decides
        return None
    try:
        return _flatten(closed, out_shape)
    except _NotInterpretable:
        return None


def _flatten(closed, out_shape) -> Program:
    prog = Program()
    registers: list = []
    steps: list = []
    arith: set = set()  # registers that float arithmetic made, or that read such a value
    broadcasts: set = set()  # registers written by broadcast_in_dim
    products: set = set()  # registers holding plain products (see _rewritten)
    constants: set = set()  # registers holding literals and constants
    # Drop what the outputs do not read (a VJP's jaxpr keeps the forward's unused results).
    jaxpr, _ = pe.dce_jaxpr(closed.jaxpr, [True] * len(closed.jaxpr.outvars), instantiate=True)

    def new(value=None, constant=False):
        registers.append(value)
        if constant:
            constants.add(len(registers) - 1)
        return len(registers) - 1

    def var_check(var):
        aval = var.aval
        dtype = getattr(aval, "dtype", None)
        if not isinstance(aval, core.ShapedArray) or not isinstance(dtype, np.dtype):
            raise _NotInterpretable  # tokens, PRNG keys and other extended types
        if dtype not in _DTYPES:
            raise _NotInterpretable

    def inline(jaxpr, env):
        for eqn in jaxpr.eqns:
            for var in (*eqn.invars, *eqn.outvars):
                var_check(var)
            ins = [_read(env, v, new) for v in eqn.invars]
            sub = _CALLS.get(eqn.primitive.name)
            if sub is not None:
                inner = eqn.params[sub]
                inner_env = {}
                for var, const in zip(inner.jaxpr.constvars, inner.consts):
                    inner_env[var] = new(np.asarray(const), constant=True)
                for var, index in zip(inner.jaxpr.invars, ins):
                    inner_env[var] = index
                inline(inner.jaxpr, inner_env)
                for var, inner_out in zip(eqn.outvars, inner.jaxpr.outvars):
                    env[var] = _read(inner_env, inner_out, new)
                continue
            verdict = _rewritten(eqn, ins, arith, constants, broadcasts, products)
            if verdict is True:
                raise _NotInterpretable
            kept = _added_zero(eqn)
            if kept is not None:  # the compiler folds x + 0.0 to x (so -0.0 stays -0.0)
                env[eqn.outvars[0]] = ins[kept]
                continue
            rule = _rule(eqn)
            if rule is None:
                raise _NotInterpretable
            outs = [new() for _ in eqn.outvars]
            for var, index in zip(eqn.outvars, outs):
                env[var] = index
                if verdict:
                    arith.add(index)
                if verdict == "product":
                    products.add(index)
                if eqn.primitive.name == "broadcast_in_dim":
                    broadcasts.add(index)
            steps.append((rule, eqn.params, tuple(ins), outs[0] if len(outs) == 1 else tuple(outs)))

    env = {}
    for var, const in zip(jaxpr.constvars, closed.consts):
        var_check(var)
        env[var] = new(np.asarray(const), constant=True)
    inputs = []
    for var in jaxpr.invars:
        var_check(var)
        env[var] = index = new()
        inputs.append(index)
    inline(jaxpr, env)
    outputs = []
    for var in jaxpr.outvars:
        index = _read(env, var, new)
        outputs.append(-inputs.index(index) - 1 if index in inputs else index)
    prog.steps, prog.registers, prog.inputs, prog.outputs = steps, registers, inputs, outputs
    prog.out_avals = [v.aval for v in jaxpr.outvars]
    prog.out_tree = jax.tree_util.tree_structure(out_shape)
    prog.checks = [i for i, v in enumerate(jaxpr.invars) if np.dtype(v.aval.dtype) in _FLOATS]
    prog.strong = not any(getattr(aval, "weak_type", False) for aval in prog.out_avals)
    return prog


def _added_zero(eqn):
    """For `x + 0.0` with a literal +0.0 of x's type, the position of x; else None."""
    if eqn.primitive.name != "add":
        return None
    for position, var in enumerate(eqn.invars):
        if isinstance(var, core.Literal) and np.dtype(var.aval.dtype) in _FLOATS:
            value = np.asarray(var.val)
            if value.shape == () and value == 0 and not np.signbit(value):
                return 1 - position
    return None


def _read(env, var, new):
    if isinstance(var, core.Literal):
        return new(np.asarray(var.val, dtype=var.aval.dtype), constant=True)
    return env[var]


# XLA's algebraic simplifier rewrites some float expressions into ones that round differently
# (A / sqrt(B) -> A * rsqrt(B), (A / B) / C -> A / (B * C), sqrt(A) * sqrt(A) -> A, constants
# gathered across chains of adds or multiplies, ...). So a program is interpreted only when no
# float arithmetic reads a value that float arithmetic made (through any ops in between), no
# division is by a constant, a scalar or a broadcast value (A / C -> A * (1 / C)) and no constant
# is subtracted from (0 - A -> -A). One chain is let through: products of products, where every
# multiply reads whole arrays that are inputs or plain products (a multiply, square or integer
# power of non-constant, non-broadcast operands, or the negation of one), as in the VJP of a
# division, -g * a * b**-2. No rule of the simplifier matches such a chain (its multiply rules
# need a constant, an exp, a sqrt or an rsqrt operand), which the interpreter tests check
# against the compiled program's bits. A float sum counts as arithmetic: it may only sum values
# no float arithmetic made.
_ARITH = frozenset(("add", "sub", "mul", "div", "sqrt", "integer_pow", "square", "reduce_sum"))
_PRODUCTS = frozenset(("mul", "integer_pow", "square"))


def _divides_by_one_value(eqn, divisor, constants: set, broadcasts: set) -> bool:
    """A divisor XLA turns into one reciprocal and a multiply: a constant, a scalar, or a
    broadcast value."""
    if divisor in constants or eqn.invars[1].aval.shape != eqn.outvars[0].aval.shape:
        return True
    return divisor in broadcasts


def _rewritten(eqn, ins, arith: set, constants: set, broadcasts: set, products: set):
    """True when XLA may rewrite this equation with what made its inputs; else whether its
    outputs carry float arithmetic: "product" (a plain product, see above), "arith" (made by
    it), "carry" (read from a value it made) or False."""
    name = eqn.primitive.name
    touched = any(i in arith for i in ins)
    floats = bool(eqn.invars) and np.dtype(eqn.invars[0].aval.dtype) in _FLOATS
    if name in _ARITH and floats:
        plain = name in _PRODUCTS and _whole_operands(eqn, ins, constants, broadcasts)
        if touched and not (
            name == "mul" and plain and all(i in products for i in ins if i in arith)
        ):
            return True
        if name == "div" and _divides_by_one_value(eqn, ins[1], constants, broadcasts):
            return True
        if name == "sub" and ins[0] in constants:
            return True
        return "product" if plain else "arith"
    if name == "neg" and floats and ins[0] in products:
        return "product"
    return "carry" if touched else False


def _whole_operands(eqn, ins, constants: set, broadcasts: set) -> bool:
    """No operand is a constant or a broadcast value, and each has the result's shape."""
    shape = eqn.outvars[0].aval.shape
    return all(
        i not in constants and i not in broadcasts and var.aval.shape == shape
        for i, var in zip(ins, eqn.invars)
    )
