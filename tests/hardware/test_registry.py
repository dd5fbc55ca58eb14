import pytest

from app.core.errors import SourceError
from app.hardware.registry import create_source, parse_source_url, register_source, source_class
from tests.ocv_tables import write_ocv_table


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
        # a size without its chemistry would be ignored (the NMC preset's single cell)
        ("serial:///dev/ttyUSB0?protocol=jk&cells=16", "cells need the chemistry"),
        ("can://virtual/x?protocol=pylontech&capacity_ah=100", "capacity_ah need the chemistry"),
        ("file:///data/pack.csv?capacity_ah=100&cells=16", "capacity_ah and cells need"),
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


# --- the battery of a live source: chemistry, capacity, cells, beginning-of-life resistance ---
BATTERY = "chemistry=lfp&capacity_ah=100&cells=16&bol_resistance_ohm=0.0003"


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=16&capacity_ah=100&bol_resistance_ohm=0.0003",
        f"file:///data/pack.csv?{BATTERY}",
        f"can://virtual/bench?protocol=pylontech&{BATTERY}",
        f"serial:///dev/ttyUSB0?protocol=vedirect&{BATTERY}",
        f"serial:///dev/ttyUSB0?protocol=daly&{BATTERY}",
    ],
)
def test_every_live_source_takes_the_cells_beginning_of_life_resistance(url):
    spec = create_source(url).spec
    assert (spec.chemistry.value, spec.capacity_ah, spec.series_cells) == ("lfp", 100.0, 16)
    assert spec.bol_resistance_ohm == 0.0003


def test_the_urls_resistance_fills_in_where_the_callers_battery_has_none():
    from app.core.spec import preset

    url = "serial:///dev/ttyUSB0?protocol=jk&bol_resistance_ohm=0.03"
    assert create_source(url, spec=preset("nmc")).spec.bol_resistance_ohm == 0.03


# --- the caller's battery and the URL's: both given, they must agree ---
LFP16 = "chemistry=lfp&capacity_ah=100&cells=16&bol_resistance_ohm=0.0003"


def _lfp16(**changes):
    from app.core.spec import preset

    spec = preset("lfp", capacity_ah=100, series_cells=16)
    return spec.with_overrides(**{"bol_resistance_ohm": 0.0003, **changes})


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=16&capacity_ah=100&bol_resistance_ohm=0.0003",
        f"file:///data/pack.csv?{LFP16}",
        f"can://virtual/bench?protocol=pylontech&{LFP16}",
        f"serial:///dev/ttyUSB0?protocol=daly&{LFP16}",
    ],
)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chemistry": "nmc"}, "chemistry is lfp in the URL but nmc in the battery given"),
        ({"series_cells": 4}, "cells is 16 in the URL but 4 in the battery given"),
        ({"capacity_ah": 50.0}, "capacity_ah is 100 in the URL but 50 in the battery given"),
        ({"bol_resistance_ohm": 0.02}, "bol_resistance_ohm is 0.0003 in the URL but 0.02 in"),
    ],
)
def test_a_callers_battery_that_disagrees_with_the_urls_is_refused(url, changes, message):
    from app.core.spec import Chemistry, preset

    if "chemistry" in changes:  # a whole other battery of the same size
        spec = preset(Chemistry.NMC, capacity_ah=100, series_cells=16)
        spec = spec.with_overrides(bol_resistance_ohm=0.0003)
    else:
        spec = _lfp16(**changes)
    with pytest.raises(SourceError, match=message) as refused:
        create_source(url, spec=spec)
    assert refused.value.args[0].startswith(url) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=16&capacity_ah=100.0&bol_resistance_ohm=3e-4",  # the same, spelt so
        "sim://?cells=16",  # sim:// without a host names no chemistry
        f"file:///data/pack.csv?{LFP16.replace('lfp', 'LiFePO4')}",
        "file:///data/pack.csv?chemistry=lfp&cells=16&capacity_ah=100",
        "serial:///dev/ttyUSB0?protocol=jk",  # only the caller names the battery
    ],
)
def test_a_callers_battery_that_agrees_with_the_urls_is_the_sources(url):
    assert create_source(url, spec=_lfp16()).spec == _lfp16()


