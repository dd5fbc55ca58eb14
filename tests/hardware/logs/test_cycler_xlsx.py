"""Arbin and Neware XLSX exports (and Neware's flat CSV), written from the real CSV exports' rows."""

import csv

import numpy as np
import pytest

from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def _number(cell: str):
    try:
        return float(cell)
    except ValueError:
        return cell or None


def test_arbin_xlsx_reads_the_channel_sheet_like_the_csv(tmp_path):
    from openpyxl import Workbook

    src = REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33.csv"
    rows = list(csv.reader(src.open()))
    wb = Workbook()
    wb.active.title = "Global_Info"
    wb.active.append(["TEST REPORT"])
    ws = wb.create_sheet("Channel_1-033")
    ws.append(rows[0])
    for row in rows[1:]:
        ws.append([_number(c) for c in row])
    path = str(tmp_path / "arbin.xlsx")
    wb.save(path)
    from_xlsx, from_csv = open_log(path), open_log(str(src))
    assert from_xlsx.metadata["format"] == "Arbin export"
    for col in ("time_s", "voltage_v", "current_a", "temperature_c", "charge_capacity_ah"):
        np.testing.assert_allclose(from_xlsx.frame[col], from_csv.frame[col])
    assert from_xlsx.metadata["start_utc"] == from_csv.metadata["start_utc"]


def test_neware_flat_record_sheet_and_csv(tmp_path):
    from openpyxl import Workbook

    src = REAL_DATA / "neware/nw_regular_export_ife_example.csv"
    wb = Workbook()
    ws = wb.active
    ws.title = "record"
    ws.append(
        ["DataPoint", "Cycle Index", "Step Index", "Step Type", "Time", "Total Time",
         "Current(mA)", "Voltage(V)", "Capacity(mAh)", "Energy(Wh)", "Date", "T1(°C)"]
    )  # fmt: skip
    cycle = step = kind = None
    n = 0
    for row in csv.reader(src.open()):
        if row[0] and row[0][0].isdigit():
            cycle = int(row[0])
            if len(row) > 8 and row[8]:
                step, kind = int(row[8]), row[10]
        elif not row[0] and row[1] and row[1][0].isdigit():
            step, kind = int(row[1]), row[3]
        elif not row[0] and not row[1] and row[2].isdigit() and n < 2000:
            ws.append(
                [int(row[2]), cycle, step, kind, row[3], row[4], float(row[5]) * 1000,
                 float(row[6]), float(row[7]) * 1000, float(row[8]), row[9], float(row[12])]
            )  # fmt: skip
            n += 1
    path = str(tmp_path / "neware.xlsx")
    wb.save(path)
    flat_csv = tmp_path / "neware_flat.csv"
    with flat_csv.open("w", newline="") as fh:
        csv.writer(fh).writerows(ws.iter_rows(values_only=True))
    nested = open_log(str(src)).frame.iloc[:n]
    for flat in (open_log(path), open_log(str(flat_csv))):
        assert flat.metadata["format"] == "Neware export"
        for col in ("time_s", "voltage_v", "current_a", "cycle_index", "discharge_capacity_ah"):
            np.testing.assert_allclose(flat.frame[col], nested[col], atol=1e-9)
        assert flat.metadata["start_utc"] == "2026-03-06T12:37:25+00:00"
