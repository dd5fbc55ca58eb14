"""The source interface (DESIGN.md, "Sources").

Like python-can's ``BusABC``: the public :meth:`Source.read` wraps an
overridable :meth:`Source._read_internal`; faults are kept in
:attr:`Source.last_error` and shown as :attr:`SourceState.FAULT`, never
swallowed.
"""

from __future__ import annotations

import abc
import threading
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec


class SourceState(StrEnum):
    CLOSED = "closed"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    FAULT = "fault"


@dataclass
class SourceHealth:
    """Counters of a connection, for the connection-health panel and ``record``.

    Written by the acquisition thread, read by anyone (plain ints: a reader
    may see one increment late, never a torn value).
    """

    frames_ok: int = 0  #: frames (or lines, blocks) decoded into samples
    frames_bad: int = 0  #: bad checksums, garbage bytes, malformed frames: counted, skipped
    frames_unknown: int = 0  #: well-formed frames the protocol does not use
    bytes_in: int = 0  #: raw bytes received (serial) or frame payload bytes (CAN)
    reconnects: int = 0  #: successful re-opens after a fault
    last_error: str | None = None  #: the last bad/unknown frame or fault, in words
    last_error_time: float | None = None  #: ``time.time()`` of ``last_error``
    #: what the decoder left out of the stream, or doubts about it, each said once
    warnings: list[str] = field(default_factory=list)

    def count_bad(self, message: str) -> None:
        self.frames_bad += 1
        self.note(message)

    def count_unknown(self, message: str | None = None) -> None:
        self.frames_unknown += 1
        if message:
            self.note(message)

    def warn(self, message: str) -> None:
        """A lasting doubt about the decoding (e.g. a message left out): listed, and the last error."""
        if message not in self.warnings:
            self.warnings.append(message)
        self.note(message)

    def note(self, message: str) -> None:
        self.last_error = message
        self.last_error_time = time.time()

    def snapshot(self) -> dict:
        return asdict(self)


class Source(abc.ABC):
    """A stream of canonical sample blocks from one battery.

    Subclasses implement :meth:`_open_internal`, :meth:`_read_internal` and
    :meth:`_close_internal`. A source is used from one thread at a time
    (the acquisition thread); ``state`` and ``last_error`` may be read from any.
    """

    #: True when the source ends by itself (a file, a finite simulation).
    finite: bool = False

    def __init__(self, url: str, spec: BatterySpec | None = None):
        self.url = url
        self.spec = spec
        self._state = SourceState.CLOSED
        self._last_error: str | None = None
        self._lock = threading.Lock()
        #: Frame and error counters; sources that decode frames keep them up to date.
        self.health = SourceHealth()

    # --- state ------------------------------------------------------------
    @property
    def state(self) -> SourceState:
        return self._state

    @property
    def last_error(self) -> str | None:
        """The message of the last fault; kept after recovery until the next fault."""
        return self._last_error

    def _set_fault(self, message: str) -> None:
        with self._lock:
            self._last_error = message
            self._state = SourceState.FAULT
        self.health.note(message)

    # --- public API -------------------------------------------------------
    def open(self) -> None:
        """Connect. Raises :class:`SourceError` (and enters ``fault``) on failure."""
        self._state = SourceState.CONNECTING
        try:
            self._open_internal()
        except SourceError as exc:
            self._set_fault(str(exc))
            raise
        except OSError as exc:
            self._set_fault(f"{self.url}: {exc}")
            raise SourceError(f"{self.url}: {exc}") from exc
        self._state = SourceState.STREAMING

    def read(self, timeout: float = 0.1) -> SampleBlock | None:
        """Next block of samples, or None if nothing arrived within ``timeout`` s.

        Returns None at the end of a finite source (then :attr:`exhausted` is True).
        Raises :class:`SourceError` on a fault, which is also kept in ``last_error``.
        """
        if self._state not in (SourceState.STREAMING,):
            raise SourceError(f"{self.url}: read() on a source that is {self._state.value}")
        try:
            return self._read_internal(timeout)
        except SourceError as exc:
            self._set_fault(str(exc))
            raise
        except OSError as exc:
            self._set_fault(f"{self.url}: {exc}")
            raise SourceError(f"{self.url}: {exc}") from exc

    @property
    def exhausted(self) -> bool:
        """True once a finite source has delivered everything."""
        return False

    def close(self) -> None:
        if self._state == SourceState.CLOSED:
            return
        try:
            self._close_internal()
        finally:
            self._state = SourceState.CLOSED

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict:
        """Metadata of the recording this source produces."""
        return {"url": self.url, "spec": self.spec.to_dict() if self.spec else None}

    # --- to implement -----------------------------------------------------
    @abc.abstractmethod
    def _open_internal(self) -> None: ...

    @abc.abstractmethod
    def _read_internal(self, timeout: float) -> SampleBlock | None: ...

    def _close_internal(self) -> None:  # noqa: B027 - optional hook
        pass
