"""``batteryos db upgrade`` recovers what a killed ``batteryos record`` left."""

from __future__ import annotations

import pytest

from app.cli import main


def test_killed_record_is_marked_interrupted_by_db_upgrade(tmp_path, capsys):
    """``batteryos record`` killed with SIGKILL; ``db upgrade`` marks its recording."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    from app.storage import Database
    from app.storage.repositories import list_recordings

    url = f"sqlite:///{tmp_path / 'rec.sqlite'}"
    main(["--db", url, "db", "upgrade"])
    child = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--db", url, "record", "sim://nmc?rate_hz=50&speed=10"],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        with Database(url) as db:
            deadline, tick = time.monotonic() + 60, threading.Event()
            while not (rows := list_recordings(db)) or rows[0].sample_count < 500:
                assert time.monotonic() < deadline and child.poll() is None
                tick.wait(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    capsys.readouterr()
    assert main(["--db", url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert f"marked recording(s) {rows[0].id} interrupted" in out
    with Database(url) as db:
        (rec,) = list_recordings(db)
    assert rec.status == "interrupted" and rec.sample_count >= 500


@pytest.mark.postgres
def test_record_goes_on_into_the_spool_while_postgresql_is_unreachable(postgres_url, capsys):
    """``batteryos record`` into PostgreSQL behind a proxy the test cuts and restores."""
    import threading
    import time

    from app.storage import Database, read_samples
    from app.storage.repositories import list_recordings
    from app.storage.spool import spool_dir
    from app.storage.testing import scratch_postgres_schema
    from tests.storage.tcp_proxy import TcpProxy

    with scratch_postgres_schema(postgres_url) as url:
        direct = Database(url)
        direct.ensure_schema()
        proxy = TcpProxy(direct.url.host or "127.0.0.1", direct.url.port or 5432)
        proxied = direct.url.set(port=proxy.port).render_as_string(hide_password=False)
        codes = []
        argv = ["--db", proxied, "record", "sim://nmc?cells=2&rate_hz=200", "--duration", "8"]
        runner = threading.Thread(target=lambda: codes.append(main(argv)), name="record")
        tick = threading.Event()

        def wait_for(predicate, what):
            deadline = time.monotonic() + 60
            while not predicate():
                assert time.monotonic() < deadline and runner.is_alive(), what
                tick.wait(0.05)

        runner.start()
        try:
            wait_for(lambda: (r := list_recordings(direct)) and r[0].sample_count > 0, "a batch")
            proxy.cut()
            wait_for(lambda: any(spool_dir().glob("*.spool")), "a spool file")
            proxy.restore()
        finally:
            runner.join(120)
            proxy.close()
        assert codes == [0]
        captured = capsys.readouterr()
        assert "database unreachable" in captured.err and "in the local spool" in captured.err
        (line,) = [x for x in captured.out.splitlines() if x.startswith("recorded ")]
        recorded = int(line.split()[1])  # "recorded N samples ..."
        (rec,) = list_recordings(direct)
        assert rec.status == "complete" and rec.sample_count == recorded
        t = read_samples(direct, rec.id)["time_s"]
        assert len(t) == recorded and (t[1:] > t[:-1]).all()  # nothing lost, in order
        assert not any(spool_dir().glob("*.spool"))
        direct.dispose()


def test_report_of_a_recording_names_a_database_not_set_up_and_a_missing_id(
    db_url, tmp_path, capsys
):
    # it said "no such table: recordings" (SQLite; PostgreSQL: 'relation "recordings"
    # does not exist')
    from app.storage import migrate

    out = tmp_path / "r.html"
    report = ["--db", db_url, "report", "recording:999", "-o", str(out)]
    assert main(report) == 2
    err = capsys.readouterr().err
    assert "has no Battery OS tables: run `batteryos --db " in err and " db upgrade`" in err
    assert "no such table" not in err and len(err.strip().splitlines()) == 1
    assert migrate.current_revision(db_url) is None  # a report does not create tables
    assert main(["--db", db_url, "db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(report) == 2
    err = capsys.readouterr().err
    assert "error: no recording 999 in " in err and len(err.strip().splitlines()) == 1
    migrate.downgrade(db_url, "0002")  # the tables of an older Battery OS
    assert main(report) == 2
    assert "the schema of an older Battery OS (revision 0002)" in capsys.readouterr().err
    assert not out.exists()
