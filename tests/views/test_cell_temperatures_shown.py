"""A source that reports only its cells' temperatures (a foxBMS CAN trace's
cell_7..12_temp_c, no pack temperature_c): the Temp. plot, the Temperature tile and the
cursor read-out show the hottest cell's at each sample, and say so; a source with the
pack's temperature is shown as before."""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.views.live_plots import PlotKey
from app.views.readouts import ReadoutKey

from .plot_data import original
from .test_dashboard import snapshot_of

NOTE = "hottest of 3 cell sensors"


def cell_temperature_snapshot(n: int = 200) -> dict[str, np.ndarray]:
    """The dashboard's usual pack without ``temperature_c``, with three cell sensors
    (numbered 7-9, as a foxBMS trace's) taking turns at being the hottest, and a sample
    none of them reads."""
    snap = snapshot_of(0, n)
    del snap[schema.TEMPERATURE]
    k = np.arange(n, dtype=float)
    for j, sensor in enumerate((7, 8, 9)):
        reading = 25.0 + 3.0 * np.sin(k / 20.0 + 2.1 * j)
        reading[n // 2] = np.nan  # one sample no sensor reads
        if sensor == 8:
            reading[n - 1] = np.nan  # the newest: two of three read
        snap[schema.cell_temperature_column(sensor)] = reading
    return snap


def hottest(snap: dict[str, np.ndarray]) -> np.ndarray:
    cells = np.stack([snap[c] for c in schema.cell_temperature_columns(snap)])
    out = np.full(cells.shape[1], np.nan)
    read = np.isfinite(cells).any(axis=0)
    out[read] = np.nanmax(cells[:, read], axis=0)
    return out


def test_only_cell_temperatures_show_the_hottest_and_say_so(dashboard):
    snap = cell_temperature_snapshot()
    expected = hottest(snap)
    dashboard.show_frame(snap)
    plots = dashboard.plots
    # the plot: the hottest cell at each sample (NaN where none reads), not "no temperature"
    x, y = original(plots.curves[schema.TEMPERATURE])
    np.testing.assert_array_equal(x, snap[schema.TIME])
    np.testing.assert_array_equal(y, expected)
    assert np.isnan(y[100])
    assert not plots.notes[PlotKey.TEMPERATURE].isVisible()
    assert [label.text for _, label in plots.temperature_legend.items] == [NOTE.capitalize()]
    # the tile: the newest sample's hottest of the two sensors that read, and the words
    tile = dashboard.readouts.readouts[ReadoutKey.TEMPERATURE]
    newest = max(snap["cell_7_temp_c"][-1], snap["cell_9_temp_c"][-1])
    assert dashboard.readouts.text_of(ReadoutKey.TEMPERATURE) == f"{newest:.1f}"
    assert tile.detail_label.text() == NOTE
    # the cursor read-out: the same value, said to be the hottest cell's
    plots.crosshair.show_at(37.0)
    assert f"{expected[37]:.1f} °C ({NOTE})" in dashboard.cursor_label.text()
    # nothing derived went into the samples shown
    assert schema.TEMPERATURE not in plots.shown


def test_a_source_with_the_pack_temperature_is_unchanged(dashboard):
    snap = snapshot_of(0, 200)
    # cell sensors too, hotter than the pack: the pack's temperature is still shown
    snap["cell_1_temp_c"] = snap[schema.TEMPERATURE] + 10.0
    dashboard.show_frame(snap)
    plots = dashboard.plots
    np.testing.assert_array_equal(
        original(plots.curves[schema.TEMPERATURE])[1], snap[schema.TEMPERATURE]
    )
    assert plots.temperature_legend.items == []
    tile = dashboard.readouts.readouts[ReadoutKey.TEMPERATURE]
    assert tile.value_label.text() == f"{snap[schema.TEMPERATURE][-1]:.1f}"
    assert tile.detail_label.text() == ""
    plots.crosshair.show_at(37.0)
    text = dashboard.cursor_label.text()
    assert f"{snap[schema.TEMPERATURE][37]:.1f} °C" in text
    assert "hottest" not in text


def test_the_next_source_forgets_the_hottest_cell_legend(dashboard):
    dashboard.show_frame(cell_temperature_snapshot())
    assert dashboard.plots.temperature_legend.items
    dashboard.clear()
    dashboard.show_frame(snapshot_of(0, 50))
    assert dashboard.plots.temperature_legend.items == []
    assert dashboard.readouts.readouts[ReadoutKey.TEMPERATURE].detail_label.text() == ""
