"""``sim://`` -- the simulated pack as a :class:`~app.hardware.source.Source`.

URL: ``sim://<chemistry>?<parameters>``, e.g.
``sim://nmc?cells=4&capacity_ah=50&profile=cycle&seed=0&rate_hz=10&speed=1``.

``<chemistry>``   ``nmc`` (default if empty), ``lfp``, ``lead_acid`` (and the
                  aliases of :meth:`Chemistry.parse`): the preset whose limits,
                  OCV table and ECM are used. A ``spec`` given to
                  :meth:`SimulatorSource.from_url` replaces the preset; where the
                  URL also names the chemistry, ``cells``, ``capacity_ah`` or
                  ``bol_resistance_ohm``, they must agree with it
                  (:func:`~app.hardware.registry.create_source` refuses them
                  otherwise); ``parallel`` applies to it.
``cells``         series cells (int >= 1; default: the preset's).
``capacity_ah``   capacity of one cell, Ah (> 0; default: the preset's).
``bol_resistance_ohm``  beginning-of-life resistance of one cell, ohm (what the resistance
                 SOH compares with; default: the chemistry's typical value; the simulated
                 cells keep the preset's ECM, its resistances at 25 degC, scaled with each
                 cell's temperature by :func:`~app.core.spec.resistance_temperature_factor`).
``ocv_table``     a CSV of one cell's ``soc_percent,ocv_v`` (as ``--ocv-table``): the
                  battery's OCV table, which the simulated cells follow and the
                  diagnostics read; ``ocv_table_current_c`` the current (C) it was
                  measured at (as ``--ocv-table-current-c``): the table is then that
                  current's polarisation off the cells' OCV, so the simulated cells rest
                  on the table less it, as the SOC estimate reads it
                  (:meth:`~app.core.spec.BatterySpec.equilibrium_ocv_table`): measured
                  on them at that current, the table comes back (as ``record sim://..
                  --ocv-table --ocv-table-current-c``).
``parallel``      parallel strings (int >= 1; default 1); they multiply the capacity.
``profile``       ``cycle`` (default), ``drive``, ``cc``, ``cccv``, ``hppc``, ``rest``, ``float`` (lead-acid).
``c_rate``        current of ``cc`` (signed, + = charge) / charge rate of ``cccv``.
``seed``          random seed (int, default 0): cell spread, drive trace, noise.
``rate_hz``       samples per simulated second (> 0, default 10).
``speed``         simulated seconds per wall-clock second: 1 real time (default),
                  10 ten times faster, 0 as fast as possible (blocks of 1000).
``duration``      simulated seconds, then the source is exhausted (default: endless).
``soc``           initial SOC, % (0..100; default: the profile's).
``soc_spread``    sigma of the initial SOC between cells, % (default 0).
``ambient_c``     ambient (and initial) temperature, degC (default 25).
``noise``         sensor-noise scale: 0 off (default), 1 typical BMS noise, 2 twice that.
``bms_soc``       1: add ``soc_reported_pct``, the SOC a simple BMS would report
                  (coulomb counting with a 2 % current gain error, whole percent);
                  0 (default): none.
``fault``         ``over_voltage``, ``internal_short``, ``thermal_runaway``,
                  ``sensor_stuck``, ``sensor_noisy``, ``sensor_dropout``; several
                  separated by commas (they share the parameters below).
``fault_at``      onset of the fault(s), simulated s (default 0).
``fault_cell``    the cell of a short or runaway, 1-based (default 1; a lead-acid
                  runaway is the float string's, on ``profile=float`` only).
``fault_channel`` the column of a sensor fault (default ``cell_<fault_cell>_v``).
``r_short``       internal-short resistance, ohm (default 50 ohm*Ah / capacity).

Blocks carry the columns of :mod:`app.hardware.simulator.pack`: ``time_s``,
``voltage_v``, ``current_a`` (+ = charging), ``temperature_c`` (the hottest cell
sensor), ``cell_<k>_v``, ``cell_<k>_temp_c``, ``step_index``, ``cycle_index``.

Unknown parameters, chemistries, profiles or faults and bad numbers raise
:class:`~app.core.errors.SourceError` from :meth:`SimulatorSource.from_url`,
before anything is opened.
"""

