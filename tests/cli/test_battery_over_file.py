"""Battery options over a log's own battery: an option changes what it names, and a
series cell count the cell-voltage columns contradict is refused (analyze, report,
alerts, serve, the GUI's Apply)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.core.errors import BatteryOSError
from app.core.spec import preset


@pytest.fixture(scope="module")
def nmc_3s_5ah(tmp_path_factory):
    """A Battery OS log whose '# spec:' line says NMC, 3 cells, 5 Ah."""
    path = tmp_path_factory.mktemp("log") / "s.csv"
    assert main(["simulate", "--chemistry", "nmc", "--cells", "3", "--capacity-ah", "5",
                 "--profile", "hppc", "--duration", "3600", "-o", str(path)]) == 0  # fmt: skip
    return path


def _analyze(capsys, path, *options):
    assert main(["analyze", str(path), "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def test_chemistry_over_a_files_battery_keeps_its_cells_and_capacity(nmc_3s_5ah, capsys):
    # it was "lfp 1s1p 2.5 Ah": the preset replaced the file's battery, so R0 per cell
    # was the pack's (3x) and the capacity the preset's
    plain = _analyze(capsys, nmc_3s_5ah)
    report = _analyze(capsys, nmc_3s_5ah, "--chemistry", "lfp")
    spec = report["spec"]
    assert (spec["chemistry"], spec["series_cells"], spec["capacity_ah"]) == ("lfp", 3, 5.0)
    lfp = preset("lfp")
    assert (spec["cell_v_max"], spec["ocv_v"]) == (lfp.cell_v_max, list(lfp.ocv_v))
    assert not any("preset's" in w and "capacity" in w for w in report.get("warnings", []))
    r0 = report["results"]["internal_resistance"]["median_r0_cell_ohm"]
    assert r0 == pytest.approx(plain["results"]["internal_resistance"]["median_r0_cell_ohm"])
    # options given still win over the file's
    spec = _analyze(capsys, nmc_3s_5ah, "--chemistry", "lfp", "--capacity-ah", "7")["spec"]
    assert (spec["series_cells"], spec["capacity_ah"]) == (3, 7.0)


def _pack(tmp_path, cells: int, columns: int, name="pack.csv"):
    """A log of ``cells`` in series with the first ``columns`` cell voltages logged."""
    t = np.arange(0, 3600.0, 2.0)
    v = 3.7 + 0.05 * np.sin(t / 900)
    frame = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": cells * v,
            "current_a": np.where(t < 1800, -2.5, 2.5),
            **{f"cell_{k}_v": v for k in range(1, columns + 1)},
        }
    )
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("cells", ["8", "2"])
def test_cells_that_the_cell_columns_contradict_are_refused(tmp_path, capsys, cells):
    # --cells 8 on 3 cell columns adding up to the pack voltage was taken: R0 per cell
    # was the pack's over 8
    path = _pack(tmp_path, cells=3, columns=3)
    options = ["--chemistry", "nmc", "--capacity-ah", "5", "--cells", cells]
    assert main(["analyze", str(path), *options]) == 2
    err = capsys.readouterr().err
    assert f"--cells {cells}" in err and "3 cell-voltage columns" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    report_out = tmp_path / "r.html"
    assert main(["report", str(path), "-o", str(report_out), *options]) == 2
    assert not report_out.exists()
    assert main(["alerts", "evaluate", str(path), *options]) == 2


def test_cells_the_columns_agree_with_or_cannot_tell_are_taken(tmp_path, capsys):
    path = _pack(tmp_path, cells=3, columns=3)
    spec = _analyze(capsys, path, "--chemistry", "nmc", "--capacity-ah", "5", "--cells", "3")
    assert spec["spec"]["series_cells"] == 3
    # 2 of 16 cells logged (a BMS listing its extremes): the pack voltage says 16
    some = _pack(tmp_path, cells=16, columns=2, name="some.csv")
    for cells in ("16", "15"):  # the user knows the pack: not refused
        options = ["--chemistry", "lfp", "--capacity-ah", "5", "--cells", cells]
        assert _analyze(capsys, some, *options)["spec"]["series_cells"] == int(cells)


def test_the_cell_columns_stand_over_a_files_own_cell_count(tmp_path, capsys, nmc_3s_5ah):
    """A recording whose URL named no cell count has a 1-cell spec but 3 cell columns
    adding up to its pack: they are the battery's cells."""
    lines = nmc_3s_5ah.read_text().splitlines(keepends=True)
    spec_line = next(i for i, ln in enumerate(lines) if ln.startswith("# spec:"))
    spec = json.loads(lines[spec_line][len("# spec:") :])
    lines[spec_line] = "# spec: " + json.dumps({**spec, "series_cells": 1}) + "\n"
    path = tmp_path / "one.csv"
    path.write_text("".join(lines))
    assert _analyze(capsys, path)["spec"]["series_cells"] == 3


def test_serve_and_the_gui_build_the_same_battery(nmc_3s_5ah):
    from app.cli.battery_options import source_battery
    from app.views.log_analysis import BatterySettings, open_analysis, with_settings

    options = dict(chemistry="lfp", capacity_ah=None, cells=None, ocv_table=None)
    args = argparse.Namespace(**options, bol_resistance_ohm=None)
    spec, log = source_battery(args, f"file://{nmc_3s_5ah}")
    assert len(log.frame) and log.spec.chemistry.value == "nmc"  # the file, as read
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 3, 5.0)
    with pytest.raises(BatteryOSError, match="3 cell-voltage columns"):
        source_battery(argparse.Namespace(**{**vars(args), "cells": 8}), f"file://{nmc_3s_5ah}")

    analysis = open_analysis(str(nmc_3s_5ah))
    applied = with_settings(analysis, BatterySettings(chemistry="lfp"))
    assert (applied.spec.chemistry.value, applied.spec.series_cells) == ("lfp", 3)
    assert applied.spec.capacity_ah == 5.0
    with pytest.raises(BatteryOSError, match="--cells 8"):
        with_settings(analysis, BatterySettings(chemistry="lfp", cells=8))


def test_serve_reads_a_file_source_once(nmc_3s_5ah, tmp_path, monkeypatch):
    """``serve --source file://… --chemistry lfp`` reads the file to know the battery its
    options fill in; the source then replays that log, not reading the file again."""
    from app.api import server, session
    from app.hardware.logs import formats

    reads, streamed = [], []
    real_open_log = formats.open_log

    def counted(path, *args, **kwargs):
        reads.append(str(path))
        return real_open_log(path, *args, **kwargs)

    def stream_all(live):  # instead of the thread: open the source, read it to the end
        with live.source as source:
            while (block := source.read(1.0)) is not None:
                streamed.append(len(block))
        streamed.append(live.source.spec)

    monkeypatch.setattr(formats, "open_log", counted)
    monkeypatch.setattr(server.ApiServer, "wait", lambda _self: None)
    monkeypatch.setattr(session.HeadlessLiveSession, "start", stream_all)
    db = f"sqlite:///{tmp_path / 'b.db'}"
    url = f"file://{nmc_3s_5ah}"
    assert main(["--db", db, "serve", "--port", "0", "--source", url, "--chemistry", "lfp"]) == 0
    assert reads == [str(nmc_3s_5ah)]
    *blocks, spec = streamed
    assert sum(blocks) == len(real_open_log(nmc_3s_5ah).frame)  # all of it
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 3, 5.0)
