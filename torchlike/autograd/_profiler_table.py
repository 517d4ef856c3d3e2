"""The text of ``EventList.table``: column layout, number formats and one row per event."""

from __future__ import annotations

import math


def _format_time(time_us):
    """Render microseconds the way torch's profiler tables do (3 decimals, s/ms/us)."""
    unit = "s" if time_us >= 1000.0 * 1000.0 else "ms" if time_us >= 1000.0 else "us"
    return _format_time_in_unit(time_us, unit)


def _format_time_in_unit(time_us, time_unit):
    """Render microseconds in a forced unit ('s', 'ms', 'us') or the automatic one."""
    if time_unit == "s":
        return f"{time_us / (1000.0 * 1000.0):.3f}s"
    if time_unit == "ms":
        return f"{time_us / 1000.0:.3f}ms"
    if time_unit == "us":
        return f"{time_us:.3f}us"
    return _format_time(time_us)


def _format_time_share(time_us, total_time_us):
    """Percentage of the total with two decimals; 'NaN' when nothing was timed."""
    if total_time_us == 0:
        if time_us != 0:
            raise AssertionError(f"Expected time_us == 0 but got {time_us}")
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    """Render a byte count as B, KB, MB or GB with two decimals."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


_COLUMN_WIDTH = 12
_GAP = 2
_FLOP_UNITS = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]


class _Layout:
    """Headers, a row format and a dashed rule, built column by column, two spaces apart."""

    def __init__(self):
        self.headers = []
        self.row_format = ""
        self.rule = ""
        self.width = -_GAP

    def add(self, header, width, align=">"):
        self.headers.append(header)
        self.row_format += "{: " + align + str(width) + "}" + " " * _GAP
        self.rule += "-" * width + " " * _GAP
        self.width += width + _GAP

    def row(self, values):
        return self.row_format.format(*values)


def _capped(width, cap):
    return width if cap is None else min(width, cap)


def _shorten(text, max_width):
    """Cut a name to fit its column, ending in '...', as torch's table does."""
    if max_width is not None and len(text) >= max_width - 3:
        return text[: max_width - 3] + "..."
    return text


def _trim_path(path, width):
    """Keep the tail of a source path that fits the column, marked with a leading '...'."""
    if len(path) > width:
        path = path[len(path) - width :]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


class _TableSpec:
    """Which optional columns a table has and how wide its variable columns are."""

    def __init__(self, events, profile_memory, with_flops, max_widths):
        name_cap, shapes_cap, src_cap = max_widths
        self.use_device = events[0].use_device
        self.device_name = self.use_device.upper() if self.use_device is not None else "None"
        self.has_device_time = any(e.self_device_time_total > 0 for e in events)
        self.has_device_mem = any(e.self_device_memory_usage > 0 for e in events)
        if not self.use_device and self.has_device_time:
            raise RuntimeError("use_device is None, but there is device performance data.")
        self.has_shapes = any(
            e.input_shapes is not None and len(e.input_shapes) > 0 for e in events
        )
        self.has_overloads = any(e.overload_name for e in events)
        self.has_node_id = any(e.node_id != -1 for e in events)
        stacks = [e.stack for e in events if e.stack]
        self.has_stack = bool(stacks)
        self.src_width = (
            _capped(max(len(x) for s in stacks for x in s) + 4, src_cap) if stacks else 0
        )
        self.name_cap = name_cap
        self.name_width = _capped(max(len(e.key) for e in events) + 4, name_cap)
        self.shapes_width = _capped(max(len(str(e.input_shapes)) for e in events) + 4, shapes_cap)
        self.profile_memory = profile_memory
        self.show_device_mem = profile_memory and bool(self.use_device) and self.has_device_mem
        flops = [e.flops for e in events if (e.flops or 0) > 0]
        self.flops_scale, self.flops_unit = (
            _flops_scale(min(flops)) if with_flops and flops else (0, "")
        )

    def layout(self):
        """The columns in torch's order: fixed 12-wide ones between name and shapes."""
        layout = _Layout()
        layout.add("Name", self.name_width)
        if self.has_overloads:
            layout.add("Overload Name", self.name_width)
        fixed = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        device = self.device_name
        if self.has_device_time:
            fixed += [f"Self {device}", f"Self {device} %", f"{device} total", f"{device} time avg"]
        if self.profile_memory:
            fixed += ["CPU Mem", "Self CPU Mem"]
        if self.show_device_mem:
            fixed += [f"{device} Mem", f"Self {device} Mem"]
        fixed.append("# of Calls")
        if self.has_node_id:
            fixed.append("Node ID")
        for header in fixed:
            layout.add(header, _COLUMN_WIDTH)
        if self.has_shapes:
            layout.add("Input Shapes", self.shapes_width)
        if self.has_stack:
            layout.add("Source Location", self.src_width, align="<")
        if self.flops_unit:
            layout.add(f"Total {self.flops_unit}", _COLUMN_WIDTH)
        return layout


