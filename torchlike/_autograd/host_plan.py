"""A chunk's interpreted VJP programs joined into one run over numpy registers.

The chunk loop (`host.py`) goes node by node: it looks up each node's kernel, gathers and
converts its primals and cotangents, runs the kernel's interpreter program, checks every
result for subnormals and routes the gradients. For a node on a few numbers that bookkeeping
costs ten times its arithmetic. A chunk signature (`segments._Layout`) fixes everything that
bookkeeping decides: which kernel each node runs, where its primals sit among the chunk's
distinct arrays, which gradients wait where, and where each result goes. So the first chunk
of a signature whose kernels are all interpreted builds a `Plan`: every node's program
(`_interpreter.Program`) inlined into one list of steps over one register file, zeros for the
cotangents that never arrive, and the chunk loop's left-to-right sums as add steps in the same
order. Later chunks of the signature (a 1000-step loop's backward is one signature over and
over) run the plan: the same numpy operations on the same values in the same order, hence the
same bits, with the subnormal checks of all inputs and results done once at the end. A run
that meets a subnormal, or anything else the interpreter abandons, returns None and the chunk
loop runs the chunk instead, as before.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import jax
import numpy as np

from .. import _interpreter, _tiers
from . import host
from .kernels import entry_of, stats

PLAN_LIMIT = 128  # plans kept (LRU), like the compiled segments
_plans: OrderedDict = OrderedDict()
_NO_PLAN = object()  # a signature whose chunks cannot run as a plan
_Array = jax.Array

stats.update(host_plan_runs=0)


def clear() -> None:
    _plans.clear()


def run(ops: list, layout, distinct: list):
    """The gradients at the chunk's outside slots as the chunk loop gives them (JAX arrays or
    None), or None where the chunk loop must run the chunk."""
    if _tiers._settings["mode"] != "on":  # "verify" compares every kernel run: node by node
        return None
    signature = layout.signature
    plan = _plans.get(signature)
    if plan is None:
        plan = _build(ops, layout, distinct)
        if plan is None:  # a program not traced yet: maybe the next chunk
            return None
        _plans[signature] = plan
        if len(_plans) > PLAN_LIMIT:
            _plans.popitem(last=False)
    else:
        _plans.move_to_end(signature)
    if plan is _NO_PLAN:
        return None
    outs = plan.run(distinct, layout.inputs)
    if outs is not None:
        stats["host_plan_runs"] += 1
        _tiers.stats["interpreted_runs"] += len(ops)
    return outs


class Plan:
    """Steps `(call, input registers, output register or registers)` over registers that
    start as the programs' constants; see the module."""

    __slots__ = ("steps", "registers", "inputs", "checked", "outside", "kernels")

    def run(self, distinct: list, waiting: list):
        for kernel in self.kernels:
            if not kernel.interpreting():  # compiled meanwhile: the chunk loop calls it
                return None
        registers = list(self.registers)
        inputs = []
        for register, value in zip(self.inputs, (*distinct, *waiting)):
            value = _host(value)
            if value is None:
                return None
            registers[register] = value
            inputs.append(value)
        with np.errstate(all="ignore"):
            try:
                for call, ins, outs in self.steps:
                    result = call(*[registers[i] for i in ins])
                    if outs.__class__ is int:
                        registers[outs] = result
                    else:
                        for i, value in zip(outs, result):
                            registers[i] = value
            except _interpreter._Abandon:
                return None
        inputs.extend(registers[i] for i in self.checked)
        if _interpreter.any_subnormal(inputs):
            return None
        return [None if i is None else _interpreter.to_jax(registers[i]) for i in self.outside]


def _host(value):
    """A chunk input as numpy, or None where it must stay in JAX (another device)."""
    if isinstance(value, _Array):
        on_host = _tiers.host_sharding()
        if on_host is not None and value.sharding != on_host:
            return None
        return np.asarray(value)
    return value if isinstance(value, np.ndarray) else None


