"""Amounts of charge on the Diagnostics page's cards to significant digits (one helper,
:func:`app.core.number_text.charge_text`): a coin cell's "Nominal 0.006 Ah" and "Charged
0.004 Ah" (three decimals) where the Logs page says 0.0063 Ah."""

from __future__ import annotations

import math

from app.core.number_text import charge_text
from app.views.diagnostics_catalog import summarize


def test_charge_text_keeps_significant_digits_without_exponent_or_trailing_zeros():
    assert charge_text(0.0063) == "0.0063 Ah"
    assert charge_text(0.0042371) == "0.004237 Ah"
    assert charge_text(1.8421) == "1.842 Ah"
    assert charge_text(0.35) == "0.35 Ah"
    assert charge_text(280.0) == "280 Ah"
    assert charge_text(12345.6) == "12346 Ah"
    assert charge_text(-0.0121) == "-0.0121 Ah"
    assert charge_text(4.4e-11) == "0 Ah"  # float dust
    assert charge_text(None) == "n/a" and charge_text(math.nan) == "n/a"


def test_a_coin_cells_amounts_keep_their_digits_on_the_cards():
    soh = summarize("soh", {"nominal_capacity_ah": 0.0063, "capacity_ah": 0.00571})
    numbers = dict(soh.numbers)
    assert numbers["Nominal"] == "0.0063 Ah" and numbers["Capacity"] == "0.00571 Ah"
    soc = summarize(
        "soc", {"soc_percent": 40.3, "charge_in_ah": 0.0042371, "charge_out_ah": 0.00631}
    )
    numbers = dict(soc.numbers)
    assert numbers["Charged"] == "0.004237 Ah" and numbers["Discharged"] == "0.00631 Ah"
