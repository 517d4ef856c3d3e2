"""Profiler parity with torch 2.13: identical tables for identical events, same rows and counts."""

import importlib.util
import pathlib
import random
import warnings

import pytest
import torch
import torch.autograd.profiler_util as torch_util
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlike.profiler as tl_profiler
from torchlike import _profiler_state
from torchlike.autograd import profiler as tl_autograd_profiler
from torchlike.autograd import profiler_util as tl_util

TESTS_DIR = pathlib.Path(__file__).resolve().parent.parent / "tests"


def load_unit_tests():
    """The torch-free profiler tests, whose expected table this file checks against torch."""
    spec = importlib.util.spec_from_file_location("unit_profiler", TESTS_DIR / "test_profiler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event_spec(event_id, name, start_us, end_us, shapes=(), **extra):
    spec = dict(id=event_id, name=name, thread=1, start_us=start_us, end_us=end_us)
    spec.update(input_shapes=[list(s) for s in shapes], stack=[], overload_name="")
    spec.update(extra)
    return spec


def build_pair(specs, **list_options):
    """The same events as a torch EventList and a torchlike EventList, trees built."""
    pair = []
    for util in (torch_util, tl_util):
        events = util.EventList([util.FunctionEvent(**spec) for spec in specs], **list_options)
        events._build_tree()
        pair.append(events)
    return pair


MODEL_SPECS = [
    event_spec(1, "forward", 10.0, 110.0),
    event_spec(2, "aten::mm", 20.0, 80.0, [[4, 8], [16, 8], [16]]),
    event_spec(3, "aten::t", 22.0, 25.0, [[16, 8]]),
    event_spec(4, "aten::add", 30.0, 75.0, [[16], [4, 8], [8, 16]]),
    event_spec(5, "aten::relu", 85.0, 100.0, [[4, 16]]),
    event_spec(6, "aten::max", 87.0, 98.0, [[4, 16], []]),
    event_spec(7, "aten::sum", 120.0, 1620.0, [[4, 16]]),
    event_spec(8, "aten::relu", 1700.0, 1710.0, [[4, 16]]),
    event_spec(9, "aten::max", 1702.0, 1707.0, [[4, 16], []]),
]


def tutorial_like_specs(count=400, seed=0):
    """Alternating div/mul events with microsecond times and nanosecond jitter, like real runs."""
    rng = random.Random(seed)
    specs, now = [], 0.0
    for index in range(count):
        duration = round(rng.uniform(0.9, 15.0), 3)
        name = "aten::div" if index % 2 == 0 else "aten::mul"
        specs.append(event_spec(index + 1, name, now, round(now + duration, 3), [[2, 3], [2, 3]]))
        now = round(now + duration + rng.uniform(0.3, 2.0), 3)
    return specs


EDGE_SPECS = [
    event_spec(1, "a" * 70, 0.0, 2_500_000.0, [[1] * 40]),
    event_spec(2, "aten::linear", 1.0, 900.5, [[128, 256], [512, 256]], stack=["m.py(3): f"]),
    event_spec(3, "aten::matmul", 2.0, 800.25, stack=["deep/path/" * 12 + "x.py(9): g", "m.py(1)"]),
    event_spec(4, "aten::empty", 3_000_000.0, 3_000_000.5, cpu_memory_usage=4096),
    event_spec(5, "aten::empty", 3_000_001.0, 3_000_001.0),
]

TABLE_OPTIONS = [
    {},
    {"sort_by": "self_cpu_time_total"},
    {"sort_by": "cpu_time_total", "row_limit": 3},
    {"sort_by": "count", "row_limit": 1},
    {"sort_by": "cpu_time", "row_limit": -1},
    {"row_limit": 0, "header": "A header line"},
    {"top_level_events_only": True, "sort_by": "self_cpu_time_total"},
    {"max_name_column_width": 12, "max_shapes_column_width": 15, "max_src_column_width": 20},
    {"time_unit": "ms", "sort_by": "cuda_time_total"},
    {"time_unit": "s"},
    {"time_unit": "us"},
]


@pytest.mark.parametrize("options", TABLE_OPTIONS, ids=str)
@pytest.mark.parametrize(
    "specs", [MODEL_SPECS, tutorial_like_specs(), EDGE_SPECS], ids=["model", "loop", "edge"]
)
@pytest.mark.parametrize("view", ["events", "averages", "averages_by_shape", "memory"])
def test_table_is_identical_to_torch(specs, options, view):
    theirs, ours = build_pair(specs, profile_memory=view == "memory")
    if view.startswith("averages"):
        theirs = theirs.key_averages(group_by_input_shapes=view == "averages_by_shape")
        ours = ours.key_averages(group_by_input_shapes=view == "averages_by_shape")
    assert ours.table(**options) == theirs.table(**options)


def test_unit_test_table_is_torchs():
    unit = load_unit_tests()
    theirs, _ = build_pair(MODEL_SPECS)
    table = theirs.key_averages().table(sort_by="self_cpu_time_total")
    assert table.replace("  \n", "\n") == unit.EXPECTED_SELF_CPU_TABLE


def test_key_averages_group_by_stack_matches_torch():
    theirs, ours = build_pair(EDGE_SPECS)
    for n in (1, 2):
        for width in (30, 75):
            expected = theirs.key_averages(group_by_stack_n=n).table(max_src_column_width=width)
            assert (
                ours.key_averages(group_by_stack_n=n).table(max_src_column_width=width) == expected
            )


def test_reprs_and_totals_match_torch():
    theirs, ours = build_pair(MODEL_SPECS)
    assert [repr(e) for e in ours] == [repr(e) for e in theirs]
    assert repr(ours.total_average()) == repr(theirs.total_average())
    assert repr(ours.key_averages()[0]) == repr(theirs.key_averages()[0])
    assert ours.self_cpu_time_total == theirs.self_cpu_time_total


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["aten::add", "aten::mul", "aten::to", "block", "aten::copy_"]),
            st.integers(0, 4),
            st.integers(1, 3000),
        ),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["self_cpu_time_total", "cpu_time_total", "count", None]),
)
def test_random_nestings_render_like_torch(ops, sort_by):
    # Each op nests under the op opened `depth` levels up, so the forest shape varies.
    specs, open_ranges, now = [], [], 0.0
    for index, (name, depth, duration_ns) in enumerate(ops):
        while len(open_ranges) > depth:
            open_ranges.pop()
        start = now + 0.25
        limit = open_ranges[-1][1] if open_ranges else float("inf")
        end = min(start + duration_ns / 1000, limit - 0.125)
        if end <= start:
            open_ranges.clear()
            start, end = now + 0.25, now + 0.25 + duration_ns / 1000
        specs.append(event_spec(index + 1, name, start, end))
        open_ranges.append((start, end))
        now = start
    theirs, ours = build_pair(specs)
    assert ours.table(sort_by=sort_by) == theirs.table(sort_by=sort_by)
    assert ours.key_averages().table(sort_by=sort_by) == theirs.key_averages().table(
        sort_by=sort_by
    )


