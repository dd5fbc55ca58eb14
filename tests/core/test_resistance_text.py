"""One way to write a resistance for people (app.core.resistance_text): the report's
findings and the Diagnostics page write the same value the same."""

import pytest

from app.core.resistance_text import resistance_text


@pytest.mark.parametrize(
    ("ohm", "text", "plain"),
    [
        (0.0203, "20.30 mΩ", "20.30 mOhm"),
        (0.00031, "0.31 mΩ", "0.31 mOhm"),
        (52.521, "52.5 Ω", "52.5 ohm"),  # a coin cell: not 52521.00 mΩ
        (-0.01912, "-19.12 mΩ", "-19.12 mOhm"),
    ],
)
def test_milliohms_below_one_ohm_ohms_above(ohm, text, plain):
    assert resistance_text(ohm) == text
    assert resistance_text(ohm, ascii=True) == plain


def test_the_report_and_the_window_write_a_resistance_alike():
    from app.reports.verdicts import _resistance
    from app.views.diagnostics_catalog import summarize

    ir = {"n_pulses": 3, "median_r_10s_cell_ohm": 0.0412, "median_r_10s_ohm": 0.0412}
    finding = _resistance(ir, None, False)
    window = summarize("internal_resistance", ir)
    assert resistance_text(0.0412) in finding.summary
    assert resistance_text(0.0412) in window.headline
