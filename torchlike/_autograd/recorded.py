"""create_graph=True: a node's backward run as a recorded op, so it can be differentiated."""

from __future__ import annotations

from .. import _grad_mode
from .graph import OpNode
from .kernels import as_tensor, concrete, kernel_for, kernel_key, zeros

# The op that ends torch's backward formula for a node: the grad_fn a create_graph gradient
# shows (most elementwise formulas end in `grad * ...`, hence the default).
_BACKWARD_NAMES = {
    "SumBackward0": "ExpandBackward0", "SumBackward1": "ExpandBackward0",
    "MeanBackward0": "DivBackward0", "MeanBackward1": "DivBackward0",
    "DivBackward0": "DivBackward0", "LogBackward0": "DivBackward0",
    "SqrtBackward0": "DivBackward0", "NegBackward0": "NegBackward0",
    "ViewBackward0": "ViewBackward0", "TBackward0": "TBackward0",
    "TransposeBackward0": "TransposeBackward0", "PermuteBackward0": "PermuteBackward0",
    "UnsqueezeBackward0": "SqueezeBackward1", "MmBackward0": "MmBackward0",
    "ToCopyBackward0": "ToCopyBackward0", "SelectBackward0": "SelectBackwardBackward0",
    "SliceBackward0": "SliceBackwardBackward0", "TanhBackward0": "TanhBackwardBackward0",
    "SigmoidBackward0": "SigmoidBackwardBackward0", "ReluBackward0": "ThresholdBackwardBackward0",
    "SoftmaxBackward0": "SoftmaxBackwardDataBackward0",
    "LogSoftmaxBackward0": "LogSoftmaxBackwardDataBackward0",
}  # fmt: skip


class _RecordedBackward:
    """A node's VJP as a function of (the primals it reads..., cotangents...).

    The primals it does not read cannot change its result, so it is cached like an op.
    """

    __slots__ = ("kernel", "primals", "reads", "key")

    def __init__(self, node: OpNode, reads: tuple):
        full_key = kernel_key(node)
        self.kernel = kernel_for(node, full_key)  # jitted and cached when the node has a key
        self.primals, self.reads = concrete(node.primals), reads
        self.key = None if full_key is None else ("backward", full_key, reads)

    @property
    def formula_primals(self) -> range:
        return range(len(self.reads))

    def __call__(self, *arrays):
        full = list(self.primals)
        for i, a in zip(self.reads, arrays[: len(self.reads)]):
            full[i] = a
        return tuple(self.kernel(full, arrays[len(self.reads) :]))


def node_vjp_recorded(node: OpNode, grads: list, reads: tuple, passthrough: dict) -> list:
    """The node's backward run as a recorded op, so its result can be differentiated again.

    Only the primals the backward reads become inputs of the recorded op, so a gradient
    that does not depend on x (that of x * 2) does not require grad, as in torch; a gradient
    that passes through unchanged (that of a + b) is the incoming gradient itself.
    """
    from .._ops.dispatch import apply_fn
    from .._tensor import from_array

    backward_fn = _RecordedBackward(node, reads)
    cot_tensors = [
        as_tensor(grads[i]) if grads[i] is not None else from_array(zeros(node.out_avals[i]))
        for i in node.diff_outputs
    ]
    outs = [cot_tensors[passthrough[k]] if k in passthrough else None
            for k in range(len(node.diff_inputs))]  # fmt: skip
    if any(o is None for o in outs):
        leaves = [saved_tensor(node, i) for i in reads] + cot_tensors
        name = _BACKWARD_NAMES.get(type(node).__name__, "MulBackward0")
        with _grad_mode.enable_grad():
            computed = apply_fn(backward_fn, leaves, [t._value for t in leaves], name)
        outs = [o if o is not None else c for o, c in zip(outs, computed)]
    result = [None] * len(node.primals)
    for i, g in zip(node.diff_inputs, outs):
        result[i] = g
    return [result[i] for i in node.edges]


def saved_tensor(node: OpNode, i: int):
    """Input i of `node` as a tensor, connected to the graph as it was when recorded."""
    from .._tensor import from_array

    tensor = from_array(concrete([node.primals[i]])[0])
    if i in node.edges:
        grad_node, nr = node.next_functions[node.edges.index(i)]
        if grad_node is not None:
            tensor._grad_fn, tensor._output_nr = grad_node, nr
    return tensor
