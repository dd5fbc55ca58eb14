"""Ground truth from PyBaMM for the diagnostics benchmarks (a development-only tool).

PyBaMM is *not* a runtime dependency of Battery OS: install it for benchmarks
with ``pip install "pybamm>=26.10,<27"`` (the ``bench`` extra). Everything here
returns logs in the canonical sample schema (``time_s``, ``voltage_v``,
``current_a`` positive = charging, ``temperature_c``) plus ``soc_true_pct``, so
a benchmark can feed them straight to a diagnostic and score it.

- :func:`drive_profile` -- seeded, drive-cycle-like cell current profiles
  (``udds``, ``us06``, ``wltp``, ``commute``) with rests, scaled to the cell;
  also constant-current ``steps`` (0.2-2C), ``partial`` cycles (discharge and
  recharge, hours at mid SOC) and ``parked`` (drives between 1-3 h rests).
- :func:`simulate_pybamm` -- run a PyBaMM model (SPMe by default) on a profile.
- :func:`ocv_table_c50` -- the OCV table a user would measure: a C/50 discharge.
- :func:`add_sensor_noise` -- measured channels: noise, current gain and offset.

Simulations are cached (``~/.cache/batteryos-bench`` or ``$BATTERYOS_BENCH_CACHE``)
keyed by the parameter set, model, profile samples, initial SOC, sample period
and PyBaMM version, so a benchmark re-run costs seconds.

True SOC is PyBaMM's own: linear in charge between the electrode
stoichiometries at the OCV limits (the ``initial_soc`` convention), i.e.
``soc_true = initial_soc - discharged charge / Q_ocv`` with Q_ocv the capacity
between those limits.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")  # never prompt, never phone home

#: PyBaMM parameter sets of the two benchmark chemistries.
PARAMETER_SETS = {"nmc": "Chen2020", "lfp": "Prada2013"}

PROFILE_KINDS = ("udds", "us06", "wltp", "commute", "steps", "partial", "parked")


def cache_dir() -> Path:
    """Where simulations are cached (outside the repository)."""
    path = Path(os.environ.get("BATTERYOS_BENCH_CACHE", "~/.cache/batteryos-bench")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------
# Load profiles
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CurrentProfile:
    """A cell current profile: ``current_a`` (A, positive = charging) at ``time_s``.

    PyBaMM interpolates linearly between the points.
    """

    name: str
    time_s: np.ndarray
    current_a: np.ndarray

    def digest(self) -> str:
        h = hashlib.sha1()
        h.update(np.ascontiguousarray(self.time_s, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(self.current_a, dtype=np.float64).tobytes())
        return h.hexdigest()[:16]


# Micro-trip statistics per cycle kind: speed km/h, acceleration/deceleration
# m/s^2, cruise and stop durations s, relative speed wobble while cruising.
# Chosen to resemble the published cycles (UDDS: urban stop-and-go, top ~90 km/h;
# US06: aggressive, top ~130 km/h, ~3 m/s^2; WLTP class 3: low/medium/high/
# extra-high phases up to ~131 km/h), not to reproduce them.
_TRIPS = {
    "udds": dict(
        n=(8, 14),
        v=(20, 90),
        acc=(0.6, 1.5),
        dec=(0.6, 1.5),
        cruise=(10, 80),
        stop=(5, 40),
        wobble=0.08,
    ),
    "us06": dict(
        n=(3, 6),
        v=(60, 130),
        acc=(1.5, 3.2),
        dec=(1.5, 3.0),
        cruise=(10, 120),
        stop=(5, 20),
        wobble=0.15,
    ),
}
_WLTP_PHASES = ((20, 56), (40, 76), (60, 97), (90, 131))
# Peak discharge C-rate the vehicle power is scaled to.
_PEAK_C = {"udds": 1.5, "us06": 2.5, "wltp": 2.0}


def _speed_trace(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Vehicle speed (m/s) at 1 s steps for one drive cycle of ``kind``."""
    if kind == "wltp":
        plan = [(_WLTP_PHASES[ph], _TRIPS["udds"] if ph < 2 else _TRIPS["us06"]) for ph in range(4)]
        trips = [(vr, p) for vr, p in plan for _ in range(int(rng.integers(2, 4)))]
    else:
        p = _TRIPS[kind]
        trips = [(p["v"], p) for _ in range(int(rng.integers(*p["n"])))]
    speed: list[np.ndarray] = []
    for v_range, p in trips:
        v_top = rng.uniform(*v_range) / 3.6
        acc, dec = rng.uniform(*p["acc"]), rng.uniform(*p["dec"])
        up = np.arange(0.0, v_top, acc)
        cruise_n = int(rng.uniform(*p["cruise"]))
        # smooth random wobble around the cruise speed
        w = np.cumsum(rng.normal(0.0, 1.0, cruise_n))
        w = w - np.linspace(w[0], w[-1], cruise_n) if cruise_n > 1 else np.zeros(cruise_n)
        w = w / max(np.abs(w).max(), 1e-9)
        cruise = v_top * (1.0 + p["wobble"] * w)
        down = np.arange(v_top, 0.0, -dec)
        stop = np.zeros(int(rng.uniform(*p["stop"])))
        speed += [up, cruise, down, stop]
    v = np.maximum(np.concatenate(speed), 0.0)
    # 3 s moving average: no infinite jerk
    return np.convolve(np.concatenate(([0.0, 0.0], v, [0.0, 0.0])), np.ones(3) / 3, "valid")[1:-1]


