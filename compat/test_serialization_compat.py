"""torchlike.save / torchlike.load against torch's: one checkpoint format, read both ways."""

from __future__ import annotations

import collections
import io
import os
import pathlib
import pickle

import numpy as np
import pytest
import torch

import torchlike as tl

RNG = np.random.default_rng(0)
ARRAYS = {
    name: RNG.standard_normal((3, 4)).astype(np.float32) * 10
    for name in ("a", "b", "c")
}  # fmt: skip
INTS = np.arange(12).reshape(3, 4).tolist()
FLOATS = ARRAYS["b"].tolist()
DTYPES = [
    "float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
    "bool", "complex64", "complex128", "uint16", "uint32", "uint64",
]  # fmt: skip

VALUES = {d: FLOATS if d.startswith(("float", "bfloat", "complex")) else INTS for d in DTYPES}


class Box:
    """A user class, allowed only through add_safe_globals / safe_globals."""

    def __init__(self, value=None):
        self.value = value


def tensors_of(lib):
    """Tensors of every dtype, views sharing storage and non-contiguous layouts."""
    base = lib.tensor(ARRAYS["a"])
    out = {d: lib.tensor(VALUES[d], dtype=getattr(lib, d)) for d in DTYPES}
    out.update(
        base=base, row=base[1], column=base[:, 2], transposed=base.t(), stepped=base[::2, 1::2],
        narrow=base.narrow(1, 1, 2), scalar=lib.tensor(3.5), empty=lib.zeros(0, 3),
        grad_leaf=lib.tensor(ARRAYS["c"]).requires_grad_(),
    )  # fmt: skip
    return out


def state_dicts_of(lib):
    """A module's and an optimizer's state_dict after one identical step."""
    lib.manual_seed(0)
    model = lib.nn.Linear(4, 3)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(lib.tensor(ARRAYS["c"])).sum().backward()
    optimizer.step()
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict()}


def python_values_of(lib):
    return {
        "nested": [1, 2.5, ("x", None, True), {"k": [lib.ones(2)]}],
        "text": "héllo", "raw": b"\x00\xff", "number": 2**40, "complex": 1 + 2j,
        "set": {1, 2}, "size": lib.Size([2, 3]), "dtype": lib.bfloat16,
        "device": lib.device("cpu"), "param": lib.nn.Parameter(lib.tensor(ARRAYS["a"])),
        "frozen": lib.nn.Parameter(lib.ones(2), requires_grad=False),
    }  # fmt: skip


BUILDERS = {"tensors": tensors_of, "state_dicts": state_dicts_of, "python": python_values_of}


class Storages:
    """Numbers tensors' storages in the order they are met, so sharing can be compared."""

    def __init__(self):
        self.seen = {}

    def number(self, tensor):
        if isinstance(tensor, torch.Tensor):
            key = tensor.untyped_storage().data_ptr()
        else:
            key = id(tensor.untyped_storage())
        return self.seen.setdefault(key, len(self.seen))


def plain(value, storages):
    """A library-neutral form: tensors with dtype, layout, values, grad flag and storage."""
    if isinstance(value, (torch.Tensor, tl.Tensor)):
        values = value.detach()
        return (type(value).__name__, str(value.dtype), tuple(value.shape), value.stride(),
                value.storage_offset(), values.tolist(), value.requires_grad,
                storages.number(value))  # fmt: skip
    if isinstance(value, dict):
        items = {key: plain(item, storages) for key, item in value.items()}
        return (type(value).__name__, items, plain(getattr(value, "_metadata", None), storages))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item, storages) for item in value])
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(value))
    return (type(value).__name__, str(value))


def snapshot(value):
    return plain(value, Storages())


def torch_file(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def tl_file(obj) -> bytes:
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("name", BUILDERS)
def test_torch_checkpoint_loads_in_torchlike(name, weights_only):
    data = torch_file(BUILDERS[name](torch))
    theirs = torch.load(io.BytesIO(data), weights_only=weights_only)
    ours = tl.load(io.BytesIO(data), weights_only=weights_only)
    assert snapshot(ours) == snapshot(theirs)


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("name", BUILDERS)
def test_torchlike_checkpoint_loads_in_torch(name, weights_only):
    expected = torch.load(io.BytesIO(torch_file(BUILDERS[name](torch))), weights_only=True)
    loaded = torch.load(io.BytesIO(tl_file(BUILDERS[name](tl))), weights_only=weights_only)
    assert snapshot(loaded) == snapshot(expected)


def test_views_share_storage_after_load_both_ways():
    shared = {"w": torch.arange(6.0).reshape(2, 3)}
    shared["col"] = shared["w"][:, 1]
    ours = tl.load(io.BytesIO(torch_file(shared)))
    ours["w"].mul_(10)
    theirs = torch.load(io.BytesIO(torch_file(shared)))
    theirs["w"].mul_(10)
    assert ours["col"].tolist() == theirs["col"].tolist()

    mine = {"w": tl.arange(6.0).reshape(2, 3)}
    mine["col"] = mine["w"][:, 1]
    loaded = torch.load(io.BytesIO(tl_file(mine)))
    loaded["w"].mul_(10)
    assert loaded["col"].tolist() == theirs["col"].tolist()


def test_loaded_state_dict_drives_identical_models():
    torch.manual_seed(1)
    theirs = torch.nn.Linear(4, 2)
    ours = tl.nn.Linear(4, 2)
    ours.load_state_dict(tl.load(io.BytesIO(torch_file(theirs.state_dict()))))
    x = ARRAYS["a"]
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(tl.tensor(x)).detach().numpy(), expected, rtol=1e-6)
    back = torch.nn.Linear(4, 2)
    back.load_state_dict(torch.load(io.BytesIO(tl_file(ours.state_dict()))))
    assert back(torch.tensor(x)).tolist() == expected.tolist()


