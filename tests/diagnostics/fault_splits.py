"""The live fault detector fed a log in blocks, for the live-equals-offline tests."""

from __future__ import annotations

from collections.abc import Iterable

from app.core.samples import SampleBlock
from app.diagnostics.faults import FaultDetector


def faults_in_blocks(block: SampleBlock, spec, sizes: Iterable[int]) -> list[dict]:
    """The faults a live :class:`FaultDetector` reports when ``block`` comes in blocks
    of ``sizes`` (the rest of the log, if they end before it, as one more block)."""
    det = FaultDetector(spec)
    start = 0
    for size in sizes:
        if start >= len(block):
            break
        det.update(block.slice(start, min(len(block), start + int(size))))
        start += int(size)
    if start < len(block):
        det.update(block.slice(start, len(block)))
    det.flush()
    return det.result().to_list()