def _battery_power(v: np.ndarray) -> np.ndarray:
    """Battery power (W, positive = discharge) of a 1600 kg car at speeds ``v`` (m/s)."""
    m, g, crr, rho, cda = 1600.0, 9.81, 0.010, 1.2, 0.65
    a = np.gradient(v)
    wheel = m * a * v + 0.5 * rho * cda * v**3 + m * g * crr * v
    drive = wheel / 0.9  # drivetrain efficiency
    regen = wheel * 0.6  # regenerative braking recovers ~60 %
    aux = 300.0  # auxiliaries whenever the car is on
    return np.where(wheel > 0, drive, regen) + aux


def _next_segment(kind: str, n: int, capacity_ah: float, rng: np.random.Generator) -> np.ndarray:
    """The ``n``-th load segment (A at 1 s steps, + = charging) of a ``kind`` profile."""
    if kind == "steps":
        # one constant-current step: a discharge at 0.2-2C for 2-15 min, or
        # (one in four, not the first) a charge at 0.1-1C for 2-5 min
        if n > 0 and rng.uniform() < 0.25:
            return np.full(int(rng.uniform(120, 300)), rng.uniform(0.1, 1.0) * capacity_ah)
        return np.full(int(rng.uniform(120, 900)), -rng.uniform(0.2, 2.0) * capacity_ah)
    if kind == "partial":
        # a partial cycle: discharge 5-20 % at 0.3-1C, recharge 3-15 % at 0.2-1C
        out_pct, in_pct = rng.uniform(5, 20), rng.uniform(3, 15)
        c_out, c_in = rng.uniform(0.3, 1.0), rng.uniform(0.2, 1.0)
        dis = np.full(int(out_pct / 100 * 3600 / c_out), -c_out * capacity_ah)
        chg = np.full(int(in_pct / 100 * 3600 / c_in), c_in * capacity_ah)
        return np.concatenate((dis, np.zeros(int(rng.uniform(60, 600))), chg))
    if kind == "parked":
        k = ("udds", "wltp")[n % 2]
    elif kind == "commute":
        k = ("udds", "us06", "wltp")[n % 3]
    else:
        k = kind
    power = _battery_power(_speed_trace(k, rng))
    return -power / power.max() * _PEAK_C[k] * capacity_ah


