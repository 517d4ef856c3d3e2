"""Step-aware profiling, mirroring ``torch.profiler``: ``profile``, ``schedule``, activities."""

from __future__ import annotations

import enum
import os
import socket
import time
from functools import partial
from warnings import warn

from torchlike.autograd import profiler as _autograd_profiler
from torchlike.autograd.profiler import _cuda_available, record_function
from torchlike.autograd.profiler_util import DeviceType

__all__ = [
    "DeviceType",
    "ProfilerAction",
    "ProfilerActivity",
    "kineto_available",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
]

_STEP_LABEL = "ProfilerStep#"
_warnings_shown: set[str] = set()


class ProfilerActivity(enum.IntEnum):
    """Kinds of activity a profiler can trace, numbered as ``torch.profiler.ProfilerActivity``."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    def __str__(self):
        return f"ProfilerActivity.{self.name}"


class ProfilerAction(enum.Enum):
    """What the profiler does at a step, as ``torch.profiler.ProfilerAction``."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def kineto_available() -> bool:
    """Whether torch's Kineto tracer is present: never here, events come from torchlike's own."""
    return False


def supported_activities() -> set[ProfilerActivity]:
    """Activities this machine can trace: CPU, plus CUDA when JAX sees a GPU."""
    activities = {ProfilerActivity.CPU}
    if _cuda_available():
        activities.add(ProfilerActivity.CUDA)
    return activities


def _warn_once(message):
    if message not in _warnings_shown:
        _warnings_shown.add(message)
        warn(message, stacklevel=3)