from __future__ import annotations

import math
import threading
import time

from app.core.errors import BatteryOSError, SourceError
from app.core.samples import SampleBlock
from app.core.schema import cell_voltage_column
from app.core.spec import BatterySpec, Chemistry, preset
from app.hardware.registry import (
    LIMIT_PARAMS,
    SourceURL,
    url_battery_values,
    url_chemistry,
    with_url_battery,
)
from app.hardware.simulator.faults import Fault, FaultKind
from app.hardware.simulator.noise import NoiseSpec
from app.hardware.simulator.pack import PackSimulator
from app.hardware.source import Source

#: Samples per block when running as fast as possible (speed=0): large enough
#: that per-block costs vanish, small enough for a live view to update often.
FAST_BLOCK = 1000
#: Most samples one read returns when it has fallen behind real time.
MAX_BLOCK = 20_000
#: In real time, at most one block per 20 ms: the GUI redraws at 20-30 Hz, so
#: smaller blocks would only add per-block overhead at high sample rates.
MIN_BLOCK_PERIOD_S = 0.02
#: Sanity bounds of URL numbers (a typo like cells=4000000 should fail early;
#: ambient_c within -60..100 degC covers every climate chamber).
_MAX_CELLS = 1000
_MAX_RATE_HZ = 100_000.0

_PARAMS = (
    "cells",
    "capacity_ah",
    "parallel",
    "profile",
    "c_rate",
    "seed",
    "rate_hz",
    "speed",
    "duration",
    "soc",
    "soc_spread",
    "ambient_c",
    "noise",
    "bms_soc",
    "fault",
    "fault_at",
    "fault_cell",
    "fault_channel",
    "r_short",
    "bol_resistance_ohm",
    "ocv_table",
    "ocv_table_current_c",
    *LIMIT_PARAMS,
)


def _check(url: SourceURL, key: str, value, ok: bool, need: str):
    if value is not None and not ok:
        raise SourceError(f"{url.raw}: parameter {key}={url.params[key]!r} must be {need}")
    return value


def _finite(x: float | None) -> bool:
    return x is None or math.isfinite(x)


