"""The source contract, run on every serial protocol against its device simulator."""

from __future__ import annotations

import pytest

from tests.hardware.source_contract import SourceContract


class TestVEDirectSource(SourceContract):
    @pytest.fixture
    def source_url(self, device):
        return device("vedirect").url


class TestDalySource(SourceContract):
    @pytest.fixture
    def source_url(self, device):
        return device("daly").url


class TestJKSource(SourceContract):
    @pytest.fixture
    def source_url(self, device):
        return device("jk").url


class TestLineSource(SourceContract):
    @pytest.fixture
    def source_url(self, device):
        return device("line").url
