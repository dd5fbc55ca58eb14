"""sim:// with an OCV table measured at a stated current (``ocv_table=``,
``ocv_table_current_c=``): the table is that current's polarisation off the OCV, so the
simulated cells rest on the table less it, as the SOC filter reads it. They rested on
the table itself: the filter then took out a polarisation they do not have, and a cell
at rest at 50 % read 3 % lower."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.soc import calculate_soc
from app.hardware.registry import create_source
from tests.ocv_tables import write_ocv_table

#: a C/5 discharge (the largest current a table is taken at): 29 mV off an NMC cell's OCV
CURRENT_C = -0.2


@pytest.fixture
def table(tmp_path) -> str:
    soc, ocv = preset("nmc").ocv_table
    return write_ocv_table(tmp_path / "nmc_c5.csv", soc, ocv, fmt=".5f")


def rest_at_50(url: str) -> tuple[SampleBlock, object]:
    with create_source(url) as src:
        blocks = []
        while not src.exhausted:
            block = src.read(0.5)
            if block is not None:
                blocks.append(block)
    return SampleBlock.concat(blocks), src.spec


def test_simulated_cells_follow_the_tables_equilibrium_ocv_as_the_soc_filter_reads_it(table):
    url = (
        "sim://nmc?cells=1&profile=rest&soc=50&speed=0&duration=600&rate_hz=1"
        f"&ocv_table={table}&ocv_table_current_c={CURRENT_C}"
    )
    block, spec = rest_at_50(url)
    assert spec.ocv_table_current_c == CURRENT_C
    # the polarisation: the current times the capacity times the cell's DC resistance
    ecm = spec.ecm.for_capacity(spec.capacity_ah)
    polarisation = CURRENT_C * spec.capacity_ah * (ecm["r0_ohm"] + ecm["r1_ohm"] + ecm["r2_ohm"])
    assert polarisation == pytest.approx(-0.029, abs=1e-3)
    table_v = float(spec.cell_ocv(50.0))
    # at rest the cell is at its OCV: the discharge table's voltage less the polarisation
    np.testing.assert_allclose(block["cell_1_v"], table_v - polarisation, atol=1e-4)
    # and the SOC filter, which takes the same polarisation out, reads the true SOC
    result, _series = calculate_soc(block.to_frame(), spec)
    assert result.final_soc_percent == pytest.approx(50.0, abs=0.3)


def test_a_table_of_unstated_current_is_the_cells_ocv(table):
    block, spec = rest_at_50(
        f"sim://nmc?cells=1&profile=rest&soc=50&speed=0&duration=60&rate_hz=1&ocv_table={table}"
    )
    assert spec.ocv_table_current_c is None
    np.testing.assert_allclose(block["cell_1_v"], float(spec.cell_ocv(50.0)), atol=1e-4)
