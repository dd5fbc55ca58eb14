"""SQLAlchemy 2.0 models of the Battery OS database (DESIGN.md, "Storage").

The ORM is for metadata (users, recordings, diagnostics, alerts). Samples are
mapped too, so that migrations and queries know the table, but they are
written and read in bulk by :mod:`app.storage.sample_writer`, never row by row
through the ORM.

Types are chosen to work alike on SQLite and PostgreSQL: enums are stored as
short strings with a CHECK constraint (no PostgreSQL ``CREATE TYPE``, so adding
a member later is a plain migration), JSON is SQLAlchemy's portable ``JSON``,
and every timestamp is a timezone-aware UTC ``datetime`` (see :class:`UTCDateTime`).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always a timezone-aware UTC ``datetime`` in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones and gives back
    naive values, so times are converted to UTC before they are stored and
    tagged as UTC when read. A naive ``datetime`` given by a caller is taken
    to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite would keep the text of the offset otherwise; store plain UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    ENGINEER = "engineer"
    VIEWER = "viewer"


class RecordingStatus(enum.StrEnum):
    RECORDING = "recording"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"


class Comparison(enum.StrEnum):
    """How an alert threshold compares a metric with its level(s)."""

    ABOVE = "above"  # value > level
    BELOW = "below"  # value < level
    OUTSIDE = "outside"  # value < band_low or value > band_high


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(enum.StrEnum):
    """Summary state of an alert; the timestamps are the record of truth."""

    ACTIVE = "active"  # raised, condition still present, not acknowledged
    ACKNOWLEDGED = "acknowledged"  # an engineer has seen it (condition may persist)
    SHELVED = "shelved"  # silenced until ``shelved_until``
    CLEARED = "cleared"  # condition gone (acknowledged or not: see acknowledged_at)
    #: gone, and the detector has since withdrawn the alarm on later evidence (a
    #: runaway onset put down to an internal short): ``withdrawn`` says why
    WITHDRAWN = "withdrawn"


class AlertAction(enum.StrEnum):
    """What an entry of the alert audit trail records."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    CLEARED = "cleared"
    WITHDRAWN = "withdrawn"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Values (not member names) in the database; VARCHAR + CHECK on every backend.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# Deterministic constraint names, so migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class User(Base):
    """A person using Battery OS. ``password_hash`` is empty for local-only users."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), default=UserRole.VIEWER)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"User(id={self.id}, name={self.name!r}, role={self.role})"


class Recording(Base):
    """One acquisition run: metadata here, the samples in :class:`Sample`.

    ``columns`` lists the canonical sample columns present in the recording
    (``time_s``, ``voltage_v``, ``cell_3_v``, ...), in canonical order.
    ``sample_count`` is one past the highest sample number written.
    """

    __tablename__ = "recordings"
    # Never reuse the id of a deleted recording (reports and exports cite it).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    source_url: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict[str, Any] | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RecordingStatus] = mapped_column(
        _enum(RecordingStatus, "recording_status"), default=RecordingStatus.RECORDING
    )
    sample_count: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The machine and process writing the recording while its status is
    #: ``recording``: a later start on that machine that finds the process
    #: gone marks the recording interrupted (see :mod:`app.storage.recovery`).
    writer_host: Mapped[str | None] = mapped_column(String(255))
    writer_pid: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return (
            f"Recording(id={self.id}, source_url={self.source_url!r}, status={self.status}, "
            f"sample_count={self.sample_count})"
        )


class Sample(Base):
    """One sample of a recording, in the canonical schema (DESIGN.md, "Data").

    The scalar columns are the canonical ones; NULL means "not measured" and
    reads back as NaN. Per-cell values are packed, one blob per sample:

    - ``cell_v``: the voltages of series cells 1..N as **little-endian float32**
      (``'<f4'``), cell k at index k-1, so 4*N bytes; NaN where a cell is missing.
    - ``cell_temp_c``: the same for ``cell_<k>_temp_c``.

    A blob (rather than a column per cell or a row per cell) keeps the table
    one fixed shape for any pack size and keeps bulk writes at a single row per
    sample; float32 keeps 0.1 mV resolution at 4 V. Use
    :func:`app.storage.cells.encode_cells` / :func:`~app.storage.cells.decode_cells`.

    The primary key (recording_id, seq) is the storage order: on SQLite the
    table is ``WITHOUT ROWID`` so it is clustered on that key and appends are
    cheap; on PostgreSQL inserts in key order only touch the right-most index
    page.

    ``recording_id`` deliberately has **no foreign key**: PostgreSQL checks a
    foreign key with one lookup per inserted row, which halves the COPY rate
    (~210k instead of ~420k rows/s measured). Integrity is kept by the only
    two paths that touch this table: :func:`app.storage.sample_writer.write_samples`
    refuses an unknown recording and locks its row for the transaction, and
    :func:`app.storage.repositories.delete_recording` deletes the samples with
    the recording.
    """

    __tablename__ = "samples"
    __table_args__ = {"sqlite_with_rowid": False}

    recording_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time_s: Mapped[float | None] = mapped_column(Double)
    voltage_v: Mapped[float | None] = mapped_column(Double)
    current_a: Mapped[float | None] = mapped_column(Double)
    temperature_c: Mapped[float | None] = mapped_column(Double)
    cycle_index: Mapped[int | None] = mapped_column(Integer)
    step_index: Mapped[int | None] = mapped_column(Integer)
    soc_reported_pct: Mapped[float | None] = mapped_column(Double)
    soh_reported_pct: Mapped[float | None] = mapped_column(Double)
    cell_v: Mapped[bytes | None] = mapped_column(LargeBinary)
    cell_temp_c: Mapped[bytes | None] = mapped_column(LargeBinary)


class ApiKey(Base):
    """An API key of a user: shown once when made, stored only as a salted hash.

    A key reads ``bos_<prefix>_<secret>``; ``prefix`` (in clear, unique,
    indexed) finds the row, the salted hash of the whole key proves it
    (see :mod:`app.storage.users`). A revoked key stays listed with
    ``revoked_at`` set, so its use can still be traced.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ApiKey(prefix={self.prefix!r}, user_id={self.user_id}, revoked={self.revoked_at})"


