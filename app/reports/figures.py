"""The report's plots, drawn with matplotlib (Agg): light, print-ready, one
figure per subject, ``None`` where the data has nothing to show."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.eol_interval_text import eol_interval_text
from app.diagnostics.resistance_readout import measured_resistances

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Points per curve after min/max decimation: plenty for print, small files.
MAX_POINTS = 3000
WIDTH_IN = 7.0
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def _figure(rows: int, height_per_row: float = 1.6) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, 0.5 + rows * height_per_row), dpi=150, layout="constrained")
    return fig


def _style(ax, ylabel: str) -> None:
    from matplotlib.ticker import ScalarFormatter

    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    for axis in (ax.xaxis, ax.yaxis):
        # the values themselves on the ticks: a cell at rest (MB-0.mpr, 1.48901-1.48909 V)
        # read "2 4 6 8" under "1e-5+1.489"
        if isinstance(formatter := axis.get_major_formatter(), ScalarFormatter):
            formatter.set_useOffset(False)
    ax.grid(True, color="#dddddd", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def decimate(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS):
    """Min/max per bin, so peaks survive thinning (as pyqtgraph's 'peak' mode)."""
    n = len(t)
    if n <= max_points:
        return t, y
    edges = np.linspace(0, n, max_points // 2 + 1).astype(int)
    starts = edges[:-1]
    with np.errstate(all="ignore"):
        filled_lo = np.where(np.isnan(y), np.inf, y)
        filled_hi = np.where(np.isnan(y), -np.inf, y)
        lo = np.minimum.reduceat(filled_lo, starts)
        hi = np.maximum.reduceat(filled_hi, starts)
    lo[~np.isfinite(lo)] = np.nan
    hi[~np.isfinite(hi)] = np.nan
    tt = np.column_stack([t[starts], t[edges[1:] - 1]]).ravel()
    yy = np.column_stack([lo, hi]).ravel()
    return tt, yy


def _legend(ax, entries: int, title: str | None = None) -> None:
    """Legend above the axes, never over the data."""
    ax.legend(
        title=title,
        title_fontsize=6,
        fontsize=6,
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=min(entries, 5),
        borderaxespad=0.1,
        handlelength=1.5,
    )


def _time_axis(t: np.ndarray) -> tuple[np.ndarray, str]:
    span = float(t[-1] - t[0]) if len(t) else 0.0
    if span > 3 * 3600:
        return t / 3600.0, "time (h)"
    if span > 600:
        return t / 60.0, "time (min)"
    return t, "time (s)"


def _sensor_name(column: str) -> str:
    """A temperature column in a legend: 'sensor' (the pack's), 'cell 2'."""
    from app.diagnostics.faults.text import channel_text

    return "sensor" if column == schema.TEMPERATURE else channel_text(column)


#: Temperature curves a report's plot draws at most (its colours; more are unreadable).
MAX_TEMPERATURE_CURVES = len(COLORS)


def _temperature_sensors(frame: pd.DataFrame) -> list[str]:
    """The temperature columns the plot draws, in column order: every one up to
    :data:`MAX_TEMPERATURE_CURVES`; beyond, the pack sensor and the cells that ran
    hottest. The first eight were drawn before: a 16-cell pack's heating cell 12 (an
    internal short, the thermal finding's hottest cell) was not on the plot."""
    temps = [c for c in (schema.TEMPERATURE,) if c in frame] + schema.cell_temperature_columns(
        frame.columns
    )
    if len(temps) <= MAX_TEMPERATURE_CURVES:
        return temps
    pack = temps[:1] if temps[0] == schema.TEMPERATURE else []
    cells = temps[len(pack) :]

    def peak(column: str) -> float:
        values = frame[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        return float(finite.max()) if len(finite) else -np.inf

    hottest = sorted(cells, key=peak, reverse=True)[: MAX_TEMPERATURE_CURVES - len(pack)]
    return pack + [c for c in cells if c in hottest]


def timeseries_figure(frame: pd.DataFrame, timeseries: dict[str, np.ndarray]) -> Figure | None:
    """Voltage, current, temperature and SOC (with its band) over time."""
    if frame is None or len(frame) < 2:
        return None
    t_raw = frame[schema.TIME].to_numpy(dtype=float)
    t_all, xlabel = _time_axis(t_raw)
    panels: list[tuple[str, list[tuple[str, np.ndarray]]]] = [
        ("voltage (V)", [("pack", frame[schema.VOLTAGE].to_numpy(dtype=float))]),
        ("current (A)", [("current", frame[schema.CURRENT].to_numpy(dtype=float))]),
    ]
    temps = _temperature_sensors(frame)
    titles: dict[str, str] = {}
    if (cells := len(schema.cell_temperature_columns(frame.columns))) > sum(
        c != schema.TEMPERATURE for c in temps
    ):
        drawn = sum(c != schema.TEMPERATURE for c in temps)
        titles["temperature (°C)"] = f"the {drawn} hottest of {cells} cells"
    if temps:
        panels.append(
            (
                "temperature (°C)",
                [(_sensor_name(c), frame[c].to_numpy(dtype=float)) for c in temps],
            )
        )
    soc = timeseries.get("soc_percent") if timeseries else None
    if soc is not None:
        panels.append(("SOC (%)", [("SOC estimate", np.asarray(soc, dtype=float))]))
    fig = _figure(len(panels))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, curves) in zip(axes, panels, strict=True):
        for i, (name, y) in enumerate(curves):
            tt, yy = decimate(t_all, y)
            ax.plot(tt, yy, color=COLORS[i % len(COLORS)], linewidth=0.8, label=name)
        if label.startswith("SOC"):
            low, high = (
                timeseries.get("soc_band_low_percent"),
                timeseries.get("soc_band_high_percent"),
            )
            if low is not None and high is not None:
                tl, yl = decimate(t_all, np.asarray(low, dtype=float))
                th, yh = decimate(t_all, np.asarray(high, dtype=float))
                n = min(len(yl), len(yh))
                ax.fill_between(
                    tl[:n], yl[:n], yh[:n], color=COLORS[0], alpha=0.2, linewidth=0, label="±2σ"
                )
            if schema.SOC_REPORTED in frame:
                tb, yb = decimate(t_all, frame[schema.SOC_REPORTED].to_numpy(dtype=float))
                ax.plot(tb, yb, color=COLORS[1], linewidth=0.8, linestyle="--", label="BMS SOC")
            ax.set_ylim(-2, 102)
            _legend(ax, 3)
        elif len(curves) > 1:
            _legend(ax, len(curves), titles.get(label))
        _style(ax, label)
    axes[-1].set_xlabel(xlabel, fontsize=8)
    return fig


def _fitted_capacity(cycle: dict) -> float | None:
    """The capacity of a per-cycle row that capacity fade fits (see
    :func:`~app.diagnostics.suite.lifetime_cycles`)."""
    net = cycle.get("net_discharge_capacity_ah")
    return net if net is not None else cycle.get("discharge_capacity_ah")


def _lifetime_points(cycles: list[dict], fade: dict) -> list[tuple[float, float]]:
    """(cycle, capacity) of the cycles the lifetime diagnostics use
    (:func:`~app.diagnostics.suite.lifetime_cycles`: complete, full cycles where the
    table was summed from samples; the capacity they fit, the net discharge where
    there is one); none where capacity fade found no full cycle (an HPPC test)."""
    import pandas as pd

    from app.diagnostics.full_cycles import NOT_APPLICABLE
    from app.diagnostics.suite import lifetime_cycles

    rows = [c for c in cycles if c.get("cycle_index") is not None]
    if not rows or fade.get("status") == NOT_APPLICABLE:
        return []
    table = pd.DataFrame(rows)
    if "coulombic_efficiency" not in table:
        table["coulombic_efficiency"] = None
    table["discharge_capacity_ah"] = pd.to_numeric(table["discharge_capacity_ah"])
    # (a table summed from samples marks its partial cycles; a per-cycle table does not)
    measured = any(c.get("partial") is not None for c in rows)
    usable = lifetime_cycles(
        table, measured_charge=measured, min_capacity_ah=fade.get("full_cycle_min_ah")
    )
    return list(zip(usable["cycle_index"], usable["discharge_capacity_ah"], strict=True))


def capacity_figure(report: dict, cycles: list[dict]) -> Figure | None:
    """Discharge capacity per cycle, and the fade fit and end-of-life forecast where
    there are (:func:`capacity_caption` names what it draws)."""
    fade = report["results"].get("capacity_fade") or {}
    life = report["results"].get("cycle_life") or {}
    points = _lifetime_points(cycles, fade)
    if len(points) < 2:
        return None
    from app.diagnostics.capacity_fade import MODELS

    n = np.array([p[0] for p in points], dtype=float)
    q = np.array([p[1] for p in points], dtype=float)
    fig = _figure(1, 2.6)
    ax = fig.subplots()
    ax.plot(n, q, "o", markersize=2.5, color=COLORS[0], label="measured")
    end = n.max()
    if life.get("predicted_eol_cycle"):
        end = max(end, float(life.get("interval_high") or life["predicted_eol_cycle"]) * 1.05)
    chosen = next(
        (m for m in fade.get("models") or [] if m["model"] == fade.get("selected_model")), None
    )
    if chosen is not None and chosen["model"] in MODELS:
        # the fade's fit over the measured cycles only: the forecast is not this one
        # model extrapolated, and a line of it run on would cross the end of life
        # where no forecast is (B0005 at 0.6: near cycle 200, the forecast 232)
        _plot_model(ax, chosen["model"], chosen["parameters"], n.min(), n.max(), "fade fit")
    if life.get("eol_capacity_ah"):
        ax.axhline(
            life["eol_capacity_ah"],
            color="#555555",
            linewidth=0.8,
            linestyle=":",
            label="end of life",
        )
    eol = life.get("predicted_eol_cycle")
    if eol and life.get("status") == "reached":
        ax.axvline(
            eol, color=COLORS[2], linewidth=1.0, linestyle="--", label=f"reached: cycle {eol}"
        )
    elif eol:
        # the forecast's own fits (the members whose crossing is its point), from their
        # window's first cycle to the marker: the drawn curve crosses where the marker is
        for k, m in enumerate(x for x in life.get("members") or [] if x.get("at_median")):
            if m.get("model") in MODELS and m.get("parameters"):
                _plot_model(
                    ax,
                    m["model"],
                    m["parameters"],
                    m["window_first_cycle"],
                    end,
                    f"forecast fit: {m['model']} (from cycle {m['window_first_cycle']:g})",
                    COLORS[(3 + k) % len(COLORS)],
                )
        ax.axvline(
            eol, color=COLORS[2], linewidth=1.0, linestyle="--", label=f"forecast: cycle {eol}"
        )
        lo, hi = life.get("interval_low"), life.get("interval_high")
        if lo is not None:
            # an open interval (no upper end by the horizon) is shaded to the plot's
            # edge: left out, the forecast looked surest where it is least sure
            level = f"{100 * (life.get('interval_level') or 0.9):.0f} % interval"
            span = eol_interval_text(lo, hi, life.get("horizon_cycle"))
            ax.axvspan(
                lo,
                hi if hi is not None else end,
                color=COLORS[2],
                alpha=0.12,
                linewidth=0,
                label=f"{level} {span}",
            )
    knee = (fade.get("knee") or {}).get("knee_point_cycle")
    if knee is not None:
        ax.axvline(
            knee, color=COLORS[4], linewidth=0.8, linestyle="-.", label=f"knee: cycle {knee:g}"
        )
    _style(ax, "discharge capacity (Ah)")
    ax.set_ylim(*_capacity_range(q, life.get("eol_capacity_ah")))
    ax.set_xlabel("cycle", fontsize=8)
    ax.legend(fontsize=6, frameon=False)
    return fig


#: what the capacity figure's legend entries (their first word) add to its caption
_CAPTION_PARTS = (
    ("fade", "fade fit"),
    ("forecast", "end-of-life forecast"),
    ("reached", "end of life reached"),
    ("end", "end-of-life line"),
    ("knee", "knee"),
)


def capacity_caption(fig: Figure) -> str:
    """The capacity figure's caption: what it draws, and nothing it does not (it
    promised a "fade fit and end-of-life forecast" over two points and neither)."""
    (ax,) = fig.axes
    drawn = {label.split()[0].rstrip(":") for label in ax.get_legend_handles_labels()[1]}
    parts = [text for first, text in _CAPTION_PARTS if first in drawn]
    caption = "Discharge capacity per cycle"
    if not parts:
        return caption
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"{caption}, {listed}"


def _plot_model(ax, name: str, parameters: dict, start: float, stop: float, label: str, color=None):
    """A fade model's curve (cycle-unit parameters) from ``start`` to ``stop``."""
    from app.diagnostics.capacity_fade import MODELS

    model = MODELS[name]
    x = np.linspace(float(start), float(stop), 400)
    with np.errstate(all="ignore"):
        y = model.func(x, *[parameters[p] for p in model.params])
    ax.plot(x, y, color=color or COLORS[1], linewidth=1.0, label=label)


def _capacity_range(q: np.ndarray, eol_ah: float | None) -> tuple[float, float]:
    """The capacity axis: the measured capacities and the end-of-life line, with a
    margin, never below zero; a fit extrapolated past them is cut at its edge (a power
    law run out to the forecast's far end falls to -11 Ah and would squash the data)."""
    levels = np.append(q, eol_ah) if eol_ah else q
    lo, hi = float(np.min(levels)), float(np.max(levels))
    pad = 0.1 * (hi - lo) or 0.05 * abs(hi) or 0.1
    return max(0.0, lo - pad), hi + pad


def dqdv_figure(report: dict) -> Figure | None:
    """Incremental capacity (dQ/dV) curves of the cycles the SOH diagnostic analysed."""
    soh = report["results"].get("soh") or {}
    curves = soh.get("ica_curves") or []
    if not curves:
        return None
    fig = _figure(1, 2.6)
    ax = fig.subplots()
    for i, c in enumerate(curves[:8]):
        y = np.asarray(c["dqdv_ah_per_v"], dtype=float)
        v = c["v_start_v"] + c["v_step_v"] * np.arange(len(y))
        ax.plot(
            v,
            y,
            color=COLORS[i % len(COLORS)],
            linewidth=0.9,
            label=f"cycle {c['cycle_index']} {c['direction']}",
        )
    _style(ax, "dQ/dV (Ah/V)")
    ax.set_xlabel("cell voltage (V)", fontsize=8)
    ax.legend(fontsize=6, frameon=False)
    return fig


def dcir_figure(report: dict) -> Figure | None:
    """The pulses' resistances versus SOC: the two the log resolves best (R10 and the
    ohmic one, else what it has: a log sampled every 30 s has R30 only)."""
    ir = report["results"].get("internal_resistance") or {}
    pulses = [p for p in ir.get("pulses") or [] if p.get("soc_percent") is not None]
    kinds = [m.kind for m in measured_resistances(ir)][:2]
    if not pulses or not kinds:
        return None
    fig = _figure(1, 2.4)
    ax = fig.subplots()
    socs = []
    for kind, marker, color in zip(kinds, "os", COLORS, strict=False):
        # a charge pulse is a ring, larger than a discharge pulse's dot and drawn over it:
        # the same size hid it where the two read alike (an HPPC log's R ohmic at each
        # SOC step: 'R ohmic charge' was in the legend, no point of it to be seen)
        for direction, fill, size in (("discharge", color, 3.5), ("charge", "none", 6.0)):
            pts = [
                (p["soc_percent"], p[kind.pack_key] * 1e3)
                for p in pulses
                if p.get("direction") == direction
                and _finite(p.get(kind.pack_key))
                and _finite(p["soc_percent"])
            ]
            if not pts:  # no legend entry for a series without a point to draw
                continue
            xs, ys = zip(*pts, strict=True)
            socs.extend(xs)
            ax.plot(
                xs,
                ys,
                marker,
                markersize=size,
                markerfacecolor=fill,
                markeredgewidth=0.9,
                color=color,
                zorder=3 if direction == "charge" else 2,
                label=f"{kind.label} {direction}",
            )
    if not ax.lines:  # (no pulse with a direction and a finite reading)
        return None
    _style(ax, "resistance (mΩ, pack)")
    ax.set_xlabel("SOC (%)", fontsize=8)
    ax.set_xlim(min(-2.0, min(socs) - 2.0), max(102.0, max(socs) + 2.0))  # every point in
    # above the axes: inside ("best") it sat on the points of a log whose pulses were
    # at a high SOC (a 16-cell drive: the R10 ring at 84 % beside its legend's ring)
    _legend(ax, len(ax.lines))
    return fig


def _finite(value) -> bool:
    """A reading to plot: a number, neither None nor NaN nor infinite."""
    return value is not None and math.isfinite(value)


def cell_spread_figure(frame: pd.DataFrame) -> Figure | None:
    """Cell-voltage spread (max − min) over time, with the lowest and highest cell."""
    if frame is None:
        return None
    cells = schema.cell_voltage_columns(frame.columns)
    if len(cells) < 2:
        return None
    v = frame[cells].to_numpy(dtype=float)
    t, xlabel = _time_axis(frame[schema.TIME].to_numpy(dtype=float))
    # (fmin/fmax: a sample with no cell reading is NaN, without nanmin's warning)
    lo, hi = np.fmin.reduce(v, axis=1), np.fmax.reduce(v, axis=1)
    fig = _figure(2, 1.5)
    ax_v, ax_s = fig.subplots(2, 1, sharex=True)
    for y, name, color in ((hi, "highest cell", COLORS[1]), (lo, "lowest cell", COLORS[0])):
        ax_v.plot(*decimate(t, y), color=color, linewidth=0.8, label=name)
    _legend(ax_v, 2)
    _style(ax_v, "cell voltage (V)")
    ax_s.plot(*decimate(t, (hi - lo) * 1e3), color=COLORS[3], linewidth=0.8)
    _style(ax_s, "spread (mV)")
    ax_s.set_xlabel(xlabel, fontsize=8)
    return fig


def all_figures(content) -> list[tuple[str, Figure]]:
    """(caption, figure) for every plot the data supports, in report order."""
    out = []
    for caption, make in (
        (
            "Voltage, current, temperature and state of charge",
            lambda: timeseries_figure(content.frame, content.timeseries),
        ),
        (capacity_caption, lambda: capacity_figure(content.report, content.report["cycles"])),
        ("Incremental capacity (dQ/dV)", lambda: dqdv_figure(content.report)),
        ("DC internal resistance versus SOC", lambda: dcir_figure(content.report)),
        ("Cell-voltage spread", lambda: cell_spread_figure(content.frame)),
    ):
        fig = make()
        if fig is not None:
            out.append((caption if isinstance(caption, str) else caption(fig), fig))
    return out


def to_bytes(fig: Figure, fmt: str) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150)
    return buf.getvalue()