def test_the_urls_battery_is_the_sources_without_a_callers():
    assert create_source(f"file:///data/pack.csv?{LFP16}").spec == _lfp16()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sim://nmc?bol_resistance_ohm=0", "bol_resistance_ohm=0 is not a cell's resistance"),
        ("sim://nmc?bol_resistance_ohm=-0.01", "bol_resistance_ohm=-0.01 is not a cell's"),
        ("sim://nmc?bol_resistance_ohm=15", None),  # 15 ohm: a coin cell's, allowed
        ("sim://nmc?bol_resistance_ohm=2e4", "15 mOhm is 0.015"),
        ("sim://nmc?bol_resistance_ohm=low", "bol_resistance_ohm='low' is not a valid float"),
        ("file:///x.csv?chemistry=nmc&bol_resistance_ohm=-1", "is not a cell's resistance"),
        ("can://virtual/bench?protocol=pylontech&bol_resistance_ohm=0.001", "add chemistry="),
        ("serial:///dev/ttyUSB0?protocol=jk&bol_resistance_ohm=0.001", "add chemistry="),
        ("serial:///dev/ttyUSB0?protocol=jk&chemistry=nmc&capacity_ah=0", "capacity_ah = 0"),
    ],
)
def test_a_bad_beginning_of_life_resistance_in_a_url_is_named(url, message):
    if message is None:
        assert create_source(url).spec.bol_resistance_ohm == 15.0
        return
    with pytest.raises(SourceError, match=message):
        create_source(url)


def test_a_file_that_names_its_battery_takes_the_urls_resistance_when_opened():
    # no battery yet: the file says which when it is opened (see test_live_bol_resistance)
    assert create_source("file:///data/pack.csv?bol_resistance_ohm=0.02").spec is None


@pytest.mark.parametrize(
    ("query", "battery"),
    [
        ("", ("nmc", 50.0, 4, True)),  # the file's own, its OCV table too
        ("?chemistry=lfp", ("lfp", 50.0, 4, False)),  # LFP's preset, the file's size
        ("?chemistry=nmc&capacity_ah=45", ("nmc", 45.0, 4, True)),
        ("?chemistry=lfp&cells=2&capacity_ah=45", ("lfp", 45.0, 2, False)),
    ],
)
def test_a_urls_battery_over_a_files_own_changes_what_it_names(tmp_path, query, battery):
    """As ``analyze``'s options over the file's '# spec:' battery: ``chemistry=lfp`` alone
    was LFP's preset whole (2.5 Ah?, one cell), the file's 4 cells and 50 Ah lost."""
    import json

    import numpy as np
    import pandas as pd

    from app.core.samples import SampleBlock
    from app.core.spec import preset
    from app.hardware.logs.canonical_csv import write_canonical_csv

    own = preset("nmc", capacity_ah=50.0, series_cells=4).with_ocv_table(
        [0.0, 50.0, 100.0], [3.0, 3.7, 4.2]
    )
    t = np.arange(10.0)
    frame = pd.DataFrame({"time_s": t, "voltage_v": np.full(10, 14.8), "current_a": 0.0 * t})
    block = SampleBlock.from_frame(frame)
    path = tmp_path / "pack.csv"
    write_canonical_csv(str(path), block, {"spec": json.dumps(own.to_dict())})
    source = create_source(f"{path.as_uri()}{query}")
    source.open()
    spec = source.spec
    source.close()
    assert (spec.chemistry.value, spec.capacity_ah, spec.series_cells) == battery[:3]
    assert (spec.ocv_v == own.ocv_v) is battery[3]


