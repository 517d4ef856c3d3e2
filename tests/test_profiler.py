"""Profiler tests without torch: recording, nesting arithmetic, tables, schedules."""

import contextlib
import json
import threading
import warnings

import pytest

import torchlike.profiler as tl_profiler
from torchlike import _profiler_state
from torchlike.autograd import profiler
from torchlike.autograd.profiler_util import _format_memory, _format_time, _format_time_share


class FakeClock:
    """Stands in for perf_counter_ns so every recorded time is chosen by the test."""

    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_profiler_state, "perf_counter_ns", fake)
    return fake


@contextlib.contextmanager
def timed(clock, name, start_us, end_us, shapes=()):
    """Record one op as the dispatcher does, from start_us to end_us after the window opened."""
    clock.now = start_us * 1000
    token = _profiler_state.begin(name, [list(s) for s in shapes])
    yield
    clock.now = end_us * 1000
    _profiler_state.end(token)


def record_model(clock):
    """A labelled block around two ops with children, then two top-level ops."""
    with timed(clock, "forward", 10, 110):
        with timed(clock, "aten::mm", 20, 80, [[4, 8], [16, 8], [16]]):
            with timed(clock, "aten::t", 22, 25, [[16, 8]]):
                pass
            with timed(clock, "aten::add", 30, 75, [[16], [4, 8], [8, 16]]):
                pass
        with timed(clock, "aten::relu", 85, 100, [[4, 16]]):
            with timed(clock, "aten::max", 87, 98, [[4, 16], []]):
                pass
    with timed(clock, "aten::sum", 120, 1620, [[4, 16]]):
        pass
    with timed(clock, "aten::relu", 1700, 1710, [[4, 16]]):
        with timed(clock, "aten::max", 1702, 1707, [[4, 16], []]):
            pass


def profiled_model(clock, **kwargs):
    clock.now = 0
    with profiler.profile(**kwargs) as prof:
        record_model(clock)
        clock.now = 2000
    return prof


# torch 2.13's EventList.table for the same events (checked in compat/), less the two spaces
# that end every line above the footer.
EXPECTED_SELF_CPU_TABLE = """\
--------------  ------------  ------------  ------------  ------------  ------------  ------------
          Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls
--------------  ------------  ------------  ------------  ------------  ------------  ------------
     aten::sum        93.17%       1.500ms        93.17%       1.500ms       1.500ms             1
     aten::add         2.80%      45.000us         2.80%      45.000us      45.000us             1
       forward         1.55%      25.000us         6.21%     100.000us     100.000us             1
     aten::max         0.99%      16.000us         0.99%      16.000us       8.000us             2
      aten::mm         0.75%      12.000us         3.73%      60.000us      60.000us             1
    aten::relu         0.56%       9.000us         1.55%      25.000us      12.500us             2
       aten::t         0.19%       3.000us         0.19%       3.000us       3.000us             1
--------------  ------------  ------------  ------------  ------------  ------------  ------------
Self CPU time total: 1.610ms
"""


def test_active_flag_follows_the_profile_block(clock):
    assert _profiler_state.active is False
    with profiler.profile():
        assert _profiler_state.active is True
    assert _profiler_state.active is False
    with pytest.raises(ValueError), profiler.profile():
        raise ValueError("boom")
    assert _profiler_state.active is False


def test_disabled_profile_records_nothing():
    prof = profiler.profile(enabled=False)
    with prof as entered:
        assert entered is None
        assert _profiler_state.active is False
    with pytest.raises(AttributeError):
        prof.key_averages()


def test_profile_is_not_reentrant(clock):
    prof = profiler.profile()
    with prof, pytest.raises(RuntimeError, match="not reentrant"):
        prof.__enter__()