class SimulatorSource(Source):
    """A simulated battery pack streaming canonical sample blocks.

    Paced by ``time.monotonic`` at ``speed`` times real time (``speed=0``: as
    fast as possible). Each :meth:`open` starts a fresh simulation at t = 0.
    """

    #: the clock that paces real-time runs (tests may replace it on an instance)
    clock = staticmethod(time.monotonic)

    def __init__(
        self,
        url: str,
        spec: BatterySpec,
        *,
        profile: str = "cycle",
        rate_hz: float = 10.0,
        speed: float = 1.0,
        duration_s: float | None = None,
        seed: int = 0,
        initial_soc_pct: float | None = None,
        soc_spread_pct: float = 0.0,
        ambient_c: float = 25.0,
        faults: list[Fault] | None = None,
        noise_scale: float = 0.0,
        c_rate: float | None = None,
        bms_soc: bool = False,
    ):
        super().__init__(url, spec)
        self.rate_hz = float(rate_hz)
        self.speed = float(speed)
        self.duration_s = duration_s
        self.finite = duration_s is not None
        self.noise_scale = float(noise_scale)
        self._sim_args = dict(
            profile=profile,
            dt_s=1.0 / self.rate_hz,
            seed=seed,
            initial_soc_pct=initial_soc_pct,
            soc_spread_pct=soc_spread_pct,
            ambient_c=ambient_c,
            faults=list(faults or []),
            noise=NoiseSpec.typical(spec, noise_scale) if noise_scale > 0 else None,
            c_rate=c_rate,
            bms_soc=bms_soc,
        )
        self._total = max(1, round(duration_s * self.rate_hz)) if duration_s is not None else None
        self._sim = self._new_simulator()  # validates profile and faults now
        self._produced = 0
        self._t0 = 0.0
        self._last_block_t = -math.inf
        self._wake = threading.Event()

    def _new_simulator(self) -> PackSimulator:
        try:
            return PackSimulator(self.spec, **self._sim_args)
        except BatteryOSError as exc:
            raise SourceError(f"{self.url}: {exc}") from None

    # --- construction from a URL ----------------------------------------
    @classmethod
    def from_url(cls, parsed: SourceURL, spec: BatterySpec | None = None) -> SimulatorSource:
        """Build a (closed) source from ``parsed``; raises :class:`SourceError` on a bad URL."""
        unknown = sorted(set(parsed.params) - set(_PARAMS))
        if unknown:
            raise SourceError(
                f"{parsed.raw}: unknown parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(_PARAMS)})"
            )
        p = parsed
        try:
            chem = Chemistry.parse(url_chemistry(p) or "nmc")
        except BatteryOSError as exc:
            raise SourceError(f"{p.raw}: {exc}") from None
        cells = p.pop_int("cells")
        _check(
            p, "cells", cells, cells is not None and 1 <= cells <= _MAX_CELLS, f"1..{_MAX_CELLS}"
        )
        cap = p.pop_float("capacity_ah")
        _check(p, "capacity_ah", cap, cap is not None and 0 < cap < math.inf, "a positive number")
        par = p.pop_int("parallel")
        _check(p, "parallel", par, par is not None and par >= 1, ">= 1")
        rate = p.pop_float("rate_hz", 10.0)
        _check(p, "rate_hz", rate, 0 < rate <= _MAX_RATE_HZ, f"in (0, {_MAX_RATE_HZ:g}]")
        speed = p.pop_float("speed", 1.0)
        _check(p, "speed", speed, 0 <= speed < math.inf, ">= 0 (0: as fast as possible)")
        duration = p.pop_float("duration")
        _check(p, "duration", duration, duration is not None and 0 < duration < math.inf, "> 0 s")
        soc = p.pop_float("soc")
        _check(p, "soc", soc, soc is not None and 0 <= soc <= 100, "within 0..100 %")
        spread = p.pop_float("soc_spread", 0.0)
        _check(p, "soc_spread", spread, 0 <= spread < math.inf, ">= 0 %")
        ambient = p.pop_float("ambient_c", 25.0)
        _check(p, "ambient_c", ambient, -60 <= ambient <= 100, "within -60..100 degC")
        noise = p.pop_float("noise", 0.0)
        _check(p, "noise", noise, 0 <= noise < math.inf, ">= 0")
        c_rate = p.pop_float("c_rate")
        _check(p, "c_rate", c_rate, _finite(c_rate), "a finite number")
        seed = p.pop_int("seed", 0)
        _check(p, "seed", seed, seed >= 0, ">= 0")
        bms_soc = p.pop_int("bms_soc", 0)
        _check(p, "bms_soc", bms_soc, bms_soc in (0, 1), "0 or 1")
        profile = p.params.get("profile", "cycle")

        base = spec if spec is not None else preset(chem)
        try:
            base = base.with_overrides(capacity_ah=cap, series_cells=cells, parallel_strings=par)
        except BatteryOSError as exc:
            raise SourceError(f"{p.raw}: {exc}") from None
        base = with_url_battery(base, url_battery_values(p), p.raw)
        faults = _faults_from_url(p, base.series_cells)
        return cls(
            p.raw,
            base,
            profile=profile,
            rate_hz=rate,
            speed=speed,
            duration_s=duration,
            seed=seed,
            initial_soc_pct=soc,
            soc_spread_pct=spread,
            ambient_c=ambient,
            faults=faults,
            noise_scale=noise,
            c_rate=c_rate,
            bms_soc=bool(bms_soc),
        )

    # --- the source contract -------------------------------------------
    @property
    def exhausted(self) -> bool:
        return self._total is not None and self._produced >= self._total

    @property
    def simulator(self) -> PackSimulator:
        """The running simulation (ground truth: ``soc_pct``, ``temperature_c``, ...)."""
        return self._sim

    def _open_internal(self) -> None:
        if self._produced:
            self._sim = self._new_simulator()
        self._produced = 0
        self._wake.clear()
        self._t0 = self.clock()
        self._last_block_t = -math.inf

    def _close_internal(self) -> None:
        self._wake.set()  # ends a wait in read() at once

    def _due(self, now: float) -> int:
        """Samples due by ``now`` (sample i is due at t0 + i / (speed * rate))."""
        due = math.floor((now - self._t0) * self.speed * self.rate_hz) + 1
        return due if self._total is None else min(due, self._total)

    def _read_internal(self, timeout: float) -> SampleBlock | None:
        if self.exhausted:
            return None
        remaining = math.inf if self._total is None else self._total - self._produced
        if self.speed == 0:
            return self._emit(int(min(FAST_BLOCK, remaining)))
        now = self.clock()
        due = self._due(now)
        ready_at = max(
            self._t0 + self._produced / (self.speed * self.rate_hz),
            self._last_block_t + MIN_BLOCK_PERIOD_S,
        )
        if due <= self._produced or now < ready_at:
            wait = ready_at - now
            if wait > timeout:
                self._wake.wait(max(timeout, 0.0))
                return None
            self._wake.wait(max(wait, 0.0))
            now = self.clock()
            due = self._due(now)
        n = min(due - self._produced, MAX_BLOCK)
        if n <= 0:
            return None
        self._last_block_t = now
        return self._emit(n)

    def _emit(self, n: int) -> SampleBlock:
        block = self._sim.run_block(n)
        self._produced += n
        return block

    def describe(self) -> dict:
        """Source metadata, with the simulator's parameters under ``"simulator"``."""
        d = super().describe()
        d["simulator"] = {
            "chemistry": self.spec.chemistry.value,
            "cells": self.spec.series_cells,
            "capacity_ah": self.spec.capacity_ah,
            "parallel": self.spec.parallel_strings,
            "rate_hz": self.rate_hz,
            "speed": self.speed,
            "duration_s": self.duration_s,
            "noise_scale": self.noise_scale,
            **self._sim.describe(),
        }
        return d


