import pytest

from app.core.errors import SourceError
from app.hardware.registry import create_source, parse_source_url, register_source, source_class


def test_parse_url_parts():
    u = parse_source_url("can://slcan/dev/ttyACM0?bitrate=500000&dbc=pack.dbc")
    assert (u.scheme, u.target) == ("can", "slcan/dev/ttyACM0")
    assert u.pop_int("bitrate") == 500000 and u.params["dbc"] == "pack.dbc"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "not a source URL"),
        ("sim:nmc", "not a source URL"),
        ("bogus://x", "unknown source scheme 'bogus'"),
        ("sim://nmc?cells=four", "cells"),
        ("sim://nmc?cells=1&cells=2", "given twice"),
        ("sim://nmc?colour=red", "colour"),
        ("sim://unobtainium", "unobtainium"),
    ],
)
def test_bad_urls_raise_source_error_naming_the_problem(url, message):
    with pytest.raises(SourceError, match=message):
        create_source(url)


def test_registry_is_lazy_and_extensible(monkeypatch):
    from app.hardware import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_source("test+echo", "app.hardware.file_source:FileSource")
    assert source_class("test://x?protocol=echo").__name__ == "FileSource"
    assert source_class("file:///tmp/x.csv").__name__ == "FileSource"