def test_paths_pathlib_and_mmap(tmp_path):
    value = {"t": torch.tensor(ARRAYS["a"])}
    torch.save(value, tmp_path / "torch.pt")
    assert snapshot(tl.load(str(tmp_path / "torch.pt"))) == snapshot(value)
    tl.save({"t": tl.tensor(ARRAYS["a"])}, tmp_path / "ours.pt")
    tl.save({"t": tl.tensor(ARRAYS["a"])}, str(tmp_path / "ours2.pt"))
    for name in ("ours.pt", "ours2.pt"):
        # mmap=True needs every storage record 64-byte aligned in the file.
        assert snapshot(torch.load(tmp_path / name, mmap=True)) == snapshot(value)


MAP_LOCATIONS = {
    "str": lambda lib: "cpu",
    "device": lambda lib: lib.device("cpu"),
    "dict": lambda lib: {"cpu": "cpu"},
    "callable": lambda lib: lambda storage, location: storage,
    "callable_none": lambda lib: lambda storage, location: None,
}


@pytest.mark.parametrize("name", MAP_LOCATIONS)
def test_map_location(name):
    data = torch_file({"t": torch.tensor(ARRAYS["b"])[:, 1:]})
    theirs = torch.load(io.BytesIO(data), map_location=MAP_LOCATIONS[name](torch))
    ours = tl.load(io.BytesIO(data), map_location=MAP_LOCATIONS[name](tl))
    assert snapshot(ours) == snapshot(theirs)


UNSAFE = {
    "user_class": lambda: {"box": Box(3)},
    "blocked_module": lambda: {"f": os.system},
    "builtin": lambda: [print],
    "numpy_array": lambda: np.ones(2),
}


@pytest.mark.parametrize("name", UNSAFE)
def test_weights_only_refusals_match_torch(name):
    data = torch_file(UNSAFE[name]())
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError) as ours:
        tl.load(io.BytesIO(data))
    assert str(ours.value) == str(theirs.value)


def test_safe_globals_and_weights_only_false():
    data = torch_file({"box": Box(torch.ones(2))})
    with torch.serialization.safe_globals([Box]), tl.serialization.safe_globals([Box]):
        theirs, ours = torch.load(io.BytesIO(data)), tl.load(io.BytesIO(data))
    assert type(ours["box"]) is Box
    assert snapshot(ours["box"].value) == snapshot(theirs["box"].value)
    assert tl.serialization.get_safe_globals() == []
    assert snapshot(tl.load(io.BytesIO(data), weights_only=False)["box"].value) == snapshot(
        theirs["box"].value
    )


def corrupted(kind):
    data = torch_file({"t": torch.ones(100)})
    return {
        "truncated_half": data[: len(data) // 2],
        "truncated_tail": data[:-10],
        "short_zip": b"PK\x03\x04xxxx",
        "empty": b"",
    }[kind]


@pytest.mark.parametrize("kind", ["truncated_half", "truncated_tail", "short_zip", "empty"])
def test_corrupt_files_raise_torchs_error(kind):
    data = corrupted(kind)
    with pytest.raises(Exception) as theirs:
        torch.load(io.BytesIO(data))
    with pytest.raises(type(theirs.value)) as ours:
        tl.load(io.BytesIO(data))
    assert str(ours.value) == str(theirs.value)


def test_legacy_format_is_named_unsupported():
    buffer = io.BytesIO()
    torch.save({"t": torch.ones(2)}, buffer, _use_new_zipfile_serialization=False)
    assert torch.load(io.BytesIO(buffer.getvalue()))["t"].tolist() == [1.0, 1.0]
    with pytest.raises(NotImplementedError, match="legacy"):
        tl.load(io.BytesIO(buffer.getvalue()))


def test_archive_records_match_torchs(tmp_path):
    import zipfile

    torch.save({"t": torch.ones(2)}, tmp_path / "model.pt")
    tl.save({"t": tl.ones(2)}, tmp_path / "model2.pt")
    theirs = [n.split("/", 1)[1] for n in zipfile.ZipFile(tmp_path / "model.pt").namelist()]
    ours = zipfile.ZipFile(tmp_path / "model2.pt").namelist()
    assert [n.split("/", 1)[1] for n in ours] == theirs
    assert {n.split("/")[0] for n in ours} == {"model2"}
    assert pathlib.Path(tmp_path / "model2.pt").read_bytes().startswith(b"PK\x03\x04")


def test_ordered_dict_metadata_round_trip():
    state = collections.OrderedDict(w=tl.ones(2))
    state._metadata = {"": {"version": 2}}
    loaded = torch.load(io.BytesIO(tl_file(state)))
    assert loaded._metadata == {"": {"version": 2}}
    assert tl.load(io.BytesIO(torch_file(loaded)))._metadata == {"": {"version": 2}}


def test_tensor_and_parameter_attributes_both_ways():
    for make in (lambda lib: lib.ones(2), lambda lib: lib.nn.Parameter(lib.ones(2))):
        theirs, ours = make(torch), make(tl)
        theirs.tag, ours.tag = "t", "t"
        from_torch = tl.load(io.BytesIO(torch_file(theirs)))
        from_ours = torch.load(io.BytesIO(tl_file(ours)))
        assert (type(from_torch).__name__, from_torch.tag) == (type(theirs).__name__, "t")
        assert snapshot(from_ours) == snapshot(theirs) and from_ours.tag == "t"
