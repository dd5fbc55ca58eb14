"""``batteryos users add|list|new-key|revoke-key`` against a real database."""

from __future__ import annotations

import io

from app.cli import main


def test_users_lifecycle(db_url, capsys, monkeypatch):
    from app.storage import Database
    from app.storage.api_keys import find_user_by_api_key

    assert main(["--db", db_url, "users", "add", "ada", "--role", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("pw123\n"))
    assert main(["--db", db_url, "users", "add", "bob", "--password"]) == 0
    out = capsys.readouterr().out
    assert "ada added as admin" in out and "bob added as engineer (with password)" in out

    assert main(["--db", db_url, "users", "new-key", "ada"]) == 0
    captured = capsys.readouterr()
    key = captured.out.strip()
    assert key.startswith("bos_") and "shown once" in captured.err
    prefix = key.split("_")[1]

    with Database(db_url) as db, db.session(write=True) as session:
        assert find_user_by_api_key(session, key).name == "ada"

    assert main(["--db", db_url, "users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ada" in listing and "admin" in listing and f"key {prefix}" in listing
    assert key not in listing and "active" in listing
    assert "last used -" not in listing  # the lookup above was recorded

    assert main(["--db", db_url, "users", "revoke-key", prefix]) == 0
    assert "revoked" in capsys.readouterr().out
    with Database(db_url) as db, db.session(write=True) as session:
        assert find_user_by_api_key(session, key) is None
    main(["--db", db_url, "users", "list"])
    assert "revoked" in capsys.readouterr().out


def test_user_mistakes_are_one_line_exit_2(db_url, capsys):
    assert main(["--db", db_url, "users", "add", "ada"]) == 0
    assert main(["--db", db_url, "users", "add", "ada"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--db", db_url, "users", "new-key", "nobody"]) == 2
    assert main(["--db", db_url, "users", "revoke-key", "ffffffff"]) == 2
    err = capsys.readouterr().err
    assert "no user 'nobody'" in err and "no API key" in err and "Traceback" not in err
