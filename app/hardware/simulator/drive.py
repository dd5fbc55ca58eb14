"""A seeded urban drive: a repeated speed trace of micro-trips, mapped to battery current.

Each micro-trip idles, accelerates to a cruise speed (raised-cosine ramp, so the
acceleration is smooth), cruises with a gentle speed swell or dip and brakes to a stop,
in the manner of the ECE-15 urban cycle (UNECE Regulation 83). A road-load model
turns speed into wheel power; traction power is drawn from the battery, braking
power is partly recovered (regen pulses). The battery current is that power at a
fixed pack voltage, scaled so the hardest acceleration of the trace draws the
peak current.
"""

from __future__ import annotations

import math

import numpy as np

#: Micro-trip ranges (uniform draws). Cruise speeds up to 50 km/h and peak
#: accelerations ~1 m/s^2 as in ECE-15 (UNECE R83); up to 1.5 m/s^2 like the
#: WLTC low phase; idle and cruise lengths of the same order as in those cycles.
_CRUISE_KMH = (15.0, 50.0)
_ACCEL_MS2 = (0.8, 1.5)
_DECEL_MS2 = (0.8, 1.5)
_IDLE_S = (5.0, 25.0)
_CRUISE_S = (10.0, 60.0)
_WOBBLE = (-0.06, 0.06)  # relative speed swell (+) or dip (-) while cruising
#: Micro-trips in one period of the repeated trace (~15 min of driving).
_TRIPS = 12

#: Road load of a compact EV (Nissan Leaf-like: 1600 kg, Cd 0.28 x 2.3 m^2,
#: tyre rolling resistance 0.010); air density at 20 degC.
_MASS_KG = 1600.0
_CDA_M2 = 0.28 * 2.3
_CRR = 0.010
_RHO_KG_M3 = 1.2
_G = 9.81
#: Drivetrain efficiency on traction (~85 % battery to wheel) and the share of
#: braking power returned to the battery (~60 % with blended friction brakes).
_TRACTION_EFF = 0.85
_REGEN_SHARE = 0.6
#: Auxiliary load (electronics, pumps), always drawn: ~300 W in an EV.
_AUX_W = 300.0


class DriveTrace:
    """Battery current of a seeded, periodic urban drive (positive = charging)."""

    def __init__(self, rng: np.random.Generator, peak_discharge_a: float, max_regen_a: float):
        n = _TRIPS
        self.v_cruise = rng.uniform(*_CRUISE_KMH, n) / 3.6
        accel = rng.uniform(*_ACCEL_MS2, n)
        decel = rng.uniform(*_DECEL_MS2, n)
        self.t_idle = rng.uniform(*_IDLE_S, n)
        self.t_cruise = rng.uniform(*_CRUISE_S, n)
        self.wobble = rng.uniform(*_WOBBLE, n)
        self.wobble_cycles = rng.integers(1, 3, n).astype(float)  # 1 or 2 swells
        # a raised-cosine ramp to v over T peaks at v*pi/(2T)
        self.t_accel = self.v_cruise * math.pi / (2 * accel)
        self.t_decel = self.v_cruise * math.pi / (2 * decel)
        length = self.t_idle + self.t_accel + self.t_cruise + self.t_decel
        self.start = np.concatenate(([0.0], np.cumsum(length)[:-1]))
        self.period_s = float(length.sum())
        self.peak_discharge_a = float(peak_discharge_a)
        self.max_regen_a = float(max_regen_a)
        probe = self._battery_power_w(np.arange(0.0, self.period_s, 0.1))
        self._p_ref_w = float(probe.max())

    def speed(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vehicle speed (m/s) and acceleration (m/s^2) at times ``t_s``."""
        tau = np.mod(np.asarray(t_s, dtype=float), self.period_s)
        i = np.searchsorted(self.start, tau, side="right") - 1
        u = tau - self.start[i]
        vc = self.v_cruise[i]
        ta, tc, td = self.t_accel[i], self.t_cruise[i], self.t_decel[i]
        u_acc = u - self.t_idle[i]
        u_cru = u_acc - ta
        u_dec = u_cru - tc
        v = np.zeros_like(u)
        a = np.zeros_like(u)
        acc = (u_acc >= 0) & (u_cru < 0)
        cru = (u_cru >= 0) & (u_dec < 0)
        dec = u_dec >= 0
        ph = np.pi * u_acc / ta
        v = np.where(acc, vc * (1 - np.cos(ph)) / 2, v)
        a = np.where(acc, vc * np.pi / (2 * ta) * np.sin(ph), a)
        # v = vc * (1 + w * sin^2(pi*n*u/T)): speed and acceleration continuous at both ends
        w = np.pi * self.wobble_cycles[i] / tc
        v = np.where(cru, vc * (1 + self.wobble[i] * np.sin(w * u_cru) ** 2), v)
        a = np.where(cru, vc * self.wobble[i] * w * np.sin(2 * w * u_cru), a)
        ph = np.pi * np.clip(u_dec, 0, None) / td
        v = np.where(dec, vc * (1 + np.cos(ph)) / 2, v)
        a = np.where(dec, -vc * np.pi / (2 * td) * np.sin(ph), a)
        return v, a

    def _battery_power_w(self, t_s: np.ndarray) -> np.ndarray:
        v, a = self.speed(t_s)
        force = _MASS_KG * a + 0.5 * _RHO_KG_M3 * _CDA_M2 * v * v + _MASS_KG * _G * _CRR * (v > 0)
        wheel = force * v
        battery = np.where(wheel > 0, wheel / _TRACTION_EFF, wheel * _REGEN_SHARE)
        return battery + _AUX_W

    def current_a(self, t_s: np.ndarray) -> np.ndarray:
        """Pack current at ``t_s``: negative while driving, positive in regen pulses."""
        i = -self._battery_power_w(t_s) / self._p_ref_w * self.peak_discharge_a
        # the 0.1 s probe may miss the exact peak by a hair: clip to the limits
        return np.clip(i, -self.peak_discharge_a, self.max_regen_a)
