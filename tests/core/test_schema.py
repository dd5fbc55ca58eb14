import numpy as np
import pandas as pd
import pytest

from app.core.errors import SchemaError
from app.core.schema import cell_voltage_columns, validate_samples


def frame(**cols):
    base = {"time_s": [0.0, 1.0, 2.0], "voltage_v": [3.7, 3.7, 3.6], "current_a": [0.0, -1.0, -1.0]}
    base.update(cols)
    return pd.DataFrame(base)


def test_valid_frame_passes_and_becomes_float():
    out = validate_samples(frame(cycle_index=[1, 1, 2]))
    assert out["cycle_index"].dtype == np.float64
    assert list(out["voltage_v"]) == [3.7, 3.7, 3.6]


def test_missing_column_is_named():
    with pytest.raises(SchemaError, match="missing required column.*current_a"):
        validate_samples(frame().drop(columns=["current_a"]), origin="x.csv")


def test_non_numeric_value_names_line_and_column():
    df = frame(voltage_v=["3.7", "oops", "3.6"])
    # header is line 1, first row line 2, so the second row is line 3
    with pytest.raises(
        SchemaError, match=r"x.csv: line 3, column voltage_v: 'oops' is not a number"
    ):
        validate_samples(df, origin="x.csv")


def test_time_going_backwards_is_reported_with_line():
    with pytest.raises(
        SchemaError, match=r"line 4, column time_s: time goes backwards \(5 s then 4 s\)"
    ):
        validate_samples(frame(time_s=[0.0, 5.0, 4.0]), origin="x.csv")


def test_empty_frame_is_an_error():
    with pytest.raises(SchemaError, match="no samples"):
        validate_samples(frame().iloc[:0])


def test_unknown_columns_are_kept_untouched():
    out = validate_samples(frame(note=["a", "b", "c"]))
    assert list(out["note"]) == ["a", "b", "c"]


def test_cell_columns_sorted_numerically():
    assert cell_voltage_columns(["cell_10_v", "cell_2_v", "cell_1_v", "voltage_v"]) == [
        "cell_1_v",
        "cell_2_v",
        "cell_10_v",
    ]


@pytest.mark.parametrize(
    ("cols", "message"),
    [
        (
            {"voltage_v": [3.7, 1e308, 3.6]},
            r"line 3, column voltage_v: 1e\+308 is not a plausible value",
        ),
        (
            {"current_a": [0.0, float("inf"), 0.0]},
            r"line 3, column current_a: inf is not a plausible",
        ),
        ({"cell_2_v": [3.7, 3.7, -2e4]}, r"line 4, column cell_2_v"),
        ({"time_s": [1.0, 1.0, 1.0]}, "too few samples"),
        # a corrupt counter: a negative cycle gave a negative end-of-life cycle, 1e300
        # one wrapped to -9.2e18 as an integer
        ({"cycle_index": [1.0, -1.0, 1.0]}, r"line 3, column cycle_index: -1 is not a plausible"),
        ({"step_index": [1.0, 1e300, 1.0]}, r"line 3, column step_index"),
        # a corrupt time column: the diagnostics' dt**2 would overflow to NaN
        ({"time_s": [0.0, 1.0, 1e300]}, r"line 4, column time_s: 1e\+300 s is more than 100 years"),
        ({"time_s": [5e9, 5e9 + 1, 5e9 + 3.2e9]}, "line 4, column time_s"),
        ({"voltage_v": [float("nan")] * 3}, "column voltage_v has no values"),
    ],
)
def test_implausible_or_unusable_data_is_rejected(cols, message):
    with pytest.raises(SchemaError, match=message):
        validate_samples(frame(**cols), origin="x.csv")


def test_the_callers_frame_is_left_as_it_was():
    df = pd.DataFrame(
        {"time_s": [0, 1], "voltage_v": ["3.7", "3.8"], "current_a": [1.0, 1.0], "note": [7, 8]}
    )
    out = validate_samples(df)
    assert list(df["voltage_v"]) == ["3.7", "3.8"] and df["time_s"].dtype.kind == "i"
    out.loc[0, "current_a"] = 5.0
    out.loc[0, "note"] = 9
    assert df.loc[0, "current_a"] == 1.0 and df.loc[0, "note"] == 7


def test_series_cells_from_the_cell_columns_or_the_pack_voltage():
    import numpy as np
    import pandas as pd

    from app.core.schema import series_cells_in

    t = np.arange(5.0)
    four = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": 13.2 + 0 * t,
            **{f"cell_{k}_v": 3.3 + 0 * t for k in range(1, 5)},
        }
    )
    assert series_cells_in(four) == 4
    # a CAN log that decodes 4 of the 16 cells of a 52.8 V pack
    partial = four.assign(voltage_v=52.8 + 0 * t)
    assert series_cells_in(partial) == 16
    # rows without a cell reading (frames not yet seen) are left out
    partial.loc[0, [f"cell_{k}_v" for k in range(1, 5)]] = np.nan
    assert series_cells_in(partial) == 16
    assert series_cells_in(pd.DataFrame({"time_s": t, "voltage_v": 3.3 + 0 * t})) == 0