def test_self_time_is_total_minus_children(clock):
    prof = profiled_model(clock)
    events = {(e.name, e.time_range.start): e for e in prof.function_events}
    linear = events[("aten::mm", 20.0)]
    assert linear.cpu_time_total == 60.0
    assert linear.self_cpu_time_total == 60.0 - 3.0 - 45.0
    assert [child.name for child in linear.cpu_children] == ["aten::t", "aten::add"]
    assert events[("forward", 10.0)].self_cpu_time_total == 100.0 - 60.0 - 15.0
    assert events[("aten::add", 30.0)].cpu_parent is linear
    assert events[("aten::sum", 120.0)].cpu_parent is None
    assert prof.self_cpu_time_total == 1610.0


def test_events_are_ordered_by_start_time(clock):
    names = [event.name for event in profiled_model(clock).function_events]
    assert names == [
        "forward",
        "aten::mm",
        "aten::t",
        "aten::add",
        "aten::relu",
        "aten::max",
        "aten::sum",
        "aten::relu",
        "aten::max",
    ]


def test_key_averages_table_matches_torch_layout(clock):
    averages = profiled_model(clock).key_averages()
    table = averages.table(sort_by="self_cpu_time_total")
    assert all(line.endswith("  ") for line in table.splitlines()[:-1])
    assert table.replace("  \n", "\n") == EXPECTED_SELF_CPU_TABLE


def test_key_averages_sums_counts_and_times(clock):
    averages = {a.key: a for a in profiled_model(clock).key_averages()}
    relu = averages["aten::relu"]
    assert (relu.count, relu.cpu_time_total, relu.self_cpu_time_total) == (2, 25.0, 9.0)
    assert relu.cpu_time == 12.5
    assert relu.input_shapes == ""


@pytest.mark.parametrize(
    ("sort_by", "first_rows"),
    [
        ("cpu_time_total", ["aten::sum", "forward", "aten::mm"]),
        ("count", ["aten::relu", "aten::max", "forward"]),
        ("cpu_time", ["aten::sum", "forward", "aten::mm"]),
        ("self_cpu_time_total", ["aten::sum", "aten::add", "forward"]),
    ],
)
def test_sort_keys_and_row_limit(clock, sort_by, first_rows):
    table = profiled_model(clock).key_averages().table(sort_by=sort_by, row_limit=3)
    rows = table.splitlines()[3:-2]
    assert [row.split()[0] for row in rows] == first_rows


def test_row_limit_zero_and_negative(clock):
    averages = profiled_model(clock).key_averages()
    assert len(averages.table(row_limit=0).splitlines()) == 5
    assert len(averages.table(row_limit=-1).splitlines()) == 5 + 7


def test_group_by_input_shape_adds_a_column(clock):
    prof = profiled_model(clock, record_shapes=True)
    table = prof.key_averages(group_by_input_shape=True).table(sort_by="count")
    assert table.splitlines()[1].endswith("  Input Shapes  ")
    assert "aten::max         0.99%      16.000us" in table
    assert "[[4, 16], []]" in table


def test_shapes_are_dropped_without_record_shapes(clock):
    prof = profiled_model(clock)
    assert all(event.input_shapes == [] for event in prof.function_events)
    assert "Input Shapes" not in prof.table()


def test_top_level_only_and_header(clock):
    table = profiled_model(clock).key_averages().table(header="Model", top_level_events_only=True)
    lines = table.splitlines()
    width = len(lines[4]) - 2
    assert lines[:4] == [
        "=" * width,
        "Model",
        "=" * width,
        "This report only display top-level ops statistics",
    ]
    # An average inherits its first event's parent, so the second, top-level relu is hidden too.
    assert [row.split()[0] for row in lines[7:-2]] == ["forward", "aten::sum"]


def test_long_names_are_cut_to_the_column(clock):
    clock.now = 0
    with profiler.profile() as prof:
        with timed(clock, "x" * 70, 1, 2):
            pass
    row = prof.table().splitlines()[3]
    assert row.startswith("x" * 52 + "...  ")


