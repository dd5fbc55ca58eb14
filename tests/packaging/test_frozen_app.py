"""The frozen one-folder app (packaging/build.sh) runs --version, analyze and
gui --screenshot without the project's Python. Slow: it builds the app."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from app import __version__

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> pathlib.Path:
    if shutil.which("bash") is None:
        pytest.skip("packaging/build.sh needs bash")
    pytest.importorskip("PyInstaller")
    dist = tmp_path_factory.mktemp("dist")
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "BATTERYOS_BUILD_DIR": str(tmp_path_factory.mktemp("build")),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), str(dist)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    exe = dist / "batteryos" / ("batteryos.exe" if sys.platform == "win32" else "batteryos")
    assert exe.is_file()
    return exe


def _run(exe: pathlib.Path, *args: str, tmp_path: pathlib.Path, timeout: float = 180):
    # a clean environment: no PYTHONPATH or virtualenv to lean on
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "BATTERYOS_CONFIG_DIR": str(tmp_path / "config"),
        "BATTERYOS_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_frozen_version(frozen, tmp_path):
    result = _run(frozen, "--version", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"batteryos {__version__}"


def test_frozen_simulate_and_analyze(frozen, tmp_path):
    log = tmp_path / "pack.csv"
    result = _run(
        frozen,
        "simulate",
        "--cells",
        "4",
        "--duration",
        "7200",
        "--profile",
        "cycle",
        "-o",
        str(log),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    result = _run(frozen, "analyze", str(log), "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["results"]) >= {"soc", "soh", "faults", "cycle_life"}
    assert 0 <= report["results"]["soc"]["final_soc_percent"] <= 100
    bad = _run(frozen, "analyze", str(tmp_path / "missing.csv"), tmp_path=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_frozen_gui_screenshot_and_database(frozen, tmp_path):
    shot = tmp_path / "shot.png"
    result = _run(frozen, "gui", "--demo", "--screenshot", str(shot), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert shot.read_bytes().startswith(b"\x89PNG")
    # the bundled Alembic migrations create the schema
    url = f"sqlite:///{tmp_path / 'bos.sqlite'}"
    result = _run(frozen, "--db", url, "db", "upgrade", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "at revision" in result.stdout
