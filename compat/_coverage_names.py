"""Names for compat/coverage.py: torch's public names, the ones torchlike implements, the ones
users reach first, and the ones each compat test mentions.

Public names come from the installed torch (the oracle); torchlike's from `hasattr` on the
matching torchlike namespace; mentions from the source of each collected compat test.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib
import inspect
import io
import pathlib
import re
import sys
import textwrap
import types

import torch

COMPAT = pathlib.Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Namespace:
    label: str  # how the report names it: "torch", "Tensor", "torch.nn", ...
    torch_path: str  # module path in torch; "torch.Tensor" names the class
    kind: str  # "toplevel", "tensor", "modules" or "members" (see public_names)

    @property
    def torchlike_path(self) -> str:
        return "torchlike" + self.torch_path.removeprefix("torch")


NAMESPACES = (
    Namespace("torch", "torch", "toplevel"),
    Namespace("Tensor", "torch.Tensor", "tensor"),
    Namespace("torch.nn", "torch.nn", "modules"),
    Namespace("torch.nn.functional", "torch.nn.functional", "members"),
    Namespace("torch.nn.init", "torch.nn.init", "members"),
    Namespace("torch.optim", "torch.optim", "members"),
    Namespace("torch.optim.lr_scheduler", "torch.optim.lr_scheduler", "members"),
    Namespace("torch.autograd", "torch.autograd", "members"),
    Namespace("torch.autograd.functional", "torch.autograd.functional", "members"),
    Namespace("torch.linalg", "torch.linalg", "members"),
    Namespace("torch.fft", "torch.fft", "members"),
    Namespace("torch.special", "torch.special", "members"),
    Namespace("torch.func", "torch.func", "members"),
    Namespace("torch.utils.data", "torch.utils.data", "members"),
)
BY_LABEL = {ns.label: ns for ns in NAMESPACES}

# torch.* classes users call or test against; TorchScript and dispatcher internals that torch
# also exports (AliasDb, Graph, FunctionSchema, ...) are left out of the public names.
USER_CLASSES = frozenset({
    "Tensor", "Size", "Generator", "device", "dtype", "finfo", "iinfo", "layout",
    "memory_format", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "autocast",
    "GradScaler", "Stream", "Event", "FloatTensor", "DoubleTensor", "HalfTensor",
    "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
    "BoolTensor", "UntypedStorage", "TypedStorage", "SymInt", "SymFloat", "SymBool",
    "OutOfMemoryError", "AcceleratorError",
})  # fmt: skip
# Helpers torch's own modules import for internal use; dir() shows them, users never call them.
NOISE_MODULES = frozenset({"torch._utils_internal", "torch._utils", "torch.overrides"})
NOISE_NAMES = frozenset({"has_torch_function", "has_torch_function_unary",
                         "has_torch_function_variadic"})  # fmt: skip

# The names tutorials and introductory courses reach for first (PyTorch's 60-minute blitz,
# "Learn the Basics", the autograd and nn tutorials, d2l.ai), most used first. Missing names
# are listed in this order, then alphabetically.
COMMON_NAMES = (
    "torch.tensor", "torch.nn.Module", "torch.nn.Linear", "Tensor.backward", "torch.no_grad",
    "torch.utils.data.DataLoader", "torch.optim.SGD", "torch.optim.Adam", "torch.nn.ReLU",
    "torch.nn.CrossEntropyLoss", "torch.nn.Conv2d", "torch.nn.Sequential", "Tensor.item",
    "Tensor.to", "torch.zeros", "torch.ones", "torch.randn", "torch.rand", "torch.arange",
    "torch.manual_seed", "torch.utils.data.Dataset", "torch.device", "Tensor.view",
    "Tensor.size", "Tensor.shape", "Tensor.numpy", "Tensor.detach", "torch.nn.functional.relu",
    "torch.nn.MaxPool2d", "torch.nn.Dropout", "torch.nn.MSELoss", "torch.nn.Flatten",
    "torch.nn.BatchNorm2d", "torch.save", "torch.load", "torch.cat", "torch.stack",
    "torch.matmul", "torch.float32", "torch.from_numpy", "Tensor.grad", "Tensor.requires_grad",
    "Tensor.zero_", "Tensor.sum", "Tensor.mean", "Tensor.argmax", "Tensor.reshape",
    "Tensor.tolist", "Tensor.cpu", "Tensor.cuda", "torch.nn.functional.softmax",
    "torch.nn.functional.cross_entropy", "torch.nn.functional.log_softmax",
    "torch.nn.functional.max_pool2d", "torch.nn.functional.dropout", "torch.nn.functional.conv2d",
    "torch.nn.Embedding", "torch.nn.LSTM", "torch.nn.GRU", "torch.nn.RNN", "torch.nn.LayerNorm",
    "torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.Sigmoid", "torch.nn.Tanh",
    "torch.nn.NLLLoss", "torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss", "torch.nn.ModuleList",
    "torch.nn.Conv1d", "torch.nn.AdaptiveAvgPool2d", "torch.nn.AvgPool2d",
    "torch.nn.BatchNorm1d", "torch.nn.GELU", "torch.nn.LeakyReLU", "torch.nn.MultiheadAttention",
    "torch.nn.TransformerEncoderLayer", "torch.nn.TransformerEncoder", "torch.nn.Identity",
    "torch.nn.ConvTranspose2d", "torch.nn.Upsample", "torch.nn.init.xavier_uniform_",
    "torch.nn.init.kaiming_normal_", "torch.nn.init.normal_", "torch.nn.init.zeros_",
    "torch.nn.init.constant_", "torch.optim.AdamW", "torch.optim.Optimizer",
    "torch.optim.RMSprop", "torch.optim.lr_scheduler.StepLR",
    "torch.optim.lr_scheduler.ReduceLROnPlateau", "torch.optim.lr_scheduler.CosineAnnealingLR",
    "torch.optim.lr_scheduler.ExponentialLR", "torch.optim.lr_scheduler.LambdaLR",
    "torch.optim.lr_scheduler.OneCycleLR", "torch.utils.data.TensorDataset",
    "torch.utils.data.random_split", "torch.utils.data.Subset", "torch.autograd.grad",
    "torch.autograd.Function", "torch.autograd.backward", "torch.autograd.functional.jacobian",
    "torch.autograd.functional.hessian", "torch.linspace", "torch.eye", "torch.full",
    "torch.randint", "torch.randperm", "torch.zeros_like", "torch.ones_like", "torch.where",
    "torch.max", "torch.sum", "torch.mean", "torch.argmax", "torch.exp", "torch.log",
    "torch.sigmoid", "torch.tanh", "torch.relu", "torch.softmax", "torch.clamp", "torch.sqrt",
    "torch.abs", "torch.mm", "torch.bmm", "torch.einsum", "torch.flatten", "torch.unsqueeze",
    "torch.squeeze", "torch.topk", "torch.sort", "torch.allclose", "torch.Tensor",
    "torch.float64", "torch.int64", "torch.long", "torch.set_grad_enabled",
    "torch.inference_mode", "torch.compile", "Tensor.unsqueeze", "Tensor.squeeze",
    "Tensor.permute", "Tensor.transpose", "Tensor.contiguous", "Tensor.float", "Tensor.long",
    "Tensor.clone", "Tensor.max", "Tensor.dim", "Tensor.numel", "Tensor.dtype", "Tensor.device",
    "Tensor.grad_fn", "Tensor.data", "Tensor.requires_grad_", "Tensor.copy_",
    "Tensor.uniform_", "Tensor.normal_", "Tensor.fill_", "Tensor.eq", "Tensor.t",
    "torch.linalg.norm", "torch.linalg.inv", "torch.linalg.solve", "torch.linalg.svd",
    "torch.linalg.eigh", "torch.fft.fft", "torch.fft.rfft", "torch.fft.ifft",
    "torch.special.expit", "torch.special.erf", "torch.func.grad", "torch.func.vmap",
    "torch.func.jacrev", "torch.func.functional_call",
)  # fmt: skip


def resolve(path: str):
    """The module or class at a dotted path ("torch.nn", "torch.Tensor"), or None if absent."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        module_path, _, attr = path.rpartition(".")
        try:
            return getattr(importlib.import_module(module_path), attr, None)
        except ModuleNotFoundError:
            return None


