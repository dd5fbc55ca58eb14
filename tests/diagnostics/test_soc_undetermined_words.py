"""What the SOC card says places an SOC that cannot be determined must be true of the log:
the Arbin A123 LFP cell's fast charge steps 6.6 A -> 1.1 A at 3.2 min, on LFP's flat
plateau, and stays ±38 % to its end, while the card said "a rest or a change of the
current places it"."""

from __future__ import annotations

import numpy as np
import pytest

from app.core import schema
from app.diagnostics.soc import calculate_soc, soc_undetermined_why
from app.views.log_analysis import open_analysis
from tests.real_data import REAL_DATA


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_a_step_on_a_flat_ocv_is_not_said_to_place_the_soc():
    analysis = open_analysis(str(REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33.csv"))
    frame, spec = analysis.frame, analysis.spec
    current = frame[schema.CURRENT].to_numpy(float)
    assert current[:10].mean() > 6 and current[-10:].mean() == pytest.approx(1.1, abs=0.05)
    assert np.any(np.abs(np.diff(current)) > 4)  # the step: a change of the current
    result, _ = calculate_soc(frame, spec)
    soc = result.to_dict()
    assert soc["initialisation"] == "load" and soc["final_soc_sigma_percent"] > 15
    why = soc_undetermined_why(soc)
    # the step happened and did not place it: the words say where a step does
    assert "where the cells' OCV curve is steep, not on a flat part of it" in why