@pytest.mark.parametrize(
    ("url", "chemistry"),
    [
        ("sim://lfp?cells=4", "lfp"),
        ("sim://?cells=4", None),  # the simulator's default, not named
        ("sim:///lead_acid", "lead_acid"),
        ("file:///x.csv?chemistry=lfp", "lfp"),
        ("file:///lfp.csv", None),  # a file's name is no chemistry
        ("serial:///dev/ttyUSB0?protocol=jk&chemistry=nmc", "nmc"),
    ],
)
def test_one_definition_of_where_a_url_names_its_chemistry(url, chemistry):
    from app.hardware.registry import url_battery, url_chemistry

    parsed = parse_source_url(url)
    assert url_chemistry(parsed) == chemistry
    battery = url_battery(parsed)
    assert (battery.chemistry.value if battery else None) == chemistry
    if url.startswith("sim://"):  # the simulator reads the same (nmc when none is named)
        assert create_source(url).spec.chemistry.value == (chemistry or "nmc")


# --- the cell's OCV table (--ocv-table, --ocv-table-current-c), the one way for every source ---
@pytest.fixture
def ocv_csv(tmp_path) -> str:
    """An LFP cell's OCV table 10 mV under the preset's, as a C/50 discharge reads it."""
    from app.core.spec import preset

    soc, ocv = preset("lfp").ocv_table
    return write_ocv_table(tmp_path / "lfp_ocv.csv", soc, [v - 0.01 for v in ocv])


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=16&capacity_ah=100&{table}",
        "file:///data/pack.csv?chemistry=lfp&capacity_ah=100&cells=16&{table}",
        "can://virtual/bench?protocol=pylontech&chemistry=lfp&capacity_ah=100&cells=16&{table}",
        "serial:///dev/ttyUSB0?protocol=daly&chemistry=lfp&capacity_ah=100&cells=16&{table}",
    ],
)
def test_every_source_takes_the_ocv_table_and_its_current_as_the_cli_does(url, ocv_csv):
    """The URL's ``ocv_table``/``ocv_table_current_c`` give the battery the table and
    current ``--ocv-table``/``--ocv-table-current-c`` give it (and every source takes
    them alike); with the same table over the same battery the two agree."""
    import argparse

    from app.cli.battery_options import spec_from_args
    from app.core.spec import preset

    url = url.format(table=f"ocv_table={ocv_csv}&ocv_table_current_c=-0.02")
    spec = create_source(url).spec
    args = argparse.Namespace(
        chemistry=None, capacity_ah=None, cells=None, ocv_table=ocv_csv,
        ocv_table_current_c=-0.02, bol_resistance_ohm=None,
    )  # fmt: skip
    cli = spec_from_args(args, fallback=preset("lfp", capacity_ah=100, series_cells=16))
    assert spec == cli and spec.ocv_table_current_c == -0.02
    assert spec.ocv_table != preset("lfp").ocv_table
    assert create_source(url, spec=cli).spec == cli  # the caller's, the same: agreed


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ocv_table=/no/such.csv", "/no/such.csv: OCV table /no/such.csv: no such file"),
        ("ocv_table={table}.gone", "OCV table .*gone: no such file"),
        ("ocv_table_current_c=-0.02", "ocv_table_current_c needs the ocv_table"),
        ("ocv_table={table}&ocv_table_current_c=-1", "ocv_table_current_c = -1: an OCV table"),
        ("ocv_table={table}&ocv_table_current_c=slow", "'slow' is not a valid float"),
    ],
)
def test_a_bad_ocv_table_in_a_url_is_named_before_anything_opens(query, message, ocv_csv):
    url = "serial:///dev/ttyUSB0?protocol=jk&chemistry=lfp&cells=4&capacity_ah=100&"
    with pytest.raises(SourceError, match=message):
        create_source(url + query.format(table=ocv_csv))


def test_a_callers_other_ocv_table_than_the_urls_is_refused(ocv_csv, tmp_path):
    from app.core.spec import preset

    url = f"serial:///dev/ttyUSB0?protocol=jk&ocv_table={ocv_csv}"
    other = preset("lfp").with_ocv_table([0, 50, 100], [2.9, 3.25, 3.4])
    with pytest.raises(SourceError, match="the OCV table is .* in the URL but another"):
        create_source(url, spec=other)
    # a caller's battery with its chemistry's preset table leaves the table to the URL
    assert create_source(url, spec=preset("lfp")).spec.ocv_table[1][0] == pytest.approx(1.99)