def _defined_for(obj, module_name: str) -> bool:
    """True when obj belongs to module_name: defined there, below it, or compiled into torch._C."""
    owner = getattr(obj, "__module__", None) or module_name
    if owner in NOISE_MODULES:
        return False
    if owner == module_name or owner.startswith((module_name + ".", "torch._C")):
        return True
    return owner == "torch" and not inspect.isclass(obj)  # builtins torch re-exports (F.conv2d)


def _keeps(ns: Namespace, name: str, obj) -> bool:
    if isinstance(obj, types.ModuleType) or name in NOISE_NAMES:
        return False
    if ns.kind == "tensor":
        return True
    if ns.kind == "modules":
        return inspect.isclass(obj) and issubclass(obj, torch.nn.Module)
    if ns.kind == "toplevel":
        if isinstance(obj, torch.dtype):
            return True
        if inspect.isclass(obj):
            return name in USER_CLASSES
        owner = getattr(obj, "__module__", None) or "torch"
        return callable(obj) and owner.startswith("torch") and owner not in NOISE_MODULES
    return callable(obj) and _defined_for(obj, ns.torch_path)


def public_names(ns: Namespace) -> list[str]:
    """Sorted public names of one torch namespace (the rules head COVERAGE.md)."""
    target = resolve(ns.torch_path)
    names = (n for n in dir(target) if not n.startswith("_"))
    return sorted(n for n in names if _keeps(ns, n, getattr(target, n)))


