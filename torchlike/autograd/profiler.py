"""Op-level profiling as ``torch.autograd.profiler``: ``profile`` and ``record_function``."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from warnings import warn

from torchlike import _profiler_state
from torchlike.autograd.profiler_util import (
    DeviceType,
    EventList,
    FormattedTimesMixin,
    FunctionEvent,
    FunctionEventAvg,
    Interval,
    Kernel,
)

__all__ = [
    "DeviceType",
    "EventList",
    "FormattedTimesMixin",
    "FunctionEvent",
    "FunctionEventAvg",
    "Interval",
    "Kernel",
    "profile",
    "record_function",
]

_VALID_DEVICES = ("cuda", "xpu", "mtia", "hpu")
# torch's RecordScope numbers: ops are FUNCTION (0), record_function labels USER_SCOPE (7).
_USER_SCOPE = 7


def _cuda_available():
    """Whether JAX sees a GPU, which is what ``torchlike.cuda.is_available`` reports."""
    import jax

    try:
        return any(device.platform == "gpu" for device in jax.devices())
    except RuntimeError:
        return False


def _checked_device(use_device):
    """Keep ``use_device`` only when it names a device this machine has, warning like torch."""
    if use_device is None:
        return None
    if use_device not in _VALID_DEVICES:
        warn(f"The {use_device} is not a valid device option.", stacklevel=3)
        return None
    if use_device == "cuda" and _cuda_available():
        return use_device
    upper = use_device.upper()
    warn(f"{upper} is not available, disabling {upper} profiling", stacklevel=3)
    return None


def _event_from_range(op_range, base_ns, use_device, record_shapes):
    """A ``FunctionEvent`` for one recorded range, times in microseconds from the window start."""
    name = op_range.name
    return FunctionEvent(
        id=op_range.id,
        name="ProfilerStep*" if name.startswith("ProfilerStep#") else name,
        trace_name=name,
        overload_name="",
        thread=op_range.thread,
        fwd_thread=op_range.thread,
        start_us=(op_range.start_ns - base_ns) / 1000,
        end_us=(op_range.end_ns - base_ns) / 1000,
        input_shapes=list(op_range.input_shapes) if record_shapes else [],
        stack=list(op_range.stack or []),
        scope=_USER_SCOPE if op_range.is_user_annotation else 0,
        use_device=use_device,
        is_user_annotation=op_range.is_user_annotation,
        concrete_inputs=[],
        kwinputs={},
        flops=0,
    )


def _events_from_ranges(ranges, base_ns, profiler):
    """Events ordered by start (longest first on ties), linked through the recorded parents."""
    ordered = sorted(ranges, key=lambda r: (r.start_ns, -r.end_ns, r.id))
    by_range = {}
    for op_range in ordered:
        event = _event_from_range(op_range, base_ns, profiler.use_device, profiler.record_shapes)
        parent = by_range.get(id(op_range.parent)) if op_range.parent is not None else None
        if parent is not None:
            parent.append_cpu_child(event)
            event.set_cpu_parent(parent)
        by_range[id(op_range)] = event
    events = EventList(
        by_range.values(),
        use_device=profiler.use_device,
        profile_memory=profiler.profile_memory,
        with_flops=profiler.with_flops,
    )
    events._remove_dup_nodes()
    events._tree_built = True
    return events


def _write_chrome_trace(path, events, metadata, record_shapes):
    """Write a Chrome trace (the JSON object layout torch's profilers save)."""
    trace_events = []
    for index, event in enumerate(events):
        args = {"External id": event.id, "Ev Idx": index}
        if record_shapes:
            args["Input Dims"] = event.input_shapes
        trace_events.append(
            {
                "ph": "X",
                "cat": "user_annotation" if event.is_user_annotation else "cpu_op",
                "name": event.trace_name,
                "pid": os.getpid(),
                "tid": event.thread,
                "ts": event.time_range.start,
                "dur": event.time_range.elapsed_us(),
                "args": args,
            }
        )
    document = {"schemaVersion": 1, "deviceProperties": [], "displayTimeUnit": "ms"}
    document.update(metadata or {})
    document.update(traceEvents=trace_events, traceName=path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt") as file:
        json.dump(document, file)


class profile:
    """Context manager timing every op run inside it (``torch.autograd.profiler.profile``)."""

    def __init__(
        self,
        enabled=True,
        *,
        use_cuda=False,
        use_device=None,
        record_shapes=False,
        with_flops=False,
        profile_memory=False,
        with_stack=False,
        with_modules=False,
        use_kineto=False,
        use_cpu=True,
        experimental_config=None,
        acc_events=False,
        custom_trace_id_callback=None,
        post_processing_timeout_s=None,
        activity_filters=None,
    ):
        self.enabled = enabled
        self.use_cuda = use_cuda
        if enabled and use_cuda:
            warn(
                "The attribute `use_cuda` will be deprecated soon, "
                "please use ``use_device = 'cuda'`` instead.",
                FutureWarning,
                stacklevel=2,
            )
            use_device = "cuda"
        self.use_device = _checked_device(use_device) if enabled else use_device
        self.use_cuda = self.use_device == "cuda"
        self.record_shapes = record_shapes or with_flops
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.use_cpu = use_cpu
        self.acc_events = acc_events
        self.experimental_config = experimental_config
        self.trace_id = ""
        self.entered = False
        self._collector = None
        self._ranges = None
        self._function_events = None
        self._old_function_events = None

    def __enter__(self):
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._prepare_trace()
        self._start_trace()
        return self

    def _prepare_trace(self):
        self.entered = True

    def _start_trace(self):
        self.entered = True
        self._collector = _profiler_state.start_collecting(self.record_shapes, self.with_stack)

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return False
        if self._function_events and self.acc_events:
            self._old_function_events = self._function_events
        self._function_events = None
        self._ranges = _profiler_state.stop_collecting(self._collector)
        if self.acc_events:
            self._ensure_function_events()
        return False

    def __repr__(self):
        if self._ensure_function_events() is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self._function_events)

    def __str__(self):
        if self._ensure_function_events() is None:
            return "<unfinished torch.autograd.profile>"
        return str(self._function_events)

    def _ensure_function_events(self):
        """Turn the recorded ranges into events once, after the window closed."""
        if self._function_events is None and self._ranges is not None:
            events = _events_from_ranges(self._ranges, self._collector.start_ns, self)
            if self._old_function_events and self.acc_events:
                events.extend(self._old_function_events)
                self._old_function_events = None
            self._function_events = events
            self._ranges = None
        return self._function_events

    def _require_events(self):
        if not self.enabled:
            raise AttributeError("profile(enabled=False) recorded nothing; there are no events")
        events = self._ensure_function_events()
        if events is None:
            raise AssertionError("Expected profiling results")
        return events

    @property
    def function_events(self):
        return self._require_events()

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
    ):
        """The summary table of every event, as ``EventList.table``."""
        return self._require_events().table(
            sort_by=sort_by,
            row_limit=row_limit,
            max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width,
            header=header,
            top_level_events_only=top_level_events_only,
        )

    def export_chrome_trace(self, path, metadata=None, use_python_export=False):
        """Save the events as a Chrome trace JSON file (``.gz`` paths are gzipped)."""
        _write_chrome_trace(path, self._require_events(), metadata, self.record_shapes)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Save stacks with a time metric for flame graphs; needs ``with_stack=True``."""
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self._require_events().export_stacks(path, metric)

    def key_averages(
        self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """Events averaged per name (and optionally input shapes), as ``EventList.key_averages``."""
        return self._require_events().key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name
        )

    def total_average(self):
        """All events summed into one average keyed 'Total'."""
        return self._require_events().total_average()

    @property
    def self_cpu_time_total(self):
        """Total self CPU time of all events, in microseconds."""
        return self._require_events().self_cpu_time_total


class record_function(contextlib.ContextDecorator):
    """Label a block or function in profiles, like ``torch.autograd.profiler.record_function``."""

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self.record = None

    def __enter__(self):
        if _profiler_state.active:
            self.record = _profiler_state.begin(self.name, [], is_user_annotation=True)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self.run_callbacks_on_exit and self.record is not None:
            _profiler_state.end(self.record)
        self.record = None
        return False


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.autograd.profiler")