def schedule(
    *,
    wait: int,
    warmup: int,
    active: int,
    repeat: int = 0,
    skip_first: int = 0,
    skip_first_wait: int = 0,
):
    """Map a step number to an action: wait, warmup, active cycles (``torch.profiler.schedule``)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
            f"warmup={warmup} (need >= 0), active={active} (need > 0), "
            f"repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _warn_schedule(previous, current):
    warn(f"Incorrect schedule: {previous.name} followed by {current.name}", stacklevel=4)


def _always_record(_step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """``on_trace_ready`` callback saving each cycle's Chrome trace into ``dir_name``."""

    def handler_fn(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


def _parse_activities(activities):
    """The set of activities from a list of ``ProfilerActivity`` or {activity: [names]} items."""
    parsed = set()
    for item in activities:
        keys = list(item) if isinstance(item, dict) else [item]
        for key in keys:
            if not isinstance(key, ProfilerActivity):
                raise TypeError(f"Expected ProfilerActivity or dict, got {type(item)}")
            if key in parsed:
                raise ValueError(f"Activity {key} specified more than once")
            parsed.add(key)
    return parsed


class _KinetoProfile:
    """Start/stop wrapper over ``torchlike.autograd.profiler.profile`` with metadata and export."""

    def __init__(
        self,
        *,
        activities=None,
        record_shapes=False,
        profile_memory=False,
        with_stack=False,
        with_flops=False,
        with_modules=False,
        experimental_config=None,
        execution_trace_observer=None,
        acc_events=False,
        custom_trace_id_callback=None,
        post_processing_timeout_s=None,
    ):
        if activities is None:
            self.activities = supported_activities()
        else:
            self.activities = _parse_activities(activities)
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.acc_events = acc_events
        self.profiler = None
        self.use_device = "cuda" if ProfilerActivity.CUDA in self.activities else None
        self._trace_metadata: dict[str, str] = {}

    def start(self) -> None:
        self.prepare_trace()
        self.start_trace()

    def stop(self) -> None:
        self.stop_trace()

    def prepare_trace(self) -> None:
        """Create the underlying profiler for a new cycle (events of older cycles are dropped)."""
        if self.profiler is not None and not self.acc_events:
            _warn_once(
                "Warning: Profiler clears events at the end of each cycle. "
                "Only events from the current cycle will be reported. "
                "To keep events across cycles, set acc_events=True."
            )
        if self.profiler is None or not self.acc_events:
            self.profiler = _autograd_profiler.profile(
                use_cpu=ProfilerActivity.CPU in self.activities,
                use_device=self.use_device,
                record_shapes=self.record_shapes,
                with_flops=self.with_flops,
                profile_memory=self.profile_memory,
                with_stack=self.with_stack,
                with_modules=self.with_modules,
                use_kineto=True,
                acc_events=self.acc_events,
            )
        self.profiler._prepare_trace()

    def start_trace(self) -> None:
        self._require_profiler()._start_trace()

    def stop_trace(self) -> None:
        self._require_profiler().__exit__(None, None, None)

    def _require_profiler(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before use")
        return self.profiler

    def export_chrome_trace(self, path: str, use_python_export: bool = False):
        """Save the last cycle's events as a Chrome trace JSON file."""
        return self._require_profiler().export_chrome_trace(path, self._trace_metadata)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total"):
        """Save stacks with a time metric for flame graphs; needs ``with_stack=True``."""
        return self._require_profiler().export_stacks(path, metric)

    def key_averages(
        self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """Events averaged per name (and optionally input shapes), as ``EventList.key_averages``."""
        return self._require_profiler().key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name
        )

    def events(self):
        """The unaggregated ``FunctionEvent`` list of the last cycle."""
        return self._require_profiler().function_events

    def add_metadata(self, key: str, value: str) -> None:
        """Add a string entry to the exported trace's top level."""
        self._trace_metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        """Add an entry, given as JSON text, to the exported trace's top level."""
        import json

        self._trace_metadata[key] = json.loads(value)


class profile(_KinetoProfile):
    """Profiler context manager with an optional step schedule, like ``torch.profiler.profile``."""

    def __init__(
        self,
        *,
        activities=None,
        schedule=None,
        on_trace_ready=None,
        record_shapes=False,
        profile_memory=False,
        with_stack=False,
        with_flops=False,
        with_modules=False,
        experimental_config=None,
        execution_trace_observer=None,
        acc_events=False,
        use_cuda=None,
        custom_trace_id_callback=None,
        post_processing_timeout_s=None,
    ):
        if use_cuda is not None:
            warn(
                "`use_cuda` is deprecated, use `activities` argument instead",
                FutureWarning,
                stacklevel=2,
            )
            activities = set(supported_activities() if activities is None else activities)
            if use_cuda:
                activities.add(ProfilerActivity.CUDA)
            else:
                activities.discard(ProfilerActivity.CUDA)
        super().__init__(
            activities=activities,
            record_shapes=record_shapes,
            profile_memory=profile_memory,
            with_stack=with_stack,
            with_flops=with_flops,
            with_modules=with_modules,
            experimental_config=experimental_config,
            acc_events=acc_events,
        )
        if not self.activities:
            raise AssertionError("No valid profiler activities found")
        self.schedule = schedule or _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self.step_rec_fn = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()

    def start(self) -> None:
        self._transit_action(ProfilerAction.NONE, self.current_action)
        self._open_step_label()

    def stop(self) -> None:
        self._close_step_label()
        self._transit_action(self.current_action, None)

    def step(self) -> None:
        """Tell the profiler a new step begins; the schedule decides what it records."""
        self._close_step_label()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit_action(previous, self.current_action)
        self._open_step_label()

    def _open_step_label(self):
        if self.record_steps:
            self.step_rec_fn = record_function(_STEP_LABEL + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _close_step_label(self):
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _trace_ready(self) -> None:
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, previous, current) -> None:
        for action in self._actions(previous, current):
            action()

    def _actions(self, previous, current):
        """What to call when the schedule moves from ``previous`` to ``current`` (None: exit)."""
        none, warmup = ProfilerAction.NONE, ProfilerAction.WARMUP
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        prepare, start, stop = self.prepare_trace, self.start_trace, self.stop_trace
        if previous == none:
            return {warmup: [prepare]}.get(
                current, [prepare, start] if current in recording else []
            )
        if previous == warmup:
            if current in recording:
                return [start]
            if current == none:
                return [partial(_warn_schedule, previous, current), start, stop]
            return [start, stop] if current is None else []
        if previous == ProfilerAction.RECORD:
            if current in (none, warmup):
                return [partial(_warn_schedule, previous, current), stop]
            return [stop, self._trace_ready] if current is None else []
        # RECORD_AND_SAVE ends a cycle: save it, then begin whatever comes next.
        following = {none: [], warmup: [prepare], None: []}.get(current, [prepare, start])
        return [stop, self._trace_ready, *following]


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.profiler")