def _raises_not_implemented_only(fn) -> bool:
    """A function whose body (after its docstring) is only `raise NotImplementedError...`."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def is_placeholder(obj) -> bool:
    """None, an object marked `__torchlike_placeholder__`, or a function that only raises."""
    if obj is None or getattr(obj, "__torchlike_placeholder__", False) is True:
        return True
    return inspect.isfunction(obj) and _raises_not_implemented_only(obj)


def implemented_names(target, names) -> set[str]:
    """The names `target` (a torchlike module or class, or None) has as real attributes."""
    if target is None:
        return set()
    return {n for n in names if hasattr(target, n) and not is_placeholder(getattr(target, n))}


def qualified(label: str, name: str) -> str:
    return f"{label}.{name}"


def by_common_use(label: str, names) -> list[str]:
    """names ordered by COMMON_NAMES first, then alphabetically."""
    rank = {q: i for i, q in enumerate(COMMON_NAMES)}
    return sorted(names, key=lambda n: (rank.get(qualified(label, n), len(rank)), n))


# ----- names a compat test mentions ------------------------------------------------------------
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)")  # head.attr.attr
_TAIL = re.compile(r"[)\]]((?:\.[A-Za-z_]\w*)+)")  # f(x).attr, a[i].attr
LIBRARY_ROOTS = frozenset({"torch", "torchlike", "tl", "ns", "lib"})
ALIASES = {"F": ("nn", "functional"), "nn": ("nn",), "optim": ("optim",)}
# modules whose functions share names with torch's (np.ones, math.exp, re.compile, json.load)
NOT_LIBRARIES = frozenset({
    "np", "numpy", "jnp", "jax", "lax", "math", "cmath", "operator", "random", "rng", "RNG",
    "itertools", "functools", "os", "sys", "re", "pytest", "warnings", "inspect", "pickle",
    "copy", "json", "io", "subprocess", "textwrap", "pathlib", "struct", "threading",
    "importlib", "hnp", "st", "ml_dtypes", "collections", "dataclasses", "time", "builtins",
    "types", "typing", "zlib", "contextlib", "gc", "weakref", "self", "cls",
})  # fmt: skip
SUBNAMESPACES = ("nn", "optim", "autograd", "linalg", "fft", "special", "func", "utils")
_PATHS = sorted(
    ((tuple(ns.torch_path.split(".")[1:]), ns.label) for ns in NAMESPACES if ns.label != "torch"),
    key=lambda item: -len(item[0]),
)


@functools.cache
def public_sets() -> dict[str, frozenset[str]]:
    return {ns.label: frozenset(public_names(ns)) for ns in NAMESPACES}


@functools.cache
def _library_only() -> frozenset[str]:
    """Attributes that mark their owner as a library: torch.* names Tensor does not have."""
    public = public_sets()
    return (public["torch"] | frozenset(SUBNAMESPACES)) - public["Tensor"]


def _resolve_path(segments: list[str]) -> tuple[str, str]:
    """("nn", "functional", "relu") -> ("torch.nn.functional", "relu"); ("add",) -> torch's."""
    for path, label in _PATHS:
        if len(segments) > len(path) and tuple(segments[: len(path)]) == path:
            return label, segments[len(path)]
    return "torch", segments[0]


