"""The Home page's "Simulated battery": what a first-time user sees of it. Its 1C discharge
from an unknown start read 'cannot be determined' (±28 %) for over 15 minutes: honest (one
steady current does not tell the OCV from the drop across the resistance), but a poor first
look. It is now a pack on a drive from a standstill: its SOC is placed at once."""

from __future__ import annotations

import re

from app.views.main_window import Page
from app.views.readouts import ReadoutKey


def test_the_simulated_battery_shows_a_placed_soc_from_its_first_samples(qtbot, make_window):
    window = make_window()
    window.home.simulated_button.click()
    qtbot.waitUntil(lambda: window.session.running)
    assert window.current_page is Page.DASHBOARD
    tile = window.dashboard.readouts.readouts[ReadoutKey.SOC]
    qtbot.waitUntil(lambda: window.session.status.samples_total >= 20, timeout=20_000)
    qtbot.waitUntil(lambda: tile.detail_label.text() != "", timeout=10_000)
    # a number, with a band narrow enough to mean something: not 'cannot be determined'
    detail = tile.detail_label.text()
    assert tile.value_label.text() != "—", detail
    band = re.fullmatch(r"estimated ±([0-9.]+) % \(2σ\)", detail)
    assert band is not None and float(band.group(1)) < 10.0, detail
