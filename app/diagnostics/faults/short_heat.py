"""The heat an internal short could be making in a cell, read from the cell's voltage:
what the runaway-onset test (:mod:`.thermal`) must see exceeded before it calls a
cell's heating a runaway.

A resistor R_s across a cell draws I_s = V/R_s through the cell's own resistance and
turns V·I_s into heat inside it. The current shows at once as a drop of the cell's
voltage against the other cells': I_s·R0 at the onset, more as the RC overpotentials
build up (R1, R2). So the drop, over the cell's ohmic resistance R0 (at its measured
temperature: :func:`~app.core.spec.resistance_temperature_factor`), bounds the short's
current from above, and V·I_s over the cell's heat capacity (the spec's ECM) bounds the
rate at which the short can heat it (no cooling). A thermal runaway's self-heating has
no electrical cause: its cell's voltage holds (until the separator melts) while it heats
ever faster, so its heating outgrows any short its voltage allows.

Why the temperature alone cannot tell them apart: the onset of a short is a step of
the cell's heating rate (a 10 ohm short across a 5 Ah NMC cell at 3.7 V: 1.4 W, ~1.1
degC/min), the onset of a runaway an exponential take-off from ~1 degC/min (e-folding
in ~60 s); within the minute a runaway must be found in, their curves differ by less
than a 5 s bin's noise once a ramp is fitted. The voltage tells them apart at once (the
same short drops its cell by ~5.5 mV through R0 alone, ~8 mV within 30 s; 2 mV sensors
average that to ~0.6 mV over the 20 s edges of the window).

The drop: the cell's voltage less the median of the *other* cells' (the median of all
four cells of a 4-cell pack is the mean of the middle two, which a middle cell's drop
drags along: a 10 ohm short's 7.8 mV read as 3 mV), its mean over the window's last
``edge`` bins below its mean over a baseline: the window's first ``edge`` bins and the
minute before the window (``BASELINE_BEFORE_S``). Under load a cell whose resistance
differs from the median's moves with the current: that share (the deviation's slope on
the pack current, fitted over ``LOAD_HISTORY_S`` before the window, with a ridge that
holds it at 0 where the current did not vary) is taken out first. The load enters as
the nominal cell's overpotential (R0 I and its two RC pairs, the spec's ECM): a cell
whose resistances are all (1 + r) times the nominal's deviates by r times it, its RC
relaxation after a load step included (a 16-cell NMC pack's hottest cell, 8 % over the
median, read the relaxation after a rest-to-1C step as a 5 mV 'drop' and held its
runaway 4 s past the minute). So are the change of the cell's own IR drop with its
temperature (under a charging current a warming cell reads lower, a runaway's as well)
and the cell's drift over the 5 minutes before the window, carried on (a cell with less
capacity drifts along the OCV curve under load). A voltage frozen over the last bins (a
stuck sensor: the others moving read as its drop) explains nothing. A cell heating at no more than ``SHORT_HEAT_FACTOR``
times the rate its drop allows is not in runaway.

Corrections. The load share, the warming and the drift are corrections that take a
drop away, never make one: a warming cell under a *discharge* current rises against
the others (its resistance falls), and the warming's correction (the whole DC
resistance's change, where within the window only R0 and the fast RC pair follow: 44
mV over a 15 K rise at 5 A on a 4-cell NMC pack, where the cell rose 31 mV) read a
runaway cell's rise as a 'drop' of 10-15 mV, a short of ~3 degC/min that grew with the
runaway's own heat. Likewise a cell's drift *up* before the window, carried on (a
resistance's RC pair still settling minutes into a constant load, extrapolated as a
straight line), read a flat cell as a drop. Runaways in a log's first minutes
(``bench_faults.py --parts detection --first-seed 70 --seeds 6 --chem nmc --onsets 60
300 1000 3000 --profiles cc cycle hppc drive --cases runaway``), within 60 s: 77 -> 92
of 96 (onsets 60 and 300 s: 34 -> 48 of 48, worst 179 -> 44 s); the short table
below unchanged (2 onset alarms of 120, 96 found).

A short heats its cell at once. A drop bounds a short's current from above; the short's
heat starts with it. So the drop explains nothing where the cell's temperature, over the
window's last bins since the drop came (those at least half of it below the baseline),
rose less than the least heat such a short makes there (half the drop over the whole DC
resistance, V·I/C: no cooling in minutes), by ``UNHEATED_Z`` standard errors of the bin
means. Near a 1C discharge's end the cell with the least capacity reaches the steep end of
its OCV curve first and falls ~50 mV against the others within two minutes (the drop of a
2-3 A short, ~6 degC/min at once) while its temperature rises ~0.5 degC: a runaway from
3000 s on it was put down to that 'short' and found 134-209 s after its onset. The same
benchmark's onset 3000 s (NMC): 20 -> 22 of 24 within 60 s, worst 209 -> 74 s (the two
left, 69 and 74 s, a rest after the discharge: a 2-3 mV relaxation against the others
that the runaway's own heat does follow); LFP 19 -> 24 of 24, worst 169 -> 44 s. A real
short heats at more than twice that least heat (its drop over R0, not the DC resistance,
is its current), so the bound holds shorts with margin: the short table below unchanged.

A bend of the OCV curve. Under a current the cells' SOCs move together, but a cell whose
SOC runs ahead of its peers' crosses a bend of the OCV curve before them: on an LFP C/2
charge a cell ~1.5 % ahead crosses the table's bend at 40 % SOC (4.6 -> 1.4 mV per %)
~2 minutes before the others' median and falls ~5 mV against it meanwhile -- the drop
of a ~0.4 A short, sure and remembered, which held a runaway of that cell (``bench_faults.py``
seed 1131, 8 cells, onset 6,207 s) to 82 s after its onset. So the change of the
deviation that the OCV curve makes of the cells' SOCs is a correction too (it takes a
drop away, never makes one; :meth:`ShortHeat._ocv_bend`): the peers' SOC read from the OCV
table at their baseline voltage less the nominal cell's overpotential, the cell's at its
deviation above them, both carried on by the charge drawn to the last bins. Only a
deviation *above* the peers is read as a SOC's (a short's drop would read as a SOC behind
them: an NMC short's 38 mV in a CV phase, the peers on the curve's steeper end, took 5 mV
off its own drop), and of it only what exceeds ``BEND_RESISTANCE_SHARE`` of the
overpotential, a resistance's share (an LFP cell 3.2 mV above its peers, ~13 % of the 19
mV overpotential, crossed the 50 % bend only ~0.5 % ahead of them; read as 1 % ahead, its
predicted bend took 1 mV off its short's 3 mV drop and the short's heat raised an onset
alarm). Runaways under a charge (``--cases runaway --profiles cycle cc cccv --chem lfp
--cells 8 16 --onsets 5800 5950 6100 6250 6400``) within 60 s: seeds 1130-1132 89 -> 90 of
90 (1131, 16 cells, from 5,950 s: 79 -> 34 s), 1160-1163 119 -> 120 of 120 (1161, 8 cells:
74 -> 44 s); the shorts' onset alarms the same, run for run (see ``bench_faults.py``,
session 34). What is left: a cell whose resistance's share is more than the allowed one
reads ahead of its peers by the excess; a cell ahead by less than it crosses its bends
unread.

A short that began before the window. Once the short's onset has left the window's
baseline, the drop is gone from the window while its heat goes on. So a drop that held
for ``SURE_BINS`` successive bins at ``DROP_Z`` standard errors (its noise from the
load fit's residuals), with the cell heating, explains that cell's heat for
``SHORT_MEMORY_S`` after; past that, the onset test's own rule for a cell already
heating before its window (:mod:`.thermal`, ``STEADY_START_C_PER_MIN``) holds the
steady heat of the short apart from an acceleration.

A short in a log's first minutes. A drop is sure at ``DROP_Z`` standard errors of the
deviation's noise, read from its residuals over the load fit's bins before the window
and the window's first bins (``MIN_NOISE_BINS`` of them at least). A short 30 s into a
log drops its cell within the window from the first bins on, but with under 20 s of
bins before the window's end edge that noise was not known: no drop was sure, none was
remembered, and once the onset left the window's baseline (~3 minutes in) the short's
steady heat (NMC 10 ohm on a 16-cell pack at rest, ~1.5 degC/min) raised an onset alarm,
withdrawn when the short test found the short at 479 s. There, at rest (the current
within ``LOAD_RIDGE_C`` of 1C over all the bins known), the noise is the bins' own: the
median of their squared second differences over all the bins known (the short's step
is one outlier among them, not the noise; over ``D2_MEDIAN`` times six, a white noise's
variance). Under a current it stays unknown: the cells' RC overpotentials still build
from the log's start (the nominal cell's, from a zero state), a cell with more
resistance falling away from the others with no history to carry its drift on -- a
runaway cell 30 s into a charge (16-cell NMC, seed 62) read a sure 'drop' of 2.5
degC/min and was found 59 s after its onset, not 39 s. ``bench_faults.py --parts
detection --onsets 5 30 --cells 4 16 --cases runaway short --brief``, shorts with an
onset alarm before -> after: seeds 1-2 24 -> 21 of 128; held out, ``--first-seed 60
--seeds 3``, 37 -> 34 of 192 (onset 30 s: 6 -> 3); runaways the same seconds
(72/72 and 108/108 found, worst 64 and 54 s either way). ``--cases runaway --onsets 5
30 60 --first-seed 300 --seeds 4``: every runaway at the same second (216/216, worst
64 s either way: 4-cell packs from 5 s). What is left: shorts from a log's 5th second
(no bins before the drop: it is in the baseline) and under a current.

A pack without cell voltages. A BMS that logs the pack voltage, the current and one
temperature sensor (the pack's, read as the hottest cell's) gives the onset test a lone
sensor and no cell to ask: every short that heated its cell fast enough raised an onset
alarm, and the short test (which reads the cells) never finds it. The short's current
drops the pack voltage as it drops its cell's, by the same I_s R0 at once; the pack
voltage less the nominal cells' overpotential (n times the nominal cell's, its RC pairs
included) is then the deviation, the cells' OCV its reference, and a drop explains a heat
only when it is sure (``DROP_Z`` standard errors): the noise of n cells' sum (4 mV on 4
cells at 2 mV each) is as large as a 10 ohm short's drop, and a noise 'drop' must not
explain a runaway's heat. The mean cell's voltage (the pack's over n) gives the short's
power.

The deviation moves with the cells' charge, so it is modelled over the ``LOAD_HISTORY_S``
before the window and carried on through it (:meth:`ShortHeat._pack_fit`): where the
current moves, on the time, the nominal cell's R0 I and its two RC pairs (each its own
share, with the ridge: the pack's cells differ from the nominal in each) and the charge
drawn (the OCV's slope); at rest on the time alone. Its error is the bins' noise about
that model, the fit's carried on, and the model's own: the drop the same model read at
the window before, beyond its noise (a drive's load the nominal cell does not follow).
Before, the drop was read only where the current held still, so a drive never read one:
of the onset alarms on shorts of ``bench_pack_only_faults.py --seeds 3`` (4 cells, seeds
1-3) 39 were the short's own heat 11-148 s after its onset (drives, a cycle's C/2
charge, a few HPPC and rest shorts), 6 the log-start alarm of NMC cycle seed 3 (54 s into
the log, no short yet). Now 33 of 216 (drives 20 -> 8; HPPC and rest 2 -> 2, one LFP 10
ohm short each way); held out, seeds 50-52, 45 -> 35; runaways the same tables to the
second (39/39; within 60 s 39 and 37, as before). Without the model's own error (the
fit's noise alone), clean 4-cell packs (seeds 1-2, 9000 s) explained 2 degC/min or more
in 1-5 % of their windows on cycles and constant currents, and a runaway was found 148 s
after its onset; with it, in at most 4 of 3590 windows (0.1 %; a pack with cell
voltages: 0.3-0.9 %).

A constant current (a CC phase, a charge) is not read: the drift of its OCV was carried
on only down, and its noise was the bins' spread about a constant, so a charge (the OCV
rising ~0.5 mV/s on a 4-cell NMC pack at C/2) read a noise of 24 mV and no drop. A
straight line and its square in time, carried on both ways, read those shorts (seeds 1-3:
33 -> 24 of 216), but an LFP pack's OCV bends where its plateaus meet: a 9 mV 'drop' of
the model, sure at 4.5 standard errors, came on a C/2 charge with a runaway's onset
(held-out seed 51) and held its alarm from 47 to 182 s after the onset. Not taken:
there the drop is not told from the OCV's own bend, and those shorts are left (the
cycles' C/2 charges, 17 of the 27 alarms at a short's onset).

A step under a constant current. What does tell the short's drop from the OCV's bend is
its time: the short's current comes at once, so the pack voltage steps down by I_s R0
within a bin (and on by the RC pairs' build-up), where the OCV (the cells' charge, at a
constant current steady in time) only bends, its slope changing over minutes. So under a
constant current (:meth:`ShortHeat._pack_step`; not at rest, where the model reads) each
bin edge of the window is tried: the deviation's straight line over the ``STEP_LEFT_S``
before the edge, carried on, against the mean of the (up to ``STEP_RIGHT_S`` of) bins
after it; the edge of the largest z counts. Its noise: the median of the squared second
differences over the ``LOAD_HISTORY_S`` before the window (a smooth curve's are next to
none), and the model's own error, the mean square of the same step read at the bin edges
before the window beyond the noise's share (without it an LFP charge's bend read a sure
'drop' at a runaway's onset, held-out seed 63, and held its alarm 51 -> 56 s; with a line
over 120 s and 60 s of bins after the edge, seed 51's 47 -> 122 s; a line over 180 s
alone, 47 -> 112 s: see :mod:`bench_pack_only_faults`). A bend's curvature
errs the line carried on alike at either side of the edge; a slope's change, by the change
times the right bins' mean time (15 s at most): a few tenths of a mV on the cycles'
charges, where a 3 ohm short steps a 4-cell NMC pack by ~17 mV and a 1 ohm one by ~50 mV.
The drop then goes through the rest of this test as before: sure at ``DROP_Z`` standard
errors, followed by the cell's heat (``UNHEATED_Z``), the window's levels read about that
line carried on. Runs with an onset alarm, ``bench_pack_only_faults.py --seeds 3 --parts
shorts``: 33 -> 21 of 216 (every 1 and 3 ohm short on the cycles' C/2 charges, 10, each
alarmed 13-27 s after its onset before; and NMC seed 1's default and seed 2's 10 ohm, 58
and 63 s); held out, ``--first-seed 50 --seeds 3``, 35 -> 20 (the 1 and 3 ohm shorts on
the charges, 12, and three 10 ohm or default ones); 16 cells, ``--cells 16``, 38 -> 32 of
144. Runaways, ``--seeds 3 --cells 4 16 --parts runaways``, ``--first-seed 50`` and
``--first-seed 60 --seeds 4``: the same tables, line for line. What is left on the
charges: the 10 ohm and default shorts (NMC ~6 mV, z 3-4 at the step; LFP ~3 mV, z under
2), whose heat of ~1.1 degC/min a runaway's onset equals for its first minute.

A pack sensor over the cells' voltages. A log with the cells' voltages but no cell
temperatures leaves the onset test the pack's ``temperature_c`` alone -- the hottest
cell's, whichever it is -- and no cell of its own to ask: a default short (10 ohm on a 5
Ah NMC cell, ~1.4 W) heats its cell steadily at ~1 degC/min, the pack sensor follows it
once it is the hottest (the max of the cells' noisy sensors bends into the ramp, a
take-off's shape), and every such NMC log raised a CRITICAL onset on ``temperature_c``
39-69 s after the short's onset (``benchmarks/validate/few_temps.py``, seeds 730-731 and
700-703: 24 of 24; LFP's 0.44 degC/min stays under the self-heating rate). The short drops
its own cell's voltage all the same, so the pack sensor asks every cell: the most any
cell's drop explains, by a sure drop only (``DROP_Z`` standard errors: the most of
several cells' noise 'drops' must not explain a runaway's heat -- read at any drop, 7 of
64 runaways on 4-cell packs were found 10-30 s later). Now 0 of 24; runaways with no
cell temperatures (4 cells, cells 2 and 3, 4 profiles, seeds 700, 701, 730, 731: 64
runs) at the same second but one (NMC cycle, seed 701, cell 2: 64 -> 74 s, a sure drop of
some cell explaining its first windows; not looked into further).

Where no short explains. Above ``SELF_HEATING_ONSET_C`` (the onset of a Li-ion cell's
own exothermic reactions) an accelerating heat is a runaway whatever started it, and a
cell whose voltage collapses (its separator melted, a runaway's end) is no benign short.

Figures (``bench_faults.py --parts detection --cases short --short-ohms 1 3 10 30 100
--brief``, 4 cells, seeds 1-2, NMC/LFP/lead-acid on drive, cycle, HPPC and rest, onsets in
5400-7200 s): runs that raised a runaway-onset alarm (reported, or withdrawn as the
short's heat) 57 -> 2 of 120 (30 ohm shorts, NMC on a drive and
LFP on a cycle, seed 2: noise excursions on a cell its short heats at ~0.3 degC/min,
before the short test confirmed the short), and the 1 and 3 ohm shorts on NMC and LFP, which
were reported as runaways only (the short dropped as the runaway's heat), are now found
(shorts found 64 -> 96 of 120; the lead-acid 10-100 ohm shorts, 0.02-0.2 A on
100 Ah, are beyond the short test either way). Runaways (``--cases runaway --seeds 4
--cells 4 16``, seeds 1-4 and 300-303): every one found at the same second as before
(144/144; within 60 s 139/144 either way).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.signal import lfilter

from app.core import schema
from app.core.spec import BatterySpec, resistance_temperature_factor
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import History, as_slice, bins_for, one_c_a
from app.diagnostics.finite import nan_to_num

#: The cell's load share (its voltage deviation's slope on the nominal cell's
#: overpotential, see :meth:`ShortHeat._overpotential`) is fitted over the runaway
#: test's window and this long before it.
LOAD_HISTORY_S = 300.0
#: ... with a ridge of this current spread (a fraction of 1C, times the cell's DC
#: resistance) per bin; none at all where the current's spread over those bins is
#: within it (a rest, a constant current: a slow RC term would take up the short's
#: own step).
LOAD_RIDGE_C = 0.02
#: ... and on at least this long of bins; on fewer (a log's first minutes) the drop
#: explains a heat only where the current held still over the window's edges (its
#: spread there within LOAD_RIDGE_C of 1C).
LOAD_MIN_S = 60.0
#: The drop's baseline: the window's first bins and this long before the window (more
#: bins, less noise; the cell's deviation drifts little in a minute).
BASELINE_BEFORE_S = 60.0
#: A cell heating at up to this many times the rate its voltage drop allows a short
#: to heat it is the short's heat, not a runaway's (the drop over R0 alone already
#: overestimates the current by the RC overpotentials, ~1.4 x after 20 s on NMC; the
#: quadratic's end rate overshoots a step of the heating rate by up to ~1.5 x).
SHORT_HEAT_FACTOR = 2.0
#: No short explains the heating of a cell above this temperature: the onset of a Li-ion
#: cell's own exothermic reactions (SEI decomposition, Feng et al. 2018's T1, 80-120
#: degC), where an accelerating heat is a runaway whatever started it ...
SELF_HEATING_ONSET_C = 80.0
#: ... nor of a cell whose voltage fell by more than this fraction (a collapsing cell, its
#: separator melted: a 1 ohm short drops a 3.7 V NMC cell by ~80 mV, 2 %).
MAX_DROP_FRACTION = 0.2
#: A drop this many standard errors above zero (from the deviation's residuals over
#: the load fit's history, at least MIN_NOISE_BINS of them) is a sure one: the heat
#: it explains is remembered for the cell.
DROP_Z = 4.0
MIN_NOISE_BINS = 8
#: The median of a chi-square of one degree of freedom over its mean (see "A short in a
#: log's first minutes").
D2_MEDIAN = 0.4549
#: ... where the cell heats at this rate at least (a short's drop comes with its heat:
#: a drop alone is a load step the load fit missed), for this long after.
REMEMBER_RATE_C_PER_MIN = 0.35
SHORT_MEMORY_S = 300.0
#: ... once the drop was sure in this many successive bins (a short's drop holds; a
#: load step the fit missed comes and goes: a 4-cell LFP pack on a drive read one sure
#: drop of a runaway's cell, which then waited 30 s for its rate to pass it).
SURE_BINS = 3


#: A pack voltage's step under a constant current (see "A step under a constant
#: current"): the straight line over this long before a bin edge, carried on, ...
STEP_LEFT_S = 60.0
#: ... against the mean of up to this long of bins after it (at least STEP_RIGHT_MIN).
STEP_RIGHT_S = 30.0
STEP_RIGHT_MIN = 2


#: The OCV curve's bends (see "A bend of the OCV curve"): a cell's deviation from its
#: peers under a current is its OCV's offset (its SOC's), less at most this share of the
#: nominal cell's overpotential (its resistance's, off the median's by a few %).
BEND_RESISTANCE_SHARE = 0.12

#: A drop is no short's where the cell's temperature rose, over the bins since the drop
#: came (at least this many), less than the least heat such a short makes there, by this
#: many standard errors (see "A short heats its cell at once").
UNHEATED_MIN_BINS = 3
UNHEATED_Z = 3.0

#: A cell's resistance share from its voltage (:meth:`ShortHeat.resistance_share`): the
#: cells' OCVs may differ by this much (a balanced pack: a few mV), ...
OCV_OFFSET_V = 0.005
#: ... its lower bound this many standard errors under the fit, on at least this many
#: bins.
SHARE_Z = 2.0
SHARE_MIN_BINS = 6
#: ... over the median cell's own resistance: the nominal cell's over this lower bound,
#: in standard errors, of the pack's resistance over the nominal's (the reference's
#: rise over the nominal cell's heat at its temperature; at least 1: see "An aged pack"
#: in :mod:`.thermal`).
PACK_SCALE_Z = 2.0


def _cell_number(name: str) -> int | None:
    m = schema.CELL_VOLTAGE_RE.match(name) or schema.CELL_TEMPERATURE_RE.match(name)
    return int(m.group(1)) if m else None


class ShortHeat:
    """Per-bin history of the cells' voltage deviations and the current, and the
    heating rate a short could explain at a window of the runaway test."""

    def __init__(
        self, spec: BatterySpec, layout: Layout, temp_rows: np.ndarray, keep: int, bin_s: float
    ):
        self.spec = spec
        self.layout = layout
        v_of = {_cell_number(layout.names[r]): j for j, r in enumerate(layout.cells_v)}
        # each temperature row's voltage (index among the cell voltages; -1: none)
        self.v_of_t = np.array(
            [v_of.get(_cell_number(layout.names[r]), -1) for r in temp_rows], np.int64
        )
        # a lone pack temperature without cell voltages: read on the pack voltage (see
        # "A pack without cell voltages")
        self.pack = (
            len(layout.cells_v) == 0
            and len(temp_rows) == 1
            and temp_rows[0] == layout.i_t
            and layout.i_v >= 0
            and layout.i_i >= 0
            and spec.ecm is not None
        )
        # ... a lone pack temperature with cell voltages: the hottest cell's, whichever
        # it is (see "A pack sensor over the cells' voltages")
        self.hottest = (
            len(layout.cells_v) >= 2
            and len(temp_rows) == 1
            and temp_rows[0] == layout.i_t
            and spec.ecm is not None
        )
        self.active = (
            self.pack
            or self.hottest
            or (len(layout.cells_v) >= 2 and spec.ecm is not None and (self.v_of_t >= 0).any())
        )
        self.n_cells = spec.series_cells
        self.k = len(temp_rows)
        # the voltage rows kept: each temperature row's cell, or every cell's
        self.kv = len(layout.cells_v) if self.hottest else self.k
        self.load_n = bins_for(LOAD_HISTORY_S, bin_s, 12)
        self.base_n = bins_for(BASELINE_BEFORE_S, bin_s, 1)
        self.load_min_n = bins_for(LOAD_MIN_S, bin_s, 2)
        self.step_left = bins_for(STEP_LEFT_S, bin_s, 4)
        self.step_right = bins_for(STEP_RIGHT_S, bin_s, STEP_RIGHT_MIN)
        self._hist = History(2 * self.kv + 5, keep + self.load_n) if self.active else None
        if self.active:
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            self.r0 = p["r0_ohm"]
            self.r_dc = p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]
            self.heat_capacity = p["heat_capacity_j_per_k"]
            self.ridge = (LOAD_RIDGE_C * one_c_a(spec) * self.r_dc) ** 2
            # the nominal cell's RC pairs over a bin (decay, gain), and their state
            self._rc = [
                (np.exp(-bin_s / tau), r)
                for tau, r in ((spec.ecm.tau1_s, p["r1_ohm"]), (spec.ecm.tau2_s, p["r2_ohm"]))
            ]
            self._rc_state = [np.zeros(1), np.zeros(1)]
            self.still_a = LOAD_RIDGE_C * one_c_a(spec)
            self._charge = np.zeros(1)  # the charge drawn since the start (Ah)
        # each cell's heating rate a sure drop of its voltage explained (K/s)
        self._known = np.zeros(self.k)
        self._known_t = np.full(self.k, -np.inf)  # ... and when
        # the current run of sure drops in successive bins: its length, last bin's end,
        # and the most it explained
        self._run = np.zeros(self.k, dtype=np.int64)
        self._run_t = np.full(self.k, -np.inf)
        self._run_max = np.zeros(self.k)
        self.bin_s = bin_s

    @property
    def keep_extra(self) -> int:
        """Bins before the runaway test's window the load fit reads."""
        return self.load_n

    def push(self, bb: BinBatch):
        """Push the new bins; returns the history (read with ``take``) or None."""
        if not self.active:
            return None
        lay = self.layout
        current = bb.mean[lay.i_i]
        ovp, rc_pairs = self._overpotential(current)
        charge = self._charge_drawn(current)
        if self.pack:
            # the pack voltage less the nominal cells' overpotential: the cells' OCV,
            # their load share off the nominal, and a short's drop; the mean cell's
            # voltage (for the short's power)
            vp = bb.mean[lay.i_v]
            dev_t = (vp - self.n_cells * ovp)[None, :]
            v_t = (vp / self.n_cells)[None, :]
            return self._hist.push_lazy((dev_t, v_t, current, ovp, charge, *rc_pairs))
        v = bb.mean[as_slice(lay.cells_v)]  # (consecutive rows: a view, read-only)
        # (all finite, the usual case: the batch's own, which the short test reads too;
        # the same values as this module's)
        others = bb.median_of_others(lay.cells_v) if np.isfinite(v).all() else median_of_others(v)
        dev = v - others
        if self.hottest:
            return self._hist.push_lazy((dev, v, current, ovp, charge, *rc_pairs))
        has = self.v_of_t >= 0
        j = np.where(has, self.v_of_t, 0)
        if has.all():  # (every sensor on a cell, the usual case: the rows np.where picks)
            dev_t, v_t = dev[j], v[j]
        else:
            nan = np.full(bb.m, np.nan)
            dev_t = np.where(has[:, None], dev[j], nan)
            v_t = np.where(has[:, None], v[j], nan)
        return self._hist.push_lazy((dev_t, v_t, current, ovp, charge, *rc_pairs))

    def _charge_drawn(self, current: np.ndarray) -> np.ndarray:
        """The charge (Ah) into the pack from the first bin to each bin's end, from the
        bins' mean current (accumulated in bin order from the state carried over: the
        same values however the bins come in batches)."""
        step = nan_to_num(current) * (self.bin_s / 3600.0)
        q = np.add.accumulate(np.concatenate((self._charge, step)))
        self._charge = q[-1:].copy()
        return q[1:]

    def _overpotential(self, current: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The nominal cell's overpotential at each bin (R0 I and its two RC pairs, fed
        the bins' mean current in order; state carried from bin to bin, so the same
        values however the bins come in batches): a cell whose resistances are all
        (1 + r) times the nominal's deviates from the median by r times it, its RC
        relaxation after a load step included. And the two RC pairs' own."""
        i = nan_to_num(current)
        out = self.r0 * i
        pairs = []
        for j, (decay, r) in enumerate(self._rc):
            v, self._rc_state[j] = lfilter(
                [(1.0 - decay) * r], [1.0, -decay], i, zi=self._rc_state[j]
            )
            out = out + v
            pairs.append(v)
        known = np.isfinite(current)
        return np.where(known, out, np.nan), [np.where(known, v, np.nan) for v in pairs]

    def explained_rate(self, hist, rows, end, w: int, edge: int, temps) -> np.ndarray:
        """The heating rate (K/s) a short could make in each candidate's cell at the
        window of ``w`` bins ending at ``end`` (indices of the runaway test's
        histories, whose last ``keep`` bins this history shares), times
        SHORT_HEAT_FACTOR; 0 where the voltage does not drop (or is not known).
        ``temps``: the cell's temperature over the window's bins."""
        if hist is None:
            return np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
        if self.hottest:
            # the pack sensor reads the hottest cell, whichever it is: the most any
            # cell's drop explains (see "A pack sensor over the cells' voltages")
            n, kv = len(rows), self.kv
            rate, sure = self._explained(
                hist,
                np.tile(np.arange(kv), n),
                np.repeat(end, kv),
                w,
                edge,
                np.repeat(temps, kv, 0),
            )
            # ... by a sure drop (the most of several cells' noise 'drops' must not
            # explain a runaway's heat)
            rate = np.where(sure, rate, 0.0).reshape(n, kv).max(axis=1)
            return rate, sure.reshape(n, kv).any(axis=1)
        return self._explained(hist, rows, end, w, edge, temps)

    def _explained(self, hist, rows, end, w: int, edge: int, temps):
        """:meth:`explained_rate` of the voltage rows ``rows``."""
        shift = self.load_n  # this history keeps load_n more bins than the test's
        e = end + shift
        r = rows[:, None]
        # the baseline: the window's first bins and those just before it
        nb = edge + self.base_n
        first = e[:, None] - (w - 1) - self.base_n + np.arange(nb)[None, :]
        last = e[:, None] - (edge - 1) + np.arange(edge)[None, :]
        # the load fit's bins: those before the window and the window's (a short's
        # step is no load: a ridge holds the fit at 0 where the load did not vary); its
        # residuals' noise from those before the window and its first bins
        pre = e[:, None] - (w - 1) - self.load_n + np.arange(self.load_n + w)[None, :]
        quiet = np.arange(self.load_n + w) < self.load_n + edge
        cur = 2 * self.kv  # the current's row, and the overpotential's after it
        ovp = cur + 1
        with np.errstate(invalid="ignore", divide="ignore"):
            # the cell's load share over the window and the history before it
            yp = hist.take(r, pre)
            ip = hist.take(np.full_like(r, ovp), pre)
            ok = np.isfinite(yp) & np.isfinite(ip)
            n = ok.sum(axis=1)
            nn = np.maximum(n, 1)
            ipz = np.where(ok, ip, 0.0)
            ypz = np.where(ok, yp, 0.0)
            ic = np.where(ok, ipz - (ipz.sum(axis=1) / nn)[:, None], 0.0)
            yc = np.where(ok, ypz - (ypz.sum(axis=1) / nn)[:, None], 0.0)
            b = (ic * yc).sum(axis=1) / ((ic * ic).sum(axis=1) + self.ridge * nn)
            # (none where the current held still: a slow RC term would take up the
            # short's own step)
            cz = np.where(ok, hist.take(np.full_like(r, cur), pre), np.nan)
            cd = cz - _mean(cz)[:, None]
            still = np.sqrt(_mean(cd * cd)) <= self.still_a
            b = np.where((n >= 2) & ~still, b, 0.0)
            # the noise of a bin's deviation: the residuals of that fit
            okq = ok & quiet[None, :]
            nq = okq.sum(axis=1)
            res = np.where(okq, yc - b[:, None] * ic, 0.0)
            res = np.where(okq, res - (res.sum(axis=1) / np.maximum(nq, 1))[:, None], 0.0)
            s2 = (res * res).sum(axis=1) / np.maximum(nq - 2, 1)
            # ... or, in a log's first minutes (too few bins before the window's end
            # edge), from the bins' second differences over all the bins known, at
            # their median (a short's step is one outlier, not the noise: see "A
            # short in a log's first minutes")
            # ... at rest only (under a current, the cells' RC overpotentials still
            # build up from the log's start, a cell with more resistance falling away
            # from the others, with no history to carry its drift on: a runaway cell on
            # a charge read a sure 'drop' of 2.5 degC/min and waited 20 s longer)
            few = nq < MIN_NOISE_BINS
            if few.any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    idle = np.nanmax(np.abs(cz), axis=1) <= self.still_a
                few_d2 = self._d2_noise(np.where(ok, yc - b[:, None] * ic, np.nan))
                s2 = np.where(few, np.where(idle, few_d2, np.nan), s2)
            enough = ~few | np.isfinite(s2)
            se = np.where(enough, np.sqrt(s2 / edge + s2 / nb), np.inf)
            # the residuals before the window alone (their drift)
            ok_pre = ok & (np.arange(self.load_n + w) < self.load_n)[None, :]
            n_pre = ok_pre.sum(axis=1)
            res_pre = np.where(ok_pre, yc - b[:, None] * ic, np.nan)[:, : self.load_n]

            def level(idx, per_bin=False):
                y = hist.take(r, idx) - b[:, None] * hist.take(np.full_like(r, ovp), idx)
                return y if per_bin else _mean(y)

            # the cell's own IR drop changes with its temperature: under a charging
            # current a warming cell reads lower (a runaway's too: a 4-cell NMC pack
            # charging at 1C read ~2 mV of 'drop' on its runaway cell)
            t_first, t_last = _mean(temps[:, :edge]), _mean(temps[:, -edge:])
            i_last = _mean(hist.take(np.full_like(r, cur), last))
            warm = (self._factor(t_last) - self._factor(t_first)) * self.r_dc * nan_to_num(i_last)
            # ... and the cell's drift before the window, carried on (under load a cell
            # with less capacity drifts along the OCV curve: on a 16-cell NMC pack at
            # 1C, ~5 mV in three minutes of its runaway cell)
            drift = self._drift(res_pre, n_pre) * (
                (w - edge + (edge - 1) / 2.0) - (-self.base_n + (nb - 1) / 2.0)
            )
            # (each only takes a drop away, never makes one: see "Corrections")
            base_level = level(first)
            drop = base_level - level(last) + np.fmin(nan_to_num(warm), 0.0)
            drop = drop + np.fmin(drift, 0.0)
            # ... and the OCV curve's bends the cells cross at their own SOCs (see "A
            # bend of the OCV curve")
            if not self.pack:
                drop = drop + np.fmin(self._ocv_bend(hist, r, first, last), 0.0)
            drop = np.fmax(drop, 0.0)
            win = e[:, None] - (w - 1) + np.arange(w)[None, :]
            win_levels = level(win, True)
            if self.pack:  # (see "A pack without cell voltages")
                drop, se, base_level, win_levels, pack_known = self._pack_drop(
                    hist, r, e, w, edge, warm
                )
            temp_now = temps[:, -1]
            v_last = hist.take(r + self.kv, last)
            v_cell = _mean(v_last)
            # a voltage frozen over the last bins (a stuck sensor: the others' moving
            # reads as its drop) explains nothing
            frozen = np.nanmax(np.where(np.isfinite(v_last), v_last, -np.inf), axis=1) <= np.nanmin(
                np.where(np.isfinite(v_last), v_last, np.inf), axis=1
            )
            r0 = self.r0 * self._factor(temp_now)
            rate = v_cell * drop / r0 / self.heat_capacity
            # a load share fitted on too few bins (a log's first minutes) explains
            # nothing while the load moves (an LFP runaway 5 s into a drive read 'drops'
            # of the load, and waited 15 s longer)
            i_win = hist.take(np.full_like(r, cur), np.concatenate((first, last), axis=1))
            i_dev = i_win - _mean(i_win)[:, None]
            i_spread = np.sqrt(_mean(i_dev * i_dev))
            load_known = (n >= self.load_min_n) | (i_spread <= self.still_a)
            if self.pack:
                # the pack voltage: only where its model is known, and by a sure drop
                # (the noise of n cells' sum: one cell's short is within it, and a
                # noise 'drop' must not explain a runaway's heat)
                load_known = pack_known & (drop >= DROP_Z * se)
            rate = np.where(load_known & ~frozen, rate, 0.0)
            # none once the cell is past the self-heating onset, or its voltage collapses
            # (its separator gone: see "Where no short explains")
            rate = np.where(
                (temp_now < SELF_HEATING_ONSET_C) & (drop <= MAX_DROP_FRACTION * v_cell),
                rate,
                0.0,
            )
            # a short's heat starts with its drop: a drop the cell's temperature has not
            # followed is no short's (see "A short heats its cell at once")
            unheated = self._unheated(base_level, win_levels, drop, v_cell, temps, edge)
            rate = np.where(unheated, 0.0, rate)
            sure = (drop >= DROP_Z * se) & ~unheated
        return SHORT_HEAT_FACTOR * nan_to_num(rate), sure

    def resistance_share(self, hist, rows, idx, ref_temp, temp_now) -> np.ndarray:
        """A lower bound of each candidate cell's resistance r over the median cell's
        (0 where unknown), from its voltage under the current over the bins ``idx`` of
        the runaway test's histories (NaN bins skipped), whose cells' reference
        temperature is ``ref_temp``: the least-squares ratio of the cell's deviation from
        the other cells' median voltage to the nominal cell's overpotential (R0 I and its
        RC pairs, fed the current from the log's start) times the Arrhenius factor f(T),
        less ``OCV_OFFSET_V`` over it (the cells' OCVs differ by a few mV) and ``SHARE_Z``
        standard errors of its residuals
        (see "The resistance of a cell at a log's start" in :mod:`.thermal`). None once
        the cell (at ``temp_now``) is past the self-heating onset: its separator may go,
        its voltage with it (see "Where no short explains")."""
        if hist is None or self.pack or self.hottest:
            return np.zeros(len(rows))
        r = rows[:, None]
        at = idx + self.load_n  # (this history keeps load_n more bins)
        dev = hist.take(r, at)
        x = self._factor(ref_temp) * hist.take(np.full_like(r, 2 * self.kv + 1), at)
        ok = np.isfinite(dev) & np.isfinite(x) & np.isfinite(ref_temp)
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            dz = np.where(ok, dev, 0.0)
            xz = np.where(ok, x, 0.0)
            sxx = (xz * xz).sum(axis=1)
            share = (xz * dz).sum(axis=1) / sxx
            res = np.where(ok, dz - share[:, None] * xz, 0.0)
            se = np.sqrt((res * res).sum(axis=1) / np.maximum(n - 1, 1) / sxx)
            low = share - OCV_OFFSET_V * np.abs(xz.sum(axis=1)) / sxx - SHARE_Z * se
        with np.errstate(invalid="ignore"):
            known = (n >= SHARE_MIN_BINS) & np.isfinite(low) & (temp_now < SELF_HEATING_ONSET_C)
        low = np.fmax(np.where(known, low, 0.0), 0.0)
        # ... over the median cell's resistance, not the nominal's: an aged pack's
        # deviations are its own resistance's share (see "An aged pack" in :mod:`.thermal`)
        return low / self._pack_scale(hist, r, at, ref_temp, x)

    def _pack_scale(self, hist, r, at, ref_temp, x) -> np.ndarray:
        """The pack's resistance over the nominal cell's, at its lower bound (at least 1)
        over the bins ``at`` of this history (``x``: the nominal overpotential there
        times f(T) at the reference's temperature ``ref_temp``): the least-squares
        slope of the reference's temperature on the nominal cell's heat accumulated
        over the bins (I x times the bin over the heat capacity: its rise without
        cooling), less ``PACK_SCALE_Z`` standard errors of its residuals; 1 on fewer
        than ``SHARE_MIN_BINS`` bins or with bins missing between them (the heat of a
        gap unknown). See "An aged pack" in :mod:`.thermal`."""
        cur = hist.take(np.full_like(r, 2 * self.kv), at)
        heat = cur * x
        ok = np.isfinite(heat) & np.isfinite(ref_temp)
        n = ok.sum(axis=1)
        # (no bin missing between the first and the last known)
        k = np.arange(ok.shape[1])[None, :]
        first = np.where(ok, k, ok.shape[1]).min(axis=1)
        last = np.where(ok, k, -1).max(axis=1)
        whole = n == last - first + 1
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.add.accumulate(np.where(ok, heat, 0.0), axis=1) * (
                self.bin_s / self.heat_capacity
            )
            nn = np.maximum(n, 1)
            qz = np.where(ok, q, 0.0)
            tz = np.where(ok, ref_temp, 0.0)
            qc = np.where(ok, qz - (qz.sum(axis=1) / nn)[:, None], 0.0)
            tc = np.where(ok, tz - (tz.sum(axis=1) / nn)[:, None], 0.0)
            sxx = (qc * qc).sum(axis=1)
            slope = (qc * tc).sum(axis=1) / sxx
            res = np.where(ok, tc - slope[:, None] * qc, 0.0)
            se = np.sqrt((res * res).sum(axis=1) / np.maximum(n - 2, 1) / sxx)
            low = slope - PACK_SCALE_Z * se
        known = (n >= SHARE_MIN_BINS) & whole & np.isfinite(low)
        return np.fmax(np.where(known, low, 1.0), 1.0)

    def _pack_drop(self, hist, r, e, w: int, edge: int, warm):
        """The pack voltage's drop at each candidate's window (see "A pack without cell
        voltages"): (drop, its standard error, the baseline's level, the window's bins'
        levels, known). The error is the fit's, and the model's own: the difference the
        same fit read at the window before (``w`` bins earlier) beyond its noise."""
        base_level, last_level, levels, se, known = self._pack_fit(hist, r, e, w, edge)
        drop = base_level - last_level + np.fmin(nan_to_num(warm), 0.0)
        drop = np.fmax(drop, 0.0)
        base_before, last_before, _, se_before, known_before = self._pack_fit(
            hist, r, e - w, w, edge
        )
        # (beyond the noise that difference has of its own)
        err = (base_before - last_before) ** 2 - se_before**2
        err = np.where(known_before, np.fmax(nan_to_num(err), 0.0), 0.0)
        se = np.sqrt(se * se + err)
        # under a constant current the model is not read (its OCV bends): the step of
        # the voltage instead (see "A step under a constant current")
        if not known.all():
            s_drop, s_se, s_levels, s_known = self._pack_step(hist, r, e, w)
            s_drop = np.fmax(s_drop + np.fmin(nan_to_num(warm), 0.0), 0.0)
            use = ~known & s_known
            drop = np.where(use, s_drop, drop)
            se = np.where(use, s_se, se)
            base_level = np.where(use, 0.0, base_level)
            levels = np.where(use[:, None], s_levels, levels)
            known = known | use
        return drop, se, base_level, levels, known

    def _pack_step(self, hist, r, e, w: int):
        """The pack voltage's step down within each candidate's window ending at ``e``,
        under a constant current (see "A step under a constant current"): (drop, its
        standard error, the window's bins' levels about the line before the step,
        known). Each bin edge of the window is tried, from ``STEP_RIGHT_MIN`` bins
        before its end: the deviation's straight line over the ``step_left`` bins before
        the edge, carried on, less the mean of the (up to ``step_right``) bins after it;
        the edge of the largest z counts. The noise: the median of the squared second
        differences over the ``load_n`` bins before the window (a smooth curve's are
        next to none), and the model's own error: the mean square of the same step read
        at the edges before the window, beyond the noise's share. Known where the current
        held still (and not at rest: there the model reads) over all those bins and the
        window, and each bin is known."""
        n_fit = self.load_n
        cols = np.arange(n_fit + w)
        idx = e[:, None] - (w - 1) - n_fit + cols[None, :]
        there = idx >= 0
        idx = np.maximum(idx, 0)
        y = np.where(there, hist.take(r, idx), np.nan)
        cur = np.where(there, hist.take(np.full_like(r, 2 * self.kv), idx), np.nan)
        n = len(r)
        drop = np.zeros(n)
        se = np.full(n, np.inf)
        levels = np.full((n, w), np.nan)
        known = np.zeros(n, dtype=bool)
        nl, nr = self.step_left, self.step_right
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            still = _spread(cur) <= self.still_a
            idle = np.abs(_mean(cur)) <= self.still_a
        noise = self._d2_noise(y[:, :n_fit])
        xl = np.arange(nl, dtype=float)
        xl_c = xl - xl.mean()
        sxx = float(xl_c @ xl_c)

        def step(yj, k, end):
            """The line over the nl bins before edge k carried on, less the mean of the
            bins k..end: (that step, its variance over the noise's, the line's mean and
            slope)."""
            left = yj[k - nl : k]
            right = yj[k:end]
            b = float(xl_c @ (left - left.mean())) / sxx
            xr = nl + np.arange(len(right), dtype=float)  # (left's x carried on)
            d = left.mean() + b * (xr.mean() - xl.mean()) - float(right.mean())
            g = 1.0 / len(right) + 1.0 / nl + (xr.mean() - xl.mean()) ** 2 / sxx
            return d, g, left.mean(), b

        for j in range(n):  # (each row alone: the same bits however the bins come)
            if not (still[j] and not idle[j] and np.isfinite(y[j]).all()):
                continue
            if not np.isfinite(noise[j]):
                continue
            # the model's own error: the step read at the edges before the window (an
            # OCV's curvature over the line's span), beyond the noise's share
            own = [step(y[j], k, k + nr) for k in range(nl, n_fit - nr + 1)]
            err = np.mean([d * d - noise[j] * g for d, g, _, _ in own]) if own else 0.0
            err = max(float(err), 0.0)
            best_z, best = -np.inf, None
            for k in range(n_fit + 1, n_fit + w - STEP_RIGHT_MIN + 1):
                d, g, a, b = step(y[j], k, min(k + nr, n_fit + w))
                v = noise[j] * g + err
                z = d / np.sqrt(v)
                if z > best_z:
                    best_z, best = z, (k, d, np.sqrt(v), a, b)
            k, d, s, a, b = best
            # the window's bins about the line before the step, carried on
            x = cols[n_fit:] - (k - nl) - xl.mean()
            levels[j] = y[j, n_fit:] - (a + b * x)
            drop[j], se[j], known[j] = d, s, True
        return drop, se, levels, known

    def _pack_fit(self, hist, r, e, w: int, edge: int):
        """The pack voltage's model at each candidate's window ending at ``e``: (the
        baseline's level, the last bins' level, the window's bins' levels, the error of
        the difference, known).

        The deviation (the pack voltage less the nominal cells' overpotential) is fitted
        over the ``load_n`` bins before the window on the time, the nominal cell's R0 I
        and its two RC pairs (each its own load share, with the ridge: the pack's cells
        differ from the nominal's in each) and the charge drawn (the cells' OCV moves
        with it); where the current held still over those bins, on the time alone (the
        others are then a constant and the time). The levels are its residuals, the
        window's from the fit carried on. Known on ``load_min_n`` bins where the current
        moved over them, or at rest over them and the window (a constant current: its
        OCV bends, see "A pack without cell voltages"; a load step in the window: no
        load share known)."""
        n_fit, nb = self.load_n, edge + self.base_n
        cols = np.arange(n_fit + w)
        idx = e[:, None] - (w - 1) - n_fit + cols[None, :]
        there = idx >= 0  # (a log's first bins)
        idx = np.maximum(idx, 0)

        def row(j):
            return np.where(there, hist.take(np.full_like(r, j), idx), np.nan)

        y = np.where(there, hist.take(r, idx), np.nan)
        cur = row(2 * self.kv)
        x = np.broadcast_to(cols / n_fit, y.shape)
        # (candidates, regressors, bins): the time, R0 I, the RC pairs, the charge
        regs = np.stack(
            (x, self.r0 * cur, row(2 * self.kv + 3), row(2 * self.kv + 4), row(2 * self.kv + 2)),
            axis=1,
        )
        ok = np.isfinite(y) & np.isfinite(regs).all(axis=1)
        fit = ok & (cols < n_fit)[None, :]
        n_ok = fit.sum(axis=1)
        nn = np.maximum(n_ok, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            still_fit = _spread(np.where(fit, cur, np.nan)) <= self.still_a
            still_all = _spread(np.where(ok, cur, np.nan)) <= self.still_a
            idle = np.abs(_mean(np.where(fit, cur, np.nan))) <= self.still_a
        use = np.ones(regs.shape[:2], dtype=bool)
        use[still_fit, 1:] = False
        known = (n_ok >= self.load_min_n) & (~still_fit | (idle & still_all))
        centre = np.where(fit[:, None, :], regs, 0.0).sum(axis=2) / nn[:, None]
        xa = np.where(use[:, :, None], regs - centre[:, :, None], 0.0)
        xf = np.where(fit[:, None, :], xa, 0.0)
        y_mean = np.where(fit, y, 0.0).sum(axis=1) / nn
        yc = np.where(fit, y - y_mean[:, None], 0.0)
        a = (xf[:, :, None, :] * xf[:, None, :, :]).sum(axis=3)
        for j in (1, 2, 3):  # (the load shares' ridge)
            a[:, j, j] += self.ridge * nn
        p = regs.shape[1]
        a[:, np.arange(p), np.arange(p)] += ~use  # (a regressor left out: 0)
        a[~known] = np.eye(p)  # (not read)
        coef = np.linalg.solve(a, (xf * yc[:, None, :]).sum(axis=2)[:, :, None])[:, :, 0]
        res = np.where(ok, y - y_mean[:, None] - (coef[:, :, None] * xa).sum(axis=1), np.nan)
        s2 = np.where(fit, res, 0.0)
        s2 = (s2 * s2).sum(axis=1) / np.maximum(n_ok - 1 - use.sum(axis=1), 1)
        base = slice(n_fit - self.base_n, n_fit + edge)
        last = slice(n_fit + w - edge, n_fit + w)
        # the error: the bins' noise in both means, and the fit's carried on
        g = _mean_rows(xa[:, :, base]) - _mean_rows(xa[:, :, last])
        ext = (g * np.linalg.solve(a, g[:, :, None])[:, :, 0]).sum(axis=1)
        se = np.sqrt(s2 * (1.0 / edge + 1.0 / nb + ext))
        return _mean(res[:, base]), _mean(res[:, last]), res[:, n_fit:], se, known

    def _unheated(self, base, y, drop, v_cell, temps, edge) -> np.ndarray:
        """The candidates whose drop is no short's: the cell's temperature rose less,
        since the drop came (the window's last bins where the deviation ``y`` stood at
        least half the ``drop`` below its baseline ``base``), than the least heat a short
        of that drop makes over that time, by UNHEATED_Z standard errors (the bin
        means' white noise, from their second differences). See "A short heats its
        cell at once"."""
        w = y.shape[1]
        with np.errstate(invalid="ignore"):
            half = (base[:, None] - y) >= 0.5 * drop[:, None]
        # bins since the drop came: the trailing run of half-drop bins
        n_on = np.where(half.all(axis=1), w, np.argmin(half[:, ::-1], axis=1))
        n_on = np.minimum(n_on, w - 1)
        # the least heat (K/s): at least half the drop over the whole DC resistance
        r_dc = self.r_dc * self._factor(temps[:, -1])
        least = 0.5 * v_cell * drop / r_dc / self.heat_capacity
        expect = least * np.maximum(n_on - 1, 0) * self.bin_s
        # the rise: the last bins' mean over that of the bins before the drop came
        k = np.arange(w)[None, :]
        before = (k < (w - n_on)[:, None]) & (k >= (w - n_on - edge)[:, None])
        after = k >= w - edge
        t_before = _mean(np.where(before, temps, np.nan))
        t_after = _mean(np.where(after, temps, np.nan))
        d2 = temps[:, 2:] - 2.0 * temps[:, 1:-1] + temps[:, :-2]
        var = _mean(d2 * d2) / 6.0
        n_before = before.sum(axis=1)
        se = np.sqrt(var * (1.0 / edge + 1.0 / np.maximum(n_before, 1)))
        with np.errstate(invalid="ignore"):
            out = (n_on >= UNHEATED_MIN_BINS) & (t_after - t_before + UNHEATED_Z * se < expect)
        return out

    def _ocv_bend(self, hist, r, first, last) -> np.ndarray:
        """The change of each candidate cell's deviation from its baseline bins ``first``
        to its last bins ``last`` (V) that the OCV curve makes of the cells' SOCs (see "A
        bend of the OCV curve"): the peers' SOC read at the baseline from their voltage
        less the nominal cell's overpotential, the cell's from its deviation above them
        less ``BEND_RESISTANCE_SHARE`` of that overpotential (its resistance's share),
        both carried on by the charge drawn; 0 where not known."""
        kv, cur = self.kv, 2 * self.kv

        def mean(row, idx):
            return _mean(hist.take(row, idx))

        v, dev = mean(r + kv, first), mean(r, first)
        ovp = mean(np.full_like(r, cur + 1), first)
        ocv_peers = v - dev - ovp
        # (above them only: a short's drop is no SOC's)
        offset = np.fmax(dev - BEND_RESISTANCE_SHARE * np.abs(ovp), 0.0)
        s_peers = self.spec.cell_soc_from_ocv(ocv_peers)
        s_cell = self.spec.cell_soc_from_ocv(ocv_peers + offset)
        charge = np.full_like(r, cur + 2)  # (Ah drawn since the log's start)
        ds = 100.0 * (mean(charge, last) - mean(charge, first)) / self.spec.pack_capacity_ah
        ocv = self.spec.cell_ocv
        change = (ocv(s_cell + ds) - ocv(s_peers + ds)) - (ocv(s_cell) - ocv(s_peers))
        return nan_to_num(change)

    def _drift(self, res: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Each row's least-squares slope per bin of ``res`` (NaN: no bin), 0 on fewer
        than ``load_min_n`` bins."""
        ok = np.isfinite(res)
        x = np.where(ok, np.arange(res.shape[1], dtype=float)[None, :], 0.0)
        nn = np.maximum(n, 1)
        xc = np.where(ok, x - (x.sum(axis=1) / nn)[:, None], 0.0)
        yz = np.where(ok, res, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = (xc * yz).sum(axis=1) / (xc * xc).sum(axis=1)
        return np.where((n >= self.load_min_n) & np.isfinite(c), c, 0.0)

    def _factor(self, temp_c: np.ndarray) -> np.ndarray:
        """The cells' resistance at ``temp_c`` over that at 25 degC (NaN: 25 degC)."""
        t = np.clip(nan_to_num(temp_c, nan=25.0), -40.0, 200.0)
        return resistance_temperature_factor(self.spec.chemistry, t)

    @staticmethod
    def _d2_noise(y: np.ndarray) -> np.ndarray:
        """Each row's white noise variance per bin from the median of its squared
        second differences (of consecutive finite bins; a chi-square of one degree of
        freedom has its median at D2_MEDIAN of its mean); NaN on fewer than
        MIN_NOISE_BINS of them."""
        d2 = y[:, 2:] - 2.0 * y[:, 1:-1] + y[:, :-2]
        out = np.full(len(y), np.nan)
        for j in range(len(y)):  # (a few candidates, each row alone: the same bits)
            q = d2[j][np.isfinite(d2[j])]
            if len(q) >= MIN_NOISE_BINS:
                out[j] = float(np.median(q * q)) / (6.0 * D2_MEDIAN)
        return out

    def judge(self, rows, times, rising, explained, sure, rate, ok) -> np.ndarray:
        """``ok`` less the windows whose excess heating ``rate`` (K/s) does not exceed
        what a short explains: its cell's drop now (``explained``), or the most a sure
        drop of that cell, with the cell heating, explained in the last
        ``SHORT_MEMORY_S`` (see "A short that began before the window"). ``times``: the
        windows' ends; ``rising``: the windows whose drop may be remembered (the
        candidates that do not depend on how the bins came in batches)."""
        out = ok.copy()
        keep = rising & sure & (rate >= REMEMBER_RATE_C_PER_MIN / 60.0)
        for j in np.lexsort((times, rows)):  # each cell's windows in time order
            r = rows[j]
            if times[j] - self._known_t[r] > SHORT_MEMORY_S:
                self._known[r] = 0.0
            # a run of sure drops in successive bins (a short's drop holds)
            run = self._run[r] + 1 if times[j] - self._run_t[r] <= 1.5 * self.bin_s else 1
            self._run[r], self._run_t[r] = (run, times[j]) if keep[j] else (0, -np.inf)
            if keep[j]:
                self._run_max[r] = max(self._run_max[r], explained[j]) if run > 1 else explained[j]
            if self._run[r] >= SURE_BINS and self._run_max[r] >= self._known[r]:
                self._known[r], self._known_t[r] = self._run_max[r], times[j]
            if out[j]:
                out[j] = rate[j] > max(explained[j], self._known[r])
        return out


def _mean(y: np.ndarray) -> np.ndarray:
    """Each row's mean of its finite values (NaN: none), summed in row order."""
    ok = np.isfinite(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, y, 0.0).sum(axis=1) / ok.sum(axis=1)


def _spread(y: np.ndarray) -> np.ndarray:
    """Each row's standard deviation of its finite values (NaN: none)."""
    d = y - _mean(y)[:, None]
    return np.sqrt(_mean(d * d))


def _mean_rows(y: np.ndarray) -> np.ndarray:
    """``y`` (candidates, rows, bins): each row's mean of its finite values."""
    ok = np.isfinite(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, y, 0.0).sum(axis=2) / ok.sum(axis=2)


def median_of_others(v: np.ndarray) -> np.ndarray:
    """(rows, m): for each row, the median of the *other* rows in each column
    (a dropping cell must not drag its own reference down: with 4 cells the median of
    all is the mean of the middle two, and a middle cell's drop moved it by half)."""
    n = len(v)
    if n < 2:
        return np.full_like(v, np.nan)
    if not np.isfinite(v).all():
        out = np.empty_like(v)
        for j in range(n):
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[j] = np.nanmedian(np.delete(v, j, axis=0), axis=0)
        return out
    # the others' middle, by the row's value against the sorted column (a tie picks
    # equal values either way)
    s = np.sort(v, axis=0)
    h = n // 2
    if n % 2 == 0:  # n - 1 others: their middle one
        return np.where(v >= s[h], s[h - 1], s[h])
    lo = 0.5 * (s[h - 1] + s[h])  # the row above the middle
    mid = 0.5 * (s[h - 1] + s[h + 1])  # the row the middle
    hi = 0.5 * (s[h] + s[h + 1])  # the row below it
    return np.where(v > s[h], lo, np.where(v < s[h], hi, mid))
