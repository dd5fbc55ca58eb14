"""The source contract on the sources that need no device: simulator and file."""

from __future__ import annotations

import pytest

from tests.hardware.source_contract import SourceContract


class TestSimulatorSource(SourceContract):
    @pytest.fixture
    def source_url(self):
        return "sim://nmc?cells=4&speed=0&duration=60"


class TestFileSource(SourceContract):
    @pytest.fixture
    def source_url(self, tmp_path):
        path = tmp_path / "cell.csv"
        rows = "\n".join(f"{t},{3.6 + t / 1000:.4f},-1.0" for t in range(20))
        path.write_text("time_s,voltage_v,current_a\n" + rows + "\n")
        return f"file://{path}?chemistry=nmc&capacity_ah=2&cells=1"
