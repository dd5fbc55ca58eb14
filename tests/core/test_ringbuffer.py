import numpy as np

from app.core.ringbuffer import RingBuffer
from app.core.samples import SampleBlock


def block(t0, n, extra=None):
    t = np.arange(t0, t0 + n, dtype=float)
    cols = {"time_s": t, "voltage_v": t * 2, "current_a": -t}
    cols.update(extra or {})
    return SampleBlock(cols)


def test_wraps_and_keeps_time_order():
    rb = RingBuffer(10)
    for start in range(0, 25, 5):
        rb.append(block(start, 5))
    snap = rb.snapshot()
    assert list(snap["time_s"]) == list(range(15, 25))
    assert np.array_equal(snap["voltage_v"], snap["time_s"] * 2)
    assert rb.total == 25 and len(rb) == 10


def test_block_larger_than_capacity_keeps_newest():
    rb = RingBuffer(4)
    rb.append(block(0, 10))
    assert list(rb.snapshot()["time_s"]) == [6, 7, 8, 9]


def test_new_column_is_backfilled_with_nan_and_last():
    rb = RingBuffer(8)
    rb.append(block(0, 3))
    rb.append(block(3, 2, {"temperature_c": np.array([20.0, 21.0])}))
    snap = rb.snapshot()
    assert np.isnan(snap["temperature_c"][:3]).all()
    assert list(snap["temperature_c"][3:]) == [20.0, 21.0]
    assert list(rb.snapshot(last=2)["time_s"]) == [3, 4]
    assert rb.latest()["temperature_c"] == 21.0


def test_snapshot_with_total_reads_both_together():
    import numpy as np

    from app.core.ringbuffer import RingBuffer
    from app.core.samples import SampleBlock

    ring = RingBuffer(8)
    t = np.arange(5, dtype=float)
    ring.append(SampleBlock({"time_s": t, "voltage_v": t, "current_a": t}))
    frame, total = ring.snapshot_with_total()
    assert total == ring.total == 5 and len(frame["time_s"]) == 5
    ring.append(SampleBlock({"time_s": t + 5, "voltage_v": t, "current_a": t}))
    frame, total = ring.snapshot_with_total()
    assert total == 10 and list(frame["time_s"]) == [2, 3, 4, 5, 6, 7, 8, 9]
