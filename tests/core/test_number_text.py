"""number_text: NumPy scalars are numbers too (a float32 reading printed raw:
'3.700000047683716 V', a float32 NaN 'nan V'), and an int is formatted as its
docstring says."""

from __future__ import annotations

import numpy as np

from app.core.number_text import number_text


def test_numpy_scalars_are_formatted_like_python_numbers():
    assert number_text(np.float32(3.7), ".3g", " V") == "3.7 V"
    assert number_text(np.float64(3.7), ".3g", " V") == "3.7 V"
    assert number_text(np.float32("nan"), ".3g", " V") == "n/a"
    assert number_text(np.float32("inf"), ".3g", " V", missing="-") == "-"
    assert number_text(np.float32(-1e-12), ".2f", " A") == "0.00 A"
    assert number_text(np.int64(12), ".1f", " cycles") == "12.0 cycles"


def test_an_int_is_formatted_with_the_spec_and_a_bool_or_text_as_it_is():
    assert number_text(12345, ".3g") == "1.23e+04"
    assert number_text(12345, ",d", " samples") == "12,345 samples"
    assert number_text(True, ".3g") == "True"
    assert number_text(np.bool_(False), ".3g") == "False"
    assert number_text("open", ".3g", " V") == "open V"
    assert number_text(None) == "n/a"