def _namespace_path(segments: list[str]) -> str | None:
    """The namespace label a whole path names (("autograd", "functional")), else None."""
    return next((label for path, label in _PATHS if tuple(segments) == path), None)


@functools.cache
def _piece_mentions(text: str) -> tuple[frozenset, frozenset, frozenset]:
    """Names one piece of source reaches through a library, the namespaces it refers to whole,
    and the attributes it takes of plain expressions."""
    chains = [(head, attrs.split(".")[1:]) for head, attrs in _CHAIN.findall(text)]
    chains += [("", attrs.split(".")[1:]) for attrs in _TAIL.findall(text)]
    libraries = LIBRARY_ROOTS | {
        head for head, attrs in chains if head not in NOT_LIBRARIES and attrs[0] in _library_only()
    }
    paths = [[*ALIASES[head], *attrs] if head in ALIASES else attrs
             for head, attrs in chains if head in libraries or head in ALIASES]  # fmt: skip
    owners = libraries | ALIASES.keys() | NOT_LIBRARIES
    plain = {attr for head, attrs in chains if head not in owners for attr in attrs}
    whole = {_namespace_path(path) for path in paths} - {None}
    return frozenset(map(_resolve_path, paths)), frozenset(whole), frozenset(plain)


def mentions(*texts: str) -> frozenset[tuple[str, str]]:
    """The public (namespace, name) pairs a test's source pieces mention (rule in COVERAGE.md).

    `.name` on a plain expression counts for Tensor, and for any namespace the pieces refer to
    whole (a test passing `t.autograd.functional` to its cases as `f`).
    """
    found, open_labels, plain = set(), {"Tensor"}, set()
    for text in texts:
        pairs, whole, attrs = _piece_mentions(text)
        found |= pairs
        open_labels |= whole
        plain |= attrs
    found |= {(label, attr) for label in open_labels for attr in plain}
    public = public_sets()
    return frozenset(pair for pair in found if pair[1] in public[pair[0]])


def case_key(module_stem: str, *parts: str) -> str:
    """One id for a test in both pytest's node ids and junit: test_ops::test_add[case]."""
    return "::".join((module_stem, *parts))


# ----- the source of each compat test --------------------------------------------------------
def _code_names(code) -> set[str]:
    """Global and attribute names a code object (and the functions nested in it) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _code_names(const)
    return names


def _lambda_source(fn) -> str:
    """Exactly the lambda's body, not the whole line it sits on (other table entries)."""
    if not hasattr(fn.__code__, "co_positions"):  # Python 3.10: the lines it sits on
        return inspect.getsource(fn)
    lines, _ = inspect.findsource(fn)
    spans = [p for p in fn.__code__.co_positions() if None not in p]
    line, col = min((p[0], p[2]) for p in spans)
    end_line, end_col = max((p[1], p[3]) for p in spans)
    text = "".join(lines[line - 1 : end_line])
    return text[col : len(text) - len(lines[end_line - 1]) + end_col]


def _in_compat(obj) -> bool:
    return str(getattr(sys.modules.get(obj.__module__), "__file__", "")).startswith(str(COMPAT))


def _functions_in(value) -> list:
    values = value if isinstance(value, tuple | list) else (value,)
    return [v for v in values if inspect.isfunction(v) and _in_compat(v)]