def _faults_from_url(p: SourceURL, n_cells: int) -> list[Fault]:
    names = [s for s in p.params.get("fault", "").split(",") if s.strip()]
    used = [k for k in ("fault_at", "fault_cell", "fault_channel", "r_short") if k in p.params]
    if not names:
        if used:
            raise SourceError(f"{p.raw}: parameter {used[0]} needs a fault=... parameter")
        return []
    onset = p.pop_float("fault_at", 0.0)
    _check(p, "fault_at", onset, 0 <= onset < math.inf, ">= 0 s")
    cell = p.pop_int("fault_cell", 1)
    _check(p, "fault_cell", cell, 1 <= cell <= n_cells, f"a cell number 1..{n_cells}")
    r_short = p.pop_float("r_short")
    _check(p, "r_short", r_short, r_short is not None and 0 < r_short < math.inf, "> 0 ohm")
    channel = p.params.get("fault_channel") or cell_voltage_column(cell)
    faults = []
    for name in names:
        try:
            kind = FaultKind.parse(name)
            faults.append(
                Fault(
                    kind,
                    onset_s=onset,
                    cell=cell,
                    channel=channel if kind.is_sensor else None,
                    resistance_ohm=r_short if kind is FaultKind.INTERNAL_SHORT else None,
                )
            )
        except BatteryOSError as exc:
            raise SourceError(f"{p.raw}: parameter fault: {exc}") from None
    if "fault_cell" in used and all(f.kind is FaultKind.OVER_VOLTAGE for f in faults):
        raise SourceError(
            f"{p.raw}: parameter fault_cell: an over_voltage fault is the charger's, on every "
            "cell at once; leave out fault_cell"
        )
    return faults
