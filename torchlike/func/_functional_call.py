"""torch.func.functional_call and stack_module_state: a module run with swapped-in tensors."""

from __future__ import annotations

import contextlib


def _merge(parameter_and_buffer_dicts) -> dict:
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if isinstance(parameter_and_buffer_dicts, list | tuple):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries"
            )
        counts: dict = {}
        for d in parameter_and_buffer_dicts:
            for key in d:
                counts[key] = counts.get(key, 0) + 1
        repeated = [key for key, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                "ambiguous"
            )
        return {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    raise ValueError(
        "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
        f"{type(parameter_and_buffer_dicts)}"
    )


def _slots(module) -> dict:
    """Every name a parameter or buffer is reachable by (tied tensors under each name)."""
    slots = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        for store in (owner._parameters, owner._buffers):
            for name, value in store.items():
                if value is not None:
                    slots[f"{prefix}.{name}" if prefix else name] = (store, name, value)
    return slots


def _untie(slots: dict, given: dict) -> dict:
    """With tie_weights, a value given for one name of a tied tensor applies to all its names."""
    out = dict(given)
    by_tensor: dict = {}
    for key, (_, _, value) in slots.items():
        by_tensor.setdefault(id(value), []).append(key)
    for names in by_tensor.values():
        supplied = [n for n in names if n in given]
        for name in names:
            if supplied and name not in out:
                out[name] = given[supplied[0]]
    return out


def _check_strict(module, slots: dict, given: dict) -> None:
    unexpected = sorted(k for k in given if k not in slots)
    missing = sorted(k for k in slots if k not in given)
    messages = []
    if unexpected:
        messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if messages:
        raise RuntimeError(
            f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(messages)
        )


@contextlib.contextmanager
def _swapped(module, given: dict, tie_weights: bool, strict: bool):
    slots = _slots(module)
    if tie_weights:
        given = _untie(slots, given)
    if strict:
        _check_strict(module, slots, given)
    originals = []
    try:
        for key, value in given.items():
            if key in slots:
                store, name, original = slots[key]
                originals.append((store, name, original))
                store[name] = value
        yield
    finally:
        for store, name, original in reversed(originals):
            store[name] = original


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):  # fmt: skip
    """torch.func.functional_call: module(*args, **kwargs) with the given tensors swapped in."""
    given = _merge(parameter_and_buffer_dicts)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _swapped(module, given, tie_weights, strict):
        return module(*args, **(kwargs or {}))


def stack_module_state(models):
    """torch.func.stack_module_state: each parameter and buffer stacked over the models."""
    from .. import _grad_mode
    from .._ops.dispatch import call
    from .._ops.registry import TABLE

    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    kinds = {type(m) for m in models}
    if len(kinds) != 1:
        raise RuntimeError(
            f"stack_module_state: Expected all models to be of the same class, got: {kinds}"
        )

    def stacked(named, leaf):
        names = [dict(named(m)) for m in models]
        out = {}
        for key in names[0]:
            with _grad_mode.no_grad():
                value = call(TABLE["stack"], ([n[key] for n in names],), {})
            out[key] = value.requires_grad_(leaf and names[0][key].requires_grad)
        return out

    return (stacked(lambda m: m.named_parameters(), True),
            stacked(lambda m: m.named_buffers(), False))  # fmt: skip
