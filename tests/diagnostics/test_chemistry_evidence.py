"""A wrong chemistry inside the preset's voltage window is told: the Arbin A123 LFP cell
read as NMC gave 'SOC 0.0 % +-8.1 % -> 19.1 % +-7.0 %' and no warning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from app.core import schema
from app.core.spec import BatterySpec, preset
from app.diagnostics.chemistry_evidence import chemistry_warning
from app.hardware.logs.formats import open_log
from app.hardware.simulator import NoiseSpec, simulate
from tests.real_data import REAL_DATA

ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"
#: the real files a preset describes, with their chemistry and capacity (SOURCES.md)
OWN = {ARBIN: ("lfp", 1.1), "maccor/PredictionDiagnostics_000151_test.052": ("nmc", 4.84)}
#: the others no preset describes: no chemistry is named for them from inside a window
OTHERS = (
    "neware/nw_regular_export_ife_example.csv",
    "biologic/GCPL-0.mpr",
    "biologic/MB-0.mpr",
    "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv",
)
real = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def _analyze(capsys, *argv: str) -> dict:
    assert main(["analyze", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@real
def test_the_arbin_lfp_cell_read_as_nmc_is_told_it_looks_lfp(capsys):
    path = str(REAL_DATA / ARBIN)
    report = _analyze(capsys, path, "--chemistry", "nmc", "--capacity-ah", "1.1")
    (warning,) = [w for w in report.get("warnings", []) if "looks lfp" in w]
    # the plateau: 20 % of 1.1 Ah at 1C within 32 mV, and the 6C step stopped at 3.600 V
    assert "(20 % of 1.1 Ah) with the cell voltage within 32 mV (3.38-3.41 V)" in warning
    assert "stopped at 3.600 V a cell" in warning
    assert warning.endswith("give --chemistry lfp (or the capacity is not 1.1 Ah)")
    assert (
        report["invalid_results"]["soc"]
        == "the log looks like another chemistry than the battery's"
    )
    # the capacity left to the preset (5 Ah: 4 % moved): the charge voltage alone tells
    report = _analyze(capsys, path, "--chemistry", "nmc")
    assert any("looks lfp" in w and "stopped at 3.600 V" in w for w in report["warnings"])


@real
@pytest.mark.parametrize("name", list(OWN))
def test_a_real_file_read_as_its_own_chemistry_gets_no_chemistry_warning(capsys, name):
    chem, cap = OWN[name]
    report = _analyze(capsys, str(REAL_DATA / name), "--chemistry", chem, "--capacity-ah", str(cap))
    assert not [w for w in report.get("warnings", []) if "the cell looks" in w]
    assert "soc" not in report.get("invalid_results", {})


@real
@pytest.mark.parametrize("name", OTHERS)
@pytest.mark.parametrize("chem", ["nmc", "lfp", "lead_acid"])
def test_files_no_preset_describes_are_not_given_a_chemistry_from_inside(name, chem):
    frame = open_log(str(REAL_DATA / name), use_cache=False).frame
    assert chemistry_warning(frame, preset(chem, capacity_ah=1.0)) is None


@pytest.mark.parametrize("chem", ["nmc", "lfp", "lead_acid"])
@pytest.mark.parametrize("profile", ["cycle", "cccv", "hppc", "drive", "cc"])
@pytest.mark.parametrize("cells", [1, 4])
def test_a_simulated_log_read_as_its_own_chemistry_is_not_warned(chem, profile, cells):
    if profile == "cc" and chem == "lead_acid":
        profile = "float"  # (its own: a lead-acid battery's float charge)
    spec = preset(chem, capacity_ah=100.0 if chem == "lead_acid" else 5.0, series_cells=cells)
    block = simulate(
        spec, profile, duration_s=30000, dt_s=10, seed=2, noise=NoiseSpec.typical(spec)
    )
    assert chemistry_warning(block.to_frame(), spec) is None


def test_a_simulated_lfp_cycle_read_as_nmc_shows_the_plateau():
    lfp = preset("lfp", capacity_ah=5.0)
    frame = simulate(lfp, "cycle", duration_s=20000, dt_s=10, seed=1, initial_soc_pct=50.0,
                     noise=NoiseSpec.typical(lfp)).to_frame()  # fmt: skip
    warning = chemistry_warning(frame, preset("nmc", capacity_ah=5.0))
    assert warning.startswith("the cell looks lfp, not nmc: a constant 5 A moved")
    assert "lfp's flat plateau" in warning


def test_a_lead_acid_float_charge_read_as_lfp_shows_its_charge_voltage():
    pb = preset("lead_acid", capacity_ah=100.0, series_cells=6)
    frame = simulate(pb, "float", duration_s=20000, dt_s=10, seed=1, initial_soc_pct=50.0,
                     noise=NoiseSpec.typical(pb)).to_frame()  # fmt: skip
    warning = chemistry_warning(frame, preset("lfp", capacity_ah=100.0, series_cells=6))
    assert "a charge held at 2.27 V a cell" in warning
    assert warning.endswith("give --chemistry lead_acid")


@pytest.mark.parametrize("size", [1, 7, 50, 1000])
def test_the_live_engine_tells_the_chemistry_as_analyze_does(size):
    """Block by block (a live source, a replayed log) the evidence is the same: the
    open constant-current segment and charge are carried over from block to block."""
    from app.core.samples import SampleBlock
    from app.diagnostics.spec_fit import SpecFitTracker

    lfp = preset("lfp", capacity_ah=5.0)
    frames = [simulate(lfp, "cycle", duration_s=20000, dt_s=10, seed=1, initial_soc_pct=50.0,
                       noise=NoiseSpec.typical(lfp)).to_frame()]  # fmt: skip
    if REAL_DATA is not None:
        frames.append(open_log(str(REAL_DATA / ARBIN), use_cache=False).frame)
    for frame in frames:
        nmc = preset("nmc", capacity_ah=5.0 if len(frames) == 1 or frame is frames[0] else 1.1)
        offline = chemistry_warning(frame, nmc)
        assert offline is not None and offline.startswith("the cell looks lfp, not nmc")
        tracker = SpecFitTracker(nmc)
        columns = [c for c in frame.columns if schema.is_canonical_column(c)]
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size]
            tracker.update(SampleBlock({c: part[c].to_numpy(float) for c in columns}))
        assert tracker.warning(None) == offline


def _values_held(obj, seen=None) -> int:
    """How many numbers ``obj`` holds: its arrays' elements, its lists', tuples' and
    dicts' items, its attributes', recursively."""
    import numpy as np

    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, type)) or callable(obj):
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.size
    if isinstance(obj, dict):
        return sum(_values_held(v, seen) for v in obj.values()) + len(obj)
    if isinstance(obj, (list, tuple)):
        return sum(_values_held(v, seen) for v in obj) + len(obj)
    if hasattr(obj, "__dict__") and not isinstance(obj, (BatterySpec,)):
        return sum(_values_held(v, seen) for v in vars(obj).values())
    return 1


def _long_step(n: int, current: float, v_start: float, v_slope: float, dt: float = 0.1):
    """``n`` samples of a constant current whose cell voltage moves ``v_slope`` V a sample."""
    import numpy as np

    k = np.arange(n)
    return np.column_stack((k * dt, v_start + v_slope * k, np.full(n, current)))


@pytest.mark.parametrize("kind", ["discharge", "charge"])
def test_the_live_twin_holds_a_bounded_summary_of_a_long_step(kind):
    """A constant-current step fed in blocks of 10 (the acquisition thread's): what the
    tracker keeps does not grow with the step (it kept every sample of the open segment
    and charge, and copied them all every block: quadratic time)."""
    from app.core.samples import SampleBlock
    from app.diagnostics.chemistry_evidence import ChemistryEvidenceTracker

    spec = preset("nmc", capacity_ah=0.2)  # (4000 samples at 1 A move 55 % of it)
    held = []
    for n in (4_000, 40_000):
        tracker = ChemistryEvidenceTracker(spec)
        if kind == "discharge":
            data = _long_step(n, -1.0, 3.7, -1e-6)
        else:  # a charge rising to the top (every sample a new highest)
            data = _long_step(n, 1.0, 3.9, 1e-5)
        for s in range(0, n, 10):
            part = data[s : s + 10]
            tracker.update(SampleBlock({"time_s": part[:, 0], "voltage_v": part[:, 1],
                                        "current_a": part[:, 2]}))  # fmt: skip
        tracker.evidence()
        held.append(_values_held(tracker))
    assert held[1] <= held[0] + 50, held
    assert held[1] < 1000, held


def _evidence_in_blocks(frame, spec, sizes):
    from app.core.samples import SampleBlock
    from app.diagnostics.chemistry_evidence import ChemistryEvidenceTracker

    tracker = ChemistryEvidenceTracker(spec)
    columns = [c for c in frame.columns if schema.is_canonical_column(c)]
    start = 0
    for size in sizes:
        part = frame.iloc[start : start + size]
        start += size
        tracker.update(SampleBlock({c: part[c].to_numpy(float) for c in columns}))
        if start >= len(frame):
            break
    return tracker


@pytest.mark.parametrize(
    ("true", "profile", "read_as", "cap"),
    [
        ("lfp", "cycle", "nmc", 5.0),
        ("lfp", "cc", "nmc", 5.0),
        ("nmc", "cccv", "lfp", 5.0),
        ("lead_acid", "float", "lfp", 100.0),
        ("nmc", "drive", "nmc", 5.0),
        ("lfp", "hppc", "nmc", 0.5),  # a capacity 10x small: many 1 % bins a sample
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_block_split_gives_the_evidence_of_the_whole_log(true, profile, read_as, cap, seed):
    """Cut at random into blocks of 1 to 400 samples, a log gives the same evidence,
    to the bit, and the same warning as the whole log in one block (``analyze``)."""
    import numpy as np

    from app.diagnostics.chemistry_evidence import evidence_warning
    from app.diagnostics.spec_fit import cell_voltage_counts

    spec = preset(true, capacity_ah=cap, series_cells=2 if seed == 3 else 1)
    frame = simulate(spec, profile, duration_s=20000, dt_s=5, seed=seed, initial_soc_pct=60.0,
                     noise=NoiseSpec.typical(spec)).to_frame()  # fmt: skip
    read = preset(read_as, capacity_ah=cap, series_cells=spec.series_cells)
    whole = _evidence_in_blocks(frame, read, [len(frame)])
    offline = chemistry_warning(frame, read)
    assert evidence_warning(whole, cell_voltage_counts(frame, read)) == offline
    rng = np.random.default_rng(seed)
    for high in (3, 40, 400):
        tracker = _evidence_in_blocks(frame, read, rng.integers(1, high, size=len(frame)))
        assert tracker.evidence() == whole.evidence()
        assert evidence_warning(tracker, cell_voltage_counts(frame, read)) == offline


def test_rows_with_no_cell_reading_warn_nobody():
    """A CAN log's rows of other frames have no cell voltage: numpy's "Mean of empty
    slice" reached the user of ``analyze`` (np.errstate does not silence it)."""
    import warnings

    from app.diagnostics.chemistry_evidence import chemistry_warning

    spec = preset("lfp", series_cells=2, capacity_ah=5.0)
    frame = simulate(spec, "cycle", 6000, 5, 1).to_frame()
    frame.loc[frame.index % 3 == 0, ["cell_1_v", "cell_2_v"]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chemistry_warning(frame, spec)