def test_time_formatting():
    assert _format_time(12.3456) == "12.346us"
    assert _format_time(1500.0) == "1.500ms"
    assert _format_time(2_500_000.0) == "2.500s"
    assert _format_time_share(1.0, 3.0) == "33.33%"
    assert _format_time_share(0, 0) == "NaN"
    assert _format_memory(2048) == "2.00 KB"
    assert _format_memory(-24) == "-24 B"


def test_time_unit_forces_the_unit(clock):
    table = profiled_model(clock).key_averages().table(sort_by="count", time_unit="ms")
    assert "0.025ms" in table
    assert table.endswith("Self CPU time total: 1.610ms\n")


def test_str_of_profile_and_averages_is_the_table(clock):
    prof = profiled_model(clock)
    assert str(prof) == prof.table()
    assert str(prof.key_averages()) == prof.key_averages().table()
    assert repr(prof).startswith("[<FunctionEvent id=")


def test_total_average(clock):
    total = profiled_model(clock).total_average()
    assert total.key == "Total"
    assert total.count == 9
    assert total.self_cpu_time_total == 1610.0


def test_nested_and_consecutive_profiles(clock):
    clock.now = 0
    with profiler.profile() as outer:
        with timed(clock, "aten::add", 1, 2):
            pass
        clock.now = 3000
        with profiler.profile() as inner:
            with timed(clock, "aten::mul", 4, 5):
                pass
        assert _profiler_state.active is True
        with timed(clock, "aten::sub", 6, 7):
            pass
    with profiler.profile() as later:
        with timed(clock, "aten::div", 8, 9):
            pass
    assert [e.name for e in outer.function_events] == ["aten::add", "aten::mul", "aten::sub"]
    assert [e.name for e in inner.function_events] == ["aten::mul"]
    assert [e.name for e in later.function_events] == ["aten::div"]


def test_same_name_single_child_is_folded(clock):
    clock.now = 0
    with profiler.profile() as prof:
        with timed(clock, "aten::to", 1, 10):
            with timed(clock, "aten::to", 2, 9):
                with timed(clock, "aten::copy_", 3, 8):
                    pass
    events = prof.function_events
    assert [e.name for e in events] == ["aten::to", "aten::copy_"]
    assert events[0].self_cpu_time_total == 4.0


def test_record_function_as_context_and_decorator(clock, tmp_path):
    @profiler.record_function("helper")
    def helper():
        with timed(clock, "aten::mul", 3, 4):
            pass

    clock.now = 0
    with profiler.profile() as prof:
        with profiler.record_function("block"):
            helper()
    events = prof.function_events
    assert [e.name for e in events] == ["block", "helper", "aten::mul"]
    assert events[0].is_user_annotation and events[0].scope == 7
    assert events[2].cpu_parent is events[1]
    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    trace = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    assert [e["cat"] for e in trace] == ["user_annotation", "user_annotation", "cpu_op"]


def test_record_function_outside_a_profile_is_a_no_op():
    with profiler.record_function("idle") as label:
        assert label.record is None


def record_one_op(clock):
    with timed(clock, "aten::mul", 2, 3):
        pass


def test_ops_on_other_threads_do_not_nest_under_this_thread(clock):
    clock.now = 0
    with profiler.profile() as prof:
        with timed(clock, "outer", 1, 50):
            worker = threading.Thread(target=record_one_op, args=(clock,))
            worker.start()
            worker.join()
    by_name = {e.name: e for e in prof.function_events}
    assert by_name["outer"].thread != by_name["aten::mul"].thread
    assert by_name["outer"].cpu_children == []


def test_export_chrome_trace_writes_valid_json(clock, tmp_path):
    prof = profiled_model(clock, record_shapes=True)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in ops][:3] == ["forward", "aten::mm", "aten::t"]
    assert ops[1]["dur"] == 60.0 and ops[1]["args"]["Input Dims"] == [[4, 8], [16, 8], [16]]
    assert ops[1]["cat"] == "cpu_op"
    list_path = tmp_path / "list.json"
    prof.function_events.export_chrome_trace(str(list_path))
    assert len(json.loads(list_path.read_text())) == 9


