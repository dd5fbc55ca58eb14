"""The fault detector on real cycler logs (read-only fixtures, see tests/real_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.spec import preset
from app.diagnostics.faults import FaultKind, detect_faults
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

REAL = REAL_DATA or Path("/nonexistent")
ARBIN = REAL / "arbin" / "2017-05-09_test-TC-contact_CH33.csv"
NEWARE = REAL / "neware" / "nw_regular_export_ife_example.csv"

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")

# Arbin: an A123 1.1 Ah LFP cell, logged every 10 mV or 10 s (1 s growing to 10 s as
# the voltage flattens). Neware: a 0.33 Ah cell cycled 3.9-4.7 V, logged every 2 s in
# one step and 30 s in the next.
LOGS = [(ARBIN, preset("lfp", capacity_ah=1.1)), (NEWARE, preset("nmc", capacity_ah=0.33))]


@pytest.mark.parametrize(("path", "spec"), LOGS, ids=["arbin", "neware"])
def test_cycler_logging_intervals_are_no_dropout(path, spec):
    faults = detect_faults(open_log(str(path)).frame, spec).faults
    assert [f for f in faults if f.kind == FaultKind.SENSOR_DROPOUT] == []


def test_samples_lost_from_a_cycler_log_are_a_dropout():
    frame = open_log(str(NEWARE)).frame
    # four and a half minutes of a 2 s rest step lost (the log's longest interval is 30 s)
    lost = (frame["time_s"] > 5800) & (frame["time_s"] < 6070)
    assert lost.sum() > 100
    faults = detect_faults(frame[~lost].reset_index(drop=True), LOGS[1][1]).faults
    gaps = [f for f in faults if f.kind == FaultKind.SENSOR_DROPOUT]
    assert [(g.channel, g.start_time_s < 5801, g.end_time_s > 6069) for g in gaps] == [
        ("time_s", True, True)
    ]


@pytest.mark.parametrize(("chemistry", "capacity_ah"), [("nmc", 0.33), ("nmc", 1.0), ("lfp", 0.33)])
def test_voltage_relaxing_after_a_cc_charge_is_no_noise(chemistry, capacity_ah):
    # the Neware log charges CC to 4.7 V and rests: the voltage falls 240 mV in
    # 2 min, fastest in the first seconds (polarisation, at 2 s logging). That is
    # no sensor noise, whatever R0 the spec implies.
    spec = preset(chemistry, capacity_ah=capacity_ah)
    faults = detect_faults(open_log(str(NEWARE)).frame, spec).faults
    assert [f for f in faults if f.kind == FaultKind.SENSOR_NOISY] == []