def specs_from_torch_events(events):
    return [
        dict(
            id=e.id,
            name=e.name,
            thread=e.thread,
            start_us=e.time_range.start,
            end_us=e.time_range.end,
            input_shapes=e.input_shapes,
            stack=e.stack,
            scope=e.scope,
            overload_name=e.overload_name,
            sequence_nr=e.sequence_nr,
            is_user_annotation=e.is_user_annotation,
            trace_name=e.trace_name,
        )
        for e in events
    ]


def test_real_torch_profile_events_render_identically():
    x = torch.randn(4, 3, requires_grad=True)
    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("my_block"):
            y = (x * 2).relu()
        y.sum().backward()
    specs = specs_from_torch_events(prof.function_events)
    ours = tl_util.EventList([tl_util.FunctionEvent(**spec) for spec in specs])
    ours._build_tree()
    for options in TABLE_OPTIONS[:7]:
        assert ours.table(**options) == prof.table(**options)
        assert ours.key_averages().table(**options) == prof.key_averages().table(**options)
        by_shape = prof.key_averages(group_by_input_shape=True).table(**options)
        assert ours.key_averages(group_by_input_shapes=True).table(**options) == by_shape


def run_tutorial_loop_in_torch():
    x = torch.randn(2, 3, requires_grad=True)
    y = torch.rand(2, 3, requires_grad=True)
    z = torch.ones(2, 3, requires_grad=True)
    with torch.autograd.profiler.profile(use_cuda=False) as prf:
        for _ in range(1000):
            z = (z / x) * y
    return prf


