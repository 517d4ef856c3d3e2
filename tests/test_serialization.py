"""torchlike.save / torchlike.load on their own: round trips, archive layout, broken files."""

from __future__ import annotations

import collections
import io
import pickle
import zipfile

import numpy as np
import pytest

import torchlike as tl


def round_trip(obj, **load_args):
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    buffer.seek(0)
    return tl.load(buffer, **load_args)


def saved_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    return buffer.getvalue()


class Point:
    def __init__(self, x):
        self.x = x


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "bfloat16", "int8", "int64", "uint8", "bool",
              "complex64", "uint16", "uint64"],
)  # fmt: skip
def test_dtypes_round_trip(dtype):
    values = [[0, 1, 2], [3, 4, 5]]
    tensor = tl.tensor(values, dtype=getattr(tl, dtype))
    loaded = round_trip(tensor)
    assert loaded.dtype == tensor.dtype
    assert loaded.tolist() == tensor.tolist()


def test_views_keep_sharing_and_layout():
    base = tl.arange(12.0).reshape(3, 4)
    views = {"base": base, "col": base[:, 1], "t": base.t(), "step": base[::2, 1::2]}
    loaded = round_trip(views)
    for name, view in views.items():
        assert loaded[name].stride() == view.stride()
        assert loaded[name].storage_offset() == view.storage_offset()
        assert loaded[name].tolist() == view.tolist()
    loaded["base"][0, 1] = -1.0
    assert loaded["col"][0].item() == -1.0
    assert loaded["t"][1, 0].item() == -1.0


def test_lone_view_keeps_its_storage_offset():
    view = tl.arange(10.0)[3:7:2]
    loaded = round_trip(view)
    assert (loaded.storage_offset(), loaded.stride(), loaded.tolist()) == (3, (2,), [3.0, 5.0])


def test_same_tensor_twice_is_one_object():
    tensor = tl.ones(2)
    loaded = round_trip([tensor, tensor])
    assert loaded[0] is loaded[1]


def test_parameters_grad_flags_and_python_values():
    obj = {
        "param": tl.nn.Parameter(tl.ones(2)),
        "frozen": tl.nn.Parameter(tl.ones(2), requires_grad=False),
        "leaf": tl.zeros(3).requires_grad_(),
        "values": [1, 2.5, "s", b"by", None, (True, 1 + 2j), {3}],
        "meta": (tl.float16, tl.device("cpu"), tl.Size([2, 3])),
    }
    loaded = round_trip(obj)
    assert type(loaded["param"]) is tl.nn.Parameter and loaded["param"].requires_grad
    assert type(loaded["frozen"]) is tl.nn.Parameter and not loaded["frozen"].requires_grad
    assert loaded["leaf"].requires_grad and loaded["leaf"].is_leaf
    assert loaded["values"] == obj["values"]
    assert loaded["meta"] == obj["meta"]


def test_state_dicts_round_trip():
    tl.manual_seed(0)
    model = tl.nn.Linear(3, 2)
    state = model.state_dict()
    loaded = round_trip(state)
    assert isinstance(loaded, collections.OrderedDict)
    assert loaded._metadata == state._metadata
    other = tl.nn.Linear(3, 2)
    other.load_state_dict(loaded)
    assert other.weight.tolist() == model.weight.tolist()


def test_paths_and_archive_layout(tmp_path):
    path = tmp_path / "weights.pt"
    tl.save({"a": tl.ones(3), "b": tl.zeros(2, dtype=tl.int64)}, path)
    assert tl.load(str(path))["a"].tolist() == [1.0, 1.0, 1.0]
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    assert names[0] == "weights/data.pkl"
    assert {"weights/byteorder", "weights/version", "weights/data/0", "weights/data/1"} <= set(
        names
    )
    assert archive.read("weights/byteorder") == b"little"
    raw = path.read_bytes()
    for info in archive.infolist():
        if "/data/" in info.filename:
            # local header: 30 bytes + name + extra, then the data, 64-byte aligned
            name_len, extra_len = np.frombuffer(raw[info.header_offset + 26 :][:4], "<u2")
            start = info.header_offset + 30 + int(name_len) + int(extra_len)
            assert start % 64 == 0
    storage = np.frombuffer(archive.read("weights/data/1"), dtype="<i8")
    assert storage.tolist() == [0, 0]


def test_weights_only_refuses_unlisted_globals():
    data = saved_bytes({"p": Point(1)})
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL .*Point"):
        tl.load(io.BytesIO(data))
    assert tl.load(io.BytesIO(data), weights_only=False)["p"].x == 1
    with tl.serialization.safe_globals([Point]):
        assert tl.load(io.BytesIO(data))["p"].x == 1
    tl.serialization.add_safe_globals([Point])
    try:
        assert tl.load(io.BytesIO(data))["p"].x == 1
    finally:
        tl.serialization.clear_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        tl.load(io.BytesIO(data))


def test_whole_module_needs_weights_only_false():
    model = tl.nn.Linear(2, 2)
    data = saved_bytes(model)
    with pytest.raises(pickle.UnpicklingError, match="nn.modules.linear.Linear"):
        tl.load(io.BytesIO(data))
    loaded = tl.load(io.BytesIO(data), weights_only=False)
    assert isinstance(loaded, tl.nn.Linear)
    assert loaded.weight.tolist() == model.weight.tolist()


def test_map_location_callable_and_cuda_without_gpu():
    seen = []

    def where(storage, location):
        seen.append(location)
        return storage

    assert round_trip(tl.ones(2), map_location=where).tolist() == [1.0, 1.0]
    assert seen == ["cpu"]
    if not tl.cuda.is_available():
        with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False"):
            round_trip(tl.ones(2), map_location="cuda")


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_file(cut):
    data = saved_bytes({"t": tl.ones(50)})
    with pytest.raises(RuntimeError, match="failed finding central directory"):
        tl.load(io.BytesIO(data[: int(len(data) * cut)]))


def test_corrupted_storage_record():
    data = bytearray(saved_bytes({"t": tl.ones(50)}))
    position = data.find(np.ones(50, dtype=np.float32).tobytes())
    data[position] ^= 0xFF
    with pytest.raises(RuntimeError, match="failed reading file data/0"):
        tl.load(io.BytesIO(bytes(data)))


def test_other_broken_inputs():
    with pytest.raises(EOFError):
        tl.load(io.BytesIO(b""))
    with pytest.raises(RuntimeError, match="not a ZIP archive"):
        tl.load(io.BytesIO(b"PK\x03\x04"))
    with pytest.raises(NotImplementedError, match="legacy"):
        tl.load(io.BytesIO(pickle.dumps({"a": 1}, protocol=2)))
    with pytest.raises(pickle.UnpicklingError, match="not a zip archive"):
        tl.load(io.BytesIO(b"hello world"))


def test_unsupported_save_options(tmp_path):
    with pytest.raises(NotImplementedError, match="_use_new_zipfile_serialization=False"):
        tl.save(tl.ones(1), io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        tl.save(tl.ones(1), tmp_path / "missing" / "x.pt")
