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


def test_a_file_with_a_damaged_spec_line_says_what_is_damaged(tmp_path):
    from app.core.errors import SourceError
    from app.hardware.registry import create_source

    path = tmp_path / "cell.csv"
    path.write_text(
        '# spec: {"chemistry": "nmc", "capacity_ah": 2, "series_cells": 0}\n'
        "time_s,voltage_v,current_a\n0,3.7,0\n1,3.7,-1\n"
    )
    source = create_source(f"file://{path}")
    with pytest.raises(SourceError, match=r"its '# spec:' line is damaged: .*series_cells = 0"):
        source.open()
    source.close()
