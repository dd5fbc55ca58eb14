"""A log whose discharge current is positive: ``analyze`` warns (naming the evidence and
``--invert-current``); ``--invert-current`` (and ``invert_current=1`` of a file:// URL)
gives what the correctly signed log gives."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from app.cli import main
from app.core.spec import preset
from app.hardware.file_source import FileSource
from app.hardware.registry import parse_source_url
from app.hardware.simulator.noise import NoiseSpec
from app.hardware.simulator.pack import simulate

ARGS = ["--chemistry", "nmc", "--capacity-ah", "5", "--cells", "3"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """The same HPPC run as a generic table twice: discharge negative (Battery OS's
    sign) and discharge positive (a cycler that counts the other way)."""
    spec = preset("nmc", capacity_ah=5).with_overrides(series_cells=3)
    frame = simulate(spec, "hppc", 10800.0, 1.0, 3, noise=NoiseSpec.typical(spec)).to_frame()
    table = pd.DataFrame(
        {"time": frame["time_s"], "volts": frame["voltage_v"], "amps": frame["current_a"]}
    )
    folder = tmp_path_factory.mktemp("sign")
    right, wrong = folder / "right.csv", folder / "wrong.csv"
    table.to_csv(right, index=False)
    table.assign(amps=-table["amps"]).to_csv(wrong, index=False)
    return right, wrong


def _analyze(capsys, path, *extra):
    assert main(["analyze", str(path), *ARGS, "--json", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_a_reversed_current_is_warned_about_first(logs, capsys):
    right, wrong = logs
    report, err = _analyze(capsys, wrong)
    assert report["current_sign"]["verdict"] == "reversed"
    first = report["warnings"][0]
    assert first.startswith("the current's sign looks reversed")
    assert "--invert-current" in first and "current steps" in first
    assert err.count("\n") == 1 and "--invert-current" in err  # one line on stderr too
    # the nonsense it warns about: a negative resistance
    assert report["results"]["internal_resistance"]["median_r_10s_ohm"] < 0


def test_a_correct_current_is_not_warned_about(logs, capsys):
    right, _ = logs
    report, err = _analyze(capsys, right)
    assert report["current_sign"]["verdict"] == "consistent"
    assert not any("reversed" in w for w in report.get("warnings", []))
    assert "reversed" not in err


def test_the_text_summary_shows_the_warning_before_the_results(logs, capsys):
    _, wrong = logs
    assert main(["analyze", str(wrong), *ARGS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "current's sign looks reversed" in lines[1]


def test_invert_current_gives_the_correct_logs_results(logs, capsys):
    right, wrong = logs
    expected, _ = _analyze(capsys, right)
    flipped, err = _analyze(capsys, wrong, "--invert-current")
    assert flipped["results"] == expected["results"]
    assert flipped["cycles"] == expected["cycles"]
    assert flipped["current_sign"] == expected["current_sign"]
    assert any("--invert-current" in w for w in flipped["warnings"])  # said, not silent
    assert err == ""


def test_convert_invert_current_writes_the_flipped_current(logs, tmp_path, capsys):
    right, wrong = logs
    out = tmp_path / "fixed.csv"
    assert main(["convert", str(wrong), "-o", str(out), "--invert-current"]) == 0
    fixed = pd.read_csv(out, comment="#")["current_a"].to_numpy()
    assert fixed == pytest.approx(pd.read_csv(right)["amps"].to_numpy(), abs=1e-5)  # 6 digits


def test_a_file_url_takes_invert_current(logs):
    right, wrong = logs
    source = FileSource.from_url(parse_source_url(f"file://{wrong}?invert_current=1&chemistry=nmc"))
    source.open()
    try:
        block = source.read(1.0)
    finally:
        source.close()
    amps = pd.read_csv(right)["amps"].to_numpy()
    assert block["current_a"] == pytest.approx(amps[: len(block)])


def test_record_invert_current_flips_a_file_url(logs, tmp_path, capsys):
    right, wrong = logs
    out = tmp_path / "rec.csv"
    url = f"file://{wrong}?chemistry=nmc&capacity_ah=5&cells=3"
    assert main(["record", url, "-o", str(out), "--invert-current"]) == 0
    recorded = pd.read_csv(out, comment="#")["current_a"].to_numpy()
    assert recorded == pytest.approx(pd.read_csv(right)["amps"].to_numpy(), abs=1e-5)  # 6 digits


def test_invert_current_must_be_0_or_1(logs):
    from app.core.errors import SourceError

    _, wrong = logs
    with pytest.raises(SourceError, match="invert_current must be 0 or 1"):
        FileSource.from_url(parse_source_url(f"file://{wrong}?invert_current=yes"))


def test_report_puts_a_reversed_current_on_the_cover(logs, tmp_path, capsys):
    right, wrong = logs
    for path, flagged in ((wrong, True), (right, False)):
        out = tmp_path / f"{path.stem}.html"
        assert main(["report", str(path), "-o", str(out), *ARGS]) == 0
        html = out.read_text(encoding="utf-8")
        assert ("sign looks reversed" in html) is flagged


def test_negative_resistances_are_not_shown_as_readings(logs, capsys, tmp_path):
    """The reversed log's pulses give R10 < 0: no reading of it, and a pointer to the sign."""
    _, wrong = logs
    assert main(["analyze", str(wrong), *ARGS]) == 0
    (line,) = [s for s in capsys.readouterr().out.splitlines() if "resistance  " in s]
    assert " -0" not in line and "ohm per cell" not in line.lower()
    assert "came out zero or negative, which is not physical" in line and "current-sign" in line
    out = tmp_path / "r.csv"
    assert main(["report", str(wrong), *ARGS, "-o", str(out)]) == 0
    rows = {(r[0], r[1]): r[2] for r in csv.reader(out.open())}
    assert rows[("verdict", "internal_resistance")] == "warn"
    assert "not physical" in rows[("finding", "internal_resistance")]
    assert "mΩ" not in rows[("finding", "internal_resistance")]


def test_invert_current_on_a_correct_log_advises_dropping_it(logs, capsys):
    """The flip is what reversed it: "use --invert-current" would say to do it again."""
    right, _ = logs
    report, err = _analyze(capsys, right, "--invert-current")
    first = report["warnings"][0]
    assert first.startswith("the current's sign looks reversed after --invert-current")
    assert "drop --invert-current" in first and "use --invert-current" not in first
    assert report["current_sign"]["warning"] == first
    assert "drop --invert-current" in err  # the stderr line of --json says the same


def test_a_zero_resistance_without_a_reversed_sign_does_not_blame_the_sign(tmp_path, capsys):
    # a lead-acid float charge holds the voltage through its current steps: R came out
    # 0 and -1e-16, and the summary said "see the current-sign warning" of a log with none
    log = tmp_path / "float.csv"
    argv = ["simulate", "--chemistry", "lead_acid", "--cells", "6", "--duration", "7200"]
    argv += ["--profile", "float", "--fault", "thermal_runaway", "--fault-at", "1800"]
    assert main([*argv, "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    out = capsys.readouterr().out
    (line,) = [s for s in out.splitlines() if "resistance  " in s]
    assert "not physical" in line and "did not follow the current" in line
    assert "current-sign" not in out