def _build(ops: list, layout, distinct: list):
    """The chunk's Plan; _NO_PLAN where its chunks cannot run as one (a kernel compiled or not
    interpretable, a gradient that would need a cast or a broadcast); None while a kernel has
    no program yet."""
    registers: list = []

    def new(value=None) -> int:
        registers.append(value)
        return len(registers) - 1

    inputs = [new() for _ in range(len(distinct) + len(layout.inputs))]
    avals = [(a.shape, np.dtype(a.dtype)) for a in (*distinct, *layout.inputs)]
    local: list = [{} for _ in ops]  # per node: output number -> (register, shape, dtype)
    outside: list = [None] * len(layout.outside)
    waiting = layout.signature[1]
    for j, (where, nr, *_aval) in enumerate(waiting):
        slot = (inputs[len(distinct) + j], *avals[len(distinct) + j])
        if where >= 0:
            local[where][nr] = slot
        else:
            outside[-1 - where] = slot
    steps: list = []
    checked: list = []
    kernels: list = []
    for k, node in enumerate(ops):
        tiered = entry_of(node).kernel.top_level
        program = tiered.program
        if program is None and tiered.interpreting():
            return None
        if not tiered.interpreting() or not program.strong:
            return _NO_PLAN
        if tiered not in kernels:
            kernels.append(tiered)
        leaves = [inputs[j] for j in layout.positions[k]]
        leaf_avals = [avals[j] for j in layout.positions[k]]
        for i in node.diff_outputs:
            shape, dtype = node.out_avals[i]
            slot = local[k].get(i)
            if slot is None:
                leaves.append(new(host._host_zeros(shape, dtype)))
            elif slot[1] != tuple(shape) or slot[2] != np.dtype(dtype):
                return _NO_PLAN  # the chunk loop casts it
            else:
                leaves.append(slot[0])
            leaf_avals.append((tuple(shape), np.dtype(dtype)))
        if [(tuple(s), np.dtype(d)) for s, d in tiered.avals] != leaf_avals:
            return _NO_PLAN
        outs = _inline(program, leaves, new, steps, checked)
        result = [None] * len(layout.positions[k])
        for i, register, aval in zip(node.diff_inputs, outs, program.out_avals):
            result[i] = (register, tuple(aval.shape), np.dtype(aval.dtype))
        for target, grad in zip(layout.targets[k], [result[i] for i in node.edges]):
            if target is None or grad is None:
                continue
            if type(target) is tuple:
                slots, key = local[target[0]], target[1]
                before = slots.get(key)
            else:
                slots, key = outside, -1 - target
                before = slots[key]
            if before is None:
                slots[key] = grad
                continue
            if before[1:] != grad[1:]:
                return _NO_PLAN  # the chunk loop adds these in JAX
            total = new()
            steps.append((np.add, (before[0], grad[0]), total))
            checked.append(total)
            slots[key] = (total, *grad[1:])
    plan = Plan()
    plan.steps, plan.registers, plan.inputs = steps, registers, inputs
    plan.checked, plan.kernels = checked, kernels
    plan.outside = [None if slot is None else slot[0] for slot in outside]
    return plan


def _inline(program, leaves: list, new, steps: list, checked: list) -> list:
    """Append the program's steps, renumbered into the plan's registers; the registers of its
    outputs."""
    where = {}
    for index, value in enumerate(program.registers):
        if value is not None:  # a constant
            where[index] = new(value)
    for index, leaf in zip(program.inputs, leaves):
        where[index] = leaf
    for rule, params, ins, outs in program.steps:
        ins = tuple(where[i] for i in ins)
        if rule is _interpreter._integer_pow and params["y"] != 0:
            where[outs] = _power(params["y"], ins[0], new, steps, checked)
            continue
        if outs.__class__ is int:
            mapped = where[outs] = new()
            made = (mapped,)
        else:
            made = mapped = tuple(new() for _ in outs)
            where.update(zip(outs, mapped))
        unchecked = getattr(rule, "unchecked", None)
        if unchecked is None:
            call = functools.partial(rule, params)
        else:  # checked at the end of the run
            call = rule.ufunc or functools.partial(unchecked, params)
            checked.extend(made)
        steps.append((call, ins, mapped))
    return [where[i] if i >= 0 else leaves[-i - 1] for i in program.outputs]


def _power(y: int, x: int, new, steps: list, checked: list) -> int:
    """An integer power as its multiplies and reciprocal (`_interpreter.power_steps`), each
    result checked at the end of the run; the result's register."""
    chain, result = _interpreter.power_steps(y)
    values = [x]
    for step in chain:
        values.append(new())
        if step[0] == "mul":
            steps.append((np.multiply, (values[step[1]], values[step[2]]), values[-1]))
        else:
            steps.append((_interpreter.reciprocal, (values[step[1]],), values[-1]))
        checked.append(values[-1])
    return values[result]