def _flops_scale(smallest_flops):
    """Scale factor and unit (FLOPs ... PFLOPs) chosen from the smallest positive count."""
    level = max(0, min(math.log10(smallest_flops) / 3, float(len(_FLOP_UNITS) - 1)))
    return pow(10, math.floor(level) * -3.0), _FLOP_UNITS[int(level)]


def _row_values(event, spec, sums, time_unit):
    """One table row; also stores the percentages on the event, as torch does."""
    cpu_total, device_total = sums
    event.self_cpu_percent = _format_time_share(event.self_cpu_time_total, cpu_total)
    event.total_cpu_percent = (
        0 if event.is_async else _format_time_share(event.cpu_time_total, cpu_total)
    )
    values = [_shorten(event.key, spec.name_cap)]
    if spec.has_overloads:
        values.append(_shorten(event.overload_name, spec.name_cap))
    values += [event.self_cpu_percent, _format_time_in_unit(event.self_cpu_time_total, time_unit)]
    values += [event.total_cpu_percent, _format_time_in_unit(event.cpu_time_total, time_unit)]
    values.append(_format_time_in_unit(event.cpu_time, time_unit))
    if spec.has_device_time:
        event.total_device_percent = _format_time_share(event.self_device_time_total, device_total)
        values.append(_format_time_in_unit(event.self_device_time_total, time_unit))
        values.append(event.total_device_percent)
        values.append(_format_time_in_unit(event.device_time_total, time_unit))
        values.append(_format_time_in_unit(event.device_time, time_unit))
    if spec.profile_memory:
        values += [_format_memory(event.cpu_memory_usage)]
        values += [_format_memory(event.self_cpu_memory_usage)]
    if spec.show_device_mem:
        values += [_format_memory(event.device_memory_usage)]
        values += [_format_memory(event.self_device_memory_usage)]
    values.append(event.count)
    if spec.has_node_id:
        values.append(event.node_id)
    if spec.has_shapes:
        values.append(str(event.input_shapes)[: spec.shapes_width])
    if spec.has_stack:
        values.append(_trim_path(event.stack[0], spec.src_width) if event.stack else "")
    if spec.flops_unit:
        flops = event.flops or 0
        values.append("--" if flops <= 0 else f"{flops * spec.flops_scale:8.3f}")
    return values


def build_table(
    events,
    self_time_sums,
    sort_by=None,
    header=None,
    row_limit=100,
    max_src_column_width=75,
    max_name_column_width=55,
    max_shapes_column_width=80,
    with_flops=False,
    profile_memory=False,
    top_level_events_only=False,
    time_unit=None,
):
    """The text of ``EventList.table``: rules, headers, one row per event, totals.

    ``self_time_sums(events)`` gives the (self CPU, self device) totals the percentages use.
    """
    if len(events) == 0:
        return ""
    max_widths = (max_name_column_width, max_shapes_column_width, max_src_column_width)
    spec = _TableSpec(events, profile_memory, with_flops, max_widths)
    if sort_by is not None:
        attribute = sort_by.replace("cuda", "device").replace("xpu", "device")
        attribute = attribute.replace("privateuse1", "device")
        events = sorted(events, key=lambda event: getattr(event, attribute), reverse=True)
    layout = spec.layout()
    sums = self_time_sums(events)
    lines = []
    if header is not None:
        lines += ["=" * layout.width, header]
    if top_level_events_only:
        lines += ["=" * layout.width, "This report only display top-level ops statistics"]
    lines += [layout.rule, layout.row(layout.headers), layout.rule]
    shown = [e for e in events if not (top_level_events_only and e.cpu_parent is not None)]
    if row_limit is not None and row_limit >= 0:
        shown = shown[:row_limit]
    for event in shown:
        lines.append(layout.row(_row_values(event, spec, sums, time_unit)))
        if spec.has_stack:
            blanks = [""] * (len(layout.headers) - 1)
            lines += [
                layout.row(blanks + [_trim_path(entry, spec.src_width)])
                for entry in event.stack[1:]
            ]
            lines.append(layout.row(blanks + [""]))
    lines += [layout.rule, f"Self CPU time total: {_format_time_in_unit(sums[0], time_unit)}"]
    if spec.has_device_time:
        lines.append(
            f"Self {spec.device_name} time total: {_format_time_in_unit(sums[1], time_unit)}"
        )
    return "".join(line + "\n" for line in lines)
