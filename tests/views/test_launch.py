"""run_gui, the one entry point: screenshots, exit codes, and a cheap start-up path."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.views import screenshot as screenshot_module
from app.views.launch import DEMO_SOURCE_URL, SCREENSHOT_SIZE, run_gui


@pytest.fixture
def png(tmp_path):
    return tmp_path / "shot.png"


def test_screenshot_waits_for_live_data(qapp, png, private_dirs, capsys):
    code = run_gui(source_url="scripted://pack?n=0&block=50&interval=0.005", screenshot=str(png))
    assert code == 0, capsys.readouterr().err
    image = QImage(str(png))
    assert not image.isNull()
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert png.stat().st_size > 10_000
    # a screenshot run leaves the user's settings and layout alone
    assert not (private_dirs / "config" / "settings.json").exists()
    assert not (private_dirs / "config" / "window.ini").exists()


def test_demo_screenshot_of_the_simulated_pack(qapp, png, capsys):
    assert DEMO_SOURCE_URL.startswith("sim://")
    assert run_gui(demo=True, screenshot=str(png), theme="light") == 0, capsys.readouterr().err
    assert png.stat().st_size > 10_000


def test_screenshot_without_a_source_shows_home(qapp, png):
    assert run_gui(screenshot=str(png)) == 0
    assert png.stat().st_size > 0


def test_no_data_within_the_timeout_exits_1_with_the_reason(qapp, png, capsys, monkeypatch):
    monkeypatch.setattr(screenshot_module, "TIMEOUT_S", 1.0)
    assert run_gui(source_url="failing://port", screenshot=str(png)) == 1
    err = capsys.readouterr().err
    assert "no live data was drawn within 1 s" in err
    assert "no battery answers on this port" in err
    assert not png.exists()


def test_bad_source_url_exits_2(qapp, png, capsys):
    assert run_gui(source_url="nosuch://x", screenshot=str(png)) == 2
    assert "unknown source scheme" in capsys.readouterr().err


def test_unwritable_screenshot_path_exits_2(qapp, tmp_path, capsys):
    assert run_gui(demo=True, screenshot=str(tmp_path / "no" / "dir" / "x.png")) == 2
    assert "no such directory" in capsys.readouterr().err


def test_no_display_is_a_clear_error_not_an_abort(monkeypatch, capsys):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert run_gui(demo=True) == 2
    assert "no display" in capsys.readouterr().err


def _imported_after(code: str, main_thread: bool = False) -> dict:
    """Which of the heavy packages ``code`` imported: all of them, or with
    ``main_thread`` those the main (GUI) thread imported itself (a background worker
    may import storage's while the window runs: the audit hook's "import" events say
    which thread loaded what, so the verdict does not depend on the worker's pace)."""
    hook = (
        "import threading\n"
        "on_main = set()\n"
        "def _hook(event, args):\n"
        "    if event == 'import' and threading.current_thread() is threading.main_thread():\n"
        "        on_main.add(args[0].split('.')[0])\n"
        "sys.addaudithook(_hook)\n"
    )
    loaded = "m in on_main" if main_thread else "m in sys.modules"
    probe = (
        "import json, sys\n"
        f"{hook if main_thread else ''}"
        f"{code}\n"
        "mods = ('PySide6', 'pyqtgraph', 'pandas', 'sqlalchemy', 'alembic')\n"
        f"print(json.dumps({{m: {loaded} for m in mods}}))\n"
    )
    # generous: the probe starts a window and a live source, and the suite may share
    # the machine with other work; a failure shows the probe's own output
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"probe exited {out.returncode}:\n{out.stderr[-2000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_entry_point_imports_no_gui():
    imported = _imported_after("import app.views.launch")
    assert not any(imported.values()), imported


def test_the_window_starts_without_pandas_or_sqlalchemy():
    imported = _imported_after(
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.core.settings import Settings\n"
        "from app.views.live_session import LiveSession\n"
        "from app.views.main_window import MainWindow\n"
        "w = MainWindow(Settings(), LiveSession(), persist=False)\n"
        "w.show(); w.grab()\n"
        "w.connect_source('sim://nmc?cells=4'); w.grab(); w.session.stop()",
        main_thread=True,
    )
    # (the alert thresholds are loaded from storage by a background worker when a
    # source connects: it may import SQLAlchemy meanwhile, never the GUI thread)
    assert imported["PySide6"] and imported["pyqtgraph"]
    assert not imported["pandas"] and not imported["sqlalchemy"] and not imported["alembic"]


def test_short_finite_source_is_pictured_when_it_ends(qapp, png, capsys):
    # 40 samples, far fewer than the screenshot waits for: the end of the data counts
    code = run_gui(source_url="scripted://pack?n=40&block=40", screenshot=str(png))
    assert code == 0, capsys.readouterr().err
    assert png.stat().st_size > 0


def test_the_demo_battery_has_a_bms_reporting_its_soc():
    """The dashboard's SOC plot shows the BMS's own SOC beside the estimate: the
    demo pack must report one."""
    from app.hardware.registry import create_source

    with create_source(DEMO_SOURCE_URL.replace("speed=20", "speed=0")) as source:
        block = source.read(1.0)
    assert "soc_reported_pct" in block and np.isfinite(block["soc_reported_pct"]).all()


def test_an_ocv_table_that_cannot_be_read_exits_2(qapp, png, capsys, tmp_path):
    # the table is read in the background: the refusal comes once the loop runs
    missing = tmp_path / "nowhere.csv"
    assert run_gui(source_url=f"sim://nmc?ocv_table={missing}", screenshot=str(png)) == 2
    assert f"OCV table {missing}: no such file" in capsys.readouterr().err
    assert not png.exists()
