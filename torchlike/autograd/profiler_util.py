"""Profiler events and their averages (``torch.autograd.profiler_util``).

The text of ``EventList.table`` is built in _profiler_table.py.
"""

from __future__ import annotations

import enum
import itertools
import json
from collections import defaultdict, namedtuple

# torch keeps these formatters in profiler_util, so they stay importable from here.
from torchlike.autograd._profiler_table import (  # noqa: F401
    _format_memory,
    _format_time,
    _format_time_share,
    build_table,
)

__all__ = [
    "DeviceType",
    "EventList",
    "FormattedTimesMixin",
    "FunctionEvent",
    "FunctionEventAvg",
    "Interval",
    "Kernel",
]


class DeviceType(enum.IntEnum):
    """Device an event ran on, numbered as ``torch.autograd.DeviceType``."""

    CPU = 0
    CUDA = 1
    MKLDNN = 2
    OPENGL = 3
    OPENCL = 4
    IDEEP = 5
    HIP = 6
    FPGA = 7
    MAIA = 8
    XLA = 9
    Vulkan = 10
    Metal = 11
    XPU = 12
    MPS = 13
    Meta = 14
    HPU = 15
    VE = 16
    Lazy = 17
    IPU = 18
    MTIA = 19
    PrivateUse1 = 20

    def __str__(self):
        return f"DeviceType.{self.name}"


# Device-side event types whose self time adds up to the "Self CUDA time total" footer.
_KINETO_DEVICE_TYPES = (DeviceType.CUDA, DeviceType.PrivateUse1, DeviceType.MTIA, DeviceType.XPU)


def _self_time_sums(events):
    """Totals of self CPU time and of self device time (device-side events only)."""
    cpu_total = 0
    device_total = 0
    for event in events:
        cpu_total += event.self_cpu_time_total
        if event.device_type == DeviceType.CPU and event.is_legacy:
            device_total += event.self_device_time_total
        elif event.device_type in _KINETO_DEVICE_TYPES and not event.is_user_annotation:
            device_total += event.self_device_time_total
    return cpu_total, device_total


class Interval:
    """Start and end of an event in microseconds."""

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        """Length of the interval in microseconds."""
        return self.end - self.start


Kernel = namedtuple("Kernel", ["name", "device", "duration"])


