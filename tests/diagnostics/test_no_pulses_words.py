"""The internal resistance's "no pulses" words must be true of the log: an HPPC log's
first 49 s (sim://lfp?cells=16&profile=hppc) hold -2.5 A for 10 s from the start, then
rest; only steps from a settled level to a level away from rest are pulses, and the card
said the current "never steps from a settled level to one it holds" (it stepped to rest
and held it)."""

from __future__ import annotations

from app.core.spec import preset
from app.diagnostics.internal_resistance import measure_internal_resistance
from app.hardware.simulator import simulate


def test_a_level_held_then_a_rest_is_said_as_no_pulse_truthfully():
    spec = preset("lfp", series_cells=16)
    frame = simulate(spec, "hppc", duration_s=49, dt_s=0.1, seed=0).to_frame()
    current = frame["current_a"].to_numpy()
    assert current[0] < -1 and abs(current[-1]) < 0.01  # a level held, then a rest
    result = measure_internal_resistance(frame, spec)
    reason = result.to_dict()["no_pulses_reason"]
    assert "never steps from a settled level to another it holds away from rest" in reason
    assert "a step back to rest ends a pulse, it is not one" in reason
