"""A source URL's battery limits (``cell_v_max=``, ``cell_v_min=``, ..., the spec's field
names, as the CLI's ``--cell-v-max`` ...): what the window's Cell V min/max fields write,
and the CLI's ``record`` takes. A URL had no way to give them, so a 3.9-4.7 V
high-voltage cell's own OCV table in a URL (the window's only way) was refused whatever
its limits."""

from __future__ import annotations

import argparse

import pytest

from app.cli import main
from app.core.errors import SourceError
from app.core.spec import preset
from app.hardware.protocols import parse_connection
from app.hardware.registry import create_source, parse_source_url, url_battery_values
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA

#: a high-voltage cell's OCV, 3.9 V empty to 4.7 V full (the Neware export's cell runs
#: 3.9-4.7 V), none of the presets' chemistries
HV_SOC = tuple(range(0, 101, 10))
HV_OCV = tuple(3.9 + 0.8 * (s / 100) ** 0.8 for s in HV_SOC)
OWN_LIMITS = "&cell_v_min=3&cell_v_max=4.75"


@pytest.fixture
def hv_table(tmp_path) -> str:
    return write_ocv_table(tmp_path / "hv_ocv.csv", HV_SOC, HV_OCV)


def test_the_limits_of_a_url_are_read_and_checked_as_the_options_are():
    parsed = parse_source_url("sim://nmc?cell_v_max=4.75&cell_v_min=3&max_charge_current_c=3")
    values = url_battery_values(parsed)
    assert (values["cell_v_max"], values["cell_v_min"]) == (4.75, 3.0)
    with create_source(parsed.raw) as source:
        spec = source.spec
    assert (spec.cell_v_min, spec.cell_v_max, spec.max_charge_current_c) == (3.0, 4.75, 3.0)
    # the CLI's own words for a millivolt value, a pack's voltage or 100C
    for query, said in (
        ("cell_v_max=4750", "cell_v_max=4750 V is not one cell's voltage (at most 5.5 V)"),
        ("cell_v_max=abc", "cell_v_max='abc' is not a valid float"),
        ("cell_v_min=-1", "cell_v_min=-1 V must be a positive number"),
        ("max_charge_current_c=500", "max_charge_current_c=500 is not a C-rate"),
        ("cell_v_min=4.8&cell_v_max=4.75", "cell_v_min=4.8 is not below cell_v_max=4.75"),
        # one given, out of order with the preset's other: the URL and the value named
        ("cell_v_min=4.3", "cell_v_min=4.3: cell voltage limits out of order"),
    ):
        with pytest.raises(SourceError, match="sim://nmc") as err:
            create_source(f"sim://nmc?{query}")
        assert said in str(err.value)


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_high_voltage_neware_cells_table_is_taken_with_its_limits_only(hv_table):
    neware = REAL_DATA / "neware" / "nw_regular_export_ife_example.csv"
    url = f"file://{neware}?chemistry=nmc&capacity_ah=0.35&cells=1&ocv_table={hv_table}"
    with pytest.raises(SourceError, match="give its voltage limits, --cell-v-max, --cell-v-min"):
        create_source(url)
    spec = create_source(url + OWN_LIMITS).spec
    assert (spec.cell_v_min, spec.cell_v_max) == (3.0, 4.75)
    assert spec.ocv_v == pytest.approx(HV_OCV, abs=1e-4)
    # the limits still judge the table: 4.3 V is below its 4.7 V top
    with pytest.raises(SourceError, match=r"above the 4\.3 V charge limit"):
        create_source(url + "&cell_v_min=3&cell_v_max=4.3")


def test_a_battery_given_with_the_url_must_agree_with_its_limits():
    own = preset("nmc", series_cells=2).with_overrides(cell_v_max=4.3)
    with pytest.raises(SourceError, match=r"cell_v_max is 4\.4 in the URL but 4\.3.*--cell-v-max"):
        create_source("sim://nmc?cells=2&cell_v_max=4.4", own)
    # a battery of the preset's limits leaves them to the URL
    spec = create_source("sim://nmc?cells=2&cell_v_max=4.4", preset("nmc", series_cells=2)).spec
    assert spec.cell_v_max == 4.4
    # limits with no battery to belong to are refused, not dropped
    with pytest.raises(SourceError, match="cell_v_max needs the battery it belongs to"):
        create_source("serial:///dev/null?protocol=vedirect&cell_v_max=4.4")


def test_the_catalogue_writes_and_checks_the_limits():
    url = "serial:///dev/ttyUSB0?protocol=vedirect&chemistry=nmc&cells=1&capacity_ah=1"
    connection = parse_connection(url + OWN_LIMITS)
    assert connection.values["cell_v_max"] == "4.75" and not connection.problems()
    assert connection.url() == url + OWN_LIMITS
    for query, said in (
        ("&cell_v_max=abc", "Cell V max must be a number, not 'abc'"),
        ("&cell_v_max=4750", "Cell V max 4750 V is not one cell's voltage"),
        ("&cell_v_min=4.8&cell_v_max=4.75", "Cell V min 4.8 V must be below Cell V max 4.75 V"),
        ("&cell_v_min=4.3", "Cell V min 4.3 V must be below Cell V max 4.2 V (the nmc preset's)"),
    ):
        assert any(said in p for p in parse_connection(url + query).problems()), query


def test_record_takes_the_limits_in_the_url_as_its_options(tmp_path, capsys):
    """The URL the window writes, on the command line: the samples are watched against
    its limit (as ``record --cell-v-max 3.9`` watches them)."""
    out = tmp_path / "rec.csv"
    url = "sim://nmc?cells=2&speed=0&rate_hz=10&cell_v_max=3.9"
    assert main(["record", url, "--duration", "300", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "cell 2.5-3.9 V" in lines[0]
    raised = [line for line in lines if line.startswith("alert raised")]
    assert raised and "cell_v_max above 3.905" in raised[0]
    # with a battery option as well, the URL's limit stays (the option names no limit)
    from app.cli.battery_options import source_battery

    args = argparse.Namespace(
        chemistry="nmc", capacity_ah=None, cells=None, ocv_table=None, bol_resistance_ohm=None
    )
    spec, _log = source_battery(args, url)
    assert spec.cell_v_max == 3.9
    assert create_source(url, spec).spec.cell_v_max == 3.9
