"""DBC signal mappings: suggested from names, units and multiplexing; saved and loaded."""

from __future__ import annotations

import pytest

from app.core.errors import SourceError
from app.hardware.can.dbc import load_dbc
from app.hardware.can.mapping import CanMapping, SignalMap, suggest_mapping


def by_column(mapping):
    return {s.column: s for s in mapping.signals}


def test_foxbms_suggestion_maps_multiplexed_cells_and_pack_values(real_can):
    db = load_dbc(str(real_can / "foxbms.dbc"))
    cols = by_column(suggest_mapping(db))
    # CellVoltage_000 (mV, multiplexed in f_CellVoltages) is cell 1, in volts
    c1 = cols["cell_1_v"]
    assert (c1.message, c1.signal, c1.scale) == ("f_CellVoltages", "CellVoltage_000", 0.001)
    assert "multiplexed" in c1.reason
    assert cols["cell_1_temp_c"].signal == "CellTemperature_000"
    assert len([c for c in cols if c.startswith("cell_") and c.endswith("_v")]) == 216
    assert (cols["voltage_v"].message, cols["voltage_v"].signal) == (
        "f_PackValuesP0",
        "BatteryVoltage",
    )
    # foxBMS counts discharge positive: flipped to the canonical + = charging
    assert (cols["current_a"].message, cols["current_a"].scale) == ("f_PackValuesP0", -1.0)
    # never a limit, an extreme, a flag or a count
    assert all("Minimum" not in s.signal and "Flag" not in s.signal for s in cols.values())


def test_suggestion_limited_to_messages_present_in_a_log(real_can):
    db = load_dbc(str(real_can / "foxbms.dbc"))
    cols = by_column(suggest_mapping(db, present_ids={0x243, 0x250, 0x260}))
    assert cols["voltage_v"].message == "f_StringValuesP0"
    assert cols["current_a"].message == "f_StringValuesP0"


def test_savvycan_suggestion(real_can):
    cols = by_column(suggest_mapping(load_dbc(str(real_can / "savvycan_bms.dbc"))))
    assert cols["voltage_v"].signal == "PACKVOLTS"
    assert cols["current_a"].signal == "PACKAMPS" and cols["current_a"].scale == 1.0
    assert cols["soc_reported_pct"].signal == "STATEOFCHARGE"


def test_mapping_round_trips_through_the_settings_directory(tmp_path):
    m = CanMapping(
        "bench-pack",
        [SignalMap("BMS", "V", "voltage_v"), SignalMap("BMS", "I", "current_a", -0.001)],
        dbc="pack.dbc",
    )
    assert CanMapping.from_dict(m.to_dict()) == m
    path = m.save()
    assert path.parent.name == "can_mappings" and str(tmp_path) in str(path)
    assert CanMapping.saved() == ["bench-pack"]
    assert CanMapping.load("bench-pack") == m
    assert m.trigger_message == "BMS"


def test_bad_mappings_are_user_errors():
    with pytest.raises(SourceError, match="no saved CAN mapping named 'nope'"):
        CanMapping.load("nope")
    with pytest.raises(SourceError, match="not a canonical column"):
        CanMapping("x", [SignalMap("M", "S", "volts")])
    with pytest.raises(SourceError, match="mapping name"):
        CanMapping.path_of("../escape")


def test_a_mapping_naming_signals_missing_from_the_dbc_is_refused(real_can):
    from app.hardware.can.dbc import DbcDecoder
    from app.hardware.can.rows import RowAssembler

    db = load_dbc(str(real_can / "savvycan_bms.dbc"))
    m = CanMapping("x", [SignalMap("BMS_STATUS", "NOPE", "voltage_v")])
    with pytest.raises(SourceError, match="BMS_STATUS.NOPE"):
        DbcDecoder(db, m, RowAssembler())


def test_a_malformed_dbc_is_a_source_error(tmp_path):
    bad = tmp_path / "bad.dbc"
    bad.write_text("BO_ this is not a dbc\n")
    with pytest.raises(SourceError, match="not a readable DBC"):
        load_dbc(str(bad))


def test_signal_choices_list_every_signal_with_its_multiplexing(real_can):
    from app.hardware.can.mapping import signal_choices

    choices = signal_choices(load_dbc(str(real_can / "foxbms.dbc")))
    cell = next(c for c in choices if c["signal"] == "CellVoltage_005")
    assert cell["message"] == "f_CellVoltages" and cell["unit"] == "mV"
    assert cell["multiplexer_ids"] == [1] and cell["frame_id"] == 0x250
    assert not any(c["signal"] == "f_CellVoltages_Mux" for c in choices)
