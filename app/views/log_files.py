"""What a log file says about itself before it is opened, and its source URL.

A canonical CSV (:mod:`app.hardware.logs.canonical_csv`) names its battery in
a ``# spec: {...}`` metadata line when Battery OS wrote it; logs from elsewhere
(a cycler's export, a canonical CSV without the line) do not, and the ``file://``
source then needs the battery in its URL (``?chemistry=..&capacity_ah=..&cells=..``).
:func:`probe_log_file` reads the first lines of a canonical CSV (metadata, header,
first sample); a file that names no battery it reads whole, as the Logs page does,
for the battery the Logs page guesses from it. It runs in a worker: that is file
I/O, and the file may sit on a slow share.

Qt-free.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urlsplit

from app.cli.current_sign_option import URL_PARAM as INVERT_CURRENT_PARAM
from app.core import schema
from app.core.spec import BatterySpec, Chemistry
from app.diagnostics.spec_fit import FixWords
from app.hardware.logs.tables import open_text
from app.views.source_urls import file_url

if TYPE_CHECKING:
    from app.views.log_analysis import BatteryGuess

#: The battery dialog's words for the warnings' hints (File › Open): its fields, the
#: OCV table and the cells' voltage limits among them.
BATTERY_DIALOG_WORDS = FixWords(
    chemistry="choose the chemistry {}",
    cells="set Series cells",
    ocv_table="choose {} OCV table",
    voltage_limit="set {}",
    limit_names=("Cell V min", "Cell V max"),
)
#: The Logs page's: its fields, its OCV table and the cells' voltage limits among them.
LOGS_PAGE_WORDS = FixWords(
    chemistry="choose the chemistry {}",
    cells="set Series cells",
    ocv_table="choose {} OCV table",
    voltage_limit="set {}",
    limit_names=("Cell V min", "Cell V max"),
)

#: Metadata lines read at most before giving up on finding the header.
_MAX_HEADER_LINES = 500


@dataclass(frozen=True)
class LogFileProbe:
    """The head of a log file."""

    path: str
    canonical: bool  #: a header of canonical columns (time_s, voltage_v, current_a) was found
    has_spec: bool  #: a ``# spec:`` metadata line names the battery
    cell_count: int = 0  #: ``cell_<k>_v`` columns
    first_voltage_v: float | None = None  #: ``voltage_v`` of the first sample
    #: the battery the Logs page guesses for a log naming none
    #: (:func:`app.views.log_analysis.guess_battery`); None: it names one, or it does not read
    guess: BatteryGuess | None = None
    #: the guess does not fit the log's voltages (the Logs page's warning), None: it does
    guess_warning: str | None = None

    @property
    def needs_battery(self) -> bool:
        """Opening it needs the battery from the user: a canonical CSV without a spec, or
        a log of any other format that reads and names no battery (a cycler's export)."""
        return not self.has_spec and (self.canonical or self.guess is not None)


def probe_log_file(path: str | Path) -> LogFileProbe:
    """What ``path`` says of its battery; for a log that names none, the Logs page's guess.

    A file that does not read is simply not canonical and has no guess: the
    ``file://`` source reports what is wrong with it when it opens it; the probe
    only decides whether to ask for the battery first, and what to offer.
    """
    head = _probe_head(str(path))
    if head.has_spec:
        return head
    return _with_guess(head)


def _with_guess(head: LogFileProbe) -> LogFileProbe:
    """``head`` with the battery guessed from the whole log, as the Logs page opens and
    guesses it; ``head`` as it is when the file does not read (or names its battery)."""
    from dataclasses import replace

    from app.diagnostics.spec_fit import voltage_window_warning
    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import guess_battery

    try:
        log = open_log(head.path)
    except Exception:  # noqa: BLE001 - the source says why when it opens the file
        return head
    if log.spec is not None:  # a format that names its battery
        return replace(head, has_spec=True)
    frame = log.frame
    voltage = frame[schema.VOLTAGE].to_numpy(dtype=float)
    first = next((float(v) for v in voltage if math.isfinite(v) and v > 0), None)
    guess = guess_battery(frame)
    return replace(
        head,
        cell_count=head.cell_count if head.canonical else schema.series_cells_in(frame),
        first_voltage_v=head.first_voltage_v if head.canonical else first,
        guess=guess,
        guess_warning=voltage_window_warning(frame, guess.spec, BATTERY_DIALOG_WORDS),
    )


def _probe_head(path: str) -> LogFileProbe:
    """The first lines of a canonical CSV: its metadata, header and first sample."""
    metadata: dict[str, str] = {}
    try:
        with open_text(path, newline="") as fh:  # as the reader opens it: past a BOM
            header = None
            for _ in range(_MAX_HEADER_LINES):
                line = fh.readline()
                if not line:
                    break
                if line.startswith("#"):
                    key, sep, value = line[1:].partition(":")
                    if sep:
                        metadata[key.strip()] = value.strip()
                    continue
                header = line
                break
            first_row = fh.readline() if header is not None else ""
    except OSError:
        return LogFileProbe(path, canonical=False, has_spec=False)
    if header is None:
        return LogFileProbe(path, canonical=False, has_spec=False)
    columns = [c.strip() for c in next(csv.reader([header]), [])]
    if not all(c in columns for c in schema.REQUIRED_COLUMNS):
        return LogFileProbe(path, canonical=False, has_spec=False)
    return LogFileProbe(
        path,
        canonical=True,
        has_spec=_names_a_battery(metadata.get("spec")),
        cell_count=len(schema.cell_voltage_columns(columns)),
        first_voltage_v=_first_value(columns, first_row, schema.VOLTAGE),
    )


def _names_a_battery(raw: str | None) -> bool:
    # the same test as the file:// source's (LoadedLog.spec): a damaged spec line names
    # none, and the battery is asked for
    from app.hardware.logs.canonical_csv import parse_spec_line

    return parse_spec_line(raw)[0] is not None


def _first_value(columns: list[str], row: str, column: str) -> float | None:
    values = next(csv.reader([row]), [])
    try:
        value = float(values[columns.index(column)])
    except (IndexError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def suggested_cells(probe: LogFileProbe, spec: BatterySpec) -> tuple[int, str]:
    """Series cells to offer for ``probe`` with a battery like ``spec``, and why."""
    if probe.cell_count:
        return probe.cell_count, f"{probe.cell_count} cell voltage columns in the file"
    guess = probe.guess
    if guess is not None and guess.spec.chemistry == spec.chemistry:
        return guess.spec.series_cells, f"guessed from {guess.chemistry_basis}"
    if probe.first_voltage_v is not None and spec.cell_v_nominal > 0:
        cells = max(1, round(probe.first_voltage_v / spec.cell_v_nominal))
        return cells, f"guessed from the first pack voltage, {probe.first_voltage_v:.2f} V"
    return 1, "no cell voltage columns in the file"


def file_url_with_battery(
    path: str | Path,
    chemistry: Chemistry | str,
    capacity_ah: float | None,
    cells: int | None,
    *,
    capacity_lower_bound: bool = False,
    bol_resistance_ohm: float | None = None,
    cell_v_min: float | str | None = None,
    cell_v_max: float | str | None = None,
    ocv_table: str | None = None,
    ocv_table_current_c: float | None = None,
    invert_current: bool = False,
) -> str:
    """The ``file://`` URL of ``path`` that names its battery (and the cell's
    beginning-of-life resistance, ohm, its voltage limits, V, its OCV table CSV and the current that was
    measured at, C, when given), with ``invert_current=1`` when its current is to be
    negated. A capacity or cell count of None is left to the file's own battery (the
    ``file://`` source keeps what the URL does not name). ``capacity_lower_bound``: the
    capacity is only known to be at least ``capacity_ah`` (a guess from a partial charge),
    ``capacity_lower_bound=1``: the source then does not judge the current limits, as the
    Logs page's diagnostics do not."""
    params = {"chemistry": Chemistry(chemistry).value}
    if capacity_ah is not None:
        params["capacity_ah"] = f"{capacity_ah:g}"
        if capacity_lower_bound:
            params["capacity_lower_bound"] = "1"
    if cells is not None:
        params["cells"] = str(int(cells))
    if bol_resistance_ohm is not None:
        params["bol_resistance_ohm"] = f"{bol_resistance_ohm:.6g}"
    for key, volts in (("cell_v_min", cell_v_min), ("cell_v_max", cell_v_max)):
        # (text as typed: the URL's checks say what is wrong with it, in the field's words)
        if volts is not None:
            params[key] = volts if isinstance(volts, str) else f"{volts:g}"
    if ocv_table is not None:
        params["ocv_table"] = str(Path(ocv_table).expanduser().resolve())
    if ocv_table_current_c is not None:
        params["ocv_table_current_c"] = f"{ocv_table_current_c:g}"
    if invert_current:
        params[INVERT_CURRENT_PARAM] = "1"
    return f"{file_url(path)}?{urlencode(params)}"


def droppable_paths(local_paths: list[str]) -> list[str]:
    """The dropped paths to open in the Logs page: every file (not folders).

    Whatever the extension: the readers recognise a format by content, and a
    file none of them reads gets its reason shown on the Logs page.
    """
    return [path for path in local_paths if path and Path(path).is_file()]


def bare_file_path(url: str) -> str | None:
    """The local path of a ``file://`` URL without parameters (None for anything else).

    Such a URL is opened like a log file picked in the file dialog: its
    battery is asked for when the file does not name it.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "file" or parts.query or parts.netloc not in ("", "localhost"):
        return None
    return unquote(parts.path) or None
