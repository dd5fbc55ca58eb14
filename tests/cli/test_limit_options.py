"""The limit options of the battery group (--cell-v-max, --max-charge-c, ...): they
override the preset's limits for safety, faults and the report, and show in the spec."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app.cli import main


@pytest.fixture
def fast_charge_csv(tmp_path):
    """A 1.1 Ah LFP cell charged at 6C for 5 min (a deliberate fast-charge test), rested."""
    t = np.arange(0, 1200.0, 1.0)
    i = np.where(t < 300, 6.6, 0.0)
    v = np.where(t < 300, 3.35 + 0.0005 * t, 3.33)
    df = pd.DataFrame({"time_s": t, "voltage_v": v, "current_a": i, "temperature_c": 25.0})
    path = tmp_path / "fast.csv"
    df.to_csv(path, index=False)
    return path


BATTERY = ["--chemistry", "lfp", "--capacity-ah", "1.1"]


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_a_deliberate_fast_charge_is_within_the_limit_the_user_gives(fast_charge_csv, capsys):
    path = str(fast_charge_csv)
    preset = _json(capsys, ["analyze", path, "--json", *BATTERY])
    # the LFP preset allows 4C: 6.6 A on 1.1 Ah is a critical over-current for it
    assert preset["results"]["safety"]["status"] == "critical"
    assert {f["kind"] for f in preset["results"]["faults"]} == {"over_current"}
    given = _json(capsys, ["analyze", path, "--json", *BATTERY, "--max-charge-c", "8"])
    assert given["spec"]["max_charge_current_c"] == 8.0
    assert given["results"]["safety"]["status"] == "ok"
    assert given["results"]["safety"]["limits"]["max_charge_current_a"] == pytest.approx(8.8)
    assert given["results"]["faults"] == []
    assert main(["analyze", path, *BATTERY, "--max-charge-c", "8"]) == 0
    text = capsys.readouterr().out
    assert "safety        ok" in text
    assert "charge 8.8 A (8C)" in text  # the limits judged against


def test_voltage_limits_of_a_high_voltage_cell(tmp_path, capsys):
    t = np.arange(0, 1800.0, 1.0)
    v = np.where(t < 900, 4.3 + 0.4 * t / 900, 4.7)  # charged to 4.7 V, held
    df = pd.DataFrame({"time_s": t, "voltage_v": v, "current_a": np.where(t < 900, 0.5, 0.05)})
    path = tmp_path / "hv.csv"
    df.to_csv(path, index=False)
    argv = ["analyze", str(path), "--json", "--chemistry", "nmc", "--capacity-ah", "1"]
    preset = _json(capsys, argv)
    assert preset["results"]["safety"]["status"] == "critical"
    given = _json(capsys, [*argv, "--cell-v-max", "4.75", "--cell-v-min", "3.0"])
    assert (given["spec"]["cell_v_min"], given["spec"]["cell_v_max"]) == (3.0, 4.75)
    assert given["results"]["safety"]["events"] == []
    assert not [f for f in given["results"]["faults"] if f["kind"] == "over_voltage"]


def test_temperature_and_discharge_limits_reach_the_spec(fast_charge_csv, capsys):
    out = _json(
        capsys,
        [
            "analyze",
            str(fast_charge_csv),
            "--json",
            *BATTERY,
            "--max-discharge-c",
            "3",
            "--charge-temp-max-c",
            "40",
            "--discharge-temp-min-c",
            "-10",
        ],
    )
    spec = out["spec"]
    assert spec["max_discharge_current_c"] == 3.0
    assert (spec["charge_temp_max_c"], spec["discharge_temp_min_c"]) == (40.0, -10.0)
    assert out["results"]["safety"]["limits"]["max_discharge_current_a"] == pytest.approx(3.3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cell-v-max", "14.4"], "not one cell's voltage"),
        (["--cell-v-min", "3.7", "--cell-v-max", "3.6"], "cell_v_min = 3.7 V is not below"),
        (["--cell-v-min", "3.65"], "--cell-v-min 3.65: "),
        (["--max-charge-c", "0"], "must be a positive number"),
        (["--max-charge-c", "abc"], "is not a number"),
        (["--charge-temp-min-c", "60"], "charge_temp_min_c = 60 degC is not below"),
    ],
)
def test_bad_limits_are_a_clear_message(fast_charge_csv, capsys, options, message):
    with pytest.raises(SystemExit) as exc:
        rc = main(["analyze", str(fast_charge_csv), *BATTERY, *options])
        raise SystemExit(rc)
    assert exc.value.code not in (0, None)
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_report_takes_the_limits(fast_charge_csv, tmp_path):
    out = tmp_path / "r.csv"
    argv = ["report", str(fast_charge_csv), *BATTERY, "--max-charge-c", "8", "-o", str(out)]
    assert main(argv) == 0
    rows = pd.read_csv(out, keep_default_na=False)
    value = {(r.section, r.item): r.value for r in rows.itertuples()}
    assert "charge 8C at" in value[("cover", "Limits")]
    assert value[("verdict", "safety")] == "pass"
    assert value[("safety", "status")] == "ok"


def _lower_bound_log(path, frame):
    """A canonical CSV whose battery's capacity is only a lower bound (what the window
    saves of a log whose capacity it guessed from a partial charge)."""
    from app.core.spec import preset

    spec = preset("lfp", capacity_ah=0.603).with_overrides(capacity_lower_bound=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# battery-os canonical samples\n")
        f.write(f"# spec: {json.dumps(spec.to_dict())}\n")
        frame.to_csv(f, index=False)
    return path


def test_a_capacity_known_only_as_a_lower_bound_does_not_judge_the_current(
    fast_charge_csv, tmp_path, capsys
):
    """The Arbin excerpt's 6C fast charge on a capacity guessed as 'at least 0.603 Ah'
    was a critical over-current (6.6 A against 2.41 A, 4C of the bound) on a healthy log;
    a larger cell's normal current is not over C-rates of a lower bound."""
    path = str(_lower_bound_log(tmp_path / "bound.csv", pd.read_csv(fast_charge_csv)))
    report = _json(capsys, ["analyze", path, "--json"])
    safety = report["results"]["safety"]
    assert report["spec"]["capacity_lower_bound"] is True
    assert safety["status"] == "ok" and safety["limits"]["max_charge_current_a"] is None
    assert "at least 0.603 Ah" in safety["limits"]["current_not_judged"]
    assert report["results"]["faults"] == []
    assert main(["analyze", path]) == 0
    text = capsys.readouterr().out
    assert "lfp 1s1p at least 0.603 Ah" in text.splitlines()[0]
    assert "safety        ok" in text and "charge current not judged" in text
    assert "set the battery's capacity (--capacity-ah) to judge them" in text
    # a capacity given is known: the current is judged against C-rates of it
    given = _json(capsys, ["analyze", path, "--json", "--capacity-ah", "1.1"])
    assert given["spec"]["capacity_lower_bound"] is False
    assert given["results"]["safety"]["status"] == "critical"
    assert "current_not_judged" not in given["results"]["safety"]["limits"]


def test_the_alert_defaults_of_a_lower_bound_capacity_have_no_current_rule(capsys):
    from app.core.spec import preset
    from app.diagnostics.alerts import default_thresholds

    known = preset("lfp", capacity_ah=0.603)
    bound = known.with_overrides(capacity_lower_bound=True)
    assert "current_a" in {r.metric for r in default_thresholds(known)}
    assert "current_a" not in {r.metric for r in default_thresholds(bound)}
    assert {r.metric for r in default_thresholds(bound)} == {
        r.metric for r in default_thresholds(known)
    } - {"current_a"}


@pytest.mark.parametrize("value", ["yes", 1])
def test_a_damaged_lower_bound_flag_is_named(value):
    from app.core.errors import BatteryOSError
    from app.core.spec import BatterySpec, preset

    d = preset("lfp").to_dict() | {"capacity_lower_bound": value}
    with pytest.raises(BatteryOSError, match="capacity_lower_bound = .* is not true or false"):
        BatterySpec.from_dict(d)