def drive_profile(
    kind: str,
    capacity_ah: float,
    *,
    seed: int,
    discharge_fraction: float = 0.7,
    rest_s: float = 120.0,
) -> CurrentProfile:
    """A seeded drive-cycle-like cell current profile with rests.

    Repeats cycles of ``kind`` (``udds``, ``us06``, ``wltp``; ``commute`` mixes
    them and charges at 0.5C halfway; ``parked`` alternates udds and wltp with
    1-3 h rests between; ``steps``: constant-current steps (discharges at 0.2-2C,
    one in four a charge at 0.1-1C of at most 5 min) with 5-30 min rests between; ``partial``: discharge 5-20 %, rest, recharge 3-15 %),
    with rests of 1-15 min between cycles and a 20-30 min "parked" rest every
    third cycle, until the net discharge reaches ``discharge_fraction`` of
    ``capacity_ah``. Starts with ``rest_s`` of rest.
    """
    if kind not in PROFILE_KINDS:
        raise ValueError(f"unknown profile {kind!r} (choose from {', '.join(PROFILE_KINDS)})")
    rng = np.random.default_rng(seed)
    target_as = discharge_fraction * capacity_ah * 3600.0
    parts = [np.zeros(int(rest_s))]
    net_as, n_cycles, charged = 0.0, 0, False
    while net_as < target_as:
        current = _next_segment(kind, n_cycles, capacity_ah, rng)
        # stop inside the cycle once the target is reached (the battery is "empty enough")
        cum = net_as - np.cumsum(current)
        over = np.flatnonzero(cum >= target_as)
        if over.size:
            current = current[: over[0] + 1]
        parts.append(current)
        net_as -= float(current.sum())
        n_cycles += 1
        if net_as >= target_as:
            break
        if kind == "commute" and not charged and net_as >= 0.5 * target_as:
            # a 0.5C charge of ~15 % of capacity, between rests
            parts += [np.zeros(600), np.full(int(0.15 * 3600 / 0.5), 0.5 * capacity_ah)]
            net_as -= 0.15 * capacity_ah * 3600.0
            charged = True
        if kind == "parked":
            rest = rng.uniform(3600, 3 * 3600)
        elif kind == "steps":
            rest = rng.uniform(300, 1800)
        elif n_cycles % 3 == 0:
            rest = rng.uniform(1200, 1800)
        else:
            rest = rng.uniform(60, 900)
        parts.append(np.zeros(int(rest)))
    parts.append(np.zeros(300))
    current = np.concatenate(parts)
    return CurrentProfile(
        name=f"{kind}-s{seed}", time_s=np.arange(len(current), dtype=float), current_a=current
    )


# ---------------------------------------------------------------------------
# PyBaMM
# ---------------------------------------------------------------------------
def _pybamm():
    try:
        import pybamm
    except ImportError:
        raise SystemExit(
            'PyBaMM is needed for the ground truth: pip install "pybamm>=26.10,<27"'
        ) from None
    return pybamm


#: Largest step of the re-solve when a run's charge disagrees with its current.
_RESOLVE_MAX_STEP_S = 10.0
#: ... by more than this share of the capacity.
_CHARGE_CHECK_TOL = 0.001


def _solver(pybamm, max_step_s: float = 0.0):
    # Tight tolerances: at PyBaMM's defaults (rtol 1e-4) the solver steps over
    # short current pulses of a drive profile and its discharged charge drifts
    # ~1 % of capacity away from the integral of the current it was given --
    # a ground truth that disagrees with its own current log. ``max_step_s``
    # (0: unbounded) for the runs where even that is not enough: after an hour
    # of rest the step grows so long that it steps over whole drives.
    return pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8, options={"dt_max": max_step_s})


def _model(pybamm, name: str):
    return {
        "SPM": pybamm.lithium_ion.SPM,
        "SPMe": pybamm.lithium_ion.SPMe,
        "DFN": pybamm.lithium_ion.DFN,
    }[name]()


@functools.cache
def ocv_capacity_ah(parameter_set: str) -> float:
    """Capacity between the electrode stoichiometries at the OCV limits (PyBaMM's 0-100 % SOC)."""
    pybamm = _pybamm()
    pv = pybamm.ParameterValues(parameter_set)
    x0, x100, _, _ = pybamm.lithium_ion.get_min_max_stoichiometries(pv)
    param = pybamm.LithiumIonParameters()
    q_n = pv.evaluate(param.n.Q_init)
    return float((x100 - x0) * q_n)


