"""CAN throughput: a 1 Mbit/s bus at 100 % load (9,000 8-byte frames/s) into the CAN
source, on python-can's virtual bus. Targets: zero dropped frames, decode <= 50 % of
one core, frame arrival to block <= 100 ms.

A producer thread sends every frame with a sequence number (in the 0x356 voltage
word for the BMS protocol; in a ``Seq`` signal for the DBC decoder), paced in
10 ms bursts. The main thread runs the source as the acquisition thread does
(``read(0.1)`` in a loop). Reported: frames sent / received / dropped (sequence
gaps), the source thread's CPU time (``time.thread_time``) as a fraction of
one core, and the latency from a frame's arrival (its bus time stamp) to the
block that carries it (the GUI's redraw timer adds up to one 40 ms tick).

    python benchmarks/bench_can.py                  # 15 s, BMS protocol
    python benchmarks/bench_can.py --decoder dbc    # through cantools and a mapping
    python benchmarks/bench_can.py --minutes 10     # the full figure
"""

from __future__ import annotations

import argparse
import os
import struct
import tempfile
import threading
import time

import numpy as np

RATE = 9000  # frames/s: 100 % of 1 Mbit/s with 8-byte frames
BURST_S = 0.01
SEQ_MOD = 30_000  # the sequence travels in a signed 16-bit word (BMS protocol)

BENCH_DBC = """VERSION ""
NS_ :
BS_:
BU_: BMS
BO_ 1110 PackStatus: 8 BMS
 SG_ Seq : 0|16@1+ (1,0) [0|65535] "" Vector__XXX
 SG_ PackVoltage : 16|16@1+ (0.01,0) [0|655.35] "V" Vector__XXX
 SG_ PackCurrent : 32|16@1- (0.1,0) [-3276.8|3276.7] "A" Vector__XXX
 SG_ PackTemperature : 48|16@1- (0.1,0) [-3276.8|3276.7] "degC" Vector__XXX
"""


def frame_of(seq: int, decoder: str) -> tuple[int, bytes]:
    if decoder == "pylontech":
        return 0x356, struct.pack("<hhh", seq % SEQ_MOD, -125, 251) + b"\0\0"
    return 1110, struct.pack("<HHhh", seq % 65536, 5200, -125, 251)


def producer(bus, seconds: float, decoder: str, sent: list[int], done: threading.Event) -> None:
    import can

    per_burst = int(RATE * BURST_S)
    start = time.perf_counter()
    seq = 0
    bursts = int(seconds / BURST_S)
    for k in range(bursts):
        for _ in range(per_burst):
            fid, data = frame_of(seq, decoder)
            bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=False))
            seq += 1
        sent[0] = seq
        wait = start + (k + 1) * BURST_S - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    done.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=0.25)
    parser.add_argument("--decoder", choices=("pylontech", "dbc"), default="pylontech")
    args = parser.parse_args()

    import can

    from app.hardware.can.mapping import CanMapping, SignalMap
    from app.hardware.registry import create_source

    channel = f"bench-can-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        if args.decoder == "pylontech":
            url = f"can://virtual/{channel}?protocol=pylontech"
        else:
            os.environ["BATTERYOS_CONFIG_DIR"] = tmp
            dbc = os.path.join(tmp, "bench.dbc")
            with open(dbc, "w") as fh:
                fh.write(BENCH_DBC)
            CanMapping(
                "bench",
                [
                    SignalMap(
                        "PackStatus", "Seq", "cycle_index"
                    ),  # the sequence number rides along
                    SignalMap("PackStatus", "PackVoltage", "voltage_v"),
                    SignalMap("PackStatus", "PackCurrent", "current_a"),
                    SignalMap("PackStatus", "PackTemperature", "temperature_c"),
                ],
            ).save()
            url = f"can://virtual/{channel}?dbc={dbc}&mapping=bench"
        source = create_source(url)
        source.open()
        tx = can.Bus(interface="virtual", channel=channel)
        sent, done = [0], threading.Event()
        seconds = args.minutes * 60
        prod = threading.Thread(target=producer, args=(tx, seconds, args.decoder, sent, done))
        seqs: list[np.ndarray] = []
        latencies: list[np.ndarray] = []
        received = 0
        cpu0, proc0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
        prod.start()
        while True:
            block = source.read(0.1)
            if block is None:
                if done.is_set() and received >= sent[0]:
                    break
                if done.is_set() and time.perf_counter() - wall0 > seconds + 5:
                    break  # frames lost for good
                continue
            now = time.time()
            latencies.append(now - (block["time_s"] + source._t0))
            if args.decoder == "pylontech":
                seqs.append(np.rint(block["voltage_v"] * 100).astype(np.int64))
            else:
                seqs.append(block["cycle_index"].astype(np.int64))
            received += len(block)
        cpu = time.thread_time() - cpu0
        proc = time.process_time() - proc0
        wall = time.perf_counter() - wall0
        prod.join()
        source.close()
        tx.shutdown()
    seq = np.concatenate(seqs)
    modulus = SEQ_MOD if args.decoder == "pylontech" else 65536
    gaps = int(np.count_nonzero(np.mod(np.diff(seq), modulus) != 1))
    lat = np.concatenate(latencies) * 1000
    print(f"decoder {args.decoder}, {args.minutes:g} min at {RATE} frames/s on virtual")
    print(
        f"frames sent {sent[0]}, received {received}, dropped {sent[0] - received}, "
        f"sequence gaps {gaps}"
    )
    print(f"health {source.health.snapshot()}")
    print(
        f"decode CPU {cpu:.1f} s over {wall:.1f} s = {100 * cpu / wall:.1f} % of one core "
        f"(target <= 50 %); {1e6 * cpu / max(received, 1):.1f} us/frame"
    )
    print(f"whole process (with the producer sending) {100 * proc / wall:.1f} % of one core")
    print(
        f"arrival to block: median {np.median(lat):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, "
        f"max {lat.max():.1f} ms (target <= 100 ms); "
        f"{100 * np.mean(lat > 100):.3f} % of frames over 100 ms"
    )


if __name__ == "__main__":
    main()
