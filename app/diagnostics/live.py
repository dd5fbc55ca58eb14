"""The live engine: runs the incremental twins of the diagnostics on each block
coming from the acquisition thread and adds derived columns to it.

Qt-free; called in the acquisition thread as a sink stage.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.soc_coulomb import SOC_COLUMN, CoulombCountingSoc


class LiveEngine:
    """Turns raw blocks into enriched blocks (raw columns + ``soc_percent``)
    and passes them on to ``outputs`` (ring buffer, recorder, ...)."""

    def __init__(
        self, spec: BatterySpec, outputs: list[Callable[[SampleBlock], None]] | None = None
    ):
        self.spec = spec
        self.soc = CoulombCountingSoc(spec)
        self.outputs = list(outputs or [])

    def process(self, block: SampleBlock) -> SampleBlock:
        columns = dict(block.items())
        columns[SOC_COLUMN] = self.soc.update(block)
        enriched = SampleBlock(columns)
        return enriched

    def __call__(self, block: SampleBlock) -> None:
        """Sink interface for :class:`~app.hardware.acquisition.AcquisitionThread`."""
        enriched = self.process(block)
        for output in self.outputs:
            output(enriched)
