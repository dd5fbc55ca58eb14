"""Cell balance on real logs (read-only fixtures, see tests/real_data.py)."""

from __future__ import annotations

import pytest

from app.core import schema
from app.core.spec import preset
from app.diagnostics import check_cell_balance
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def test_a_can_log_with_a_few_of_the_cells_says_so():
    # foxBMS 2 CAN log (its DBC beside it): 4 cell voltages decoded, the pack reads
    # ~389 V at 4.055 V a cell: 96 in series
    frame = open_log(str(REAL_DATA / "can" / "foxbms_test_log.txt")).frame
    cells = schema.series_cells_in(frame)
    assert cells == 96 and len(schema.cell_voltage_columns(frame.columns)) == 4
    result = check_cell_balance(frame, preset("nmc", series_cells=cells, capacity_ah=50.0))
    assert result.cells == 4 and result.status == "ok"
    assert result.recommendation == (
        "cells balanced: no action needed (judged on the 4 of 96 series cells in the data)"
    )
