import numpy as np
import pandas as pd

from app.core.spec import preset
from app.diagnostics.cell_balance import check_cell_balance
from app.diagnostics.safety import monitor_safety
from app.diagnostics.thermal import analyze_thermal

SPEC = preset("nmc", capacity_ah=5.0, series_cells=4)


def pack(n=600, cell_offsets=(0, 0, 0, 0), current=0.0, temp=25.0, cell_v=3.7):
    t = np.arange(n, dtype=float)
    cols = {f"cell_{k + 1}_v": np.full(n, cell_v + off) for k, off in enumerate(cell_offsets)}
    v = sum(cols.values())
    return pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": v,
            "current_a": np.full(n, current),
            "temperature_c": np.broadcast_to(temp, (n,)).astype(float),
            **cols,
        }
    )


def test_balanced_pack_is_ok_and_outlier_found():
    ok = check_cell_balance(pack(), SPEC)
    assert ok.status == "ok" and ok.spread_mv == 0 and ok.outlier_cells == []
    off = check_cell_balance(pack(cell_offsets=(0, 0.001, -0.001, -0.060)), SPEC)
    assert off.outlier_cells == [4]
    assert abs(off.spread_at_rest_mv - 61.0) < 1e-6
    assert off.status == "warning"
    assert off.soc_imbalance_pct > 1.0


def test_no_cells_means_unknown_not_ok():
    df = pack().drop(columns=[f"cell_{k}_v" for k in range(1, 5)])
    assert check_cell_balance(df, SPEC).status == "unknown"


def test_over_voltage_needs_debounce_and_grades_severity():
    df = pack(cell_v=4.19)
    df.loc[100:100, "cell_2_v"] = 4.30  # one-sample spike: debounced away
    assert monitor_safety(df, SPEC).status == "ok"
    df.loc[200:210, "cell_2_v"] = 4.25  # 11 s, 50 mV over (within 2 %): warning
    res = monitor_safety(df, SPEC)
    assert res.status == "warning"
    (event,) = res.events
    assert event.check == "cell_over_voltage" and event.channel == "cell_2_v"
    assert event.start_time_s == 200 and event.end_time_s == 210
    df.loc[300:320, "cell_3_v"] = 4.40  # far over: critical
    assert monitor_safety(df, SPEC).status == "critical"


def test_charging_below_freezing_is_flagged_but_discharging_is_not():
    assert monitor_safety(pack(current=-2.0, temp=-5.0), SPEC).status == "ok"
    res = monitor_safety(pack(current=2.0, temp=-5.0), SPEC)
    assert {e.check for e in res.events} == {"under_temperature"}


def test_thermal_rate_and_heat():
    df = pack(n=1200, current=-5.0, temp=25.0 + np.arange(1200) / 60.0)  # 1 degC/min
    th = analyze_thermal(df, SPEC)
    assert abs(th.max_rise_rate_c_per_min - 1.0) < 1e-6
    p = SPEC.ecm.for_capacity(5.0)
    r = (p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]) * 4
    assert abs(th.mean_heat_w - 25.0 * r) < 1e-9


def test_healthy_pack_cycled_to_the_cutoff_is_balanced():
    # the cells fan out at the bottom of discharge (capacity spread), which is no imbalance
    from app.hardware.simulator import simulate

    data = simulate(SPEC, profile="cycle", duration_s=20000, dt_s=2.0, seed=0).to_frame()
    res = check_cell_balance(data, SPEC)
    assert res.spread_max_mv > 100  # the fan-out is there ...
    assert res.status == "ok"  # ... and not mistaken for imbalance


def test_single_cell_says_balance_does_not_apply():
    df = pack(cell_offsets=(0,))
    res = check_cell_balance(df, SPEC)
    assert res.status == "unknown" and "single cell" in res.recommendation


def test_thermal_rate_of_a_sensor_with_gaps_is_over_its_own_samples():
    # the pack sensor is steady; a cell sensor with a gap rises 2 degC/min after it
    df = pack(n=1200)
    cell = np.full(1200, 25.0)
    cell[600:] = 25.0 + 2.0 * (np.arange(600, 1200) - 600) / 60.0
    cell[300:600] = np.nan
    df["cell_1_temp_c"] = cell
    th = analyze_thermal(df, SPEC)
    assert abs(th.max_rise_rate_c_per_min - 2.0) < 1e-6
