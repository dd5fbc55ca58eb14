"""Every cycler file in shared/data/real opens with sensible values, and the per-cycle
summary agrees with the cycler's own capacity counters."""

import numpy as np
import pytest

from app.core.errors import SchemaError
from app.diagnostics.cycles import cycle_numbers, summarize_cycles, summarize_steps
from app.hardware.logs.cycle_table import read_cycle_table
from app.hardware.logs.formats import detect_format, open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")

ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"
MACCOR = "maccor/PredictionDiagnostics_000151_test.052"
NEWARE = "neware/nw_regular_export_ife_example.csv"
BDF = "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv"

# file, format, rows, voltage range, |current| max, start_utc prefix
CASES = [
    (ARBIN, "Arbin export", 287, (3.29, 3.61), 6.61, "2017-05-10T00:47:33"),
    (MACCOR, "Maccor text export", 333, (3.86, 3.87), 4.85, "2019-10-21T23:59:59"),
    (NEWARE, "Neware export", 9295, (3.89, 4.71), 0.51, "2026-03-06T12:37:25"),
    (BDF, "Battery Data Format CSV", 25162, (0.0099, 2.93), 0.00021, None),
]


def _path(name):
    return str(REAL_DATA / name)


@pytest.mark.parametrize(("name", "fmt", "rows", "vrange", "imax", "start"), CASES)
def test_real_cycler_files_open_with_sensible_values(name, fmt, rows, vrange, imax, start):
    log = open_log(_path(name))
    f = log.frame
    assert log.metadata["format"] == fmt
    assert len(f) == rows
    assert f["time_s"].iloc[0] == 0.0 and np.all(np.diff(f["time_s"]) >= 0)
    assert vrange[0] <= f["voltage_v"].min() and f["voltage_v"].max() <= vrange[1]
    assert 0 < f["current_a"].abs().max() <= imax
    if start:
        assert log.metadata["start_utc"].startswith(start)


def test_the_current_sign_is_charge_positive_in_every_cycler_file():
    # Arbin: a charging test; Maccor: a discharge step (State D); Neware: CC Chg and CC DChg
    assert open_log(_path(ARBIN)).frame["current_a"].min() > 0
    assert open_log(_path(MACCOR)).frame["current_a"].max() < 0
    nw = open_log(_path(NEWARE)).frame
    rising = np.diff(nw["voltage_v"].to_numpy()) > 0.005
    assert np.all(nw["current_a"].to_numpy()[1:][rising] >= 0)
    bdf = open_log(_path(BDF)).frame
    assert np.all(np.diff(bdf["charge_capacity_ah"])[bdf["current_a"].to_numpy()[1:] < 0] <= 0)


def test_neware_temperatures_and_cycles_come_from_the_file():
    f = open_log(_path(NEWARE)).frame
    assert 26.0 < f["temperature_c"].mean() < 27.5  # the T1 column, its degree sign lost as "?"
    assert sorted(set(f["cycle_index"])) == list(range(1, 21))
    assert f["time_s"].iloc[-1] == 27 * 3600 + 55 * 60 + 43  # "Total Time" 27:55:43


def _own_counters(frame):
    """The cycler's own per-cycle capacities: each counter's rise within the cycle."""
    cycle = cycle_numbers(frame, frame["current_a"].to_numpy(), None)
    counters = [c for c in frame.columns if c.endswith(("_capacity_ah", "_energy_wh"))]
    return frame.groupby(cycle)[counters].agg(lambda x: x.max() - x.min())


@pytest.mark.parametrize(
    ("name", "column"),
    [
        (ARBIN, "charge_capacity_ah"),  # the Arbin file is a charge: no discharge in it
        (MACCOR, "discharge_capacity_ah"),
        (NEWARE, "discharge_capacity_ah"),
        (NEWARE, "charge_capacity_ah"),
        (NEWARE, "discharge_energy_wh"),
        (MACCOR, "discharge_energy_wh"),
        (ARBIN, "charge_energy_wh"),
        # the Landt coin cell's current is logged rounded to 0.2 mA: integrated, its
        # capacities were 13 % above its counters'
        (BDF, "discharge_capacity_ah"),
        (BDF, "charge_capacity_ah"),
    ],
)
def test_per_cycle_capacity_within_half_a_percent_of_the_cyclers(name, column):
    frame = open_log(_path(name)).frame
    ours = summarize_cycles(frame).set_index("cycle_index")[column]
    own = _own_counters(frame)[column]
    assert len(ours) == len(own) >= 1
    np.testing.assert_allclose(ours.to_numpy(), own.to_numpy(), rtol=0.005)


