"""Alert thresholds: the rule type, its JSON form, and defaults from a battery's limits.

A :class:`Threshold` watches one metric (:mod:`.metrics`) and raises an alert
of its ``severity`` once the metric has been beyond its level for ``delay_s``.
The alert clears when the metric is back past the clear level (hysteresis).
Thresholds are grouped by battery profile (:func:`profile_name`).

A rule can judge as the safety check (:mod:`app.diagnostics.safety`) does, with
its debounce: a noise band (noise dipping back within it does not restart the
delay), a fast level (beyond it, at once), a level while charging (a chemistry's
charge temperature window) and a clear that must hold. The default rules on the
spec's limits use these with safety's own figures, so a limit alert and a safety
event raise and clear at the same samples.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.errors import SchemaError
from app.core.results import Severity
from app.core.spec import BatterySpec
from app.diagnostics.alerts.metrics import FAULT_PREFIX, is_known_metric, metric_info
from app.diagnostics.faults.types import FaultKind
from app.diagnostics.safety import (
    CURRENT_FAST_TRIP,
    CURRENT_HYSTERESIS,
    CURRENT_MARGIN,
    DEFAULT_DEBOUNCE_S,
    TEMPERATURE_HYSTERESIS_C,
    TEMPERATURE_MARGIN_C,
    TEMPERATURE_TOLERANCE_C,
    VOLTAGE_HYSTERESIS_V,
    VOLTAGE_MARGIN,
    VOLTAGE_TOLERANCE_V,
    current_tolerance_a,
)

JSON_FORMAT = "batteryos.alert_thresholds"
JSON_VERSION = 1


class Comparison(StrEnum):
    """How a threshold compares a metric with its level(s)."""

    ABOVE = "above"  # value > level
    BELOW = "below"  # value < level
    OUTSIDE = "outside"  # value < band_low or value > band_high


@dataclass(frozen=True)
class Threshold:
    """One alert rule.

    ``above``/``below`` use ``level`` and clear once the value is back past
    ``clear_level`` (None: ``level`` itself). ``outside`` uses the band
    ``band_low``..``band_high``; its ``clear_level`` is a hysteresis *margin*:
    the alert clears once the value is back inside the band narrowed by it.
    ``id`` is the database id when the threshold is stored, else None.

    As the safety check judges a limit (all off by default): once a sample is
    beyond the level, the run being timed goes on while the value stays beyond
    the level less ``noise_band`` (sensor noise dipping back within it does not
    restart ``delay_s``), and raises at a sample beyond the level ``delay_s``
    after the run's start where the excess beyond the level less twice the noise
    band (safety's limit), averaged over the last
    :data:`~app.diagnostics.safety.NOISE_SAMPLES` readings, is beyond twice the
    band too (white noise about that limit is not); a sample beyond ``fast_level``
    raises at once (a voltage's: the second reading in a row there, as the safety
    check's cell voltages trip; one is a sensor's glitch). The
    alert clears once the value has been back past the clear level for
    ``clear_delay_s`` (dated at the first sample back). ``charge_level``
    (``above``/``below``): the level while the pack is charging (a chemistry's
    charge temperature window); the clear and fast levels move with it.
    """

    metric: str
    comparison: Comparison
    level: float | None = None
    clear_level: float | None = None
    band_low: float | None = None
    band_high: float | None = None
    severity: Severity = Severity.WARNING
    delay_s: float = 0.0
    enabled: bool = True
    profile: str = ""
    noise_band: float = 0.0
    fast_level: float | None = None
    charge_level: float | None = None
    clear_delay_s: float = 0.0
    #: not part of the rule: a rule read back from the database equals the one stored
    id: int | None = field(default=None, compare=False)

    def __post_init__(self):
        try:
            object.__setattr__(self, "comparison", Comparison(self.comparison))
            object.__setattr__(self, "severity", Severity(self.severity))
        except ValueError as exc:
            raise SchemaError(f"alert threshold {self.metric!r}: {exc}") from None
        for name in (
            "level",
            "clear_level",
            "band_low",
            "band_high",
            "delay_s",
            "noise_band",
            "fast_level",
            "charge_level",
            "clear_delay_s",
        ):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise SchemaError(f"alert threshold {self.metric!r}: {name} must be a number")
                if not math.isfinite(value):
                    raise SchemaError(f"alert threshold {self.metric!r}: {name} must be finite")
                object.__setattr__(self, name, float(value))
        problem = self._problem()
        if problem:
            raise SchemaError(f"alert threshold {self.metric!r}: {problem}")

    def _problem(self) -> str | None:
        if not is_known_metric(self.metric):
            return "unknown metric"
        if self.delay_s < 0 or self.clear_delay_s < 0:
            return "delay must not be negative"
        if self.noise_band < 0:
            return "the noise band must not be negative"
        if self.comparison is Comparison.OUTSIDE:
            if self.fast_level is not None or self.charge_level is not None:
                return "'outside' takes no fast level or level while charging"
            if self.band_low is None or self.band_high is None:
                return "'outside' needs band_low and band_high"
            if self.band_low > self.band_high:
                return "band_low must not be above band_high"
            if self.clear_level is not None and (
                self.clear_level < 0 or 2 * self.clear_level > self.band_high - self.band_low
            ):
                return "the hysteresis margin must be between 0 and half the band"
            return None
        if self.level is None:
            return f"'{self.comparison}' needs a level"
        if self.clear_level is not None:
            if self.comparison is Comparison.ABOVE and self.clear_level > self.level:
                return "the clear level of 'above' must not be above the level"
            if self.comparison is Comparison.BELOW and self.clear_level < self.level:
                return "the clear level of 'below' must not be below the level"
        if self.fast_level is not None:
            if self.comparison is Comparison.ABOVE and self.fast_level < self.level:
                return "the fast level of 'above' must not be below the level"
            if self.comparison is Comparison.BELOW and self.fast_level > self.level:
                return "the fast level of 'below' must not be above the level"
        return None

    def crossed_level(self, value: float, shift: float = 0.0) -> float:
        """The level ``value`` is beyond: ``level`` (moved by ``shift``: the
        charge level's offset while charging), or the band edge on its side."""
        if self.comparison is Comparison.OUTSIDE:
            return float(self.band_low if value < self.band_low else self.band_high)
        return float(self.level + shift)

    @property
    def charge_shift(self) -> float:
        """How far the levels move while charging (0: they do not)."""
        return 0.0 if self.charge_level is None else self.charge_level - self.level

    def describe(self) -> str:
        """``cell_v_max above 4.2 (clear 4.15) for 2 s``: for lists and messages."""
        if self.comparison is Comparison.OUTSIDE:
            text = f"{self.metric} outside {self.band_low:g}..{self.band_high:g}"
            if self.clear_level:
                text += f" (margin {self.clear_level:g})"
        else:
            text = f"{self.metric} {self.comparison} {self.level:g}"
            if self.charge_level is not None:
                text += f" ({self.charge_level:g} charging)"
            if self.clear_level is not None and self.clear_level != self.level:
                text += f" (clear {self.clear_level:g})"
        if self.delay_s:
            text += f" for {self.delay_s:g} s"
        if self.fast_level is not None:
            text += f", at once {self.comparison} {self.fast_level:g}"
        if self.noise_band:
            text += f", noise {self.noise_band:g}"
        if self.clear_delay_s:
            text += f", clears after {self.clear_delay_s:g} s"
        return text

    def words(self, *, full: bool = True, named: bool = True) -> str:
        """The rule as an engineer reads it, with the metric's name and unit:
        ``Highest cell voltage above 4.2 V for 2 s`` (``full=False``), and with
        ``full`` how it trips at once, clears and bears noise too (``...; at once
        above 4.25 V; clears after 2 s below 4.15 V; noise band 0.0025 V``). A rule on
        a detected fault: ``Fault: internal short detected``. ``named=False`` leaves the
        metric's name out (a table's column beside it names it): ``above 4.2 V for 2 s``.
        :meth:`describe` is the machine's form (the metric's key, bare numbers)."""
        info = metric_info(self.metric)
        if not named:
            return self.words(full=full).removeprefix(info.label).lstrip()
        unit = f" {info.unit}" if info.unit else ""

        def amount(value: float) -> str:
            return f"{value:g}{unit}"

        if self.metric.startswith(FAULT_PREFIX):
            text = f"{info.label} detected"
            return text + (f" for {self.delay_s:g} s" if self.delay_s else "")
        if self.comparison is Comparison.OUTSIDE:
            text = f"{info.label} outside {self.band_low:g} .. {amount(self.band_high)}"
        else:
            text = f"{info.label} {self.comparison.value} {amount(self.level)}"
            if full and self.charge_shift:
                text += f" ({amount(self.charge_level)} while charging)"
        if self.delay_s:
            text += f" for {self.delay_s:g} s"
        if not full:
            return text
        parts = [text]
        if self.fast_level is not None:
            parts.append(f"at once {self.comparison.value} {self._moving(self.fast_level, amount)}")
        after = f" after {self.clear_delay_s:g} s" if self.clear_delay_s else ""
        if self.comparison is Comparison.OUTSIDE:
            if self.clear_level:
                parts.append(f"clears{after} {amount(self.clear_level)} inside the band")
            elif after:
                parts.append(f"clears{after} back inside")
        elif (self.clear_level is not None and self.clear_level != self.level) or after:
            back = "below" if self.comparison is Comparison.ABOVE else "above"
            clear = self.level if self.clear_level is None else self.clear_level
            parts.append(f"clears{after} {back} {self._moving(clear, amount)}")
        if self.noise_band:
            parts.append(f"noise band {amount(self.noise_band)}")
        return "; ".join(parts)

    def _moving(self, value: float, amount) -> str:
        """A level that moves with the charge level: both values in words."""
        if not self.charge_shift:
            return amount(value)
        return f"{amount(value)} ({amount(value + self.charge_shift)} while charging)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, without the database id."""
        out = dataclasses.asdict(self)
        out.pop("id")
        out["comparison"] = self.comparison.value
        out["severity"] = self.severity.value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Threshold:
        if not isinstance(data, Mapping):
            raise SchemaError("alert threshold: expected an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise SchemaError(f"alert threshold: unknown field(s) {', '.join(sorted(unknown))}")
        for required in ("metric", "comparison"):
            if required not in data:
                raise SchemaError(f"alert threshold: missing {required!r}")
        return cls(**dict(data))


def thresholds_to_json(thresholds: Iterable[Threshold]) -> str:
    """The JSON document of ``alerts export`` (and the thresholds editor)."""
    doc = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "thresholds": [t.to_dict() for t in thresholds],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def thresholds_from_json(text: str, *, origin: str = "thresholds") -> list[Threshold]:
    """Thresholds from a document of :func:`thresholds_to_json` (or a bare list).

    Raises :class:`SchemaError` naming the first bad entry.
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"{origin}: not JSON ({exc})") from None
    if isinstance(doc, dict):
        if doc.get("format") not in (None, JSON_FORMAT):
            raise SchemaError(f"{origin}: not a Battery OS thresholds file")
        if doc.get("version", JSON_VERSION) > JSON_VERSION:
            raise SchemaError(f"{origin}: written by a newer Battery OS (version {doc['version']})")
        items = doc.get("thresholds")
    else:
        items = doc
    if not isinstance(items, list):
        raise SchemaError(f"{origin}: expected a list of thresholds")
    out = []
    for k, item in enumerate(items, start=1):
        try:
            out.append(Threshold.from_dict(item))
        except SchemaError as exc:
            raise SchemaError(f"{origin}: threshold {k}: {exc}") from None
        except TypeError as exc:
            raise SchemaError(f"{origin}: threshold {k}: {exc}") from None
    return out


def profile_name(spec: BatterySpec) -> str:
    """The battery profile a spec's thresholds are grouped under: its name, else its chemistry."""
    return spec.name.strip() or spec.chemistry.value


def default_thresholds(spec: BatterySpec, profile: str | None = None) -> list[Threshold]:
    """A starting set of thresholds from the chemistry's limits in ``spec``.

    Cell voltage, current and temperature judge as the safety check does (one
    source: its tolerances, margins, release hysteresis, debounce, noise-proof
    runs and fast trip; :func:`limit_rules`): a warning beyond the spec's limit by
    more than the measurement's tolerance, critical beyond it by more than the
    margin, cleared once back inside the limit by the hysteresis for the debounce
    time; temperature by the charge window while charging and the discharge one
    otherwise (no current rules while the capacity is only a lower bound). Then
    dT/dt, SOC, SOH, the cells' spread, and the faults the detector finds that need
    a person: critical for a runaway onset, an internal short or an open circuit, a
    warning for a faulty sensor (stuck, noisy, out of range, dropping out).
    """
    profile = profile if profile is not None else profile_name(spec)
    spec = spec.with_preset_defaults()

    def rule(metric, comparison, severity, delay_s, **levels) -> Threshold:
        return Threshold(
            metric, comparison, severity=severity, delay_s=delay_s, profile=profile, **levels
        )

    above, below = Comparison.ABOVE, Comparison.BELOW
    warn, info = Severity.WARNING, Severity.INFO
    rules = limit_rules(spec, profile)
    rules += [
        rule("dtdt_c_per_min", above, warn, 10.0, level=2.0, clear_level=1.0),
        rule("soc_percent", below, info, 10.0, level=10.0, clear_level=15.0),
        rule("soh_percent", below, warn, 0.0, level=80.0, clear_level=82.0),
    ]
    if not spec.current_limits_judged:  # C-rates of a capacity only known as a lower bound
        rules = [r for r in rules if r.metric != "current_a"]
    if spec.series_cells > 1:
        rules.append(rule("cell_spread_mv", above, warn, 10.0, level=50.0, clear_level=35.0))
    for kind in (FaultKind.THERMAL_RUNAWAY_ONSET, FaultKind.INTERNAL_SHORT, FaultKind.OPEN_CIRCUIT):
        rules.append(rule(f"{FAULT_PREFIX}{kind.value}", above, Severity.CRITICAL, 0.0, level=0.5))
    # a faulty sensor: what the safety check and the other rules judge is then unknown
    # (a temperature sensor stuck at 25 degC hides a cell overheating)
    for kind in (
        FaultKind.SENSOR_STUCK,
        FaultKind.SENSOR_NOISY,
        FaultKind.SENSOR_OUT_OF_RANGE,
        FaultKind.SENSOR_DROPOUT,
    ):
        rules.append(rule(f"{FAULT_PREFIX}{kind.value}", above, warn, 0.0, level=0.5))
    return rules


def limit_rules(spec: BatterySpec, profile: str) -> list[Threshold]:
    """The rules on ``spec``'s limits, as :class:`~app.diagnostics.safety.SafetyMonitor`
    judges them: for each of the highest and lowest cell voltage, the charge and
    the discharge current and the highest and lowest temperature, a warning at the
    safety check's trip level (the limit and the tolerance) and a critical alert
    beyond the limit by the margin, both with safety's debounce, its noise band
    (half the tolerance), fast trip and release hysteresis. The temperature levels
    are the discharge window's, the charge window's while charging."""
    debounce = DEFAULT_DEBOUNCE_S
    crit, warn = Severity.CRITICAL, Severity.WARNING
    rules = []

    def pair(metric, upper, limit, tolerance, margin, hysteresis, fast=None, charge_limit=None):
        """Warning and critical rule on ``limit`` (``upper``: a highest allowed value)."""
        sign = 1.0 if upper else -1.0
        for severity, beyond in ((warn, tolerance), (crit, margin)):
            shift = None if charge_limit is None else charge_limit + sign * beyond
            rules.append(
                Threshold(
                    metric,
                    Comparison.ABOVE if upper else Comparison.BELOW,
                    level=limit + sign * beyond,
                    clear_level=limit - sign * hysteresis,
                    severity=severity,
                    delay_s=debounce,
                    profile=profile,
                    noise_band=0.5 * tolerance,
                    fast_level=None if fast is None else limit + sign * fast,
                    charge_level=shift,
                    clear_delay_s=debounce,
                )
            )

    v_max, v_min = spec.cell_v_max, spec.cell_v_min
    v_tol, v_hyst = VOLTAGE_TOLERANCE_V, VOLTAGE_HYSTERESIS_V
    pair("cell_v_max", True, v_max, v_tol, VOLTAGE_MARGIN * v_max, v_hyst, VOLTAGE_MARGIN * v_max)
    pair("cell_v_min", False, v_min, v_tol, VOLTAGE_MARGIN * v_min, v_hyst, VOLTAGE_MARGIN * v_min)
    for limit, upper in ((spec.max_charge_current_a, True), (spec.max_discharge_current_a, False)):
        pair(
            "current_a",
            upper,
            limit if upper else -limit,
            current_tolerance_a(spec, limit),
            CURRENT_MARGIN * limit,
            CURRENT_HYSTERESIS * limit,
            CURRENT_FAST_TRIP * limit,
        )
    for metric, upper, kind in (
        ("temperature_max_c", True, "max"),
        ("temperature_min_c", False, "min"),
    ):
        pair(
            metric,
            upper,
            getattr(spec, f"discharge_temp_{kind}_c"),
            TEMPERATURE_TOLERANCE_C,
            TEMPERATURE_MARGIN_C,
            TEMPERATURE_HYSTERESIS_C,
            charge_limit=getattr(spec, f"charge_temp_{kind}_c"),
        )
    return rules
