"""The operator is picked at start: skipped without users, remembered, password checked."""

from __future__ import annotations

import pytest

from app.core.operator import current_user, set_current_user


@pytest.fixture(autouse=True)
def nobody():
    set_current_user(None)
    yield
    set_current_user(None)


@pytest.fixture
def users_db(tmp_path):
    from app.storage import Database
    from app.storage import repositories as repo

    url = f"sqlite:///{tmp_path / 'users.sqlite'}"
    with Database(url) as db:
        db.ensure_schema()
        repo.create_user(db, "ada", "engineer", password="s3cret")
        repo.create_user(db, "bob", "viewer")
    return url


def _window(make_window, qtbot, db_url):
    window = make_window(db_url=db_url)  # tests do not persist: nothing asked by itself
    window.operator_picker.start()  # as after the first paint of a real start
    return window


def test_no_users_means_nobody_is_asked(qtbot, make_window, tmp_path):
    window = _window(make_window, qtbot, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with qtbot.waitSignal(window.operator_picker.operator_changed) as changed:
        pass
    assert changed.args == [None] and current_user() is None
    assert window.operator_picker.dialog is None


def test_wrong_then_right_password(qtbot, make_window, users_db, tmp_path):
    window = _window(make_window, qtbot, users_db)
    picker = window.operator_picker
    qtbot.waitUntil(lambda: picker.dialog is not None and picker.dialog.isVisible())
    dialog = picker.dialog
    dialog.select("ada")
    assert dialog.password_edit.isEnabled()
    dialog.password_edit.setText("guess")
    dialog.continue_button.click()
    qtbot.waitUntil(lambda: dialog.error_label.isVisible())
    assert "wrong password" in dialog.error_label.text() and current_user() is None
    dialog.grab().save(str(tmp_path / "operator_dialog.png"))

    dialog.password_edit.setText("s3cret")
    with qtbot.waitSignal(picker.operator_changed):
        dialog.continue_button.click()
    assert current_user().name == "ada" and current_user().role == "engineer"
    assert window.settings.operator == "ada"
    assert window.operator_label.text() == "Operator: ada"
    assert not dialog.isVisible()


def test_remembered_user_without_password_is_taken_at_once(qtbot, make_window, users_db):
    from app.core.settings import Settings

    settings = Settings.load()
    settings.operator = "bob"
    settings.save()
    window = _window(make_window, qtbot, users_db)
    qtbot.waitUntil(lambda: current_user() is not None)
    assert current_user().name == "bob" and window.operator_picker.dialog is None


def test_skip(qtbot, make_window, users_db):
    window = _window(make_window, qtbot, users_db)
    picker = window.operator_picker
    qtbot.waitUntil(lambda: picker.dialog is not None)
    with qtbot.waitSignal(picker.operator_changed) as changed:
        picker.dialog.skip_button.click()
    assert changed.args == [None] and window.operator_label.text() == ""