def nominal_capacity_ah(parameter_set: str) -> float:
    """The parameter set's "Nominal cell capacity [A.h]" (what a user would type)."""
    pybamm = _pybamm()
    return float(pybamm.ParameterValues(parameter_set)["Nominal cell capacity [A.h]"])


def simulate_pybamm(
    parameter_set: str,
    profile: CurrentProfile,
    *,
    initial_soc_pct: float,
    model: str = "SPMe",
    sample_period_s: float = 0.1,
    upper_cutoff_margin_v: float = 0.2,
    ambient_c: float | None = None,
    use_cache: bool = True,
) -> pd.DataFrame:
    """Simulate one cell of ``parameter_set`` under ``profile`` with PyBaMM.

    Starts at rest in equilibrium at ``initial_soc_pct``. Returns a noise-free
    DataFrame sampled every ``sample_period_s``: ``time_s``, ``voltage_v``,
    ``current_a`` (positive = charging), ``temperature_c``, ``soc_true_pct``.
    The upper voltage cut-off is raised by ``upper_cutoff_margin_v`` so that
    short regenerative-braking pulses near full charge do not end the run (the
    SOC scale is unaffected: PyBaMM takes it from the OCV limits, not the
    cut-offs). If the cell still reaches a voltage limit the simulation stops
    there (``df.attrs["terminated_early"]`` is then True). ``ambient_c``: the
    ambient (and initial) temperature, if not the parameter set's (25 degC); the
    models are isothermal, so this is the cell temperature throughout.
    """
    pybamm = _pybamm()
    key_parts = [
        parameter_set,
        model,
        profile.digest(),
        float(initial_soc_pct),
        float(sample_period_s),
        float(upper_cutoff_margin_v),
        "rtol1e-6",
        pybamm.__version__,
    ]
    if ambient_c is not None:  # (only then: the cache keys of 25 degC runs stay)
        key_parts.append(float(ambient_c))
    key = json.dumps(key_parts)
    path = (
        cache_dir()
        / f"sim-{parameter_set}-{model}-{profile.name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"
    )
    if use_cache and path.exists():
        with np.load(path) as z:
            df = pd.DataFrame({k: z[k] for k in z.files if k != "terminated_early"})
            df.attrs["terminated_early"] = bool(z["terminated_early"])
        return df

    pv = pybamm.ParameterValues(parameter_set)
    pv["Upper voltage cut-off [V]"] = pv["Upper voltage cut-off [V]"] + upper_cutoff_margin_v
    if ambient_c is not None:
        pv["Ambient temperature [K]"] = ambient_c + 273.15
        pv["Initial temperature [K]"] = ambient_c + 273.15
    # PyBaMM's current is positive on discharge
    pv["Current function [A]"] = pybamm.Interpolant(profile.time_s, -profile.current_a, pybamm.t)
    t_end = float(profile.time_s[-1])
    # Solve with output at the profile's own points (1 s for drive_profile):
    # evaluating PyBaMM variables costs per output point, and 10x the points
    # costs 5x the time. Between two points the current is linear (PyBaMM
    # interpolates it so), so voltage and charge are interpolated linearly to
    # the sample period; the error is second order in the step (< 0.1 mV here).
    knots = np.asarray(profile.time_s, dtype=float)
    # the discharged charge the current log says (trapezoidal, A.h)
    q_log = -np.concatenate(
        ([0.0], np.cumsum(0.5 * (profile.current_a[1:] + profile.current_a[:-1]) * np.diff(knots)))
    )
    q_log /= 3600.0
    for max_step in (0.0, _RESOLVE_MAX_STEP_S):
        sim = pybamm.Simulation(
            _model(pybamm, model), parameter_values=pv, solver=_solver(pybamm, max_step)
        )
        sol = sim.solve(t_eval=[0.0, t_end], t_interp=knots, initial_soc=initial_soc_pct / 100.0)
        t_sol = sol["Time [s]"].entries
        # (at the solver's times: a run stopped by a voltage cut-off ends between knots)
        drift = np.abs(
            sol["Discharge capacity [A.h]"].entries - np.interp(t_sol, knots, q_log)
        ).max()
        if drift <= _CHARGE_CHECK_TOL * pv["Nominal cell capacity [A.h]"]:
            break
    else:
        raise RuntimeError(f"{profile.name}: PyBaMM's charge is {drift:.3f} Ah off its current")
    t = np.arange(0.0, float(t_sol[-1]) + 1e-9, sample_period_s)
    q_dis = np.interp(t, t_sol, sol["Discharge capacity [A.h]"].entries)
    df = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": np.interp(t, t_sol, sol["Voltage [V]"].entries),
            "current_a": np.interp(t, knots, profile.current_a),
            "temperature_c": np.interp(t, t_sol, sol["X-averaged cell temperature [C]"].entries),
            "soc_true_pct": initial_soc_pct - 100.0 * q_dis / ocv_capacity_ah(parameter_set),
        }
    )
    terminated = bool(t_sol[-1] < knots[-1] - 1e-6)
    df.attrs["terminated_early"] = terminated
    if use_cache:
        np.savez_compressed(
            path, terminated_early=terminated, **{c: df[c].to_numpy() for c in df.columns}
        )
    return df