class FormattedTimesMixin:
    """Per-call averages and formatted time strings shared by events and their averages."""

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else 1.0 * self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else 1.0 * self.device_time_total / self.count

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    device_time_str = property(lambda self: _format_time(self.device_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    device_time_total_str = property(lambda self: _format_time(self.device_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    self_device_time_total_str = property(lambda self: _format_time(self.self_device_time_total))


class FunctionEvent(FormattedTimesMixin):
    """One profiled op or labelled region, like ``torch.autograd.profiler_util.FunctionEvent``."""

    # Keyword names follow torch's constructor, so code that builds events for torch works here.
    def __init__(
        self,
        id,
        name,
        thread,
        start_us,
        end_us,
        overload_name=None,
        fwd_thread=None,
        input_shapes=None,
        stack=None,
        scope=0,
        use_device=None,
        cpu_memory_usage=0,
        device_memory_usage=0,
        is_async=False,
        is_remote=False,
        sequence_nr=-1,
        node_id=-1,
        device_type=DeviceType.CPU,
        device_index=0,
        device_resource_id=None,
        is_legacy=False,
        flops=None,
        trace_name=None,
        concrete_inputs=None,
        kwinputs=None,
        is_user_annotation=False,
        is_python_function=False,
    ):
        self.id = id
        self.node_id = node_id
        self.name = name
        self.overload_name = overload_name
        self.trace_name = trace_name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = fwd_thread
        self.kernels = []
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes
        self.concrete_inputs = concrete_inputs
        self.kwinputs = kwinputs
        self.stack = stack
        self.scope = scope
        self.use_device = use_device
        self.cpu_memory_usage = cpu_memory_usage
        self.device_memory_usage = device_memory_usage
        self.is_async = is_async
        self.is_remote = is_remote
        self.sequence_nr = sequence_nr
        self.device_type = device_type
        self.device_index = device_index
        self.device_resource_id = thread if device_resource_id is None else device_resource_id
        self.is_legacy = is_legacy
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.is_python_function = is_python_function
        self.self_cpu_percent = -1
        self.total_cpu_percent = -1
        self.total_device_percent = -1

    def append_kernel(self, name, device, duration):
        """Attach a device kernel launched by this CPU event."""
        self.kernels.append(Kernel(name, device, duration))

    def append_cpu_child(self, child):
        """Record a direct child; self time subtracts the children's totals."""
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        """Record the direct parent; top-level events have none."""
        self.cpu_parent = parent

    @property
    def key(self):
        return self.name

    @property
    def _is_cpu_sync(self):
        return not self.is_async and self.device_type == DeviceType.CPU

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us() if self.device_type == DeviceType.CPU else 0

    @property
    def self_cpu_time_total(self):
        if not self._is_cpu_sync:
            return 0
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        if not self._is_cpu_sync:
            return 0
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_device_memory_usage(self):
        if not self._is_cpu_sync:
            return 0
        return self.device_memory_usage - sum(c.device_memory_usage for c in self.cpu_children)

    @property
    def device_time_total(self):
        if self.is_async or not self.use_device:
            return 0
        if self.device_type != DeviceType.CPU:
            return self.time_range.elapsed_us()
        kernel_time = sum(kernel.duration for kernel in self.kernels)
        if self.is_legacy:
            return kernel_time
        return kernel_time + sum(child.device_time_total for child in self.cpu_children)

    @property
    def self_device_time_total(self):
        if self.is_async or not self.use_device:
            return 0
        if self.device_type != DeviceType.CPU:
            return self.device_time_total
        return self.device_time_total - sum(c.device_time_total for c in self.cpu_children)

    def __repr__(self):
        device = self.use_device
        return (
            f"<FunctionEvent id={self.id} name={self.name} overload_name={self.overload_name} "
            f"device_type={self.device_type} node_id={self.node_id} "
            f"cpu_time={self.cpu_time_str} start_us={self.time_range.start} "
            f"end_us={self.time_range.end} "
            f"cpu_children={[child.id for child in self.cpu_children]} "
            f"{device}_time={self.device_time_str} name={self.name} thread={self.thread} "
            f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
            f"{device}_memory_usage={self.device_memory_usage} is_async={self.is_async} "
            f"is_remote={self.is_remote} seq_nr={self.sequence_nr} is_legacy={self.is_legacy}>"
        )


class FunctionEventAvg(FormattedTimesMixin):
    """Sums over events sharing a key, like ``torch.autograd.profiler_util.FunctionEventAvg``."""

    _COPIED_ON_FIRST_ADD = (
        "key node_id is_async is_remote cpu_parent cpu_children overload_name input_shapes "
        "stack scope device_type is_legacy use_device is_user_annotation"
    ).split()
    _SUMMED = (
        "cpu_time_total device_time_total self_cpu_time_total self_device_time_total "
        "cpu_memory_usage device_memory_usage self_cpu_memory_usage self_device_memory_usage "
        "count"
    ).split()

    def __init__(self):
        self.key = None
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.use_device = None
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.is_legacy = False
        self.is_user_annotation = False
        self.flops = 0
        for field in self._SUMMED:
            setattr(self, field, 0)

    def add(self, other):
        """Fold one event (or average) with the same key into this one."""
        if self.key is None:
            for field in self._COPIED_ON_FIRST_ADD:
                setattr(self, field, getattr(other, field))
        if other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        for field in self._SUMMED:
            setattr(self, field, getattr(self, field) + getattr(other, field))
        if self.flops is None:
            self.flops = other.flops
        elif other.flops is not None:
            self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        device = self.use_device or "cuda"
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str}  self_{device}_time={self.self_device_time_total_str} "
            f"{device}_time={self.device_time_str} input_shapes={self.input_shapes} "
            f"cpu_memory_usage={self.cpu_memory_usage} "
            f"{device}_memory_usage={self.device_memory_usage}>"
        )


class EventList(list):
    """A list of profiler events with ``table``, ``key_averages`` and trace export."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._tree_built = False

    def _build_tree(self):
        """Link parents and children by time containment, then fold same-name wrappers."""
        self._populate_cpu_children()
        self._remove_dup_nodes()
        self._tree_built = True

    def _populate_cpu_children(self):
        """Make each event the child of the innermost earlier event that contains it."""
        sync = [e for e in self if not e.is_async and e.device_type == DeviceType.CPU]
        sync.sort(key=lambda e: e.thread)
        for _, thread_events in itertools.groupby(sync, key=lambda e: (e.thread, e.node_id)):
            ordered = sorted(thread_events, key=lambda e: [e.time_range.start, -e.time_range.end])
            open_events = []
            for event in ordered:
                while open_events:
                    parent = open_events[-1]
                    inside = (
                        event.time_range.start < parent.time_range.end
                        and event.time_range.end <= parent.time_range.end
                    )
                    if inside:
                        parent.append_cpu_child(event)
                        event.set_cpu_parent(parent)
                        break
                    open_events.pop()
                open_events.append(event)

    def _remove_dup_nodes(self):
        """Drop an event that is the only child of a parent with the same name (torch does)."""
        while True:
            doomed = set()
            for index, event in enumerate(self):
                parent = event.cpu_parent
                if parent is not None and parent.name == event.name:
                    if len(parent.cpu_children) == 1:
                        parent.cpu_children = event.cpu_children
                        parent.kernels = event.kernels
                        for child in event.cpu_children:
                            child.cpu_parent = parent
                        doomed.add(index)
            if not doomed:
                return
            kept = [event for index, event in enumerate(self) if index not in doomed]
            self.clear()
            self.extend(kept)

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def __str__(self):
        return self.table()

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
        time_unit=None,
    ):
        """Summary table as ``torch.autograd.profiler_util.EventList.table`` prints it."""
        return build_table(
            self,
            _self_time_sums,
            sort_by=sort_by,
            row_limit=row_limit,
            max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width,
            header=header,
            profile_memory=self._profile_memory,
            with_flops=self._with_flops,
            top_level_events_only=top_level_events_only,
            time_unit=time_unit,
        )

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace JSON array (``EventList.export_chrome_trace``)."""
        trace = [
            {
                "name": event.trace_name,
                "ph": "X",
                "ts": event.time_range.start,
                "dur": event.time_range.elapsed_us(),
                "tid": event.thread,
                "pid": "CPU functions",
                "args": {},
            }
            for event in self
            if event.trace_name is not None
        ]
        with open(path, "w") as file:
            json.dump(trace, file)

    def supported_export_stacks_metrics(self):
        return ["self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total"]

    def export_stacks(self, path, metric):
        """Write one 'frame;frame;... value' line per event with a stack (flame-graph input)."""
        if metric not in self.supported_export_stacks_metrics():
            raise ValueError(
                "metric should be one of: " + str(self.supported_export_stacks_metrics())
            )
        blanks = str.maketrans(" ;\t\n", "____")
        attribute = metric.replace("cuda", "device").replace("xpu", "device")
        with open(path, "w") as file:
            for event in self:
                value = int(getattr(event, attribute))
                if event.stack and value > 0:
                    frames = ";".join(entry.translate(blanks) for entry in reversed(event.stack))
                    file.write(f"{frames} {value}\n")

    def key_averages(
        self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """Average events per name (and optionally shapes, stack, overload), as torch does."""
        if not self._tree_built:
            raise AssertionError("Expected tree to be built before calling key_averages")
        stats = defaultdict(FunctionEventAvg)
        for event in self:
            key = [
                str(event.key),
                str(event.node_id),
                str(event.device_type),
                str(event.is_legacy),
                str(event.is_user_annotation),
            ]
            if group_by_overload_name:
                key.append(event.overload_name)
            if group_by_input_shapes:
                key.append(str(event.input_shapes))
            if group_by_stack_n > 0:
                key += (event.stack or [])[:group_by_stack_n]
            stats[tuple(key)].add(event)
        averages = EventList(
            stats.values(),
            use_device=self._use_device,
            profile_memory=self._profile_memory,
            with_flops=self._with_flops,
        )
        for average in averages:
            average.stack = (average.stack or [])[:group_by_stack_n]
            if not group_by_input_shapes:
                average.input_shapes = ""
            if not group_by_overload_name:
                average.overload_name = ""
        return averages

    def total_average(self):
        """Sum of all events as one ``FunctionEventAvg`` keyed 'Total'."""
        total = FunctionEventAvg()
        for event in self:
            total.add(event)
            total.key = None
        total.key = "Total"
        return total