def test_the_landt_coin_cells_cycles_are_its_own_counters_and_say_so():
    cycles = summarize_cycles(open_log(_path(BDF)).frame, capacity_ah=0.007)
    assert cycles["discharge_capacity_ah"].iloc[0] == pytest.approx(0.0063, abs=1e-12)
    assert list(cycles["capacity_source"]) == ["cycler", "cycler"]
    # no energy counters in the file: the integral scaled to the counted capacity
    assert list(cycles["energy_source"]) == ["cycler_capacity", "cycler_capacity"]
    assert cycles["discharge_energy_wh"].iloc[0] == pytest.approx(
        0.001333 * 0.0063 / 0.007144, rel=1e-3
    )


def test_neware_per_cycle_discharge_matches_its_own_cycle_rows():
    # the export's cycle rows: DChg. Cap.(Ah) of cycles 1..3
    cycles = summarize_cycles(open_log(_path(NEWARE)).frame)
    np.testing.assert_allclose(
        cycles["discharge_capacity_ah"].iloc[:3], [0.33067, 0.33172, 0.32663], rtol=0.005
    )
    assert cycles["coulombic_efficiency"].iloc[1] == pytest.approx(1.012, abs=0.01)
    assert cycles["end_of_discharge_voltage_v"].iloc[1] == pytest.approx(3.9, abs=0.001)
    # the export logs a row at each CC step's start and then every 30 s: nothing says
    # what the voltage was 10 s into the step. It was read by interpolation between
    # the step's first row (the ohmic drop) and the one 30 s later (82 mOhm, invented);
    # the cycles have no 10-s resistance (reads_supported)
    assert list(cycles["n_pulses"].iloc[:3]) == [0, 0, 0]
    assert cycles["dcir_ohm"].isna().all()


def test_neware_steps_follow_the_program():
    steps = summarize_steps(open_log(_path(NEWARE)).frame)
    second = steps[steps["cycle_index"] == 2]
    assert list(second["kind"]) == ["charge", "rest", "discharge", "rest"]
    assert second["discharge_capacity_ah"].iloc[2] == pytest.approx(0.33172, rel=0.005)


@pytest.mark.parametrize(
    ("name", "nominal_ah"),
    [
        ("capacity/nasa_B0005_capacity.csv", 2.0),
        ("capacity/nasa_B0006_capacity.csv", 2.0),
        ("capacity/calce_CS2_35_capacity.csv", 1.1),
        ("capacity/calce_CS2_36_capacity.csv", 1.1),
    ],
)
def test_capacity_tables_are_recognised_as_per_cycle_tables(name, nominal_ah):
    assert detect_format(_path(name)).name == "Per-cycle table"
    with pytest.raises(SchemaError, match="per-cycle table"):
        open_log(_path(name))
    table = read_cycle_table(_path(name))
    assert len(table) > 100
    capacity = table["discharge_capacity_ah"]
    assert capacity.iloc[0] == pytest.approx(nominal_ah, rel=0.1)  # a fresh cell
    assert capacity.between(0.1, 1.1 * nominal_ah).all()  # down to end of life, never more


def test_maccor_unsigned_current_takes_its_sign_from_the_state(tmp_path):
    # some Maccor exports write Amps without a sign: State D must still read as discharge
    lines = (REAL_DATA / MACCOR).read_text().splitlines(keepends=True)
    unsigned = [lines[0], lines[1]] + [ln.replace("\t-4.", "\t4.", 1) for ln in lines[2:]]
    path = tmp_path / "unsigned.052"
    path.write_text("".join(unsigned))
    assert "\t-4." not in path.read_text()
    np.testing.assert_allclose(
        open_log(str(path)).frame["current_a"], open_log(_path(MACCOR)).frame["current_a"]
    )
