"""The live engine: runs the incremental twins of the diagnostics on each block
coming from the acquisition thread and adds derived columns to it.

Qt-free; called in the acquisition thread as a sink stage.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.soc_ekf import EkfSocEstimator


class LiveEngine:
    """Turns raw blocks into enriched blocks (raw columns + ``soc_percent``, its
    ±2 sigma band ``soc_band_low_percent``/``soc_band_high_percent`` and, when
    the source reports ``soc_reported_pct``, ``soc_bms_difference_pct``) and
    passes them on to ``outputs`` (ring buffer, recorder, ...)."""

    def __init__(
        self, spec: BatterySpec, outputs: list[Callable[[SampleBlock], None]] | None = None
    ):
        self.spec = spec
        self.soc = EkfSocEstimator(spec)
        self.outputs = list(outputs or [])

    def process(self, block: SampleBlock) -> SampleBlock:
        columns = dict(block.items())
        columns.update(self.soc.update(block))
        enriched = SampleBlock(columns)
        return enriched

    def __call__(self, block: SampleBlock) -> None:
        """Sink interface for :class:`~app.hardware.acquisition.AcquisitionThread`."""
        enriched = self.process(block)
        for output in self.outputs:
            output(enriched)
