"""Module.state_dict and Module.load_state_dict, in torch's format and with torch's errors."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ... import _grad_mode
from ..._tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys it missed and the keys it did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _local_state(module) -> dict:
    """The module's own non-None parameters and persistent buffers, by attribute name."""
    state = {k: v for k, v in module._parameters.items() if v is not None}
    for name, buf in module._buffers.items():
        if buf is not None and name not in module._non_persistent_buffers_set:
            state[name] = buf
    return state


def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
    """Module._save_to_state_dict: this module's own entries (not its children's)."""
    for name, value in _local_state(self).items():
        destination[prefix + name] = value if keep_vars else value.detach()


def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
    """torch.nn.Module.state_dict: an OrderedDict of detached parameters and buffers."""
    if args:  # the positional (destination, prefix, keep_vars) form torch still accepts
        destination = args[0] if destination is None else destination
        prefix = args[1] if len(args) > 1 and prefix == "" else prefix
        keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = {"version": self._version}
    self._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in self._modules.items():
        if child is not None:
            child.state_dict(
                destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
            )
    return destination


def _load_from_state_dict(
    self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
) -> None:
    """Module._load_from_state_dict: copy this module's own entries, recording problems."""
    local_state = _local_state(self)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, current in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        incoming = state_dict[key]
        if not isinstance(incoming, Tensor):
            error_msgs.append(
                f'While copying the parameter named "{key}", expected torch.Tensor or '
                f"Tensor-like object from checkpoint but received {type(incoming)}"
            )
            continue
        if current.ndim == 0 and incoming.ndim == 1 and incoming.shape[0] == 1:
            incoming = incoming[0]  # torch accepts a [1] checkpoint entry for a 0-d tensor
        if incoming.shape != current.shape:
            error_msgs.append(
                f"size mismatch for {key}: copying a param with shape {incoming.shape} from "
                f"checkpoint, the shape in current model is {current.shape}."
            )
            continue
        try:
            with _grad_mode.no_grad():
                if assign:
                    _assign(self, name, current, incoming)
                else:
                    current.copy_(incoming)
        except Exception as error:
            error_msgs.append(
                f'While copying the parameter named "{key}", whose dimensions in the model are '
                f"{current.size()} and whose dimensions in the checkpoint are {incoming.size()}, "
                f"an exception occurred : {error.args}."
            )
    if strict:
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            head, *rest = key[len(prefix) :].split(".", 1)
            if (rest and head not in self._modules) or (not rest and head not in local_state):
                unexpected_keys.append(key)


def _assign(module, name, current, incoming) -> None:
    from ..parameter import Parameter

    if isinstance(current, Parameter):
        if isinstance(incoming, Parameter):
            incoming.requires_grad_(current.requires_grad)
        else:
            incoming = Parameter(incoming, requires_grad=current.requires_grad)
    setattr(module, name, incoming)


def load_state_dict(self, state_dict, strict=True, assign=False):
    """torch.nn.Module.load_state_dict: copy entries in place; report missing/unexpected keys."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing_keys, unexpected_keys, error_msgs = [], [], []
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)

    def load(module, local_state_dict, prefix=""):
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = assign
        module._load_from_state_dict(
            local_state_dict,
            prefix,
            local_metadata,
            True,
            missing_keys,
            unexpected_keys,
            error_msgs,
        )
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                child_state = {
                    k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)
                }
                load(child, child_state, child_prefix)

    load(self, state_dict)
    if strict:
        if unexpected_keys:
            quoted = ", ".join(f'"{k}"' for k in unexpected_keys)
            error_msgs.insert(0, f"Unexpected key(s) in state_dict: {quoted}. ")
        if missing_keys:
            quoted = ", ".join(f'"{k}"' for k in missing_keys)
            error_msgs.insert(0, f"Missing key(s) in state_dict: {quoted}. ")
    if error_msgs:
        details = "\n\t".join(error_msgs)
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(self).__name__}:\n\t{details}"
        )
    return _IncompatibleKeys(missing_keys, unexpected_keys)
