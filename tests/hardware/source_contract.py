"""The contract every source keeps (DESIGN.md, "Sources"), as one test class.

A test module for a source subclasses :class:`SourceContract` and provides the
``source_url`` fixture: the URL of a running device (a simulator on a
pseudo-terminal, a virtual CAN bus, a file, ...), torn down after the test.
Every source then runs the same tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.core import schema
from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.hardware.registry import create_source
from app.hardware.source import SourceState


def read_samples(source, at_least: int, timeout_s: float = 10.0) -> list[SampleBlock]:
    """Blocks read from an open source until ``at_least`` samples came (or it ends)."""
    import time

    blocks: list[SampleBlock] = []
    deadline = time.monotonic() + timeout_s
    while sum(map(len, blocks)) < at_least and time.monotonic() < deadline:
        block = source.read(0.2)
        if block is not None and len(block):
            blocks.append(block)
        elif source.exhausted:
            break
    return blocks


class SourceContract:
    """Subclass it and provide a ``source_url`` fixture."""

    #: Samples each test waits for (a slow device may lower it).
    samples_wanted = 3

    @pytest.fixture
    def source_url(self) -> str:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def test_states_follow_open_and_close(self, source_url):
        source = create_source(source_url)
        assert source.state == SourceState.CLOSED
        with source:
            assert source.state == SourceState.STREAMING
        assert source.state == SourceState.CLOSED
        source.close()  # closing twice is harmless
        assert source.state == SourceState.CLOSED

    def test_delivers_canonical_blocks(self, source_url):
        with create_source(source_url) as source:
            blocks = read_samples(source, self.samples_wanted)
        assert sum(map(len, blocks)) >= self.samples_wanted, "no samples arrived"
        for block in blocks:
            assert isinstance(block, SampleBlock)
            for column in schema.REQUIRED_COLUMNS:
                assert column in block
            assert all(schema.is_canonical_column(c) for c in block.columns), block.columns
        t = np.concatenate([b[schema.TIME] for b in blocks])
        assert np.all(np.diff(t) >= 0), "time_s must not decrease"
        v = np.concatenate([b[schema.VOLTAGE] for b in blocks])
        assert np.all((v[np.isfinite(v)] > 0) & (v[np.isfinite(v)] < 1000))

    def test_read_on_a_closed_source_is_an_error_not_a_hang(self, source_url):
        source = create_source(source_url)
        with pytest.raises(SourceError):
            source.read(0.1)

    def test_describe_names_the_url(self, source_url):
        source = create_source(source_url)
        assert source.describe()["url"] == source_url
