"""User settings: one JSON file in the user config directory."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

APP_NAME = "battery-os"


def config_dir() -> Path:
    """Where settings live; ``BATTERYOS_CONFIG_DIR`` overrides (tests, portable use)."""
    env = os.environ.get("BATTERYOS_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Where the default SQLite database lives; ``BATTERYOS_DATA_DIR`` overrides."""
    env = os.environ.get("BATTERYOS_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass
class Settings:
    theme: str = "dark"
    recent_sources: list[str] = field(default_factory=list)
    recent_files: list[str] = field(default_factory=list)
    database_url: str | None = None
    redraw_hz: int = 25
    window_span_s: float = 600.0
    #: Name of the user picked at start (the operator), remembered for next time.
    operator: str | None = None
    # --- alerts ---
    #: who acknowledges alerts on this machine (empty: the login name)
    operator_name: str = ""
    alert_sound: bool = True
    alert_tray: bool = True
    #: webhook (JSON POST) and e-mail notifications, each for the severities listed
    webhook_url: str = ""
    webhook_severities: list[str] = field(default_factory=lambda: ["critical"])
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    email_from: str = ""
    email_to: list[str] = field(default_factory=list)
    email_severities: list[str] = field(default_factory=lambda: ["critical"])

    def remember_source(self, url: str, keep: int = 10) -> None:
        self.recent_sources = [url] + [u for u in self.recent_sources if u != url][: keep - 1]

    def remember_file(self, path: str, keep: int = 10) -> None:
        self.recent_files = [path] + [p for p in self.recent_files if p != path][: keep - 1]

    # --- persistence ------------------------------------------------------
    @staticmethod
    def path() -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        """Load settings; a missing or unreadable file gives the defaults."""
        try:
            raw = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return cls()

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a container or service
        return "operator"


def current_operator(settings: Settings | None = None) -> str:
    """Who is acting, by name: the one place the GUI and CLI ask for the person
    behind an acknowledgement or a shelf. The user picked at start
    (:func:`app.core.operator.current_user`) when there is one, else the
    settings' ``operator_name``, else the login name."""
    from app.core.operator import current_user

    user = current_user()
    if user is not None:
        return user.name
    return (settings or Settings.load()).operator_name.strip() or _login_name()
