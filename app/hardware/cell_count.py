"""The series cells of a battery against those its source's cell voltages show.

A BMS reports each cell's voltage: 4 that add up to the pack voltage are 4 cells in
series, whatever the battery given says; and a pack voltage over the count times the
chemistry's highest cell voltage (:func:`too_few_cells_text`), or a cell numbered above
it, shows more cells than given, whichever of its cells it reports. Judged per cell of the wrong count, every
limit, the SOC and the balance would be wrong, so a live source is refused on the first
block that shows it, before anything of it is judged or recorded: one check for
``batteryos record``, ``batteryos serve --source`` and the window's live session
(:class:`CellCountCheck`, the first sink of their acquisition), and the same reason
``analyze`` gives for a ``--cells`` its log contradicts (:func:`cells_shown_text`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.core import schema
from app.core.errors import SourceRefused
from app.core.number_text import counted


def cells_the_data_shows(frame) -> int:
    """The series cells a log's (or a live block's) cell voltages show beyond doubt: the
    number of its ``cell_<k>_v`` columns when they add up to its pack voltage (the median
    pack voltage over the mean cell voltage rounds to their number), else 0 (no cell
    columns, or only some of the cells: the pack voltage says more)."""
    columns = schema.cell_voltage_columns(frame.columns)
    if not columns or schema.VOLTAGE not in frame.columns:
        return 0
    cells = np.column_stack([np.asarray(frame[c], dtype=float) for c in columns])
    pack = np.asarray(frame[schema.VOLTAGE], dtype=float)
    with np.errstate(all="ignore"):
        total = cells.sum(axis=1)  # NaN where a cell is missing: the row drops out
        rows = np.isfinite(total) & (total > 0) & np.isfinite(pack) & (pack > 0)
        if not rows.any():
            return 0
        ratio = float(np.median(pack[rows] / total[rows])) * len(columns)
    return len(columns) if abs(ratio - len(columns)) < 0.5 else 0


def too_few_cells_text(frame, spec) -> str | None:
    """Why the samples show more than ``spec``'s series cells, else None: a source that
    numbers a cell above the count, or a pack voltage no string of that many cells of the
    chemistry can make (over the count times its highest plausible cell voltage: a
    foxBMS pack's 389 V is no 4 cells of NMC, whatever the 4 cell voltages it sends say).
    A pack too low for the count is not refused: an empty or faulty pack reads low."""
    given = spec.series_cells
    columns = schema.cell_voltage_columns(frame.columns)
    numbered = max((int(schema.CELL_VOLTAGE_RE.match(c).group(1)) for c in columns), default=0)
    if numbered > given:
        return f"it reports the voltage of cell {numbered}, so it has at least {numbered} cells"
    if schema.VOLTAGE not in frame.columns:
        return None
    pack = np.asarray(frame[schema.VOLTAGE], dtype=float)
    pack = pack[np.isfinite(pack)]
    highest = spec.plausible_cell_v[1]
    if not pack.size or not np.isfinite(highest):
        return None
    volts = float(np.median(pack))
    if volts <= given * highest:
        return None
    chemistry = spec.chemistry.value.replace("_", "-")
    at_least = int(np.ceil(volts / spec.cell_v_max))
    at_most = int(volts / spec.cell_v_min) if spec.cell_v_min > 0 else 0
    about = f"{at_least} to {at_most}" if at_most > at_least else f"at least {at_least}"
    with np.errstate(all="ignore"):
        cells = np.column_stack([np.asarray(frame[c], dtype=float) for c in columns] or [pack * 0])
        mean_cell = float(np.nanmedian(np.nanmean(cells, axis=1))) if columns else np.nan
    if np.isfinite(mean_cell) and mean_cell > 0:
        about += f"; {round(volts / mean_cell)} at its {mean_cell:.4g} V cells"
    return (
        f"its pack voltage {volts:.4g} V is {volts / given:.3g} V a cell over {given} cells, "
        f"more than a {chemistry} cell gives ({spec.cell_v_max:g} V): it has more cells in "
        f"series ({about})"
    )


def cells_shown_text(whose: str, readings: str, shown: int, given: int) -> str:
    """Why ``shown`` cells (:func:`cells_the_data_shows`) stand over the ``given``, in
    words: one reason for ``analyze``'s refusal of a ``--cells`` and a live source's."""
    return (
        f"the {whose}'s {shown} {readings} add up to its pack voltage, so it is {shown} "
        f"cells in series, not {given}"
    )


def cli_fix(cells: int) -> str:
    """How ``record`` and ``serve`` tell to give the right count."""
    return f"--cells {cells}"


def gui_fix(cells: int) -> str:
    """How the window tells it (its connection dialog and source URLs take ``cells=``)."""
    return f"cells={cells} in the source URL (Connect to hardware…: Cells in series)"


class CellCountCheck:
    """The first sink of a live acquisition: the battery's series cells against those the
    source's cell voltages show. The first block with cell voltages decides; one that
    contradicts the battery raises :class:`~app.core.errors.SourceRefused` (the
    acquisition stops in ``fault`` with the reason, without retrying) and is passed on
    to no later sink, nor is any after it. Blocks without cell voltages pass.

    ``source``: anything with ``url`` and ``spec`` (the spec is read at the first block:
    a log file knows its battery once opened). ``cells_option``: the ``--cells`` given
    (named as where the count came from); ``fix``: how to give the right count when it
    came from neither the URL nor an option (a log file's own battery)."""

    def __init__(
        self,
        source,
        *,
        cells_option: int | None = None,
        fix: Callable[[int], str] = cli_fix,
    ):
        self.source = source
        self.cells_option = cells_option
        self.fix = fix
        self.pending = True  #: no block with cell voltages seen yet
        #: the pack voltage was judged (on the first block with one: an overcharge
        #: later in a source without cell voltages is a safety event, not more cells)
        self.pack_judged = False
        self.refused: str | None = None  #: why the source was refused
        self.samples_before = 0  #: passed on before the block that decided

    def __call__(self, block) -> None:
        if self.refused is not None:
            raise SourceRefused(self.refused)
        if self.pending and len(block):
            problem = self.problem(block)
            if problem is not None:
                self.refused = problem
                raise SourceRefused(problem)
        self.samples_before += len(block) if self.pending else 0

    def problem(self, block) -> str | None:
        """Why ``block`` shows another battery, else None (and, once a block with cell
        voltages agreed, None for good)."""
        spec = self.source.spec
        if spec is None:
            return None
        given = spec.series_cells
        has_cells = bool(schema.cell_voltage_columns(block.columns))
        first_pack = not self.pack_judged and schema.VOLTAGE in block.columns
        self.pack_judged |= first_pack
        if (first_pack or has_cells) and (too_few := too_few_cells_text(block, spec)):
            return f"{self._where(given)[0]}: the source contradicts it: {too_few}{self._kept()}"
        if not has_cells:
            return None
        self.pending = False  # the first block with cell voltages decides
        shown = cells_the_data_shows(block)
        if not shown or shown == given:
            return None
        where, fix = self._where(given, shown)
        why = cells_shown_text("source", "cell voltages", shown, given)
        return f"{where}: {why}: give {fix}{self._kept()}"

    def _where(self, given: int, shown: int = 0) -> tuple[str, str]:
        """(where the count came from, how to give ``shown`` there)."""
        from app.hardware.registry import parse_source_url

        if parse_source_url(self.source.url).params.get("cells"):
            return f"cells={given} in the URL", f"cells={shown}"
        if self.cells_option:
            return f"--cells {given}", f"--cells {shown}"
        # a log file's own battery, or the one a source assumes
        return f"the battery's {counted(given, 'cell')}", self.fix(shown)

    def _kept(self) -> str:
        n = self.samples_before
        return f"; the {n} samples before are kept" if n else ""