class SourceIndex:
    """The source text of each collected compat test, by the rule in COVERAGE.md's definitions."""

    def __init__(self):
        self._sources, self._tables = {}, {}

    def source(self, obj) -> str:
        if obj not in self._sources:
            if getattr(obj, "__name__", "") == "<lambda>":
                self._sources[obj] = _lambda_source(obj)
            else:
                try:
                    text = inspect.getsource(obj)
                except (OSError, TypeError):  # made at run time (type(...)): no source to read
                    text = ""
                start = re.search(r"^\s*(async\s+def|def|class)\b", text, re.M)
                self._sources[obj] = text[start.start() if start else 0 :]  # no decorators
        return self._sources[obj]

    def _table(self, module) -> tuple[str, dict[str, ast.AST]]:
        """A module's source and its top-level assignments by target name."""
        if module.__name__ not in self._tables:
            text = inspect.getsource(module)
            targets = {}
            for node in ast.parse(text).body:
                for target in getattr(node, "targets", [getattr(node, "target", None)]):
                    if isinstance(target, ast.Name) and getattr(node, "value", None):
                        targets[target.id] = node.value
            self._tables[module.__name__] = (text, targets)
        return self._tables[module.__name__]

    def _follow_object(self, obj, keys, pieces, seen) -> None:
        pieces.add(self.source(obj))
        owner = sys.modules.get(obj.__module__)
        if inspect.isclass(obj):
            names = {n.id for n in ast.walk(ast.parse(self.source(obj))) if isinstance(n, ast.Name)}
        else:
            names = _code_names(obj.__code__)
        for name in names:
            self._follow(owner, name, keys, pieces, seen)

    def _follow(self, module, name, keys, pieces, seen) -> None:
        """Adds the source behind a module-level name: a compat helper, fixture or table."""
        if module is None or (module.__name__, name) in seen:
            return
        seen.add((module.__name__, name))
        value = getattr(module, "__dict__", {}).get(name)
        value = getattr(value, "_get_wrapped_function", lambda: value)()  # a pytest fixture
        if inspect.isfunction(value) or inspect.isclass(value):
            if _in_compat(value):
                self._follow_object(value, keys, pieces, seen)
            return
        text, targets = self._table(module)
        node = targets.get(name)
        if node is None:
            return
        parts = [node]
        if isinstance(node, ast.Dict):  # a table of cases: only the entry this test runs
            keyed = [v for k, v in zip(node.keys, node.values)
                     if isinstance(k, ast.Constant) and k.value in keys]  # fmt: skip
            parts = keyed or parts
        if isinstance(value, dict) and parts == [node] and keys & value.keys():
            parts = []  # a registry filled at import time (@case): the functions it holds
            for key in keys & value.keys():
                for fn in _functions_in(value[key]):
                    self._follow_object(fn, keys, pieces, seen)
        for part in parts:
            pieces.add(ast.get_source_segment(text, part) or "")
            for sub in ast.walk(part):
                if isinstance(sub, ast.Name):
                    self._follow(module, sub.id, keys, pieces, seen)

    def pieces(self, item) -> set[str]:
        params = getattr(getattr(item, "callspec", None), "params", {})
        keys = {v for v in params.values() if isinstance(v, str | int) and not isinstance(v, bool)}
        pieces, seen = set(), set()
        self._follow_object(item.function, keys, pieces, seen)
        for value in params.values():
            for fn in _functions_in(value):
                self._follow_object(fn, keys, pieces, seen)
        for name in item.fixturenames:
            self._follow(item.module, name, keys, pieces, seen)
        return pieces


class _Collector:
    def pytest_collection_modifyitems(self, items):
        self.items = list(items)


def mentions_by_test(compat: pathlib.Path, ignore: pathlib.Path) -> dict[str, frozenset]:
    """test key -> the public (namespace, name) pairs its text mentions (collects, runs nothing)."""
    import pytest

    collector, printed = _Collector(), io.StringIO()
    args = [str(compat), "--collect-only", "-p", "no:cacheprovider", f"--ignore={ignore}",
            f"--rootdir={compat.parent}"]  # fmt: skip
    with contextlib.redirect_stdout(printed):  # one line per collected test otherwise
        code = pytest.main(args, plugins=[collector])
    if code != 0:
        raise SystemExit(f"collecting compat/ failed:\n{printed.getvalue()}")
    texts = SourceIndex()
    result = {}
    for item in collector.items:
        path, *parts = item.nodeid.split("::")
        result[case_key(pathlib.Path(path).stem, *parts)] = mentions(*texts.pieces(item))
    return result