def ocv_table_c50(parameter_set: str, *, points: int = 201, model: str = "SPMe") -> pd.DataFrame:
    """The OCV table a user would measure: a C/50 discharge from full to the cut-off.

    ``soc_percent`` = 100 * (1 - discharged / total discharged) -- SOC relative
    to the measured C/50 capacity, as a test engineer would define it -- and
    ``ocv_v`` the voltage there, resampled to ``points`` SOC values.
    """
    pybamm = _pybamm()
    path = (
        cache_dir() / f"ocv-c50-{parameter_set}-{model}-{points}-rtol1e-6-{pybamm.__version__}.csv"
    )
    if path.exists():
        return pd.read_csv(path)
    pv = pybamm.ParameterValues(parameter_set)
    rate = pv["Nominal cell capacity [A.h]"] / 50.0
    pv["Current function [A]"] = rate
    sim = pybamm.Simulation(_model(pybamm, model), parameter_values=pv, solver=_solver(pybamm))
    t_end = 50 * 3600 * 1.3
    sol = sim.solve(t_eval=[0.0, t_end], t_interp=np.linspace(0.0, t_end, 20001), initial_soc=1.0)
    q = sol["Discharge capacity [A.h]"].entries
    v = sol["Voltage [V]"].entries
    soc = 100.0 * (1.0 - q / q[-1])
    grid = np.linspace(0.0, 100.0, points)
    ocv = np.interp(grid, soc[::-1], v[::-1])
    ocv = np.maximum.accumulate(ocv)  # a table must not fall as SOC rises
    table = pd.DataFrame({"soc_percent": grid, "ocv_v": ocv})
    table.to_csv(path, index=False)
    return table


def add_sensor_noise(
    df: pd.DataFrame,
    *,
    seed: int,
    voltage_sigma_v: float = 0.002,
    current_sigma_a: float = 0.005,
    current_gain: float = 1.005,
    current_offset_a: float = 0.0,
) -> pd.DataFrame:
    """The measured log: Gaussian noise on voltage and current, current gain and offset.

    Other columns (``soc_true_pct``, ...) are kept untouched.
    """
    rng = np.random.default_rng(seed)
    out = df.copy()
    n = len(df)
    out["voltage_v"] = df["voltage_v"].to_numpy() + rng.normal(0.0, voltage_sigma_v, n)
    out["current_a"] = (
        current_gain * df["current_a"].to_numpy()
        + current_offset_a
        + rng.normal(0.0, current_sigma_a, n)
    )
    return out