class BatteryDiagnostic(Base):
    """The result of one diagnostic (``soc``, ``soh``, ``cell_balance``, ...) as JSON."""

    __tablename__ = "battery_diagnostics"
    __table_args__ = (
        Index("ix_battery_diagnostics_diagnostic_created_at", "diagnostic", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), index=True
    )
    battery_name: Mapped[str] = mapped_column(String(128), default="")
    battery_profile: Mapped[str] = mapped_column(String(64), default="")
    diagnostic: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[dict[str, Any]]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AlertThreshold(Base):
    """A rule the engineer configures: raise ``severity`` when ``metric`` crosses ``level``.

    ``above``/``below`` use ``level`` and the hysteresis ``clear_level`` (the
    alert clears once the value is back past it; NULL means ``level``);
    ``outside`` uses the band ``band_low``..``band_high``. The condition must
    hold for ``delay_s`` before the alert is raised. ``noise_band``,
    ``fast_level``, ``charge_level`` and ``clear_delay_s`` judge as the safety
    check does (see :class:`app.diagnostics.alerts.Threshold`; revision 0005).
    """

    __tablename__ = "alert_thresholds"
    __table_args__ = (
        CheckConstraint(
            "(comparison = 'outside' AND band_low IS NOT NULL AND band_high IS NOT NULL"
            " AND band_low <= band_high) OR (comparison <> 'outside' AND level IS NOT NULL)",
            name="levels",
        ),
        CheckConstraint("delay_s >= 0", name="delay_s"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    metric: Mapped[str] = mapped_column(String(64))
    comparison: Mapped[Comparison] = mapped_column(_enum(Comparison, "comparison"))
    level: Mapped[float | None] = mapped_column(Double)
    clear_level: Mapped[float | None] = mapped_column(Double)
    band_low: Mapped[float | None] = mapped_column(Double)
    band_high: Mapped[float | None] = mapped_column(Double)
    severity: Mapped[Severity] = mapped_column(
        _enum(Severity, "severity"), default=Severity.WARNING
    )
    delay_s: Mapped[float] = mapped_column(Double, default=0.0)
    enabled: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="enabled"), default=True
    )
    noise_band: Mapped[float] = mapped_column(Double, default=0.0, server_default=text("0"))
    fast_level: Mapped[float | None] = mapped_column(Double)
    charge_level: Mapped[float | None] = mapped_column(Double)
    clear_delay_s: Mapped[float] = mapped_column(Double, default=0.0, server_default=text("0"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertHistory(Base):
    """One alert episode and what happened to it (cleared, acknowledged, by whom).

    ``value`` is the metric when raised, ``worst_value`` the furthest beyond the
    level during the episode; ``raised_time_s``/``cleared_time_s`` are times in
    the recording's samples. Each change is also in :class:`AlertEvent`.

    For a rule on a detected fault the numbers say only "detected" (1 above a
    level of 0.5): ``detail`` is what the detector measured when it was raised,
    ``worst_detail`` as last known, in the words the Alerts page shows them
    (``cell 2: up to 3.1 K above its neighbours' median (5-min mean)``);
    NULL for other rules and for rows stored before revision 0004.

    ``withdrawn``: why the detector withdrew the alarm on later evidence ("cell 2's
    internal short explains the heat"); once cleared, its state is ``withdrawn``
    (revision 0005).
    """

    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    threshold_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_thresholds.id", ondelete="SET NULL")
    )
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), index=True
    )
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Double)
    threshold_value: Mapped[float | None] = mapped_column(Double)
    severity: Mapped[Severity] = mapped_column(_enum(Severity, "severity"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    cleared_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    state: Mapped[AlertState] = mapped_column(
        _enum(AlertState, "alert_state"), default=AlertState.ACTIVE, index=True
    )
    worst_value: Mapped[float | None] = mapped_column(Double)
    raised_time_s: Mapped[float | None] = mapped_column(Double)
    cleared_time_s: Mapped[float | None] = mapped_column(Double)
    shelved_until: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)
    worst_detail: Mapped[str | None] = mapped_column(Text)
    withdrawn: Mapped[str | None] = mapped_column(Text)


class AlertEvent(Base):
    """The audit trail of alerts: who did what to which alert, and when.

    ``actor`` is the name as it was at the time (kept when a user is deleted).
    """

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alert_history.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[AlertAction] = mapped_column(_enum(AlertAction, "alert_action"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64), default="")
    comment: Mapped[str | None] = mapped_column(Text)
    until: Mapped[datetime | None]