def run_tutorial_loop_in_torchlike():
    """The loop as the op dispatcher reports it: one begin/end pair per div and per mul."""
    with tl_autograd_profiler.profile(use_cuda=False) as prf:
        for _ in range(1000):
            for name in ("aten::div", "aten::mul"):
                token = _profiler_state.begin(name, [[2, 3], [2, 3]])
                _profiler_state.end(token)
    return prf


def rows_of(table):
    """(name, calls) per row, and the layout lines that carry no timing."""
    lines = table.splitlines()
    rows = [(line.split()[0], line.split()[-1]) for line in lines[3:-2]]
    return rows, lines[:3] + [lines[-2]]


def test_tutorial_loop_shows_the_same_rows_and_counts_as_torch():
    theirs = run_tutorial_loop_in_torch().key_averages()
    ours = run_tutorial_loop_in_torchlike().key_averages()
    assert {(a.key, a.count) for a in theirs} == {("aten::div", 1000), ("aten::mul", 1000)}
    assert {(a.key, a.count) for a in ours} == {(a.key, a.count) for a in theirs}
    their_rows, their_layout = rows_of(theirs.table(sort_by="self_cpu_time_total"))
    our_rows, our_layout = rows_of(ours.table(sort_by="self_cpu_time_total"))
    assert sorted(our_rows) == sorted(their_rows)
    assert our_layout == their_layout


def test_use_cuda_without_gpu_warns_like_torch(monkeypatch):
    monkeypatch.setattr(tl_autograd_profiler, "_cuda_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CUDA build on a GPU
    messages = []
    for module in (torch.autograd.profiler, tl_autograd_profiler):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prof = module.profile(use_cuda=True)
        messages.append([(w.category, str(w.message)) for w in caught])
        assert prof.use_device is None
    assert messages[0] == messages[1]


def test_disabled_profile_enters_as_none_like_torch():
    for module in (torch.autograd.profiler, tl_autograd_profiler):
        with module.profile(enabled=False) as prof:
            assert prof is None


def test_enum_values_match_torch():
    assert {k: int(v) for k, v in tl_util.DeviceType.__members__.items()} == {
        k: int(v) for k, v in torch.autograd.DeviceType.__members__.items()
    }
    assert {k: int(v) for k, v in tl_profiler.ProfilerActivity.__members__.items()} == {
        k: int(v) for k, v in torch.profiler.ProfilerActivity.__members__.items()
    }
    assert str(tl_util.DeviceType.CPU) == str(torch.autograd.DeviceType.CPU)
    assert str(tl_profiler.ProfilerActivity.CUDA) == str(torch.profiler.ProfilerActivity.CUDA)


@pytest.mark.parametrize(
    "arguments",
    [
        dict(wait=1, warmup=1, active=2),
        dict(wait=2, warmup=1, active=3, repeat=2),
        dict(wait=1, warmup=2, active=1, repeat=1, skip_first=3),
        dict(wait=5, warmup=1, active=2, skip_first=2, skip_first_wait=1),
    ],
)
def test_schedule_matches_torch(arguments):
    theirs = torch.profiler.schedule(**arguments)
    ours = tl_profiler.schedule(**arguments)
    assert [ours(step).name for step in range(30)] == [theirs(step).name for step in range(30)]


def test_profiler_step_schedule_rows_match_torch():
    a, b = torch.ones(2, 3), torch.ones(2, 3)
    arguments = dict(wait=1, warmup=1, active=2, repeat=1)
    results = []
    for module in (torch.profiler, tl_profiler):
        ready = []
        activities = [module.ProfilerActivity.CPU]
        with module.profile(
            activities=activities,
            schedule=module.schedule(**arguments),
            on_trace_ready=ready.append,
        ) as prof:
            for _ in range(6):
                if module is torch.profiler:
                    a.mul(b)
                else:
                    _profiler_state.end(_profiler_state.begin("aten::mul", [[2, 3], [2, 3]]))
                prof.step()
        names = sorted(e.trace_name for e in prof.events())
        results.append((len(ready), {(x.key, x.count) for x in prof.key_averages()}, names))
    assert results[0] == results[1]
