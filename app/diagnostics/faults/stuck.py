"""The stuck-sensor decision: one rule, read by the fault detector and the SOC filter.

A channel is **stuck** from the moment its reading has not changed at all for
``STUCK_WINDOW_S`` (and ``MIN_SAMPLES`` samples) at a plausible value that is no
charger's setpoint (a limit held within ``SETPOINT_TOL_V``), when either

* it has a history of its own -- it flickered with noise, as a healthy sensor
  does, for at least ``STUCK_MIN_BASELINE_S`` before it froze (the faults
  diagnostic: ``STUCK_WINDOW_S``, its white noise measured per bin, see
  :mod:`.sensors`) -- and at least ``STUCK_PEERS`` of its peers changed meanwhile (noise, not a drift: a ramp read
  to a resolution changes at every reading and holds once a controller holds its
  value, a CV charge's cells and pack, a CC current), or
* it has none (it froze in a log's first minute) and is judged on its peers':
  every one of them changed meanwhile and they have flickered since the start;

and, for a reading known to be quantised before it froze (its quantum q,
:mod:`.resolution`; a hold itself makes a reading known) whose own white noise does
not span q, judged on its peers' history, only once its
peers' median moved by ``STUCK_QUANTA`` q since it froze (:func:`past_quantum`): a
healthy coarse reading holds for as long as its true value stays within a step,
which its peers show -- by a step's edge it toggles on its noise and flickers like a
sensor with noise, then holds as the value leaves the edge, however many samples a
second it reads;

or, a grouped channel of the faults diagnostic (a cell voltage or temperature among >= 3
of its kind) whatever its history -- a reading without noise has none that tells --, once
every peer moved since it froze by several of its quanta (and a cell voltage's load moved
it as far through its R0): its peers show where its true value went (:mod:`.sensors`,
Peers that moved; not the SOC filter's: its cells' evidence is per sample);

and it stays stuck (latched) until its reading changes again, whatever its
peers do meanwhile. :func:`stuck_trigger` is that rule, :func:`past_quantum` the
quantum's, :func:`latch_stuck` the latch, :func:`at_setpoint` the setpoint test;
nothing else decides it.

Two readers gather the evidence, at the resolution each needs:

* the faults diagnostic (:mod:`.sensors`) on 5 s bins of every channel (a bin
  changed or not; flicker: changed in >= 95 % of the baseline's bins, and white
  noise of its own in them, ``STUCK_OWN_WHITE``), with
  extra evidence of its own for a pack voltage or a current frozen in a log's
  first minute (the cells' sum moved, the mean cell jumped), OR-ed into the
  trigger; a pack voltage beside cell voltages is judged on the cells' sum with a
  history of its own too, and that history counts only once its own noise spans
  its resolution (a coarse reading that toggled on a step holds off it);
* the SOC filter (:mod:`app.diagnostics.frozen_cells`) on the samples of the
  cell voltages, so that a sample's mean cell is decided when the sample arrives
  (flicker: no hold of a bin's length, ``BIN_S``, since, and no drift -- a change
  in the direction of every change for ``STUCK_WINDOW_S`` and ``MIN_SAMPLES``
  samples --: white noise reverses direction at most samples, a ramp read to a
  resolution never; a clean 3-cell cycle log written to 6 digits had cell_1 left
  out of the mean for 173 s of its CV phase, its ramp before taken for flicker).

The evidence differs by its resolution, not by its rule: a bin-based decision
known at the end of a 5 s bin (and, live, only after the bin stage's start-up)
cannot decide a sample's mean when it arrives without changing the filter's
results, and a per-sample one would change the faults diagnostic's.
"""

from __future__ import annotations

import numpy as np

from app.diagnostics.faults.common import latch

#: Frozen: unchanged for this long ...
STUCK_WINDOW_S = 30.0
#: ... and over at least this many samples (a slow log needs a longer window).
MIN_SAMPLES = 10
#: Its own history: at least this much of it before it froze (twice the window,
#: so that a sensor stuck a minute into a log is found); the faults diagnostic, which
#: tests that history for white noise of its own, counts it from STUCK_WINDOW_S and
#: judges on the peers' history (or a twin) until this much.
STUCK_MIN_BASELINE_S = 60.0
#: The share of its peers that must have changed meanwhile.
STUCK_PEERS = 0.5
#: A quantised reading with noise under its quantum q (white-noise variance under
#: ``STUCK_QUANTUM_DITHER`` q²) judged on its peers' history holds while its true value
#: stays within a step: stuck only once its peers' median moved by this many q since it
#: froze (the pack voltage's twin's ``STUCK_PACK_QUANTA``): the true value crossed a
#: step's edge with room to spare (a hottest-cell temperature runs with the cells'
#: median; a cell of 8 % less resistance warms ~0.84 as fast).
STUCK_QUANTA = 2.0
#: ... noise spanning the quantum (variance >= this q²) cannot hold a reading for the
#: stuck window by chance (the pack voltage's ``STUCK_PACK_DITHER``).
STUCK_QUANTUM_DITHER = 1.0
#: A value frozen within 10 uV of a limit is a charger's setpoint (float32 reads
#: 4.2 V as 4.1999998 V); also 10 uA for the current at rest.
SETPOINT_TOL_V = 1e-5


def at_setpoint(value, targets):
    """``value`` (a float or an array) within ``SETPOINT_TOL_V`` of one of ``targets``
    (False for NaN)."""
    out = np.zeros(np.shape(value), dtype=bool) if not targets else False
    for x in targets:
        out = out | (abs(value - x) <= SETPOINT_TOL_V)
    return out


def stuck_trigger(candidate, own, peers_moving, n_peers, young, peers_flicker):
    """Where a channel becomes stuck (booleans, elementwise: arrays or plain values).

    ``candidate``: frozen at a plausible value, no setpoint; ``own``: it has a
    history of its own, in which it flickered; ``peers_moving`` of its ``n_peers``
    changed meanwhile; ``young``: no history of its own, judged on its peers';
    ``peers_flicker``: every peer changed meanwhile and flickered since the start.
    """
    return candidate & ((own & (peers_moving >= STUCK_PEERS * n_peers)) | (young & peers_flicker))


def past_quantum(moved, own_var, q2):
    """Whether a frozen reading may be judged stuck on its peers' history (elementwise):
    not known to be quantised (``q2``, its quantum squared, 0 or NaN), or its own
    white-noise variance ``own_var`` spans its quantum, or its peers' median ``moved``
    by ``STUCK_QUANTA`` quanta since it froze (see the module doc)."""
    q2 = np.asarray(q2, dtype=float)
    with np.errstate(invalid="ignore"):
        coarse = q2 > 0
        dithers = own_var >= STUCK_QUANTUM_DITHER * q2
        crossed = moved >= STUCK_QUANTA * np.sqrt(np.where(coarse, q2, 0.0))
    return ~coarse | dithers | crossed


def latch_stuck(trigger: np.ndarray, unchanged: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Stuck (rows, times) from a trigger on for as long as the reading has not
    changed since; ``carry`` (rows,), the state after the previous call, is updated."""
    return latch(trigger, unchanged, carry)
