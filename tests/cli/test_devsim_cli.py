"""``batteryos devsim`` and ``batteryos record serial://...`` end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas  # noqa: F401 - imported up front: the recorder imports it at the first sample
import pytest

from app.cli import main
from app.hardware.devsim import DEVICE_SIMULATORS, start_device
from app.hardware.logs.canonical_csv import read_canonical_csv
from app.hardware.registry import create_source
from tests.hardware.source_contract import read_samples

ROOT = Path(__file__).resolve().parents[2]
CAN_DEVICES = ("pylontech", "foxbms")
SERIAL_DEVICES = sorted(set(DEVICE_SIMULATORS) - set(CAN_DEVICES))
#: Seconds a `devsim` child may take to send samples, and to stop after Ctrl-C: each wait
#: ends as soon as what it waits for happens, so a generous bound costs nothing on an idle
#: machine and keeps a loaded one (a CI run beside others) from failing the test.
CHILD_WAIT_S = 120.0
#: The battery `devsim` simulates by default (lfp, 4 cells, the preset's 2.5 Ah): a BMS's
#: URL must say it for `record` (the device does not).
BATTERY = "&chemistry=lfp&cells=4&capacity_ah=2.5"


@contextmanager
def devsim_child(*args: str):
    """``batteryos devsim ARGS`` in a child process started with SIGINT ignored, and the
    URL it printed; Ctrl-C (SIGINT) at the end. Its exit code and stderr are in the
    yielded dict once it ended."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "devsim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # as a shell without job control starts a background job: SIGINT ignored, which
        # Ctrl-C (SIGINT) must stop all the same
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    ended: dict = {}
    try:
        ended["url"] = proc.stdout.readline().strip()  # waits for the line: no deadline to miss
        yield ended
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, ended["stderr"] = proc.communicate(timeout=CHILD_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()  # leave no process behind, and say so
            proc.communicate()
            raise
        ended["returncode"] = proc.returncode


@pytest.mark.parametrize("name", SERIAL_DEVICES)
def test_record_a_simulated_device_headless(name, tmp_path, capsys):
    out = tmp_path / f"{name}.csv"
    with start_device(name, period_s=0.02, speed=1.0) as dev:
        rc = main(["record", dev.url + BATTERY, "--duration", "1.5", "-o", str(out)])
    assert rc == 0, capsys.readouterr().err
    frame = read_canonical_csv(str(out)).frame
    assert len(frame) >= 3
    assert frame["voltage_v"].between(10, 16).all()  # 4 LFP cells
    assert frame["time_s"].is_monotonic_increasing
    assert "recorded" in capsys.readouterr().out


def test_record_a_port_of_garbage_is_one_clear_line(tmp_path, capsys):
    from tests.hardware.serial.test_robustness import GarbageDevice

    with GarbageDevice(period_s=0.01) as dev:
        url = dev.url + "&timeout_s=0.3" + BATTERY
        rc = main(["record", url, "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "no valid VE.Direct block" in err
    assert "Traceback" not in err


def test_record_a_missing_port_is_one_clear_line(capsys):
    url = "serial:///dev/does-not-exist?protocol=jk" + BATTERY
    rc = main(["record", url, "-o", "/dev/null"])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot open /dev/does-not-exist" in err


def test_devsim_prints_a_url_that_works_and_stops_on_interrupt():
    with devsim_child("jk", "--period", "0.02", "--cells", "8") as child:
        url = child["url"]
        assert url.startswith("serial:///dev/") and url.endswith("?protocol=jk")
        with create_source(url) as source:
            blocks = read_samples(source, 3, timeout_s=CHILD_WAIT_S)
        assert sum(map(len, blocks)) >= 3
        assert "cell_8_v" in blocks[-1].columns
    assert child["returncode"] == 130 and "interrupted" in child["stderr"]
    # the battery `record` needs with the URL (the BMS does not say it): the simulated one
    battery = f"batteryos record '{url}&chemistry=lfp&cells=8&capacity_ah=2.5'"
    assert battery in child["stderr"]


def test_devsim_pylontech_is_reachable_from_another_process_over_slcan():
    with devsim_child("pylontech", "--cells", "8") as child:
        url = child["url"]
        assert url.startswith("can://slcan/dev/") and "protocol=pylontech" in url
        with create_source(url) as source:
            blocks = read_samples(source, 2, timeout_s=CHILD_WAIT_S)
        assert sum(map(len, blocks)) >= 2
        v = blocks[-1]["voltage_v"][-1]
        assert 8 * 2.5 < v < 8 * 3.65  # 8 LFP cells
    assert child["returncode"] == 130 and "interrupted" in child["stderr"]


def test_devsim_foxbms_needs_its_log_and_dbc(capsys):
    assert main(["devsim", "foxbms"]) == 2
    assert "--replay" in capsys.readouterr().err


def test_devsim_foxbms_finds_the_dbc_beside_its_log_as_analyze_does(tmp_path, capsys):
    """`devsim foxbms --replay foxbms_test_log.txt` asked for --dbc, which `analyze
    foxbms_test_log.txt` finds beside the log by itself."""
    from tests.real_data import REAL_DATA

    if REAL_DATA is None:
        pytest.skip("real data folder not present")
    log = REAL_DATA / "can" / "foxbms_test_log.txt"
    device = start_device("foxbms", replay=str(log), interface="virtual")
    try:
        assert f"dbc={REAL_DATA / 'can' / 'foxbms.dbc'}" in device.url
    finally:
        device.stop()
    alone = tmp_path / "foxbms_test_log.txt"  # no DBC beside it
    alone.write_bytes(log.read_bytes())
    assert main(["devsim", "foxbms", "--replay", str(alone)]) == 2
    err = capsys.readouterr().err
    assert "no DBC beside" in err and "give --dbc DBC" in err


def _sample_times(csv) -> int:
    """The distinct sample times written to a canonical CSV so far (frames read from
    the port in one go share their arrival time)."""
    if not csv.exists():
        return 0
    lines = [line for line in csv.read_text().splitlines() if line and line[0] != "#"]
    return len({line.split(",")[0] for line in lines[1:]})


def test_record_keeps_what_came_before_a_device_vanishes(tmp_path, capsys):
    import threading

    from tests.hardware.serial.test_robustness import wait_until

    out = tmp_path / "lost.csv"
    dev = start_device("vedirect", period_s=0.02)
    result = {}
    recorder = threading.Thread(
        target=lambda: result.update(
            rc=main(["record", dev.url + BATTERY, "--duration", "12", "-o", str(out)])
        )
    )
    # the recording outlasts wait_until's 10 s: the device always vanishes mid-recording
    # (a 2 s recording could end on its own first on a loaded machine, rc 0)
    recorder.start()
    try:
        assert wait_until(lambda: _sample_times(out) >= 3)
    finally:
        dev.stop()  # the adapter is pulled out while recording
        recorder.join(30)
    err = capsys.readouterr().err
    assert result["rc"] == 1
    assert "stopped working" in err and "(reconnecting)" in err and "Traceback" not in err
    frame = read_canonical_csv(str(out)).frame
    assert len(frame) >= 3 and frame["voltage_v"].notna().all()


def test_record_counts_down_to_each_reconnect_and_says_when_it_is_back(tmp_path, capsys):
    import re
    import threading

    from tests.hardware.serial.test_robustness import wait_until

    link, out = tmp_path / "ttyUSB0", tmp_path / "replug.csv"

    def plug():
        dev = start_device("vedirect", period_s=0.02)
        tmp = tmp_path / "new-link"
        tmp.symlink_to(dev.port)
        os.replace(tmp, link)
        return dev

    devices = [plug()]
    url = f"serial://{link}?protocol=vedirect{BATTERY}"
    result, err = {}, []
    recorder = threading.Thread(
        target=lambda: result.update(rc=main(["record", url, "--duration", "15", "-o", str(out)]))
    )
    recorder.start()

    def stderr_has(pattern: str) -> bool:
        err.append(capsys.readouterr().err)
        return re.search(pattern, "".join(err)) is not None

    try:
        assert wait_until(lambda: out.exists() and out.stat().st_size > 0)
        devices[0].stop()  # unplugged: the next attempts find no port
        assert wait_until(lambda: stderr_has(r"reconnecting in [\d.]+ s \(attempt 2\)"))
        devices.append(plug())  # plugged in again under the same name
        assert wait_until(lambda: stderr_has("reconnected"))
    finally:
        recorder.join(30)
        for dev in devices:
            dev.stop()
    text = "".join(err) + capsys.readouterr().err
    assert result["rc"] == 0 and "Traceback" not in text
    lines = text.splitlines()
    countdown = [line for line in lines if "reconnecting in" in line]
    # the time left to the attempt (0.5 s, 1 s, 2 s, ... less what passed): to the
    # tenth below a second, in whole seconds above
    pattern = re.compile(r"batteryos: reconnecting in (0\.[1-9]|[1-9]\d*) s \(attempt (\d+)\)")
    attempts = [int(pattern.fullmatch(line).group(2)) for line in countdown]
    assert 2 in attempts and attempts == sorted(set(attempts))  # one line per attempt
    assert lines.index(countdown[-1]) < lines.index(
        "batteryos: reconnected (the time in between stays a gap)"
    )


def test_ctrl_c_while_reconnecting_ends_the_recording_cleanly(tmp_path):
    """A real pty device pulled out, then Ctrl-C (SIGINT) to ``record`` while it counts
    down to the next attempt: the user's stop, not a fault (was exit 1, "source ended in
    a fault"): what came before is saved, exit 0, said to be stopped while reconnecting."""
    import threading

    from tests.hardware.serial.test_robustness import wait_until

    out = tmp_path / "stopped.csv"
    dev = start_device("vedirect", period_s=0.02)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "record", dev.url + BATTERY, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: _sample_times(out) >= 3, CHILD_WAIT_S)
        dev.stop()  # unplugged: record counts down to its attempts
        assert wait_until(lambda: any("reconnecting in" in ln for ln in err), CHILD_WAIT_S)
        proc.send_signal(signal.SIGINT)
        # (not communicate(): it would read stderr too, racing the reader thread)
        proc.wait(timeout=CHILD_WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        dev.stop()
    reader.join(5)
    stdout = proc.stdout.read()
    text = "".join(err)
    assert proc.returncode == 0, text
    assert "stopped while reconnecting (the source had failed: " in text
    assert "source ended in a fault" not in text and "Traceback" not in text
    assert "recorded" in stdout
    frame = read_canonical_csv(str(out)).frame
    assert len(frame) >= 2 and frame["voltage_v"].notna().all()
