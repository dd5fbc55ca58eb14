"""A headless live session for ``batteryos serve --source URL``: the source's
acquisition thread, the live engine, the REST live feed and, optionally, a
recording into the database."""

from __future__ import annotations

import threading
import time

from app.api.live import LiveFeed
from app.diagnostics.live import EngineOnFirstBlock
from app.hardware.acquisition import AcquisitionThread
from app.hardware.cell_count import CellCountCheck
from app.hardware.registry import create_source, url_capacity_ah
from app.storage.database import Database


class _LazyRecorder:
    """Opens the recording at the first block, when the source knows its battery."""

    def __init__(self, db: Database, source):
        self.db = db
        self.source = source
        self.recorder = None

    def __call__(self, block) -> None:
        if self.recorder is None:
            from app.storage.recorder import Recorder

            spec = self.source.spec
            self.recorder = Recorder(self.db, self.source.url, spec.to_dict() if spec else None)
        self.recorder.append(block)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()


def active_alerts_from(db: Database, max_age_s: float = 1.0):
    """The active alerts of the database, read at most once per ``max_age_s``."""
    from app.storage import alert_repository as repo

    cache: dict = {"at": -1e9, "rows": []}
    lock = threading.Lock()

    def read() -> list[dict]:
        from app.api.app import alert_json

        with lock:
            if time.monotonic() - cache["at"] > max_age_s:
                try:
                    rows = repo.list_alert_history(db, 100, state="active")
                    cache["rows"] = [alert_json(a) for a in rows]
                except Exception as exc:  # a dead database must not break /live
                    cache["rows"] = [{"error": f"alerts unavailable: {exc}"}]
                cache["at"] = time.monotonic()
            return cache["rows"]

    return read


class HeadlessLiveSession:
    def __init__(
        self,
        url: str,
        db: Database,
        *,
        spec=None,
        log=None,
        record: bool = False,
        reference_capacity_ah: float | None = None,
        cells_option: int | None = None,
    ):
        """``reference_capacity_ah``: what end of life is measured against
        (``--capacity-ah``); None: the URL's ``capacity_ah``, else the first cycles'.
        ``log``: the file a ``file://`` source names, when the caller read it already
        (to know its battery): the source replays it without reading the file again.
        ``cells_option``: the ``--cells`` given; a series cell count the source's cell
        voltages contradict stops the source before anything of it is judged or
        recorded (:class:`~app.hardware.cell_count.CellCountCheck`, as ``record`` and
        the window do): :attr:`refused` says why."""
        if reference_capacity_ah is None:
            reference_capacity_ah = url_capacity_ah(url)
        self.source = create_source(url, spec=spec)
        if log is not None:
            self.source.log = log
        self.recorder = _LazyRecorder(db, self.source) if record else None
        outputs = []
        self.feed = LiveFeed(
            url,
            results=lambda: self.stage.engine.results() if self.stage.engine else None,
            active_alerts=active_alerts_from(db),
            state=lambda: self.acquisition.state.value,
        )
        outputs.append(self.feed)
        if self.recorder is not None:
            outputs.append(self.recorder)
        self.stage = EngineOnFirstBlock(
            self.source, outputs, reference_capacity_ah=reference_capacity_ah
        )
        self.started = False  #: its acquisition was started
        self.cells = CellCountCheck(self.source, cells_option=cells_option)
        self.acquisition = AcquisitionThread(self.source, [self.cells, self.stage])

    @property
    def refused(self) -> str | None:
        """Why the source was stopped: its cell voltages show another battery; else None."""
        return self.cells.refused

    def start(self) -> None:
        self.acquisition.start()
        self.started = True

    def stop(self) -> None:
        self.acquisition.stop()
        if self.recorder is not None:
            self.recorder.close()