def test_with_stack_records_user_frames(clock, tmp_path):
    clock.now = 0
    with profiler.profile(with_stack=True) as prof:
        with timed(clock, "aten::mul", 1, 2):
            pass
    stack = prof.function_events[0].stack
    assert any("test_with_stack_records_user_frames" in frame for frame in stack)
    assert not any("torchlike" in frame.split("(")[0] for frame in stack)
    assert "Source Location" in prof.table()
    prof.export_stacks(str(tmp_path / "stacks.txt"))
    assert (tmp_path / "stacks.txt").read_text().endswith(" 1\n")


def test_use_cuda_without_a_gpu_warns_and_profiles_the_cpu(clock, monkeypatch):
    monkeypatch.setattr(profiler, "_cuda_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prof = profiler.profile(use_cuda=True)
    assert [(w.category, str(w.message)) for w in caught] == [
        (
            FutureWarning,
            "The attribute `use_cuda` will be deprecated soon, "
            "please use ``use_device = 'cuda'`` instead.",
        ),
        (UserWarning, "CUDA is not available, disabling CUDA profiling"),
    ]
    assert prof.use_device is None and prof.use_cuda is False
    with prof:
        with timed(clock, "aten::mul", 1, 2):
            pass
    assert "CUDA" not in prof.table()


def test_use_device_cuda_with_a_gpu_keeps_the_cpu_columns(clock, monkeypatch):
    monkeypatch.setattr(profiler, "_cuda_available", lambda: True)
    clock.now = 0
    with profiler.profile(use_device="cuda") as prof:
        with timed(clock, "aten::mul", 1, 2):
            pass
    assert prof.use_device == "cuda"
    assert prof.key_averages().table().splitlines()[1].endswith("# of Calls  ")


def test_schedule_actions():
    Action = tl_profiler.ProfilerAction
    steps = tl_profiler.schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    got = [steps(i) for i in range(7)]
    expected = [Action.NONE, Action.NONE, Action.WARMUP, Action.RECORD]
    assert got == expected + [Action.RECORD_AND_SAVE, Action.NONE, Action.NONE]
    with pytest.warns(UserWarning, match="won't be using warmup"):
        tl_profiler.schedule(wait=0, warmup=0, active=1)
    with pytest.raises(AssertionError, match="Invalid profiler schedule"):
        tl_profiler.schedule(wait=0, warmup=1, active=0)


def test_profiler_profile_with_schedule_records_active_steps(clock):
    reports = []
    activities = [tl_profiler.ProfilerActivity.CPU]
    steps = tl_profiler.schedule(wait=1, warmup=1, active=2, repeat=1)
    clock.now = 0
    with tl_profiler.profile(
        activities=activities, schedule=steps, on_trace_ready=reports.append
    ) as p:
        for step in range(6):
            with timed(clock, "aten::mul", 10 * step + 1, 10 * step + 2):
                pass
            clock.now = 10 * step + 5
            p.step()
    assert reports == [p]
    averages = {a.key: a for a in p.key_averages()}
    assert averages["aten::mul"].count == 2
    assert averages["ProfilerStep*"].count == 2
    names = [e.trace_name for e in p.events() if e.name == "ProfilerStep*"]
    assert names == ["ProfilerStep#2", "ProfilerStep#3"]


def test_profiler_profile_without_schedule_records_everything(clock):
    with tl_profiler.profile(
        activities=[tl_profiler.ProfilerActivity.CPU], record_shapes=True
    ) as p:
        with tl_profiler.record_function("model_inference"):
            with timed(clock, "aten::add", 1, 2, [[2, 3], []]):
                pass
    assert [e.name for e in p.events()] == ["model_inference", "aten::add"]
    assert _profiler_state.active is False
