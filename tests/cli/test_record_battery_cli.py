"""``record`` knows which battery it records before it judges it: a serial or CAN source
that does not say (a BMS, a battery monitor) is refused up front, as the GUI's connection
dialog refuses it; a cell count the BMS's own cell voltages contradict is refused, as
``analyze`` refuses it. Serial through real pseudo-terminals (``devsim``), real frames."""

from __future__ import annotations

import pandas  # noqa: F401 - imported up front: the recorder imports it at the first sample
import pytest

from app.cli import main
from app.hardware.devsim import start_device
from app.hardware.logs.canonical_csv import read_canonical_csv
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA

needs_real_data = pytest.mark.skipif(REAL_DATA is None, reason="real instrument files absent")
#: (device, real capture it replays): a BMV-702 of a 12 V pack (12.06 V, -7.6 A); a JK BMS
#: of 4 LFP cells (13.4 V, 33.3 A)
REPLAYS = {
    "vedirect": "vedirect/bmv702.dump",
    "jk": "bms/batmon_jk_issue365_status.bin",
}


def _replay(name: str):
    return start_device(name, period_s=0.02, replay=str(REAL_DATA / REPLAYS[name]))


def _one_line(err: str) -> str:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@needs_real_data
@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_record_refuses_a_bms_that_does_not_say_its_battery(name, tmp_path, capsys):
    out = tmp_path / f"{name}.csv"
    with _replay(name) as dev:
        rc = main(["record", dev.url, "--duration", "1", "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 2
    err = _one_line(captured.err)
    assert "does not say which battery it is" in err
    named = ("--chemistry", "--cells", "--capacity-ah", "chemistry=", "cells=", "capacity_ah=")
    assert all(name in err for name in named)
    assert "alert" not in captured.out  # (was: critical cell_v_max ... value 12.06, one "cell")
    assert not out.exists()


@needs_real_data
def test_record_names_only_what_the_battery_still_lacks(tmp_path, capsys):
    with _replay("jk") as dev:
        rc = main(["record", dev.url + "&chemistry=lfp", "--cells", "4", "-o", "/dev/null"])
    assert rc == 2
    err = _one_line(capsys.readouterr().err)
    assert "capacity" in err and "--capacity-ah AH" in err and "capacity_ah=.." in err
    assert "--cells" not in err and "--chemistry" not in err


@needs_real_data
@pytest.mark.parametrize(
    ("name", "battery"),
    [
        # the BMV's pack: a 12 V lead-acid battery (12.06 V is 2.01 V a cell)
        ("vedirect", ["--chemistry", "lead_acid", "--cells", "6", "--capacity-ah", "100"]),
        ("jk", ["--chemistry", "lfp", "--cells", "4", "--capacity-ah", "100"]),
    ],
)
def test_record_a_bms_with_its_battery_judges_cells_not_the_pack(name, battery, tmp_path, capsys):
    out = tmp_path / f"{name}.csv"
    with _replay(name) as dev:
        rc = main(["record", dev.url, "--duration", "1", "-o", str(out), *battery])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    cells = battery[battery.index("--cells") + 1]
    assert f"battery: {battery[1]} {cells}s1p 100 Ah" in captured.out
    assert "cell_v_max" not in captured.out
    log = read_canonical_csv(str(out))
    assert log.spec.series_cells == int(cells) and len(log.frame) >= 2
    # what record wrote, analyze reads as the same battery (it refused the file before)
    assert main(["analyze", str(out)]) == 0
    assert f"{battery[1]} {cells}s1p 100 Ah" in capsys.readouterr().out


@needs_real_data
@pytest.mark.parametrize(
    ("where", "fix"),
    [
        (["URL", "&chemistry=lfp&cells=16&capacity_ah=100"], "give cells=4"),
        (["--chemistry", "lfp", "--cells", "16", "--capacity-ah", "100"], "give --cells 4"),
    ],
)
def test_record_refuses_a_cell_count_the_bms_contradicts(where, fix, tmp_path, capsys):
    """The real JK frame reports 4 cells adding up to its 13.4 V: not 16 in series (the
    live checks would judge each cell's limits on a 16s pack's)."""
    out = tmp_path / "jk.csv"
    with _replay("jk") as dev:
        args = [dev.url + where[1]] if where[0] == "URL" else [dev.url, *where]
        # a refusal ends the recording at the first frame: the duration only has to
        # outlast a loaded machine's wait for that frame
        rc = main(["record", *args, "--duration", "60", "-o", str(out)])
    captured = capsys.readouterr()
    assert rc == 2
    err = _one_line(captured.err)
    assert "4 cells in series, not 16" in err and fix in err
    assert "battery:" not in captured.out and not out.exists()


def test_record_refuses_a_cell_count_a_simulated_daly_contradicts(tmp_path, capsys):
    """Daly answers cell by cell: its 8 cells, not the 16 given."""
    with start_device("daly", period_s=0.02, cells=8) as dev:
        url = dev.url + "&chemistry=lfp&cells=16&capacity_ah=2.5"
        rc = main(["record", url, "--duration", "60", "-o", str(tmp_path / "d.csv")])
    assert rc == 2
    assert "8 cells in series, not 16" in _one_line(capsys.readouterr().err)


@needs_real_data
def test_analyze_refuses_the_same_cell_count_for_the_same_reason(tmp_path, capsys):
    out = tmp_path / "jk.csv"
    with _replay("jk") as dev:
        url = dev.url + "&chemistry=lfp&cells=4&capacity_ah=100"
        assert main(["record", url, "--duration", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--cells", "16"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert "add up to its pack voltage, so it is 4 cells in series, not 16" in err


def test_serve_refuses_a_bms_that_does_not_say_its_battery(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'b.db'}"
    url = "serial:///dev/null?protocol=daly"
    assert main(["--db", db, "serve", "--port", "0", "--source", url]) == 2
    err = _one_line(capsys.readouterr().err)
    assert "does not say which battery it is" in err and "--capacity-ah" in err


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=4&speed=0&duration=5",  # the simulator names its battery
        "sim://?speed=0&duration=5",  # (the simulator's default: nmc)
    ],
)
def test_sources_that_name_their_battery_still_record(url, tmp_path, capsys):
    out = tmp_path / "sim.csv"
    assert main(["record", url, "-o", str(out)]) == 0, capsys.readouterr().err
    assert read_canonical_csv(str(out)).spec is not None


def test_serve_refuses_a_cell_count_the_bms_contradicts_as_record_does(tmp_path, capsys):
    """serve --source ran the live engine on 16 cells of a BMS reporting 8: it stops with
    record's reason (one check, app.hardware.cell_count), nothing of it recorded."""
    from app.storage.database import Database
    from app.storage.repositories import list_recordings

    db = f"sqlite:///{tmp_path / 's.db'}"
    with start_device("daly", period_s=0.02, cells=8) as dev:
        url = dev.url + "&chemistry=lfp&capacity_ah=2.5"
        args = ["--db", db, "serve", "--port", "0", "--source", url, "--cells", "16", "--record"]
        rc = main(args)
    captured = capsys.readouterr()
    assert rc == 2 and captured.out.startswith("serving http://127.0.0.1:")
    err = _one_line(captured.err)
    assert "--cells 16: the source's 8 cell voltages add up to its pack voltage" in err
    assert "8 cells in series, not 16: give --cells 8" in err
    assert list_recordings(Database(db)) == []


@needs_real_data
def test_record_refuses_a_cell_count_the_foxbms_pack_voltage_refutes(tmp_path, capsys):
    """The real foxBMS capture replayed on a CAN bus: 389 V with the first 4 of its 96
    cells' voltages; "--cells 4" was recorded (a 97 V "cell"), now refused as analyze
    refuses it, though the DBC's decoding holds its first round of frames back."""
    from app.hardware.can.devsim import start_foxbms

    can = REAL_DATA / "can"
    battery = ["--chemistry", "nmc", "--capacity-ah", "10", "--duration", "1"]
    out = tmp_path / "fox.csv"
    with start_foxbms(
        log=str(can / "foxbms_test_log.txt"), dbc=str(can / "foxbms.dbc"), speed=4
    ) as dev:
        rc = main(["record", dev.url, "--cells", "4", "-o", str(out), *battery])
        refused = capsys.readouterr().err
        assert main(["record", dev.url, "--cells", "96", "-o", str(out), *battery]) == 0
    assert rc == 2 and "Traceback" not in refused
    assert "--cells 4: the source contradicts it: its pack voltage 389.1 V" in refused
    log = read_canonical_csv(str(out))
    assert log.spec.series_cells == 96 and len(log.frame) >= 2
    assert log.frame["voltage_v"].between(389.0, 389.3).all()


def test_record_names_an_ocv_table_current_given_without_its_table(tmp_path, capsys):
    """--ocv-table-current-c alone was dropped without a word (the URL's battery was
    used); it is refused as analyze refuses it."""
    out = tmp_path / "r.csv"
    url = "sim://nmc?cells=2&speed=0&duration=10"
    assert main(["record", url, "--ocv-table-current-c", "-0.02", "-o", str(out)]) == 2
    assert "give the --ocv-table it was measured for" in capsys.readouterr().err


def _nmc_table(tmp_path) -> str:
    from app.core.spec import preset

    soc, ocv = preset("nmc").ocv_table
    return write_ocv_table(tmp_path / "nmc_cell.csv", soc, ocv, fmt="")


def test_record_and_serve_refuse_an_ocv_table_of_another_chemistry(tmp_path, capsys):
    """An NMC cell's table for a simulated LFP battery was taken: its cells rested at
    3.8-4.2 V and the over-voltage alarm was raised at the first sample. Refused, in the
    URL as with --ocv-table, naming the table."""
    table = _nmc_table(tmp_path)
    url = "sim://lfp?cells=4&speed=0&duration=5"
    out = tmp_path / "sim.csv"
    assert main(["record", f"{url}&ocv_table={table}", "-o", str(out)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{url}&ocv_table={table}: OCV table {table}: it reads 3.751 V at 50 % SOC" in err
    assert "above the 3.6 V charge limit" in err and "is the battery NMC?" in err
    assert not out.exists()
    assert main(["record", url, "--ocv-table", table, "-o", str(out)]) == 2
    assert f"--ocv-table {table}: it reads 3.751 V" in _one_line(capsys.readouterr().err)
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["--db", db, "serve", "--port", "0", "--source", f"{url}&ocv_table={table}"]) == 2
    assert "is the battery NMC?" in _one_line(capsys.readouterr().err)
