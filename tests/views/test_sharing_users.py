"""Sharing dialog: a user is added and an API key made where keys are made, as
``batteryos users add`` / ``users new-key`` do; what stops a key is said (no user yet,
the database not reachable). On SQLite and PostgreSQL (``BATTERYOS_TEST_POSTGRES_URL``)."""

from __future__ import annotations

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"


def _database(url):
    from app.storage.database import Database

    db = Database(url)
    db.ensure_schema()
    return db


def test_a_user_added_in_sharing_gets_a_key_only_its_hash_kept(qtbot, make_window, db_url):
    from app.storage import repositories as repo
    from app.storage.api_keys import find_user_by_api_key, list_api_keys

    window = make_window(db_url=db_url)
    dialog = window.show_sharing()
    note = dialog.users_note
    qtbot.waitUntil(lambda: "No users yet" in note.text(), timeout=20_000)
    assert dialog.selected_user() is None
    dialog.new_key.click()  # not silently nothing: why there is no key
    assert "a key belongs to a user" in note.text() and note.objectName() == "errorText"
    assert not dialog.key.text()

    dialog.user_name.setText("  ada ")
    dialog.user_role.setCurrentText("viewer")
    dialog.user_password.setText("s3cret")
    dialog.user_password_again.setText("s3cre")
    dialog.add_user.click()
    assert "the passwords differ" in note.text()  # nothing stored
    dialog.user_password_again.setText("s3cret")
    dialog.add_user.click()
    qtbot.waitUntil(lambda: dialog.selected_user() == "ada", timeout=20_000)
    assert dialog.users.currentText() == "ada · viewer"
    assert "User ada added as viewer with a password" in note.text()
    assert not dialog.user_name.text() and not dialog.user_password.text()

    dialog.new_key.click()
    qtbot.waitUntil(lambda: dialog.key.text().startswith("bos_"), timeout=20_000)
    key = dialog.key.text()
    assert "shown once" in note.text() and "revoke-key" in note.text()

    db = _database(db_url)
    try:
        user = repo.authenticate_user(db, "ada", "s3cret")  # the CLI's password hashing
        assert str(user.role) == "viewer" and user.password_hash.startswith("scrypt$")
        (row, name), *others = list_api_keys(db)
        assert not others and name == "ada" and key not in row.key_hash
        assert row.prefix in note.text()
        with db.session(write=True) as session:
            assert find_user_by_api_key(session, key).name == "ada"
    finally:
        db.dispose()

    dialog.user_name.setText("ada")
    dialog.add_user.click()
    qtbot.waitUntil(lambda: "already exists" in note.text(), timeout=20_000)
    dialog.close()
    assert not dialog.key.text()  # shown once: gone when the dialog closes
    window.show_sharing()
    qtbot.waitUntil(lambda: dialog.selected_user() == "ada", timeout=20_000)
    assert not dialog.key.text()


def test_users_added_from_the_command_line_are_listed_when_opened_again(qtbot, make_window, db_url):
    from app.storage import repositories as repo

    window = make_window(db_url=db_url)
    dialog = window.show_sharing()
    qtbot.waitUntil(lambda: "No users yet" in dialog.users_note.text(), timeout=20_000)
    dialog.close()
    db = _database(db_url)
    try:
        repo.create_user(db, "grace", "admin")  # batteryos users add grace --role admin
    finally:
        db.dispose()
    window.show_sharing()
    qtbot.waitUntil(lambda: dialog.selected_user() == "grace", timeout=20_000)
    assert dialog.users.currentText() == "grace · admin"


def test_an_unreachable_database_is_said_not_shown_as_no_users(qtbot, make_window):
    window = make_window(db_url=UNREACHABLE)
    dialog = window.show_sharing()
    note = dialog.users_note
    qtbot.waitUntil(lambda: note.text().startswith("Users not listed"), timeout=20_000)
    assert "cannot connect" in note.text() and note.objectName() == "errorText"
    assert "no users" not in dialog.users.placeholderText()
    dialog.new_key.click()
    qtbot.waitUntil(lambda: note.text().startswith("No key"), timeout=20_000)
    assert "database is not reachable" in note.text() and not dialog.key.text()
    dialog.user_name.setText("ada")
    dialog.add_user.click()
    qtbot.waitUntil(lambda: note.text().startswith("User not added"), timeout=20_000)
    assert "cannot connect" in note.text()


def test_the_dialog_offers_the_roles_the_command_line_and_the_database_know(qtbot, make_window):
    from app.cli.cmd_users import ROLES
    from app.storage.models import UserRole

    window = make_window()
    dialog = window.show_sharing()
    roles = [dialog.user_role.itemText(i) for i in range(dialog.user_role.count())]
    assert roles == list(ROLES) == [r.value for r in UserRole]
    assert dialog.user_role.currentText() == "engineer"  # as `users add` without --role
    qtbot.waitUntil(lambda: "Listing" not in dialog.users_note.text(), timeout=20_000)
