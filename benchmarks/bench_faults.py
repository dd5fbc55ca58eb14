"""Fault detection on simulated packs: detection latency, false alarms, speed.

Run: ``python benchmarks/bench_faults.py`` (``--quick`` for a smaller matrix,
``--seeds N``, ``--first-seed K`` for seeds K..K+N-1 instead of 1..N, ``--clean-hours H``,
``--chem`` to run one chemistry, ``--cells 4 16`` for the pack sizes of the fault
runs, ``--onsets 120 600 1200 2400`` to inject the faults at those times into the
log instead of a random time in 5400-7200 s (a detector that needs a clean
history must still find a fault present almost from the start), ``--profiles``
for the load profiles of the fault runs, ``--cases runaway "100 ohm"`` for only the
fault cases whose label contains one of those strings, ``--spreads 0.03 0.08`` for
the cells' resistance spreads, ``--parts detection clean`` to run only some tables,
``--brief`` to print only the summaries, ``--capacity-spread 0.04`` for the cells'
capacity spread, ``--clean-cells 8 12`` for the clean packs' sizes,
``--rate-hz 10`` for logs of that sample rate (detection and clean tables), ``--short-ohms 1 3 10 30 100`` for the
internal shorts at those resistances instead of the default ones), ``--resolution temp=1
current=0.1 cell_v=0.001 pack_v=0.1`` to round the readings as a coarse BMS reports them
(degC, A, V; after the noise, in the detection, clean and equivalence tables; see
:func:`app.hardware.simulator.noise.quantize`), ``--noise-scale 0`` for noise-free sensors
(x the typical noise). Every pack has a manufacturing spread
between its cells (``--capacity-spread``, default 2 %; resistance ``--spreads``,
default 3, 6 and 8 %, the range of real packs: a cell with more resistance runs
warmer, which the internal-short test must not take for a short). Prints four
tables:

1. **Detection** -- one row per injected fault x chemistry x profile x seed:
   the fault the simulator injected, when the detector confirmed it
   (``detail.detected_time_s``, i.e. what a live run would have raised, not the
   back-dated start of the episode) and the latency from the onset. The onset
   of an over-voltage is the first time the true highest cell exceeds the
   limit (from a noise-free twin of the run: the physics does not depend on the
   noise), since a charger ignoring the limit is harmless before that. Target:
   <= 60 s, internal shorts <= 600 s. ``other`` lists the other faults reported
   after the onset (consequences such as a runaway cell's voltage collapse);
   ``false`` counts faults confirmed before the onset (false alarms; an episode of
   a windowed detector may *start* a few seconds before the onset, in the time bin
   that contains it).
   ``onset`` (a column of the rows and summaries) counts the internal-short runs that
   raised a thermal-runaway-onset alarm -- reported, or withdrawn as the short's heat
   (a live run raised it: a critical alarm that would stop a test bench); target: none.
   ``python benchmarks/bench_faults.py --parts detection --cases short --short-ohms 1 3
   10 30 100 --brief`` (4 cells, seeds 1-2, the four profiles), before -> after the
   onset test asked the cell's voltage for the short's heat
   (:mod:`app.diagnostics.faults.short_heat`): onset alarms 57 -> 2 of 120, shorts
   found 64 -> 96 of 120 (the 1 and 3 ohm NMC and LFP shorts were reported as runaways
   only; the lead-acid 10-100 ohm shorts are beyond the short test either way).
   Before -> after the onset test took a cell's steady heating off and asked the
   self-heating templates for 1 degC/min (:mod:`app.diagnostics.faults.thermal`, "Steady
   heat is no self-heating", "A steady heat switched on"): ``--brief --parts detection
   clean equivalence`` onset alarms on shorts 3 -> 0 of 32 (3 -> 0 failing rows: the
   script now exits 0), clean 0 either way; ``--first-seed 90 --seeds 4 --parts
   detection --brief`` 5 -> 2 of 64; ``--chem lfp --cases short --first-seed 100 --seeds
   12 --parts detection`` 16 -> 2 of 48; runaways within 60 s unchanged (seeds 1-2 18/18,
   worst 41 -> 45 s; seeds 90-93 36/36, worst 42 s either way).
   A lead-acid runaway is injected on ``float`` (a charger holding the string
   voltage: the runaway needs it) and found on ``current_a`` (see
   :mod:`app.diagnostics.faults.float_runaway`). Seed i's packs have the i-th
   resistance spread (cycling through ``--spreads``). Then, per fault kind: found,
   within target, and the latency's median, 90th percentile and maximum.
   A noisy current on LFP (R0 8 mOhm: the mean cell's voltage noise is 0.125 A
   of apparent load on 4 cells), its estimate the plain one (see
   :mod:`app.diagnostics.faults.sensors`, Noise), worst latency before -> after:
   ``--first-seed 20 --seeds 2 --chem lfp --parts detection`` 67 -> 47 s;
   ``--first-seed 30 --seeds 2 --profiles cccv cc drive --onsets 120 900 --cells 4
   16 --parts detection --cases "sensor_noisy current_a"`` (3 chemistries, 72
   runs) 66 -> 72 within 60 s, 94 -> 49 s; ``--first-seed 40 --seeds 10 --profiles
   drive cycle hppc rest cc cccv --onsets 120 900 3000 --parts detection --cases
   "sensor_noisy current_a"`` (540 runs) 538 -> 540 within, 89 -> 54 s (LFP
   drives: the load's curvature, doubled, is the rest of the margin);
   ``--first-seed 60 --seeds 4 --cells 4 16 --parts detection``: 479 of 480 noisy
   sensors within 60 s, the other a 4-cell LFP rest at 91 s (121 before: the
   injected noise read half its variance for 80 s, against the mean cell's voltage
   noise subtracted twice). Now also noisy where the cells' voltage does not follow
   the current (see :mod:`app.diagnostics.faults.sensors`, Noise): ``--first-seed 60
   --seeds 40 --chem lfp --profiles rest --onsets 120 900 3000 --parts detection
   --cases "sensor_noisy current"`` 116 -> 119 of 120 within 60 s, worst 84 -> 64 s.
   A noisy cell temperature sensor no longer moves the cells' temperature reference
   (:mod:`app.diagnostics.faults.reference`): ``--first-seed 60 --seeds 50 --chem nmc
   --onsets 2000 3000 --profiles cycle cc --cases "sensor_noisy cell_3_temp_c"``, runs
   with a short or runaway-onset alarm on another cell (``other``) 25 -> 0 of 200.
   Packs logged without cell voltages (one temperature sensor,
   the pack voltage): ``benchmarks/bench_pack_only_faults.py``. A current
   stuck early in a log, judged on the cells' voltage jumping while it holds:
   ``--first-seed 50 --seeds 4 --profiles drive cycle hppc rest cc cccv --onsets 60
   120 900 --cells 4 16 --parts detection --cases "sensor_stuck current_a"`` 430 ->
   432 of 432 within 60 s (two LFP drives missed, now 29 and 59 s). Clean packs,
   ``--seeds 3 --parts clean`` (8640 pack-hours): 0 false alarms before and after.
2. **Clean packs** -- hours of clean simulation (typical sensor noise, the
   capacity spread and each resistance spread, no balancing) per chemistry,
   profile and seed, and every fault reported (target: none), with the false
   alarms per pack-hour; lead-acid also on ``float`` at 25 and 40 degC ambient. The
   safety check's limit events on the same packs are false alarms too (CV phases
   hold a cell at its limit, read with sensor noise; target: none).
3. **Offline == live** -- the same samples fed in random blocks.
4. **Speed** -- offline on 1e6 samples of a 16-cell pack (target <= ~0.5 s) and
   live, block by block (target <= ~5 us per sample), for 1 Hz and 10 Hz streams.
   Live work runs once per completed 5 s bin (~1-2 ms for 16 cells), so its cost
   per sample depends on how many bins a block completes: small blocks of a slow
   stream pay that fixed cost per few samples (still well under 1 % of a CPU in
   real time).

Coarse sensors (the detectors learn each channel's quantum from its readings:
:mod:`app.diagnostics.faults.resolution`), before -> after. Clean packs, ``--parts clean
--clean-hours 24 --seeds 1 --spreads 0.06`` (960 pack-hours) with ``--resolution``:
``temp=1 --noise-scale 0`` 1,308 -> 0 false alarms (runaway onsets on NMC cycle/CC-CV,
shorts on NMC drives); ``temp=1`` (typical noise) 12 -> 0 (stuck temperatures); all four
(``temp=1 current=0.1 cell_v=0.001 pack_v=0.1``) 4,814 -> 4 (noisy pack voltages; the 4
left: lead-acid pack voltages); the same ``--noise-scale 0`` 2,026 -> 7 (lead-acid:
5 shorts, 2 noisy pack voltages on float). Detection, ``--brief --parts detection
--resolution`` (all four, typical noise): 341 -> 325 of 422 within target, faults before
an onset 6,945 -> 0; runaways 18 -> 15 within 60 s (worst 56 -> 69 s: the lead-acid float
runaway 2 -> 0, 64-69 s), 100 ohm shorts 8 -> 6 within 10 min (worst 954 s), stuck
sensors 39 -> 32 (a whole-degree temperature, a 0.1 A current or a 0.1 V pack voltage
whose noise is under its quantum holds its value by chance: not judged on its own
history). Without ``--resolution`` every figure is as before (no channel has a known
quantum). Then (all four, typical noise): clean ``--clean-hours 8 --seeds 1`` 7 -> 0
false alarms (6 noisy lead-acid pack voltages: a value on a step's edge toggling, a
float charge's first-minute ramp before its quantum was known; 1 NMC runaway onset: the
reference's rounding swing), ``--clean-hours 24`` 0 in 2,880 pack-hours; detection
``--brief --parts detection`` 327 -> 331 of 422 within target (stuck sensors 32 -> 37,
the twins judging without a flickering past; runaways 15 -> 14, worst 69 s either way),
held out ``--first-seed 90 --seeds 2`` 327 -> 329 (stuck 31 -> 33, runaways 16 either
way; faults before an onset 2 -> 0); noise-free runaways (``--cases runaway
--noise-scale 0``) 9 of 18 either way. Stuck sensors whose noise is under half their
quantum and whose true value moved less than one quantum within the minute are counted
apart: at the resolution limit, no detector tells them from a healthy reading (79 of
the 88 such runs on seeds 1-2, and on 90-91).

Runaway latency (the simulated Li-ion onset a self-heating of 1 K/min on NMC and LFP
alike; it was 0.25 W/Ah, 0.5 K/min on LFP), before -> after, worst latency (within 60 s):
``--first-seed 500 --seeds 16 --cases runaway --cells 4 16 --parts detection --brief``:
LFP 4 cells 80 s (56/64) -> 42 s (64/64), 16 cells 60 -> 38 s; NMC 42 / 40 s, lead-acid
45 / 30 s (NMC's onset power follows the heat capacity now, not each cell's capacity:
within its 1 % spread; seeds 300-303 onset 900 s worst 44 -> 39 s). ``--first-seed 300 --seeds 8`` (same options): LFP 67 (28/32) ->
45 s, 16 cells 55 -> 37 s. ``--first-seed 30 --seeds 2 --profiles cccv cc drive --onsets
120 900 --cells 4 16 --cases runaway``: LFP 54-64 s (3/6 late at 900 s) -> 34-39 s.
``--first-seed 300 --seeds 4 --onsets 5 30 120 900 --cells 4 16 --cases runaway``: LFP
onset 30-900 s 44-64 -> 34-44 s; onset 5 s (a log's first seconds) 4 cells 12/16 within
60 s, worst 64 s, as NMC (seed 302, every profile). Shorts and clean packs: unchanged
(no runaway in them).

Known miss (measured, not fixed): 100 ohm on NMC under ``cc`` (1C from the log's first
sample) with onset 120 s. ``--first-seed 30 --seeds 2 --profiles cccv cc drive --onsets 120
--cells 4 16 --chem nmc --cases "100 ohm" --parts detection``: cccv 419-479 s, drive 359 s,
cc 0 of 4; with ``--profiles cc --onsets 600 1200 --cells 4``: 299-359 s (4/4). Before 600 s there is no
rolling heat reference, and the log-start anchor must allow a healthy cell's unknown
resistance share (the short's 0.5-1.2 K after 10 min, a cell of an 8 % spread up to 0.8 K).
The cell's voltage cannot carry it: fitted against a drift and an RC build-up with the
onset *known*, the short's step and ramp reach z 1.6-3.1 on noise-free twins (seeds
300-307, 3/6/8 % spread), while healthy cells reach 1.1-5.3 on the same fit (the short's
heat raises its cell's voltage as much as the drain lowers it: +0.8 to +1.6 mV by 720 s).

Held out, 2026-12-06 (seeds never used before; the defaults otherwise: typical noise,
no ``--resolution``, the three chemistries, the default profiles). ``--first-seed 700
--seeds 40 --parts detection`` (4 cells, 8,440 runs): 8,440 found, 8,438 within target,
nothing before an onset; within target and worst latency per kind: runaways 360/360, 51
s; shorts 640/640 (default R worst NMC 128, LFP 180, lead-acid 294 s; NMC 100 ohm
160/160, 361 s); over-voltage 240/240, 51 s; stuck 2,400/2,400, 33 s; dropouts
2,400/2,400, 5 s; noisy 2,398/2,400, 64 s (LFP drives, noisy current, seeds 707 and 722:
61 and 64 s, the LFP-drive margin above). Onset alarms on shorts 18 of 640 (NMC 2, LFP
16): 7 confirmed before the short (raised live: LFP 20 ohm, 64-152 s after its onset,
the limit of :mod:`app.diagnostics.faults.thermal` "A steady heat switched on"), 11 after
the short was confirmed (put down to it at once, never shown live: ``open_faults`` has
none; the ``onset`` column counts them too). ``--first-seed 740 --seeds 3 --cells 8 12
16 --parts detection``: 1,899/1,899 within target (runaways 43 s, shorts 311 s, noisy 32
s), onset alarms 2 of 144 (LFP 12 and 16 cells, both raised live). ``--first-seed 750
--seeds 2 --rate-hz 10 --parts detection``: 422/422 (runaways 35 s, shorts 321 s), no
onset alarm. ``--first-seed 770 --seeds 2 --onsets 120 900 --parts detection``: 832/832
within target (runaways 49 s); onset alarms 8 of 64: LFP 20 ohm seed 770 from 900 s on
all four profiles at +84 s (one excursion of that seed's noise; raised live), NMC HPPC
from 120 s at +49 s on both seeds (raised live, the short confirmed at 359 s), two at
+684 s after the short. Followed up, ``--chem nmc --profiles hppc drive --onsets 60 120
180 300 --cases "default R" --first-seed 772 --seeds 6 --parts detection``: 48/48 within
10 min; raised live on HPPC 8 of 12 at onsets 60-120 s (49-79 s after the onset, the
short confirmed at 359-419 s), none at 180-300 s, none on drives (4 after the short: one
noise event at 1,259 s) -- the limit of :mod:`app.diagnostics.faults.short_heat` "A short
in a log's first minutes" (under a current from the log's start the drop's noise is not
known). Seed 776 from 120 s (HPPC opens with a 1C discharge from the log's start): the drop
explained 2.2 degC/min at 149 s, sure in that bin only (not ``SURE_BINS``), then unsure: 1.5
against the window's 1.7 degC/min at 169 s (the alarm), nothing from 179 s.
100 ohm, ``--first-seed 760 --seeds 4 --chem nmc --cases "100 ohm" --onsets 300 900 1800
--profiles drive cycle hppc rest cc cccv --parts detection``: onsets 900 and
1,800 s 48/48 within 10 min (worst 419 s), 300 s 22/24 (worst 569 s; seed 761's cc not
found in 3,300 s, its cycle at 2,819 s: the known miss above, a 1C load from the log's
start before the rolling reference). Clean, ``--first-seed 700 --seeds 5 --parts clean
--clean-cells 4 8 12 16`` (28,800 pack-hours): no safety event, 6 false alarms (0.0002
per pack-hour), all one event: a runaway onset on cell 2 at 54,229 s of seed 701's
8-cell packs (NMC drive at each spread, NMC cycle 3 %, LFP cycle 6 and 8 %), rate 0.74
degC/min and z 5.02, each at its threshold -- the sensor's noise alone (its 5 s bin mean
4.7 sigma high, the day's one such bin of 17,280; the noise-free twin flat): this test's
own noise rate (:mod:`app.diagnostics.faults.thermal`, "heavier tails than one z"), not
tuned. ``--first-seed 705 --seeds 4 --parts clean --clean-cells 8 12`` (11,520
pack-hours) and ``--first-seed 750 --seeds 1 --rate-hz 10 --clean-hours 8 --parts clean
--clean-cells 4 16`` (960): 0. Offline == live: :func:`run_equivalence` called on seeds
700-702 (``--parts equivalence`` uses seed 7; the three logs, blocks <= 1, 37, 5000): 27 of
27 identical.

2026-12-07, lead-acid runaway on slow logs (:mod:`app.diagnostics.faults.float_runaway`,
``NOISE_POOL_S``). Clean lead-acid cycling sampled every 3-10 s raised critical runaway-onset
alarms: one 20 Ah cell, ``cycle``, 24 h, typical noise, seeds 180-196 at 1-10 s and 1-16
cells (the cases it was tuned on): 12 alarms -> 0; held out, seeds 401-412 (1-12 cells,
1-20 s, 25-200 Ah, cycle/cccv/float/drive, 24 h each): 5 -> 0 (scripts in the session's
scratch; ``simulate(preset("lead_acid", ...), "cycle", 86400, dt_s, seed, NoiseSpec.typical)``
through ``detect_faults``). Detection, old -> new, identical: ``nice python
benchmarks/bench_faults.py --parts detection --onsets 5 30 --first-seed 300 --seeds 4 --cells
4 16 --chem lead_acid --cases runaway --brief`` 16/16 within 60 s, median 36 s, max 49 s;
``--onsets 5 30 60 90 --first-seed 610`` (held out) 32/32, median 34 s, max 59 s;
``--onsets 30 90 --first-seed 620 --rate-hz 0.2`` 16/16 found, 10/16 within 60 s, median
45 s, max 85 s (the 0.2 Hz misses as before). Left: seed 408's clean 1-cell lead-acid drive
at 8 s a sample reads ~50 ``sensor_noisy`` on ``current_a`` a day, old and new (the 5 s
drive fix of ``test_faults_slow_logs`` covers NMC and LFP 4-cell packs).

Held out, 2026-12-07 (seeds 1100-1252, never used before; the defaults otherwise).
Detection (~10 s CPU a seed of 4-cell packs): ``--first-seed 1100 --seeds 30 --parts
detection`` (4 cells, 6,330 runs): all found, 6,328 within target, nothing before an
onset; within target and worst latency per kind: runaways 270/270 (NMC 48, LFP 46,
lead-acid 39 s); shorts 480/480 (default R worst NMC 118, LFP 177, lead-acid 303 s; NMC
100 ohm 120/120, 371 s); over-voltage 180/180, 36 s; stuck 1,800/1,800, 33 s; dropouts
1,800/1,800, 5 s; noisy 1,798/1,800 (misses: a noisy current on LFP drives, seeds 1107
and 1113, 77 and 68 s: the LFP-drive margin above). Onset alarms on shorts 10 of 480 (LFP
default R 9, NMC 1). ``--first-seed 1130 --seeds 3 --cells 8 16 --parts detection``:
1,265 of 1,266 within target; the miss an LFP 8-cell ``cycle`` runaway (seed 1131, onset
6,207 s) at 82 s (87 with the confirmation tried below): its condition held from 32 s on, but under
the cycle's C/2 charge the runaway's heat lowers its cell's overpotential, a fall of its
voltage against the others that :mod:`app.diagnostics.faults.short_heat` reads as a
short's drop explaining 1.9-2.8 degC/min (the judge's veto, to 77 s; "a runaway's heat
reads less, never more" holds under a discharge only) -- not fixed here. ``--first-seed
1140 --seeds 2 --onsets 120 900 --parts detection --brief``: 831/832 (a stuck current on a
4-cell LFP pack from 120 s at 194 s; onset alarms on shorts 2 of 64: NMC from 120 s, the
known log-start limit). ``--cases runaway --cells 4 8 12 16 --onsets 5 30 --first-seed
1230 --seeds 4 --parts detection``: lead-acid 31/32 within 60 s (seed 1231, 4 cells, from
5 s: 64 s). Miss found, not fixed: lead-acid float runaways at 10 Hz, ``--chem lead_acid
--cases runaway --rate-hz 10 --cells 4 16 --first-seed 1240 --seeds 8 --parts
detection``: 4 cells 5/8 within 60 s (87, 137 and 260 s; seeds 1240-1241 at 1 Hz: 33
and 26 s), 16 cells 8/8. The cells' finely read temperature sensors are given a quantum by
:mod:`app.diagnostics.faults.resolution` (seed 1245: 2.0 degC from 4,860 s on), whose
confirmation (three bins' sums within ``CONFIRM_TOL`` of the least) was sized for bins of
~5 samples (a chi-square of ~5 terms) and is met far more often by 50-sample bins; the
float heat test then takes that rounding's swing off the heat (zeroed: found at 20 s, not
260). It wants a tolerance by the bins' number of terms, and the coarse-sensor tables
re-run at 10 Hz. Clean: ``--first-seed 1100 --seeds 5 --parts clean --clean-cells 4 8 12
16`` (28,800 pack-hours; 470 s CPU): 0 false alarms, no safety event.

Tried, not adopted: a Li-ion runaway alarm confirmed by the following bin (the rise must
still reach z 5 in the next bin, whatever the other conditions say there), before -> after.
Seed 701's noise event above, ``--first-seed 701 --seeds 1 --parts clean
--clean-cells 8`` (1,440 pack-hours): 6 -> 0 false alarms. Clean, ``--first-seed 1100
--seeds 5 --parts clean --clean-cells 4 8 12 16``: 0 -> 0; after, ``--first-seed 1105
--seeds 5 --parts clean --clean-cells 8 12`` (14,400 pack-hours): 0. Li-ion runaways within
60 s, worst latency (``--cases runaway --cells 4 16 --parts detection``): seeds 300-303
64/64 either way, 45 -> 50 s; ``--onsets 5 30 600 --first-seed 300 --seeds 2`` 96/96,
54 -> 59 s; held out ``--first-seed 1200 --seeds 20`` 320/320, 50 -> 55 s (318 runs 5 s
later, 2 15 s later); ``--onsets 5 30 600 --first-seed 1220 --seeds 4`` 192/192, 54 -> 59
s; ``--cells 4 8 12 16 --onsets 5 30 --first-seed 1230 --seeds 4`` 256/256, 54 -> 59 s;
``--rate-hz 10 --first-seed 1240 --seeds 2`` 32/32, 37 -> 42 s (a log's first seconds
keep a second of margin: 59 s at worst). Lead-acid runaways the same to the second.
Shorts, ``--cases short --first-seed 1100 --seeds 30`` and ``--cells 4 16 --first-seed
1250 --seeds 3``: the same tables (onset alarms 6 of 480, 0 of 96). A plain debounce of
one bin instead (the whole condition in two successive bins) held 14 of 320 of seeds
1200-1219 back by 15-25 s and put 7 of 192 of seeds 1220-1223 (from 5 s) at 69 s: not
taken. ``--parts equivalence``: 9 of 9 identical.
Why not adopted: it buys the one noise event seen in ~70,000 clean pack-hours (seed
701, above) with 5 s on every Li-ion runaway alarm, and the worst runaway latency from a
log's first seconds goes from 54 s (6 s inside the 60 s target) to 59 s (1 s inside) on
every seed set tried: a margin other seeds and profiles could cross. Left as it was.

2026-12-07, lone cell voltages on slow logs (:mod:`app.diagnostics.faults.sensors`, Slow
logs). Seed 408's alarms were on ``cell_1_v`` (51 a day), not the current (2): a cell with
no group of >= 3 was judged on the floor alone, and a drive read every 3-20 s moves it
between samples by R0 times the load's change. Now judged less ``CURRENT_LOAD_MARGIN`` R0²
times the current's d2 variance, as the pack voltage without cells. Clean 24 h runs,
``simulate(preset(chem, series_cells=n), profile, 86400, dt_s, seed,
noise=NoiseSpec.typical(spec))`` through ``detect_faults`` (lead-acid/NMC/LFP;
drive/cycle/cccv, float on lead-acid; 1, 2, 3, 4, 8, 16 cells; 1, 2, 3, 5, 8, 10, 15, 20 s;
a script in the session's scratch): seed 408 (480 runs, the one looked at) noisy cell
voltages 2,503 -> 6, the current 740 -> 740; held out, seeds 501-503 (1,440 runs) 11,199
-> 32 (LFP 1-2 cells at 15-20 s), the current 2,282 -> 2,282; other kinds the same; >= 3
cells bit-identical. Detection, old -> new, ``nice python benchmarks/bench_faults.py
--parts detection --cases "sensor_noisy cell_2_v" "sensor_noisy current_a" "sensor_noisy
voltage_v" "sensor_noisy temperature_c" --cells 2 --first-seed 40 --seeds 6 --rate-hz R``
(288 runs each): found the same at every R (1: 288, 0.5: 288, 0.2: 287, 0.125: 279, 0.1:
282, 0.05: 275); within 60 s 288/284/250/198/205/68 -> 288/284/248/185/197/56, all of the
loss on ``cell_2_v`` at 0.2 Hz and slower (its 15-sample window is 75-300 s; worst 64 ->
72 s at 0.2 Hz, 105 -> 138 at 0.125, 276 -> 417 at 0.05): the old quick ones rode on the
load the window took for noise; faults confirmed before an onset 28/247/964/1133/952/611
-> 0/4/0/12/24/20. 1- and 2-cell packs (``sensor_noisy`` on ``cell_1_v`` at 1,120-1,194 s,
drive and cycle, seeds 60-62, 1-20 s, 3,600 s logs, 180 runs): found 161 -> 180 (the 19
were inside an alarm raised before the onset), within 60 s 141 -> 132 (14 slower, 62-103
s where they were 14-56 s; 5 quicker). Offline == live: ``--parts equivalence`` 9 of 9,
1-2-cell drives with a noisy cell and current (1, 8, 20 s; blocks <= 1, 37, 5000) 108 of
108. Left: the current on slow drives (LFP: 1,860 of the 2,282; NMC at 15-20 s): a drive
sample's voltage carries R0 dI and also the RC pairs' and the OCV's integral of the held
current (per sample kappa = R1(1 - exp(-dt/tau1)) + R2(...) + dOCV/dSOC * 100 dt / 3600 Q,
up to 1-6 R0 on LFP and NMC at 15-20 s), whose d2 is kappa times the *previous* first
difference and cancels R0 d2I down to ~1/4 of its variance for a rough load (kappa = 1.5
R0), under the 1/3 ``CURRENT_LOAD_MARGIN_SLOW`` covers; seed 408's two lead-acid current
alarms are in the simulator's overcharge knee, steeper than the spec's OCV table.

2026-12-07, the 10 Hz lead-acid float runaway miss above: the confirmation of a channel's
quantum (:mod:`app.diagnostics.faults.resolution`) now takes a tolerance by its least
sum's number of terms, ``CONFIRM_TOL * sqrt(5 / terms)`` (a chi-square's relative spread
shrinks as 1/sqrt(terms); 3.2e-3 for 50-sample bins, 1e-2 as before for 5; not under 2e-3,
twice float32's spread of a quantum's sums). Fine 0.2 degC sensors, 8 h, 100 seeds, fed
to :class:`Resolution` alone: given a quantum at 1 Hz 1 of 100, at 10 Hz 12 -> 2. Before
-> after: ``--chem lead_acid --cases runaway --rate-hz 10 --cells 4 16 --first-seed 1240
--seeds 8 --parts detection``: 4 cells 5/8 -> 8/8 within 60 s (worst 310 -> 20 s; this
run's 1245 took 310 s, not 260), 16 cells 8/8 either way (17 s). The same at 1 Hz and the
coarse tables (``--resolution temp=1 current=0.1 cell_v=0.001 pack_v=0.1 --cells 4 --seeds
1 --parts detection --brief``, 1 Hz and ``--rate-hz 10``: 165 of 211 within target
either way) print the same. Held out, 10 Hz: ``--chem lead_acid --cases runaway --rate-hz
10 --cells 4 --first-seed 1264 --seeds 16 --parts detection`` 15/16 -> 16/16 (seed 1266:
113 -> 18 s; worst 24 s); ``--first-seed 1248 --seeds 16`` 15/16 either way: seed 1250
(8 %) at 164 s, a cell temperature still given a quantum of 1.96 degC at 4,555 s (its three
least sums within 1e-4 and 2.9e-3: chance, at the 1 Hz rate; with no quantum: 24 s);
``--cases runaway --rate-hz 10 --cells 4 8 --first-seed 1280 --seeds 4`` 72/72 either way.
Clean, ``--rate-hz 10 --clean-hours 8 --parts clean --first-seed 1300 --seeds 2`` (1,920
pack-hours): 2 false alarms either way (an LFP 16-cell ``cc`` short on cell 9, seed 1300,
3 and 6 %); with the four ``--resolution`` roundings, ``--seeds 1``: 8 either way (those
2 and six 16-cell NMC stuck temperatures at 40-90 s) -- not looked into. ``--parts
equivalence --rate-hz 10 --seeds 1``, with and without the roundings: 9 of 9 identical.
Left: a fine sensor's least sums still meet the tolerance now and then (seed 1250); a
tolerance from float32's rounding of a quantum's sums (eps32 x magnitude / q: ~1e-5 for a
degree at 25 degC) would shut that out, not tried.

2026-12-07, the clean 10 Hz false alarms above. ``nice python benchmarks/bench_faults.py
--rate-hz 10 --clean-hours 8 --parts clean --first-seed 1300 --seeds 2``: the LFP 16-cell
``cc`` short (cell 9, 3,690 s, 3 and 6 %) was the rolling heat test of
:mod:`app.diagnostics.faults.short` (excess 0.20-0.23 K, z 9.3-9.4, leak ~0): its error
takes the 30 s super-bins' residuals over the reference as independent, true where the
sensor's white noise dominates them (1 Hz: ~55 mK a super-bin), not at 10 Hz (~17 mK),
where the cells' slow misfit to the fit is left and runs together: z of clean cells had
a spread of 2.1 at 10 Hz (1.1 at 1 Hz; 99.9th percentile 6.1 against 3.2). Now the
confirmation's error is that of an AR(1) series of the residuals' lag-1
autocorrelation (``HEAT_AUTOCORR_MAX``); the weak test (an episode's start and length)
keeps the plain one -- the AR(1) error on it too ended a confirmed 13 K short when its
heat entered the reference (``--parts equivalence``' short at 4,529 s, not 7,199, and a
runaway onset alarm on its cell). Before -> after: that command 2 -> 0 (the seeds looked
at); held out, ``--first-seed 1310`` 0 after (1,920 pack-hours; before not run); 1 Hz,
``--first-seed 1100 --seeds 2 --parts clean`` 0 -> 0 (5,760 pack-hours). Shorts, ``--parts
detection --cases short --cells 4 16 --first-seed 1320 --seeds 2``, at 1 Hz and with
``--rate-hz 10``: every row the same to the second (64/64 within target either way; worst
318 and 319 s). ``--parts equivalence``, with and without the four roundings: 9 of 9.
Not fixed: with the four roundings (``--resolution temp=1 current=0.1 cell_v=0.001
pack_v=0.1 --seeds 1``) 8 -> 8: the same two LFP shorts (3,690-5,880 and -4,110 s; with
whole-degree readings, not looked into) and six NMC 16-cell ``sensor_stuck
temperature_c`` at 40-90 s (``cycle`` and ``cc``, every spread, seed 1300). The pack temperature is judged on its cell
peers in a log's first minute once it changed in every 5 s bin it had; read to whole
degrees it starts by a step's edge and toggles on noise, then holds as the pack warms
away from it (changes per 5 s bin at 10 Hz 26, 19, 26, 16, 10, 6, 8, 4, then 0; seeds
1301-1302 the same shape). At 1 Hz a bin has 5 samples and one without a change breaks
the rule (seed 1300: 1, 3, 2, 0, ...). It wants the pack voltage's rule (its own noise
spanning its quantum) or a hold's chance from its per-sample change rate, not a bin's
changed flag.

2026-12-07 session 33, the two known misses above, analysed; no change to app/ (what was
tried added onset alarms on held-out shorts). (1) The LFP 8-cell ``cycle`` runaway: ``--first-seed
1131 --seeds 1 --cells 8 --chem lfp --profiles cycle --cases runaway --parts detection``
draws another onset (5,483 s, 3 %: found at 36 s); the miss is ``... --onsets 6207
--spreads 0.06`` (82 s). Its cause is not the runaway's heat: in the noise-free twin
*without* a runaway, cell 2 falls against the others' median from +4.8 mV at 6,113 s to
-0.3 mV at 6,225 s (it crosses the LFP table's bend at 40 % SOC, 4.6 -> 1.4 mV per %,
~2 minutes before the others), while the runaway's own heat lowers it by 0.1 mV at 6,230
s and 0.5 mV at 6,270 s, which the warming correction already takes off (0.14-0.8 mV).
That OCV bend is the 3-4 mV 'drop' (sure at 4.5-6.4 standard errors, and remembered) of a
~0.4 A short. Tried, not adopted: (a) the short's current from the drop over R0 and the
RC pairs built up since the drop came (not R0 alone): 82 -> 52 s, but ``--cases short
--first-seed 1100 --seeds 6 --profiles drive cycle hppc rest cc cccv`` onset alarms 2 ->
3 of 144 (LFP ``cycle`` 1102, 20 ohm: an excess rate of 0.93 degC/min for a 0.43
degC/min short, explained 1.37 -> 0.91). (b) The heat's shape since the drop: the
cell's excess fitted with a line, a kink at the drop's first sure bin and a square term
after it; at z >= 3 of that term the drop explained nothing, a drop was remembered
only under z 2: 82 -> 37 s (read on the cell's own temperature for the tuning figures
here, on its excess for the held-out ones: 37 s either way); tuning shorts unchanged (that set; ``--short-ohms 1 3 10 30
100`` seeds 1-2, 6 profiles, 9 -> 9 of 180; ``--onsets 120 900 --cells 4 16
--first-seed 770 --seeds 2`` 10 -> 10 of 128); runaways ``--cells 4 8 16 --onsets 5 30
600 --first-seed 300 --seeds 2`` (6 profiles) 234/234 either way, ``--cells 8 16
--first-seed 1130 --seeds 3`` 77/78 -> 78/78 (max 82 -> 43 s). Held out, before -> after:
``--first-seed 1400 --seeds 10 --parts detection --brief`` 2,110/2,110 within target
either way (runaways 90/90, max 47 s, the same), onset alarms on shorts 5 -> 6 of 160
(LFP ``rest`` 1407, 20 ohm from 5,990 s: a noise excursion of the excess passed the onset
test at 6,054 s, rate 0.87 degC/min, and read z 5.45 on the shape's square term -- the
take-off the onset test sees is the one the shape test reads); ``--cases short --cells 4
16 --first-seed 1400 --seeds 4`` (6 profiles) 4 -> 5 of 192 (NMC 4-cell, default R);
``--cells 8 16 --first-seed 1410 --seeds 2 --brief`` 844/844, 1 -> 1; ``--cases runaway
--cells 4 8 12 16 --onsets 5 30 600 --first-seed 1400 --seeds 2`` (6 profiles) 312/312
identical (max 49 s); ``--cases "100 ohm" --onsets 120 300 900 --cells 4 16 --first-seed
1400 --seeds 2`` identical. No held-out runaway gained, two more shorts alarmed: the veto
matters where noise makes a short's steady heat look like a take-off, and any test of the
heat's shape reads that same take-off; what sets the OCV bend apart (a ramp of the
deviation, not a step) is ~1 mV a bin of noise against 0.23 mV a bin of ramp (a
step-and-kink fit placed 2-3 mV 'steps' at z 3.4-3.7 on it). (2) The 100 ohm NMC ``cc``
short from 120 s: the command above (``--first-seed 30 --seeds 2 --profiles cccv cc drive
--onsets 120 --cells 4 16 --chem nmc --cases "100 ohm" --parts detection``) now finds all
12 at 359 s (cc 4/4 where "Known miss" above reads 0 of 4: a later change to the
short test, not traced).
Held out, ``--cases "100 ohm" --onsets 120 300 900 --cells 4 16 --first-seed 1400 --seeds
2 --profiles drive cycle hppc rest cc cccv --chem nmc``: onsets 120 and 300 s 48/48 (worst
599 s, 4 cells from 120 s), 900 s 21/24 -- not found in 1,200 s: 4-cell ``cycle`` 1400,
16-cell ``cycle`` and ``cc`` 1401 (a 1C discharge from the log's start;
not looked into); random onsets (``--cases short --cells 4
16 --first-seed 1400 --seeds 4``) 47/48 within 10 min (NMC 4 cells: 796 s). The SOC
drift was not tried: the docstring of :mod:`app.diagnostics.faults.short` ("Not by the
voltage's drift") measures it as a capacity deficit's equal under a constant current.

2026-12-07 session 33, the eight with the four roundings. (1) The LFP shorts were the
quantum's: :mod:`app.diagnostics.faults.resolution` took a bin's least sum of squared
changes for q²; at 10 Hz a whole-degree cell temperature with 0.3 degC of noise by a
step's edge chatters up and back dozens of times a 50-sample bin (no bin of a single
step), so its cells were given 2 or 4 degC², and cell 9 none -- its rounding bias was not
taken off (``HEAT_ROUNDING_B``) and read as 0.25 K of heat. Now a bin's sum is taken per
change (the bin stage counts the non-zero first differences, for the rows that are not
quiet): q² = 1 for every cell from the first minutes; short.py untouched. (2) The stuck
pack temperature: a reading known to be quantised before it froze, whose own noise does
not span its quantum, judged on its peers' history, is stuck only once their median moved
by two quanta (``faults.stuck.past_quantum``; it held 50 s while the cells' median warmed
0.4 degC). Before -> after: ``--rate-hz 10 --clean-hours 8 --parts clean --first-seed
1300 --seeds 1 --resolution temp=1 current=0.1 cell_v=0.001 pack_v=0.1`` 8 -> 0 (960
pack-hours; with the final code ``--clean-hours 2``, the eight's hours, 0). Held out: the same at 1 Hz, ``--clean-hours 8 --first-seed 1310
--seeds 2``: 0 (1,920 pack-hours); at 10 Hz, ``--clean-hours 2 --first-seed 1311 --seeds 1``: 4 -> 0 (240
pack-hours; the four NMC 16-cell pack temperatures 'stuck' at 45-75 s, ``cycle`` and
``cc``); ``--resolution temp=0.5 --first-seed 1312``, 2 h: 0 -> 0. ``--parts detection --cases "sensor_stuck
temperature_c" "sensor_stuck current_a" --first-seed 1320 --seeds 2 --cells 4 16
--brief``: 96/96 -> 96/96 at 1 Hz and ``--rate-hz 10``; with the roundings 24/96 ->
24/96 at 1 Hz, 40/96 -> 24/96 at 10 Hz: the 16 lost are whole-degree pack
temperatures at the resolution limit (the bench's own count: true value moved under a
quantum within the target), found before only because the quantum was not learnt (its
own history then counted); the other 8 within target either way. A whole-degree
temperature stuck in a log's first minute is found as before when its quantum was not
yet known (10 Hz, 16 cells, stuck at 5 or 10 s: at once), else once the cells moved
two degrees (a cell temperature stuck at 20 s of a 1C NMC discharge: from 285 s, was
20 s). ``--parts equivalence`` with and without the roundings: 9 of 9; live ==
offline also for those 10 Hz stuck logs, blocks of up to 1, 37, 700 and 5000
samples. Without roundings, ``--parts clean --clean-hours 2 --first-seed 1100 --seeds 1``:
the same table to the row (0 and 0). Shorts with whole-degree readings at 10 Hz,
``--parts detection --cases short --cells 4 16 --first-seed 1320 --seeds 1 --rate-hz 10
--resolution temp=1 --brief``: within target 22 -> 30 of 32 (the quanta of 2-4 degC²
had doubled the rounding's allowance), no onset alarm either way. Cost: detect_faults of a 100,000-sample 16-cell NMC drive at 1 Hz (fine
readings; callgrind, less the log's loading) 1.033e9 -> 1.114e9 instructions (+8 %: the
first chunk counts every row's changes, none known quiet yet) -- not made up.

2026-12-07 session 33, the three held-out 100 ohm misses at 900 s above (``--cases "100
ohm" --onsets 900 --cells 4 16 --first-seed 1400 --seeds 2 --profiles drive cycle hppc
rest cc cccv --chem nmc --parts detection``), all one cause. A 1C discharge from the
log's start; the rolling heat test of :mod:`app.diagnostics.faults.short` reached z
6.4-7.2 (plain error) at ~1,260 s, but its confirmation's AR(1) error (lag-1
autocorrelation rho of the cell's residuals over the reference, ``HEAT_AUTOCORR_MAX``)
held it at 5.5-6.0 (16 cells: rho 0.38-0.52 on cell 3 over 600-900 s, the pack's median
0.01, its residuals the sensor's white noise, ~55 mK a super-bin; 4 cells: rho 0.1-0.2).
Then the short entered the reference and ``b`` and ``c`` took its ramp up (b 0.01 ->
0.36, c -> -0.5 by 1,800 s), the residual fell back; the anchor (allowance ~0.12 of the
pack's warming, 0.4-0.7 K short by the onset) ended at 1,769 s at z -4.0, 5.3 and -9.0.
A cell's rho from ~30 super-bins has a sampling error of ~0.2, and white noise adds no
lag-1 covariance: rho is now at most the residuals' variance's non-white share (the
sensor's per-sample white noise over the reference's samples per super-bin). That
command 21/24 -> 24/24 (359, 359, 389 s; the others the same, max 389 s). Held out:
``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16 --first-seed 1430 --seeds 3
--chem nmc --parts detection --brief`` 70/72 found either way (69 within target; median
284 -> 269 s, max 629 s); the two misses, 4-cell ``cycle`` 1431 and 1432 at 900 s, stay
with the plain error too (not this cause; not looked into). ``--cases short --first-seed
1100 --seeds 3 --cells 4 --parts detection --brief``: identical (48/48, max 315 s, the
same LFP onset alarm). ``--parts clean --first-seed 1440 --seeds 2 --clean-cells 4 16``:
0 false alarms (5,760 pack-hours). The 10 Hz false short that set the AR(1) error:
``--rate-hz 10 --clean-hours 8 --parts clean --first-seed 1300 --seeds 2 --chem lfp
--clean-cells 16`` 0 (its cell read rho 0.46-0.58 at 30 mK against the sensor's 17 mK: a
bound of 0.68, unchanged); the same with ``--chem nmc``, ``lfp``, ``lead_acid`` and
``--clean-cells 4 16`` (run per chemistry, 1,920 pack-hours): 0.
``--parts equivalence`` 9/9. Tried and dropped: the plain error (all three found; it is what
that 10 Hz false short was raised with, not re-run); rho less its sampling error 1/sqrt(n) (the same: 1 false
short, 6 %); the pack's median rho (2 false shorts: that cell's misfit is its own); the
rolling reference held at a cell's first weak bin for 10 min (its extrapolation's
leverage grows as fast as the short's excess: z 5.3-5.9, none found).

2026-12-07 session 34, (1) a slow log's lag bound taken on beyond an OCV table that stops
short of the cell's limits (lead-acid's gassing knee over its 2.12 V top, ``LAG_KNEE_PCT``;
``bench_clean_slow.py``: clean noisy currents 49 -> 0, held out 52 -> 0) and (2) the
current's twin less what a held current bends the cells by through the OCV, not judged
where they read off the table (:mod:`app.diagnostics.faults.sensors`, Stuck; a noise-free
CC logged every 1-10 min was a stuck current; ``bench_stuck_clean.py``). (1), only
lead-acid's tables stop short: ``--parts detection --cases "sensor_noisy current_a" --chem
lead_acid --first-seed 80 --seeds 4 --profiles drive cycle hppc rest cc cccv --onsets 120
900 3000 --cells 2 4 --rate-hz R --brief`` (144 runs), found / within target / median, old
-> new: 0.5 Hz 144/144/14 s -> 144/144/14 s (max 48 -> 54 s); 0.2 Hz 144/101/35 s ->
141/97/45 s; 0.1 Hz 130/81/50 s -> 122/67/50 s; 0.05 Hz 126/0/180 s -> 119/0/200 s (1 Hz:
no lag modelled, unchanged). The price is a noisy current near full, where the voltage
does lag that much: at 0.1 Hz 8 drives missed (the drive after the charge), CC, CC-CV,
cycle and HPPC from full found 20-60 s later. (2) ``--parts detection --cases
"sensor_stuck current_a" --first-seed 50 --seeds 4 --profiles drive cycle hppc rest cc
cccv --onsets 60 120 900 --cells 4 16 --rate-hz R --brief`` (432 runs): 1, 0.5 and 0.2 Hz
byte-identical (432/432/29 s, 431/431/28 s, 432/432/45 s); 0.1 Hz found 340 -> 333 (LFP
stuck 60 s in, 4 and 16 cells, 11 -> 8 of 24 each: at 4 cells 3 CC discharges from full,
'found' by LFP's top knee bending the cells -- what the held current does, the false
alarm's reading -- and 24 -> 23 at 120 s, an HPPC log; lead-acid 4 cells at 120 s worst
390 -> 410 s); 0.05 Hz 236 -> 232 (lead-acid at 60 and 120 s, 4 and 16 cells, 7 -> 6 of 24
each). ``--parts equivalence``: 9 of 9 identical; live == offline on 1- and 4-cell drive,
CC and cycle logs at 10 and 60 s, noise-free and typical, a current stuck from 1,800 s
(3 chemistries, blocks <= 1, 37, 5000): 216 of 216.

2026-12-07 session 34, the two 100 ohm misses at 900 s (4-cell NMC ``cycle``, 1431 and
1432; ``--cases "100 ohm" --onsets 900 --cells 4 --first-seed 1431 --seeds 2 --chem nmc
--profiles cycle --parts detection``, 3 and 6 % spread). Not the voltage: noise-free
twins put the short's drain at -0.3 mV on its cell at the onset and its own heat (the
cell's resistance falling) at +0.4 mV by 600 s, while the healthy cells' deviations move
0.2-0.3 mV a minute along the OCV curve. The heat was there (cell 3 0.84 K over its twin
after 10 min, seed 1432) but the rolling test of :mod:`app.diagnostics.faults.short`
read z 5.9 and 5.0 at most: its lag term c (a cell that cools unevenly), fitted over a
reference where the pack temperature and its lagged part rose together from the log's
first sample, carried a leverage of 0.5 of the residual variance (0.13 with c held at
0: z 9-10 on the same windows), then the short entered the reference and b took it up;
the anchor's allowance (the cell's r from its RC build-up, +-0.022, 3 errors over 7.5 K
of warming) was ~1 K, over the short's growth. Now a short is also confirmed with c held
at +-0.3 (``HEAT_LAG_BOUND``), and in packs of fewer than 8 cells against the median of
the other cells too (the median of 4 moves by half a middle cell's heat). Before ->
after: that command not found in 1,200 s -> 569 and 449 s; ``--cases "100 ohm" --onsets
300 900 1800 --cells 4 16 --first-seed 1430 --seeds 3 --chem nmc --parts detection``
(session 33's held-out, 1431-1432 at 6 and 8 %) found 70 -> 71 of 72, within target 69 ->
70 (1432 at 900 s: 449 s; 1431 at 900 s still not found; median 269 s, max 629 s), 3 rows
30 s earlier. Tuning, the same with ``--first-seed 1420``: 70/72 within either way (6 rows
30 s earlier; cycle 1422 from 300 s at 809 s and from 1,800 s not found either way -- there
cell 3 is one of the middle two and its excess over the median of all stays under 0.2 K
at z up to 10: against the others' median with c fitted it is found at 269 s, but that
confirmation added a false short to the uneven-cooling packs below, at a cycle's rest:
not taken); ``--onsets 900 --cells 4 --first-seed 1480 --seeds 10 --profiles cycle``:
identical (7/10 within, 1486 not found). Held out, ``--first-seed 1460 --seeds 3`` (the
1430 command's options): 68/72 within either way (found 71), 4 rows 30 s earlier, the
same misses (4-cell cycle 1461 from 900 s not found; cycle from 300 s at 779-1,049 s).
Unchanged: ``--cases short --first-seed 1100 --seeds 3 --cells 4 --parts detection
--brief`` 48/48 (median 195 -> 190 s, max 315 -> 306 s, the same 1 LFP onset alarm);
``--parts equivalence`` 9/9; clean ``--parts clean --first-seed 1440 --seeds 2
--clean-cells 4 16`` 0 (5,760 pack-hours); ``--rate-hz 10 --clean-hours 8 --parts clean
--first-seed 1300 --seeds 2 --clean-cells 16``, and ``4``, per chemistry 0 (1,920
pack-hours; the 16-cell runs before the others' reference took a noisy sensor's place
from the shared reference, which 16-cell packs do not use); ``benchmarks/validate/
uneven_clean.py --profiles cc cycle drive --c-rates -1 --spreads 0.06 --hours 1
--cooling-spread 0.1`` the same false shorts to the cell (seeds
613-614: 6, held out 620-621: 8; ``--step -10 --step-at 0.3`` 6; ``--seeds 611 --hours 1``
44 faults); ``validate/start_load.py --ambients 0 10 --cells 4 8 16 --c-rates -2 -1
--profiles cc cycle --seeds 400 401 402 --max-discharge-c 3`` 0 either way. With c held
at +-0.2 instead (against the median of all only): 1431 at 359 s, 1432 not (0.15-0.19 K
at z 6), and the uneven-cooling seeds 613-614 read 9 false shorts (12 at a 0.1 K least
excess): a cell cooling 20-25 % unlike its neighbours is what this short looks like in
its first 10 min. Cost: detect_faults of a 20,000-sample 4-cell NMC drive at 1 Hz
(callgrind, less the log's loading) 0.234e9 -> 0.240e9 instructions (+2.4 %: the
others' rows and the held fits).

2026-12-07 session 34, the LFP 8-cell ``cycle`` runaway (seed 1131, onset 6,207 s) of
session 33, fixed: the OCV bend it crosses first is no short's drop
(:mod:`app.diagnostics.faults.short_heat`, "A bend of the OCV curve";
``BEND_RESISTANCE_SHARE`` = 0.12). The deviation's change that the OCV table makes of the
cell's and its peers' SOCs (read at the baseline from their voltages less the nominal
overpotential, carried on by the charge drawn) is taken off the drop, where the cell
reads above its peers by more than 0.12 of the overpotential. ``--first-seed 1131 --seeds
1 --cells 8 --chem lfp --profiles cycle --cases runaway --parts detection --onsets 6207
--spreads 0.06``: 82 -> 32 s. Tuning (the share chosen on these, and on the held-out
shorts' two new alarms below): runaways under a charge, ``--cases runaway --profiles cycle
cc cccv --chem lfp --cells 8 16 --first-seed 1130 --seeds 3 --onsets 5800 5950 6100 6250
6400 --parts detection``, 89 -> 90 of 90 within 60 s, max 79 -> 49 s (1131 16 cells from
5,950 s: 79 -> 34 s); ``--cases short --first-seed 1100 --seeds 6 --profiles drive cycle
hppc rest cc cccv --parts detection --brief`` 2 -> 2 onset alarms of 144; shorts at the
charge's bends, ``--cases short --chem lfp --profiles cycle cc cccv --cells 4 8 16 --onsets
5800 5950 6100 6250 6400 --first-seed 1130 --seeds 3``, 6 -> 6 of 135, every row the
same. First tried with the share 0.1 and the offset either way: the same tuning figures,
but held out ``--first-seed 1140`` (same short options) 4 -> 5 and ``--first-seed 1150``
2 -> 3 (LFP ``cycle`` 1145, 8 %: a cell 3.2 mV above its peers by its resistance, read
as 1 % of SOC ahead; NMC ``cccv`` 1153: a short's own 38 mV in a CV phase read as a SOC
behind the peers). Hence only a deviation above the peers, less 0.12 of the
overpotential (0.11-0.12 clear both; 0.13 holds the 1131 runaway to 52 s, 0.15 to 57 s):
1140 and 1150 then 4 -> 4 and 2 -> 2, every row the same -- no longer held out. Held out
after that choice (seeds not looked at before), base -> new, every row the same unless
said: ``--cases short --first-seed 1170 --seeds 6 --profiles drive cycle hppc rest cc cccv
--parts detection`` 3 -> 3 onset alarms of 144, ``--first-seed 1180`` 2 -> 2 of 144
(143/144 within target either way); ``--cases short --cells 8 16 --first-seed 1200 --seeds
2`` (same profiles) 3 -> 3 of 96, ``--first-seed 1140 --seeds 2`` 1 -> 1 of 96; shorts at
the bends ``--first-seed 1160`` and ``1195 --seeds 3`` (options above) 15 -> 15 and 9 -> 9
of 135; runaways under a charge ``--first-seed 1160 --seeds 4`` (options above) 119 ->
120 of 120 within 60 s (1161, 8 cells, from 5,950 s: 74 -> 44 s; seen with the share
0.1, 74 -> 39 s, before the share was chosen), ``--first-seed 1190 --seeds 4`` 120/120
either way (max 54 s), ``--first-seed 1210 --seeds 6 --onsets 6000 6150 6300 6600 6800``
180/180 either way (max 54 s): no fresh seed's runaway crossed a bend first.
``--cases runaway --cells 4 8 12 16 --first-seed 1230 --seeds 4 --parts detection``
144/144 either way (max 54 s); ``--first-seed 1130 --seeds 3 --cells 8 16 --parts
detection --brief`` 1,265 -> 1,266 of 1,266 within target (runaways max 82 -> 40 s; the
one short's onset alarm either way). ``--parts clean --first-seed 1440 --seeds 2
--clean-cells 4 16``: 0 false alarms (5,760 pack-hours); ``--parts equivalence`` 9/9;
live == offline on the 1131 log, blocks of up to 40 and 3,000 samples, and
``benchmarks/sweep_live_offline.py``: 0 mismatches over its 40 logs (float noise and the
documented differences only). The price: none
seen in these tables. The risk left: a short on a cell whose resistance reads more than
0.12 of the overpotential above its peers' (1.5 standard deviations at an 8 % spread)
has that excess read as a SOC ahead, and near a bend part of its drop put down to it
(the 1145 alarm at a share of 0.1); the share is a tuned margin, not a measured one.

2026-12-07 session 34, a peer counts as moving (a channel judged on its own history) only
where it changed in two of the stuck window's bins (:mod:`app.diagnostics.faults.sensors`,
``STUCK_PEER_BINS``; noise-free cells at rest logged every minute were reported stuck, see
``bench_stuck_clean.py``). ``--parts detection --brief --cases "sensor_stuck cell" --cells
4 16 --seeds 2`` (cell_2_v and cell_3_temp_c): ``--rate-hz 1`` 96/96 (median 31 s) either
way, ``--rate-hz 0.1`` 95/96, ``--rate-hz 0.0167`` 88/96, the same; noise-free
(``--noise-scale 0``) at 1 Hz 0/96 either way (a noise-free cell has no white noise of its
own), 0.1 Hz 12/96 either way, 0.0167 Hz 16/96 either way (confirmed before an onset 18 ->
16: a false cell_6_v at 2,814 s of a 16-cell NMC HPPC log, in both its runs); ``--resolution
cell_v=0.001 temp=1`` 48/96 either way. Held out, ``--first-seed 40``: 1 Hz 96/96,
0.0167 Hz 85/96; noise-free 1 Hz 0/96, 0.0167 Hz 12/96 -- identical either way. (Changed
in more than half the window's bins, tried first, lost two noise-free NMC HPPC runs at
0.0167 Hz, cell_2_v stuck at 6,746 s in a rest.) ``--parts equivalence`` 9 of 9 identical.

2026-12-07 session 35, cold lone cells (``bench_clean_hunt.py``): a cell voltage of a 1-2
cell pack and a pack voltage without cells take the load off with R0 at the cells'
temperature where colder than 25 degC (:mod:`app.diagnostics.faults.sensors`,
``R0_COLD_MIN_C``). The price on detection, before -> after:
``benchmarks/validate/faults_ambient.py AMB --parts detection --brief --cells 2
--rate-hz HZ --profiles drive cycle cc cccv hppc rest --cases "sensor_noisy cell_2_v"
"sensor_noisy voltage_v" --seeds 4``: at -10 and 0 degC, 0.5 and 1 Hz, 144/144 within 60
s either way, worst 28/25/22/25 s either way; faults before an onset -10 degC 0.5 Hz 707
-> 76, 1 Hz 102 -> 64 (what is left: limit events of a charge below 0 degC), 0 degC 0.5
Hz 222 -> 2, 1 Hz 0 -> 0. Packs of 3 or more cells with cell voltages: unchanged by construction (the current's warm R0
the same to the bit). ``--parts equivalence`` 9/9 identical. Callgrind, ``detect_faults``
on a 2 h 16-cell NMC drive at 0 degC: 353.2 M -> 350.9 M instructions (within the
simulation baseline's own ~1 % spread between the two trees).

2026-12-07 session 35, stuck cell sensors of noise-free logs judged on their peers' moves
(:mod:`app.diagnostics.faults.sensors`, Peers that moved: every peer moved since the
reading froze by 4 of its quanta, at least 1 mV / 0.01 degC, plus 9 sigmas of its bin
mean; a cell voltage also needs the load to have moved it as far through the least R0).
``--parts detection --brief --cases "sensor_stuck cell" --cells 4 16 --seeds 2``, tuned on
seeds 1-2, before -> after (found of 96; cell_2_v + cell_3_temp_c): ``--noise-scale 0
--rate-hz 1`` 0 -> 37 (12 + 25; within 60 s 0 -> 14, median 122 s), ``--rate-hz 0.1`` 12
-> 35 (12 + 23), ``--rate-hz 0.0167`` 16 -> 37 (16 + 21), ``--noise-scale 0 --resolution
cell_v=0.001 temp=1`` 0 -> 12 (all cell_2_v, within 60 s). Held out, ``--first-seed 40``:
0 -> 35 (12 + 23; within 60 s 12), 12 -> 34, 12 -> 24, 0 -> 12. Confirmed before an onset
(other kinds, the same runs either way) 0, 4, 16 / 0, 8, 18 as before. With typical noise
(1, 0.1, 0.0167 Hz) and with typical noise read to ``--resolution cell_v=0.001 temp=1``
(48, the 48 whole-degree temperatures at the resolution limit) the summaries are
identical, both seed sets. The noise-free cell voltages found are the drives' (the load
moves every cell); on a constant current (``cycle``) or in a rest (``rest``, HPPC's) a
stuck cell voltage is still missed: cells drift apart along their own OCVs there, and a
4-cell LFP ``cycle`` read to 1 mV had a healthy cell hold 3.334 V for over a minute while its peers
climbed 4-8 mV past a bend of the OCV (reported until the load test; now
``tests/diagnostics/test_stuck_noise_free.py``). The temperatures missed are LFP's (its
cells warm by ~0.03 degC in 15 min) and the rests'. ``--parts detection --noise-scale 0
--cells 4 --seeds 1`` (every case): only the stuck rows change (161 -> 170 of 211 found;
a stuck NMC HPPC temperature once reported as an internal short on cell_3_v is now the
stuck sensor). ``--parts equivalence`` 9 of 9 identical (it runs typical noise whatever
``--noise-scale``); noise-free, live == offline for stuck cells found by their peers in
``tests/diagnostics/test_stuck_noise_free.py`` (blocks of 1-39 samples; and blocks of up to
3, 300 and 5,000 samples on five noise-free runs, 7,200 s: identical). ``--parts clean
--brief --noise-scale 0 --clean-hours 8`` (240 runs, 1,920 pack-hours): 0 false alarms
(held out, ``--first-seed 40 --clean-hours 4``, 960 pack-hours: 0);
``--parts clean --brief --clean-hours 4`` (typical noise, 960 pack-hours): 0 (the 24 h
defaults not rerun: the machine was loaded). The price in instructions (callgrind,
``detect_faults`` of a 4 h 16-cell NMC log, less the process's start-up): noise-free HPPC
(cells frozen for most of its rests: every frozen bin of 32 rows asked) 531 -> 566 M (+6.5
%; a per-bin version, before the runs that cannot pass were dropped at once, +36 %);
typical-noise drive 6,064 -> 6,077 M for the whole process (+13 M).

2026-12-07 session 36 (shorts), the rolling heat test of :mod:`app.diagnostics.faults.short`:
its fitted lag term confirms only where the excess holds with c held at 0 too
(``HEAT_LAG_FREE``), and with that guard it confirms against the median of the other cells
too (4-7 cell packs). Traced (z, the fit's b and c over time; noise-free twins): the clean
hunt's false shorts (``bench_clean_hunt.py`` seeds 9231, 12028: cold NMC cycles) were c
fitted under a -10 degC discharge (0.07-0.1, the hot cell's Arrhenius bend) extrapolated
into the rest after it (0.2-0.25 K; -0.2 to -0.4 K with c = 0), confirmed because the
sensors' white noise hid the residual's autocorrelation (twins 0.95, noisy 0.3); 1422's
cycle from 1,800 s (cell 3 one of the middle two) reached 0.19 K against the median of all
and 0.21 K at z 7 against the others', where only the held bounds confirmed. Before ->
after, ``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16 --chem nmc --parts detection
--seeds 3 --first-seed S`` (within 10 min of 72): S = 1420 70 -> 71 (found 71 -> 72; 1422
cycle from 1,800 s missed -> 269 s), 1430 70 -> 70, 1460 68 -> 68; held out, 1540 71 -> 71,
1550 71 -> 72 (1552 cycle from 1,800 s 629 -> 299 s; max 629 -> 509 s). 27 4-cell rows
30-330 s earlier, one 30 s later (1460 cycle from 900 s, 269 -> 299 s), 7 16-cell rows 30 s
later: the price. Unchanged: ``--cases short --first-seed 1100 --seeds 3 --cells 4 --parts
detection --brief`` 48/48 (median 190 s, max 306 s, the same LFP onset alarm);
``--parts equivalence`` 9/9 identical; ``benchmarks/validate/uneven_clean.py --profiles cc
cycle drive --c-rates -1 --spreads 0.06 --hours 1 --cooling-spread 0.1 --seeds 613 614``
the same 6 false shorts. Clean: ``--parts clean --first-seed 1440 --seeds 2 --clean-cells 4
16`` 0 (5,760 pack-hours); ``--rate-hz 10 --clean-hours 8 --parts clean --first-seed 1300
--seeds 2 --clean-cells 16`` per chemistry 0 each (960 pack-hours), and ``--clean-cells 4``
0 (960 pack-hours). Cost: detect_faults of a 20,000-sample 4-cell NMC drive at 1 Hz (callgrind, less
the log's loading) 230.9 M -> 233.9 M instructions (+1.3 %: one more held fit per super-bin
and reference).
Still short: 4-cell ``cycle`` shorts from 900 s (1431 at 6 %, 1461, 1540: not found in
1,200 s either way). Their fitted c falls from ~0 to -0.1..-0.5 as the short enters the
reference (its delay reads as a lag) and b takes up the rest (z 4-5); c held at 0 reads z
8-10 on the same windows, but c = 0 alone is what a cell cooling 20-30 % unlike its
neighbours misreads at a cycle's turn, and c held as fitted 5 min before (found 1431 and
1461 at 269 and 359 s) added 4 false shorts to the uneven-cooling packs above (6 -> 10).
Cycles from 300 s (1422 at 809 s, 1461 at 779-1,049 s) are the anchor's allowance's,
unchanged, not looked into here.

2026-12-07 session 36 (sensors2), a noise window of few terms judged with its own scatter
(:mod:`app.diagnostics.faults.sensors`, "Few terms": under 30 terms, the floor and the group
and residual ratios x its estimate's upper quantile over a 30-term window's; 1.66 at 0.5 Hz
and slower; clean 0.5 Hz false alarms in ``bench_clean_hunt.py``). The price, before ->
after: ``--parts detection --brief --cells 2 --cases "sensor_noisy cell_2_v" --rate-hz HZ``
found 24/24 at every rate either way; within 60 s 0.1 Hz 14 -> 11 (median 49 -> 64 s, p90
102 -> 122 s, worst 125 -> 142 s), 0.2 Hz 24 -> 24 (median 17 -> 24 s, p90 40 -> 49 s,
worst 52 s either way), 0.5 Hz 24 -> 24 (worst 16 -> 20 s), 1 Hz identical. ``--parts
detection --brief --cells 4 16 --cases sensor_noisy --rate-hz 0.5`` (cells, pack,
current, temperatures; 240 runs): 240 found, 237 within 60 s either way (median 13 s, p90
23 -> 24 s, worst 244 s either way). ``--parts equivalence`` 9/9 identical. At 1 Hz and
faster a window holds 30 terms or more: the factor is exactly 1 (4 logs at 1 Hz, noise x2,
a noisy cell, pack or temperature: every fault and figure identical), so the 1 Hz clean
tables are not rerun; nor ``bench_stuck_clean.py`` (it counts stuck sensors, whose path the
change does not touch). Cost (callgrind, ``PYTHONHASHSEED=0``, simulate + ``detect_faults``
of a 4 h 16-cell NMC drive at 0.5 Hz, noise x2, a noisy cell: many candidate windows, the
worst case): 7,644.9 M -> 7,674.8 M instructions (+30 M, ~1.6 % of ``detect_faults``).

2026-12-07 session 36 (sensors2), stuck cell sensors of noise-free logs on a constant current
or at rest, measured, not changed: ``--parts detection --cases "sensor_stuck cell" --cells 4 16
--seeds 2 --noise-scale 0 --profiles cc rest`` finds 12 of 48 (cell_2_v 0 of 24; cell_3_temp_c
12 of 24, all ``cc``, 6 within 60 s: NMC and lead-acid, 16-cell ones 41-78 s; LFP 16 cells
281 and 818 s; none at rest; ``--cases "sensor_stuck cell_3_temp" --profiles cc`` alone,
whose onsets differ: NMC and lead-acid 44-61 s, LFP 344-596 s). At
these onsets (5,400-7,200 s) ``cc`` has ended its discharge and rests: the noise-free cells'
true voltages move by under 0.01 mV in 60 s and 300 s (4 cells, seed 1, every chemistry;
lead-acid's 0.1-0.3 mV), so a frozen reading is the truth -- no reading tells it; the
temperatures cool by 0.05-0.11 degC a minute on NMC, 0.06 on lead-acid, 0.006-0.015 on LFP:
under the 0.01 degC step (4 of them asked) within a minute on LFP. Inside the CC discharge
(``--profiles cc --onsets 600 1800``, same cells and seeds): cell_2_v 0 of 24 (a constant
current moves no cell by R0, the load test's need), temperatures 24 of 24 (NMC and lead-acid
29 s; LFP 64-69 s at 600 s, 159-164 s at 1,800 s). What would find the CC ones: the held
reading's own drift along the OCV table -- the least slope where its OCV may be (its reading
less its resistance drop) times the charge moved -- over 4 quanta; on LFP's plateau that slope
is near nil, which keeps the healthy cell behind its peers at a plateau's end (the 3.334 V
case above) quiet. Not built: its false-alarm checks (``bench_stuck_clean.py``, noise-free
``--parts clean``) did not fit the session.

2026-12-07 session 36 (ccstuck), that drift built (:mod:`app.diagnostics.faults.sensors`,
``STUCK_DRIFT_CAPACITY``): a grouped cell voltage whose peers all moved (the peers-move rule)
is stuck when the load moved it by 4 quanta through R0 (as before) or the held current
moved it along its OCV as far -- the least magnitude of the current's bin means over the
run (one sign) times the run's bins but one, over the capacity x 1.25, times the least
slope of the spec's table where the held reading's OCV may be (a quantum either side, less
up to ``LAG_OCV_DROP`` of its resistance drop; not judged where that reaches the table's
ends), less ``LAG_OCV_DROP`` x R x the current's range over the run. ``--parts detection
--brief --cases "sensor_stuck cell" --cells 4 16 --seeds 2 --noise-scale 0 --profiles cc
--onsets 600 1800``: cell_2_v 0 -> 8 of 8 within 60 s on NMC (29-39 s); LFP 0 -> 8 found, none
within 60 s (604 s: the plateau's slope is near nil, the drift takes that long to reach
4 mV); lead-acid 0 -> 0 (at 1C the cells read below the table's 1.94 V bottom: the OCV may
be anywhere up to its top, not judged); temperatures unchanged (24 of 24). Held out
(``--cases "sensor_stuck cell_2_v" --first-seed 300 --seeds 2 --profiles cc cccv cycle
--onsets 900 2400``, same cells, noise-free): found 8 -> 60 of 72, within 60 s 0 -> 30 (NMC
24 of 24, worst 49 s; LFP 6 of 24 within 60 s, 20 found; lead-acid 16 found late), none before
an onset. Typical noise (the first command without ``--noise-scale 0``): byte-identical
output (48 of 48 in 29 s). Clean, noise-free: ``bench_stuck_clean.py --noise 0 --seeds 0 1``
0 of 104 runs with a false stuck report; ``--noise 0 --profiles cc cccv --dt 1 60 --seeds 0
1`` 0 of 96; ``bench_clean_slow.py --periods 10 --kinds sensor_stuck`` (180 runs of 24 h)
0; ``--parts clean --brief --noise-scale 0 --clean-hours 8`` (240 runs, 1,920 pack-hours) 0
false alarms (held out, ``--first-seed 1440 --clean-hours 4``, 960 pack-hours: 0). Typical noise, ``--parts clean --first-seed 1440 --seeds 2 --clean-cells 4 16``
(240 runs, 5,760 pack-hours): 0. ``--parts equivalence`` 9 of 9 identical; live == offline also in
``tests/diagnostics/test_stuck_noise_free.py`` (a stuck cell on CC, blocks of 1-39 samples).
Cost (callgrind, ``PYTHONHASHSEED=0``, simulate + ``detect_faults`` of a 4 h 16-cell NMC CC
log read to 1 mV, noise-free: many frozen cells asked): 6,393.7 M -> 6,396.4 M instructions
(+0.04 %).

2026-12-07 session 37 (shorts900), the 4-cell ``cycle`` 100 ohm shorts from 900 s, found:
the rolling heat test of :mod:`app.diagnostics.faults.short` also confirms with its lag
term held as fitted 5 min before (the short not yet in that reference) and at 0, where
(1) that reference had the test's least length, (2) the pack's mean I² over the last 10
min is within 25 % of that reference's (a cell cooling or storing heat unevenly shows its
true c where the pack's heating changes: a cycle's end of discharge, an ambient step),
and (3) the excess is >= 0.3 K (``HEAT_LAG_BEFORE_MIN_K``, ``HEAT_LAG_BEFORE_LOAD``).
``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16 --chem nmc --parts detection
--seeds 3 --first-seed S``, within 10 min of 72 (found), before -> after, tuning: S = 1430
70 -> 71 (71 -> 72; 1431 from 900 s missed -> 329 s), 1460 68 -> 69 (71 -> 72; 1461
missed -> 509 s), 1540 71 -> 72 (1540 missed -> 419 s); held out: 1560 72 -> 72, 1600 70
-> 71 (1602 16 cells from 900 s missed -> 389 s), 1620 72 -> 72, 1700 71 -> 72 (1702 4
cells from 900 s missed -> 329 s). 13 rows earlier, none later. Still missed: cycles from
300 s (1432, 1461, 1462 at 629-1,049 s: the anchor's allowance). False shorts of
``benchmarks/validate/uneven_clean.py --profiles cc cycle drive --c-rates -1 --spreads
0.06 --hours 1`` (``--cooling-spread 0.1`` unless said), before -> after: tuning seeds
613-614 6 -> 6, 620-621 8 -> 8, 640-647 31 -> 31, ``--step -10 --step-at 0.3
--cooling-spread 0.1 --seeds 670 671`` 53 -> 53, ``--seeds 611`` (its defaults) 41 -> 41;
held out 650-657 45 -> 45, 660-663 (``--cooling-spread 0.15``) 48 -> 48, 680-683 15 -> 15,
695-696 (0.2) 32 -> 32, step 690-691 51 -> 51, ``--seeds 612`` 41 -> 39 (every other run's
alarms the same; the two gone, 4-cell 2C at a 20 % spread at 479 s, were the anchor's,
whose allowance below changed). Without each guard, the others on (tuning seeds): without (1) the same
figures (kept: c is judged on no reference shorter than the test's own); without (2)
613-614 6 -> 8; without (3) 620-621 8 -> 10. A first version guarded by extrapolation
instead of (2) (the recent x - F(x) within 2 standard deviations of the reference's)
read, held out then, the ambient step 670-671 53 -> 57 (4-cell 671, cells 1 and 4 at
1,439-1,499 s, the load ended with the step): (2) replaced it, so those seeds and
640-647 (31 -> 32 without (3) then), 620-621 are tuning seeds now. Unchanged: ``--cases short --first-seed 1100 --seeds 3 --cells 4 --parts detection
--brief`` 48/48 (median 190 s, max 306 s, the same LFP onset alarm); ``--parts clean
--first-seed 1440 --seeds 2 --clean-cells 4 16`` 0 (5,760 pack-hours).
The clean hunt's two hot false shorts (``bench_clean_hunt.py``, session 37) were the
anchor's allowance (:mod:`app.diagnostics.faults.short`, ``ANCHOR_B_UNKNOWN``): a known r
over 0.3 was held to 0.3, and against the other cells' median an unknown r is the
difference of two cells'. Unchanged by that: ``--parts detection --chem nmc --cases "100
ohm" --profiles cc cycle --onsets 120 300 --cells 4 16 --seeds 6 --first-seed 90`` 44/48
within, ``--cells 4 --first-seed 200`` 23/24, every row the same; 2-cell packs (100 ohm on
cell 2, NMC cc/cycle/drive/HPPC, onsets 120/300/900 s, 3/6/8 %, seeds 1500-1501, a
script of ``simulate``): 52 of 72 within 10 min (60 found), every row the same.
Cost: detect_faults of a 20,000-sample 4-cell NMC drive at 1 Hz (callgrind, less the
log's simulation) 264.7 M -> 276.4 M instructions (+4.4 %: a fourth held fit per
super-bin and reference, the fitted c's history, the load's rolling sums).

2026-12-07 session 37 (stuck2), that drift for finely read cells and lead-acid
(:mod:`app.diagnostics.faults.sensors`, ``STUCK_CELL_FINE_V``, Peers that moved). Why
lead-acid was 0 of 8: at 1C its cells read ~1.96 V, under the table's 1.94-2.12 V only by
the margin, while their OCV may be up to 1.5 x R x I = 0.26 V over the reading: past the
table's top, so never judged. The drift now takes the table's knees (``LAG_KNEE_PCT``, steeper
than the table; lead-acid's preset only) and is not judged above the table's top on a charge
(gassing). Why LFP took 604 s: 4 quanta of at least 1 mV against a plateau drift of ~0.4 mV
a minute. A reading whose own changes bound its quantum under 0.05 mV (a noise-free
simulated log, one written to 6 significant digits), beside peers read so, is now judged
by that drift in quanta of 0.05 mV (peers moved by 4 of them too); read to 1 mV, LFP is as
before (the resolution limit: a healthy cell holds a 1 mV reading on the plateau for
minutes). Tuning, the session 36 command (``--parts detection --brief --cases
"sensor_stuck cell" --cells 4 16 --seeds 2 --noise-scale 0 --profiles cc --onsets 600
1800``): cell_2_v within 60 s NMC 8 -> 8 (29-39 -> 29 s), LFP 0 -> 8 (604 -> 34 s),
lead-acid 0 -> 8 (missed -> 29 s); temperatures unchanged. Held out (``--cases
"sensor_stuck cell_2_v" --first-seed 300 --seeds 2 --profiles cc cccv cycle --onsets 900
2400 --cells 4 16 --noise-scale 0``): found 60 -> 72 of 72, within 60 s 30 -> 68 (NMC 24
-> 24, worst 49 -> 29 s; LFP found 20 -> 24, within 6 -> 20, the 4 left CC-CV's C/2 charge
at 64 s; lead-acid found 16 -> 24, within 0 -> 24, worst 34 s). The same read to 1 mV
(``--resolution cell_v=0.001``): found 60 -> 68, within 30 -> 30 (lead-acid 16 -> 24 found
in 549-589 s; LFP unchanged). Typical noise: byte-identical output (tuning), held out 72 of
72 within 60 s either way (the own-history rule finds them first). Every stuck case, noise-free, random onsets (``--cases sensor_stuck --noise-scale 0 --cells 4 16 --seeds 1 --first-seed 310 --profiles drive cycle hppc rest cc cccv``, mostly rests): found 54 -> 56 of 180, within 60 s 28 -> 32, only cell_2_v rows changed, 0 before an onset either way. Clean: ``bench_stuck_clean.py
--noise 0 --seeds 0 1`` 0 of 104 runs (cells written to 10 uV: fine); ``--noise 0 --profiles
cc cccv --dt 1 60 --seeds 0 1`` 0 of 96; held out ``--noise 0 --seeds 5 6 7`` 0 of 156,
``--noise 0 --dt 1 60 --profiles cc cccv cycle hppc --seeds 2 3`` 0 of 192;
``bench_stuck_coarse.py --first-seed 40 --seeds 1`` 0 of 288; ``--parts clean --brief
--noise-scale 0 --clean-hours 8`` (1,920 pack-hours) 0, ``--first-seed 1460 --clean-hours
4`` (960) 0; typical noise ``--parts clean --brief --first-seed 1460 --seeds 2 --clean-cells 4 16`` (5,760) 0; cells read to 10 mV (``--resolution cell_v=0.01 --first-seed 1470 --clean-hours 4``): typical noise 0, noise-free no sensor_stuck (3 noisy pack voltages of 16-cell LFP drives, seed 1471, the same before: a path not changed, not looked into); ``bench_clean_hunt.py --runs 40 --first-seed 21000 --hours 12``
and ``--runs 150 --first-seed 22000`` (4,080 pack-hours, fresh seeds): no sensor_stuck (one
runaway onset on a 1-cell lead-acid CC-CV, the same before; one noisy pack voltage, a path
not changed). ``bench_clean_slow.py --periods 10 --kinds sensor_stuck`` (180 runs of 24 h) 0. ``--parts equivalence`` 9 of 9 identical; live == offline noise-free in
``tests/diagnostics/test_stuck_noise_free.py`` (blocks of 1-39 samples). Cost (callgrind,
``PYTHONHASHSEED=0``, ``detect_faults`` of a pickled 4 h 16-cell block, 478 M of start-up
included): NMC CC read to 1 mV 6,095.9 -> 6,105.0 M (+0.16 % of detect), LFP HPPC read to 10
uV 6,011.5 -> 6,017.3 M, LFP CC noise-free with a stuck cell 6,168.1 -> 6,175.9 M.

2026-12-07 session 38 (sensors3), stuck cell temperatures read finely and the pack voltage
beside coarsely read cells (:mod:`app.diagnostics.faults.sensors`, ``STUCK_TEMP_FINE_C``,
``CELLS_ROUNDING_SPAN``). (1) A cell temperature whose own changes bound its quantum under
0.001 degC (a float log, one written to 6 significant digits), beside peers read so, is
stuck once every peer moved by 4 of 0.001 degC, not 4 of 0.01 degC (the cell voltage's
``STUCK_CELL_FINE_V`` tier without the OCV drift: the cells share the current's heat).
Tuning, ``--parts detection --brief --cases "sensor_stuck cell" --cells 4 16 --seeds 2
--noise-scale 0 --profiles cc --onsets 600 1800``: within 60 s 40 -> 48 of 48 (LFP
temperatures at 600 s 64-69 -> 29 s, at 1,800 s 159-164 -> 29 s; max 164 -> 34 s); with
typical noise byte-identical. Held out, ``--cases "sensor_stuck cell_3_temp" --first-seed
300 --seeds 2 --profiles cc cccv cycle --onsets 900 2400 --cells 4 16 --noise-scale 0``:
found 68 -> 72 of 72, within 60 s 28 -> 68 (median 79 -> 29 s, worst found 319 -> 104 s;
the 4 left LFP at 2,400 s, 99-104 s); every stuck case at random onsets (``--cases
sensor_stuck --noise-scale 0 --cells 4 16 --seeds 1 --first-seed 310 --profiles drive cycle
hppc rest cc cccv``): found 56 -> 66 of 180, within 60 s 32 -> 50, only cell_3_temp_c rows
changed, none before an onset either way. The noise-free LFP cell voltage on CC (quoted at
604 s when this session began) was already 34 s (session 37); its held-out CC-CV rows at 64 s
are unchanged. (2) The pack voltage is noisy only in a window with a bin in which its
difference from the cells' sum spanned more than the cells' known quanta and its own
(what their roundings alone can span): ``--parts clean --brief --noise-scale 0 --resolution
cell_v=0.01 --first-seed 1470 --clean-hours 4``: 3 -> 0 false alarms (the noisy pack
voltages of 16-cell LFP drives, seed 1471: each cell's step-robust estimate drops its
isolated rounding steps, their sum's keeps the steps of several cells in consecutive
samples, 2e-3 V² against 1.1e-4 V² for the cells). Detection, ``--parts detection --brief
--cases "sensor_noisy voltage_v" --cells 4 16 --resolution cell_v=0.01``: typical noise
byte-identical (48/48 within 60 s); noise-free 48/48 within 60 s either way, latencies the
same, faults before an onset 5 -> 3 (two such pack voltages gone; the 3 left are internal
shorts of an NMC 4-cell HPPC log at 2,640 s, a path not changed); ``--cases sensor_noisy
--cells 4 16 --resolution cell_v=0.001`` (typical noise) byte-identical (240/240).
Clean, after (where session 37 ran the same command, 0 there too): ``bench_stuck_clean.py --noise 0 --seeds 0 1`` 0 of 104;
``--noise 0 --profiles cc cccv --dt 1 60 --seeds 0 1`` 0 of 96; ``--parts clean --brief
--noise-scale 0 --clean-hours 8`` (1,920 pack-hours) 0; held out ``--first-seed 1440
--clean-hours 4`` (960) 0; finely read, ``--resolution temp=0.0001 cell_v=0.00001
--first-seed 1480 --clean-hours 4`` 0, ``--resolution temp=0.001 --first-seed 1460`` 0;
``--resolution cell_v=0.001 temp=0.01 --first-seed 1450`` no sensor fault (6 internal
shorts of lead-acid 4-cell CC logs, seed 1451, the same before); ``bench_clean_slow.py
--periods 10 --kinds sensor_stuck`` (180 runs of 24 h) 0; noise-free unevenly cooled packs
(``benchmarks/validate/uneven_clean.py --noise-scale 0 --cooling-spread 0.2 --profiles cc
cycle drive cccv --c-rates -1 -2 --spreads 0.06 --hours 2 --seeds 613 614``, 60 runs) no
sensor fault (71 internal shorts, the same before); typical noise ``--parts clean --first-seed 1440
--seeds 2 --clean-cells 4 16`` (5,760 pack-hours) 0; ``bench_stuck_clean.py --noise 0
--seeds 5 6 7`` (held out) 0 of 156. ``--parts equivalence`` 9 of 9 identical; live ==
offline in ``tests/diagnostics/test_stuck_noise_free.py`` (a stuck LFP temperature on CC)
and ``tests/diagnostics/test_faults_coarse_sensors.py`` (a noisy pack beside 10 mV cells),
blocks of 1-39 samples. Cost (callgrind, ``PYTHONHASHSEED=0``, ``detect_faults`` of a
pickled 4 h 16-cell block, less the 5,494.8 M of loading it): NMC drive, typical noise
427.2 -> 429.7 M (+0.6 %); NMC HPPC, noise-free (its cells frozen in the rests, asked)
541.8 -> 538.8 M; LFP CC, noise-free, a stuck cell temperature 679.3 -> 672.6 M; LFP drive,
noise-free, cells read to 10 mV (the cells' roundings' span worked out every bin) 568.1 ->
523.7 M (less; not traced).

2026-12-07 session 38 (anchor): the start-resistance fit
(:mod:`app.diagnostics.faults.start_resistance`, "The OCV's bend") takes each cell's OCV at its own SOC off its voltage before fitting its
build-up: a cell crossing the OCV table's bend (NMC at 80 %, where a cycle starts) read as
resistance, and the short test's anchor allowed its heat by that (``bench_clean_hunt.py``,
session 38: 9 false shorts -> 0 over three seed sets). The overpotential it fits is each
bin's mean now (was the bin's end). ``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16
--chem nmc --parts detection --seeds 3 --first-seed S``, within 10 min of 72, before ->
after: tuning S = 1420 71 -> 71, 1430 71 -> 71, 1460 69 -> 69; held out 1560 72 -> 72, 1600
71 -> 71 (every short found either way). 15 rows moved, all NMC cycles: 9 earlier (16
cells from 300 s: 1421 419 -> 389 s, 1431 299 -> 269, 1460 419 -> 389, 1560 389 -> 359,
1562 479 -> 389, 1601 509 -> 449; 4 cells: 1461 809 -> 689, 1431 from 1,800 s 329 -> 299;
16 cells 1562 from 900 s 299 -> 269), 6 later (4 cells from 300 s: 1430 359 -> 389, 1432
629 -> 689, 1460 329 -> 389, 1560 and 1561 329 -> 359; 1462 from 900 s 329 -> 359). A
first version (SOC refined against the other cells' median) read 1430 71 -> 72 and 1560
72 -> 71. Still missed: the 4-cell cycles from 300 s (1422 809 s, 1432 689 s, 1461 689 s,
1462 1,049 s), 16-cell 1462 779 s, 4-cell 1600 749 s -- the anchor's allowance, problem 2
of this session, not changed: traced (the anchor's figures each minute), 1462's shorted
cell read r -0.138 +- 0.021 (truth -0.068) and was allowed 0.05 of the pack's warming,
the least the test allows (any b between 0 and r, ``ANCHOR_B_TOL`` more), while its own
r predicted its excess to fall; 1461's read r +0.045 (its truth) and was allowed 0.156 of
the warming (3 errors and ``ANCHOR_B_TOL`` over r): the short's 0.14 W against ~0.45 K/min
of pack warming outran that only at 840-1,050 s. Unchanged: ``--cases short --first-seed
1100 --seeds 3 --cells 4 --parts detection --brief`` (byte-identical: 48/48, median 190 s,
max 306 s), ``--parts equivalence`` 9/9 identical (byte-identical output), ``--parts clean
--first-seed 1440 --seeds 2 --clean-cells 4 16`` 0 false alarms either way (5,760
pack-hours). ``benchmarks/validate/uneven_clean.py --profiles cc cycle drive --c-rates -1 --spreads 0.06 --hours 1 --cooling-spread 0.1
--seeds 613 614``: the same 6 runs with a false short, alarms 6 -> 7: seed 613's 16-cell
NMC cc and cycle now read cell 4 at 479 and 509 s (it stores 21 % less heat than the
median: the anchor's known limit, see :mod:`app.diagnostics.faults.short`), the cc run's
cell 15 at 1,649 s gone, the cycle's cell 11 at 1,649 -> 1,379 s; cell 4's r is 0.033
+- 0.020 (truth 0.052), was 0.055 +- 0.030: r known closer, the allowance narrower by 0.05
of the pack's warming. Held out, ``--seeds 620 621``: 8 -> 8 alarms, the same cells (4 of
them 30-150 s earlier).
Cost (callgrind, ``PYTHONHASHSEED=0``, ``detect_faults`` of a pickled 20,000-sample 4-cell
NMC cycle at 1 Hz, 8 % spread, the same process without it subtracted): 271.1 M -> 268.3 M
instructions (the fit runs once per log: ~1 ms more in-process, 2.4 -> 3.2 ms, under the
run's own spread here); the import without a bytecode cache 5,487.3 -> 5,511.9 M (the
module's longer source compiled).

2026-12-07 session 38 (uneven), the rolling heat test of :mod:`app.diagnostics.faults.short`
confirms a cell's residual only beyond what the other cells show in common on the same
super-bin (``HEAT_COMMON_Z``; module doc, "What the other cells show in common"): their
residuals' line on their fitted b (with c held: a plane on b and their fitted c), less 2
of its standard errors, where positive. Traced: after an ambient step the residuals lie on
a line in b (b x reads the ambient's change as the pack's heat); at a cycle's turn, or with
c held at a bound, every cell's residual moves together. False shorts,
``benchmarks/validate/uneven_clean.py --profiles cc cycle drive --c-rates -1 --spreads 0.06
--hours 1 --cooling-spread 0.1 --seeds ...`` (internal shorts only), before -> after,
tuning: 613-614 6 -> 6, 620-621 8 -> 8, 640-647 31 -> 29, ``--step -10 --step-at 0.3``
670-671 53 -> 51, ``--seeds 611`` (its defaults, 2 h) 6 -> 6 (39 faults either way, 33 of
them over-temperatures at 3C); held out: 650-657 45 -> 41, 660-663 (``--cooling-spread
0.15``) 48 -> 41, 680-683 15 -> 15, 695-696 (0.2) 32 -> 28, step 690-691 51 -> 49, ``--seeds
612`` 9 -> 9. The rolling test's own (the anchor off, ``_anchor_stat`` patched out):
tuning 18 -> 5 (640-647 2 -> 0, step 16 -> 5), held out 41 -> 12 (650-657 4 -> 0, 660-663
10 -> 2, 695-696 7 -> 0, step 20 -> 10). What is left is the anchor's (tuning 95 of 100,
held out 171 of 183; most at 479-1769 s: a cell storing less heat or cooling worse from
the log's start, which the anchor cannot tell from a short, see the module doc) and, of
the rolling test's, 4-cell packs (a line through 3 other cells) and LFP after the step
(b and c not identified before it). Unchanged, row for row: ``--cases "100 ohm" --onsets
300 900 1800 --cells 4 16 --chem nmc --parts detection --seeds 3 --first-seed S`` within
10 min of 72: S = 1430 71, 1460 69, 1540 72; held out 1600 71, 1700 72; ``--cases short
--first-seed 1100 --seeds 3 --cells 4 --parts detection --brief`` 48/48 (median 190 s, max
306 s, the same LFP onset alarm); ``--parts equivalence`` 9/9 identical; ``--parts clean
--first-seed 1440 --seeds 2 --clean-cells 4 16`` 0 (5,760 pack-hours).
Tried, not taken: (1) the same shift on the anchor's residual (the others' line on the
rolling test's b): tuning 100 -> 87, held out 183 -> 168, but held-out 100 ohm shorts
later (1701 4-cell cycle from 300 s 569 -> 689 s, out of 10 min; 1600 749 -> 809 s), and
the anchor is another session's; (2) the others' spread about their line, beyond their
noise, as an error of the cell's residual too: the rolling test's own step 670-671 5 -> 1,
held out unchanged (690-691 10, 660-663 2).
Cost: detect_faults of a 20,000-sample 4-cell NMC drive at 1 Hz (seed 1, 6 % spread;
callgrind, ``PYTHONHASHSEED=0``, a pickled block) 263.1 M -> 267.6 M instructions (less the
load, measured apart: 5,482.6 and 5,502.5 M; the whole process 5,745.7 -> 5,770.1 M, +0.4
%). The others' line is solved by its cofactors and only where a residual would confirm
without it (a batched ``np.linalg.solve`` on every super-bin: 426 M).

2026-12-07 session 39 (sensors4), a stuck cell voltage on LFP's flattest stretch under a C/2
charge (:mod:`app.diagnostics.faults.sensors`, ``STUCK_CELL_FINE_V`` 0.05 -> 0.04 mV). Traced
(``--cases "sensor_stuck cell_2_v" --chem lfp --profiles cccv --cells 4 --first-seed 300
--seeds 1 --onsets 2400 --noise-scale 0``): the held 3.285611 V's OCV may lie over 40-80 %
SOC, whose least slope (50-60 %, 0.3 mV per %) times the charge over the capacity's 1.25
margin is 0.2 mV a minute (the healthy cells drift 0.255); 4 fine quanta of 0.05 mV need
the run's bins but one to cover 60 s: found at the 13th bin, 64 s (68 s where the onset
falls just after a bin's start). Neither the margin nor the hold's count is loose: the
margin at 1.1 gave 59 s on a bin's edge and 60-63 s off it; the fine floor at 0.04 mV
(0.16 mV) is passed within 48 s of hold: 54-58 s whatever the phase. In clean noise-free
logs no healthy frozen cell had every peer move by the floor's 4 quanta, at 0.05 or 0.04 mV
(a probe on the peers' pre-check, not kept: 3 chemistries x 3/4/16 cells x cc, cccv,
cycle, hppc, drive (and rest at 1 Hz), seeds 0-1, 6-digit CSV, 1 Hz 4 h and 10/60/300 s 24
h, 396 runs: 0 at either floor), so the drift test never judged one there. The tuning
command (``--parts detection --cases "sensor_stuck cell" --chem lfp --profiles cccv --cells 4
16 --seeds 3``, typical noise): byte-identical (12/12, max 32 s); the same ``--noise-scale
0``: cell_2_v missed 6 of 6 either way (onsets 5,738-6,503 s, past the CC phase's end at
~5,400 s: not looked into), temperatures unchanged (one at 276 s). Held out, noise-free: session 37's
``--cases "sensor_stuck cell_2_v" --first-seed 300 --seeds 2 --profiles cc cccv cycle --onsets
900 2400 --cells 4 16``: within 60 s 68 -> 72 of 72 (max 64 -> 54 s); fresh seeds
``--first-seed 320 --seeds 2 --profiles cccv cc cycle --onsets 600 1200 1800 3000 3600 4200
--cells 4 16``: 170 -> 184 of 216 (the 14 LFP CC-CV rows at 64 s -> 54 s; the 32 left are
rests after the CC and the cycle at 3,000 s, missed or 339-409 s either way, found 192
either way); off a bin's edge, ``--chem lfp --profiles cccv --first-seed 330 --seeds 2
--onsets 1203 2402 3004 1801``: 1 -> 16 of 16 (65-68 -> 55-58 s); every stuck case at random
onsets (``--cases sensor_stuck --noise-scale 0 --cells 4 16 --seeds 1 --first-seed 310
--profiles drive cycle hppc rest cc cccv``): within 60 s 50 -> 51 of 180, found 66 either
way, 5 rows earlier (LFP cycle 4 cells 67 -> 57 s, 16 cells 72 -> 62 s; lead-acid 37-38 ->
32-33 s), none later, none before an onset. Still over a minute: the LFP CC-CV cell
temperatures at 2,400 s (94-104 s: 0.003 degC a minute against 4 of ``STUCK_TEMP_FINE_C``),
not touched. Clean, after (session 38's figures on the code before, the same commands: 0):
``bench_stuck_clean.py --noise 0 --seeds 0 1`` 0 of 104; ``--noise 0 --profiles cc cccv
--dt 1 60 --seeds 0 1`` 0 of 96; held out ``--noise 0 --seeds 5 6 7`` 0 of 156, ``--noise 0
--dt 1 60 --profiles cc cccv cycle hppc --seeds 2 3`` 0 of 192; ``--parts clean --brief
--noise-scale 0 --clean-hours 4 --first-seed 1440`` (960 pack-hours) 0; finely read,
``--resolution temp=0.0001 cell_v=0.00001 --first-seed 1480 --clean-hours 4`` 0. ``--parts equivalence`` 9 of 9 identical. Typical noise not rerun for clean: a reading with
noise never holds for 30 s, and this tier judges held readings only. Test:
``tests/diagnostics/test_stuck_noise_free.py`` (a stuck LFP cell on a C/2 CC-CV charge
within a minute, float and 10 uV, live == offline in blocks of 1-39 samples; fails on the
code before: 64 s). Cost: ``detect_faults`` on 4 h noise-free 16-cell logs at 1 Hz (LFP CC,
LFP CC-CV, NMC HPPC; best of 5, two runs each way on a loaded machine; callgrind not run):
within the runs' own spread (0.52-0.60, 0.69-0.75, 0.46-0.53 s either way).

2026-12-07 session 39 (shorts), the anchor of :mod:`app.diagnostics.faults.short` (the
heat test against the log's first minutes), two changes. (1) ``ANCHOR_JOULE_MIN``: a cell
of less resistance than the median is allowed b from half its r (less 3 errors) up, not
from 0: "any b between 0 and r" allowed it 0.05 of the pack's warming, the least, where
its own r predicts its excess to fall (traced: 1422, 1462 and 1600's shorted cell 3 read r
-0.10, -0.12, -0.11). (2) ``ANCHOR_SPREAD_Z``: in packs of 8 cells or more, what the
cells' own spread shows unexplained (the robust sigma of their growth less r times the
warming, at its lower bound, less their noise and r's errors) is allowed 3 times, where
more than ``ANCHOR_B_TOL``. ``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16 --chem
nmc --parts detection --seeds 3 --first-seed S``, within 10 min of 72, before -> after:
tuning S = 1420 71 -> 72 (4-cell ``cycle`` from 300 s: 1422 809 -> 539 s, 1420 419 -> 329,
1421 419 -> 389), 1430 71 -> 71 (identical: 1432 689 s), 1460 69 -> 71 (1462 from 300 s:
4 cells 1,049 -> 599 s, 16 cells 779 -> 599; 1461 689 s either way); held out 1560 72 ->
72 (identical), 1600 71 -> 72 (1600 4-cell ``cycle`` 749 -> 539 s; 1602 16 cells 479 ->
419), 1700 72 -> 72 (identical: 1701 569 s). Every row that moved moved earlier (13
rows, 30-450 s, ``hppc`` ones 30 s). Still missed: 4-cell ``cycle`` from 300 s 1432 and
1461 (689 s), whose cell 3 reads r +0.04 (its truth): allowed r, 3 errors (0.06) and 0.05.
Without the lower bound on the spread (the MAD's own scatter, 16 cells: ~0.29 of it,
read as a spread) 4 of 1460-1462's 16-cell rows were found 30-60 s later. Clean, after:
``bench_clean_hunt.py --only-chem nmc --only-profile cycle --jobs 1 --hours 0.6 --runs 150
--first-seed S`` 0 false alarms for S = 14000, 9700, 16000; ``--parts clean --first-seed
1440 --seeds 2 --clean-cells 4 16`` 0 (5,760 pack-hours); ``--parts equivalence`` 9/9
identical. ``benchmarks/validate/uneven_clean.py --profiles cc cycle drive --c-rates -1
--spreads 0.06 --hours 1 --cooling-spread 0.1`` false shorts, tuning: 640-647 33 -> 16,
``--step -10 --step-at 0.3`` 670-671 52 -> 12; held out: 650-657 45 -> 18, 660-663
(``--cooling-spread 0.15``) 39 -> 20, 695-696 (0.2) 29 -> 17, step 690-691 49 -> 29 (its
docstring: by pack size; one cell alarmed that was not, a 4-cell NMC ``cycle``, from (1)).
Cost (callgrind, ``PYTHONHASHSEED=0``, ``detect_faults`` of a pickled 20,000-sample
16-cell NMC ``cycle`` at 1 Hz, seed 1, 8 % spread -- the spread runs in packs of 8 cells
or more, within the anchor's horizon -- less the same process without it): 675.8 M ->
685.8 M instructions (+1.5 %; loads 5,502.7 and 5,501.6 M; the whole process 6,178.5 ->
6,187.5 M). Live == offline: ``--parts equivalence`` above, the new tests' files
(``tests/diagnostics/test_short_uneven_cooling.py``, whose live-offline test passes), and
``sweep_live_offline.py``: 0 mismatches in the first 34 cases it ran (its default list) before this was written
(not the whole sweep: time).

2026-12-07 session 39 (runaway5), the runaway test's steady-heat flag at 2.5 of its own
standard errors too (:mod:`app.diagnostics.faults.thermal`, ``STEADY_START_Z``; why, and the
5 s-period latencies, in ``benchmarks/trace_runaway.py``). Before -> after, every row the
same: ``--parts detection --cases short --rate-hz 0.2 --cells 4 16 --brief`` (onset alarms
1 of 64); ``--parts detection --cases short --rate-hz 0.2 --cells 4 16 --brief
--short-ohms 1 3 10 20 30 100 --onsets 120 900 --profiles drive cycle hppc rest cc cccv
--first-seed 1100 --seeds 2`` (615/864 found, onset alarms 44 of 864); ``--parts detection
--cases runaway --cells 4 16 --onsets 600 5 1800 --seeds 2`` (1 Hz: 107/108 within target,
max 64 s); ``--parts detection --brief --cases runaway --cells 4 16 --rate-hz 0.2`` 36/36
within 60 s (max 60 s), held out ``--first-seed 300 --seeds 4`` 56/72 (Li-ion 48/64, max
73 s: the 5 s-period limit in trace_runaway.py). ``--parts equivalence`` 9 of 9 identical;
``sweep_live_offline.py runaway`` and ``--heldout runaway``: 0 mismatches. Clean at 1 Hz,
after: ``--parts clean --brief --first-seed 1100 --seeds 1`` 0 false alarms in 2,880
pack-hours. Cost (callgrind, the whole process: ``simulate`` of a 1 h NMC 16-cell drive at
5 s a sample, a runaway from 3,000 s, then ``detect_faults``): 6,095.5M -> 6,096.1M
instructions (+0.6M, ~0.2 % of ``detect_faults``' ~280M).

2026-12-07 session 40 (shorts6), the anchor of :mod:`app.diagnostics.faults.short` has a
second reference in time in packs of fewer than 8 cells (``ANCHOR_LATE_S``): a cell's
growth since its mean over 180-480 s, allowed b times the pack's warming since then,
judged from 780 s until 1,380 s. Traced (4-cell NMC ``cycle``, 100 ohm across cell 3 from
300 s, seeds 1432 and 1461, found at 689 s): at the super-bin that had to confirm them
within 10 min the cell's growth against the other cells' median since the log's first 3
min was 0.70 and 1.06 K, its allowance (its r against theirs, -0.01 and +0.09, 3 errors
of 0.026 and 0.05, times 4.7 and 4.25 K of warming) 0.55 and 0.90 K, the noise 0.032-0.035
K: z 4.7 and 4.5. The cell's voltage against its twin without the short (1461): -0.7 mV
at the onset, ~+1 mV 10 min on (the short's heat lowers its resistance), against healthy
cells' drifts of several mV: no evidence there. Against 180-480 s: z 8.5 and 7.1 at the
first super-bin judged (the recent window 480-780 s). ``--cases "100 ohm" --onsets 300 900 1800 --cells 4 16 --chem nmc --parts
detection --seeds 3 --first-seed S``, within 10 min of 72, before -> after: tuning S =
1430 71 -> 72 (1432 ``cycle`` from 300 s 689 -> 479 s; max 689 -> 569 s, a 16-cell row),
1460 71 -> 72 (1461 689 -> 479 s, 1462 599 -> 479 s; max 689 -> 599 s, a 16-cell row);
held out 1560 72 -> 72 (max 389 s either way), 1600 72 -> 72 (max 539 -> 479 s), 1700 72
-> 72 (max 569 -> 539 s). Rows that moved: 31, all 4-cell, all earlier (the 4-cell ``cycle``
rows from 300 s 30-210 s, to 479 s; HPPC, rest and drive rows from 900 s 30-120 s), none
later, none before an onset. ``--parts detection --chem nmc --cases "100 ohm" --profiles
cc cycle --onsets 120 300 --cells 4 16 --seeds 6 --first-seed 90``: 46/48 either way, 4
rows earlier (4-cell from 300 s: 509-569 -> 479 s). ``benchmarks/validate/uneven_clean.py
--profiles cc cycle drive --c-rates -1 --spreads 0.06 --hours 1`` (``--cooling-spread 0.1``
unless said), false shorts before -> after: tuning 640-647 16 -> 16 (the same cells; two
NMC 4-cell ones earlier, 1,649 -> 1,349 s and 1,409 -> 1,229 s), ``--step -10 --step-at
0.3`` 670-671 12 -> 12; held out 650-657 18 -> 18 (one earlier, 1,469 -> 1,349 s), 660-663
(0.15) 20 -> 20, step 690-691 29 -> 29 (two LFP 4-cell ones 30 s earlier). Not taken: the
same in 16-cell packs (650-657 18 -> 22: 16-cell NMC seeds 653 and 657, whose cells'
spread since 180 s read none beyond ``ANCHOR_B_TOL``, cell 9 at z 10), and judged to the
first anchor's horizon (a lead-acid 4-cell false short at 1,529 s). The false shorts of
issue 3's second item (most on 4-cell packs: a cell storing 12-29 % less heat, or cooling
~19 % worse, than the others from the log's first sample) are not changed: they grow in
step with the pack's warming from the start, as a 100 ohm short from the log's start does,
and no allowance separates them (the module doc, "Why no thermal test can tell them
apart"). Clean, after: ``--parts equivalence`` 9/9 identical; ``bench_clean_hunt.py
--only-chem nmc --only-profile cycle --jobs 1 --hours 0.6 --runs 150 --first-seed 14000`` 0
false alarms; ``--parts clean --clean-hours 1 --clean-cells 4`` (the change's whole domain:
4-cell packs, the log's first 23 min) 0 in 120 runs, and ``--parts clean --clean-cells 4``
(24 h) 0 in 2,880 pack-hours (16-cell packs run the code before: one anchor, the same
sums); ``benchmarks/validate/start_load.py
--ambients 0 10 --cells 4 --c-rates -2 -1 --profiles cc cycle --seeds 400 401 402
--max-discharge-c 3`` 0 either way (36 runs); ``clean_ambient.py --ambients 0 10 40 --seeds
112 113 --hours 0.5 --cells 4`` 0 either way (228 runs); ``short_early.py`` the same 12
lines. Cost (callgrind, ``PYTHONHASHSEED=0``, ``detect_faults`` of a pickled 20,000-sample
4-cell NMC ``cycle`` at 1 Hz, seed 1, 8 % spread, less the same process without it,
5,516.9 M): 328.5 M -> 332.4 M instructions (+1.2 %; the second anchor's sums and test,
for its first 1,380 s only).

2026-12-07 session 40 (runaway6), the runaway test decided at every sample on a slow log (a
second grid of bins shifted by a sample, :mod:`app.diagnostics.faults.detector`, "A decision
at every sample"; why, in ``benchmarks/trace_runaway.py``). Before -> after: ``--parts
detection --brief --cases runaway --cells 4 16 --rate-hz 0.2`` 36/36 -> 36/36 within 60 s
(median 52 -> 49 s, worst 60 -> 59 s); held out ``--first-seed 300 --seeds 4`` 56/72 ->
61/72 (Li-ion 48/64 -> 53/64; worst 73 -> 68 s; 4 cells 10/16 -> 11/16 each, NMC 16 cells
14/16 -> 16/16, LFP 16 cells 14/16 -> 15/16), none confirmed before its onset (a first
version whose shifted grid began with a bin of one sample raised one at 45 s, NMC 16-cell
cycle seed 301). ``--parts equivalence``: a fourth case, a 4-cell NMC drive at 0.2 Hz with a
runaway from 4,000 s: 12 of 12 identical. Cost (callgrind, the whole process less the same
process without ``detect_faults``: a 6 h NMC 8-cell cycle at 5 s a sample, seed 703):
369.2M -> 582.6M instructions (+58 %: the runaway test twice, a second stage's sums); at
1 Hz (a 2 h NMC 16-cell cycle, no second grid; the two runs with ``PYTHONHASHSEED=0``, whose
unseeded runs scattered by ~10M) 6,196.9M -> 6,199.8M for the whole process (+3.0M, < 1 % of
``detect_faults``' ~406M).
``--parts clean --brief`` (240 runs, 5,760 pack-hours at 1 Hz, where no second grid is
made): 0 false alarms.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import FaultDetector, detect_faults
from app.diagnostics.safety import monitor_safety
from app.hardware.simulator import Fault, NoiseSpec, simulate
from app.hardware.simulator.noise import RESOLUTION_KINDS, quantize

CHEMISTRIES = ("nmc", "lfp", "lead_acid")
PROFILES = ("drive", "cycle", "hppc", "rest")
CLEAN_PROFILES = ("drive", "cycle", "hppc", "cccv", "cc", "rest")
#: A hot battery room: 40 degC (VRLA float voltages are specified at 20-25 degC).
FLOAT_HOT_C = 40.0
TARGET_S = 60.0
TARGET_SHORT_S = 600.0
#: Cell-to-cell spreads (relative sigmas) of real packs: capacity ~1-2 %,
#: resistance 3-8 % (new cells of one batch to a pack built from several).
CAPACITY_SPREAD = 0.02
RESISTANCE_SPREADS = (0.03, 0.06, 0.08)


def parse_resolution(items: list[str] | None) -> dict[str, float]:
    """``["temp=1", "current=0.1"]`` -> ``{"temp": 1.0, "current": 0.1}``."""
    out = {}
    for item in items or []:
        kind, _, value = item.partition("=")
        if kind not in RESOLUTION_KINDS or not value:
            raise SystemExit(
                f"--resolution: {item!r} is not KIND=QUANTUM, KIND one of "
                f"{', '.join(RESOLUTION_KINDS)}"
            )
        out[kind] = float(value)
    return out


@dataclass
class Case:
    label: str
    fault: Fault
    expect_kind: str
    expect_channel: str
    target_s: float = TARGET_S
    profiles: tuple[str, ...] = PROFILES


def cases(chem: str, onset: float, short_ohms: list[float] | None = None) -> list[Case]:
    """The fault cases of one chemistry; ``short_ohms``: the internal shorts at these
    resistances instead of the default ones (the chemistry's default R, and 100 ohm
    on NMC)."""
    # a lead-acid runaway is the float charger's (the string's current, doubling per
    # 10 degC, heating every cell): injected on float, found on the current
    lead = chem == "lead_acid"
    out = [
        Case(
            "thermal runaway" if lead else "thermal runaway cell 2",
            Fault("thermal_runaway", onset, cell=2),
            "thermal_runaway_onset",
            "current_a" if lead else "cell_2_temp_c",
            profiles=("float",) if lead else PROFILES,
        ),
    ]
    if short_ohms:
        out += [
            Case(
                f"internal short cell 3, {r:g} ohm",
                Fault("internal_short", onset, cell=3, resistance_ohm=r),
                "internal_short",
                "cell_3_v",
                TARGET_SHORT_S,
            )
            for r in short_ohms
        ]
    else:
        out.append(
            Case(
                "internal short cell 3 (default R)",
                Fault("internal_short", onset, cell=3),
                "internal_short",
                "cell_3_v",
                TARGET_SHORT_S,
            )
        )
    if chem == "nmc" and not short_ohms:
        out.append(
            Case(
                "internal short cell 3, 100 ohm",
                Fault("internal_short", onset, cell=3, resistance_ohm=100.0),
                "internal_short",
                "cell_3_v",
                TARGET_SHORT_S,
            )
        )
    for kind in ("sensor_stuck", "sensor_noisy", "sensor_dropout"):
        for ch in ("cell_2_v", "cell_3_temp_c", "current_a", "voltage_v", "temperature_c"):
            out.append(Case(f"{kind} {ch}", Fault(kind, onset, channel=ch), kind, ch))
    out.append(
        Case(
            "over-voltage on charge",
            Fault("over_voltage", 0.0),
            "over_voltage",
            "cell_",
            profiles=("cccv", "cycle"),
        )
    )
    return out


def _matches(f, case: Case) -> bool:
    return f["kind"] == case.expect_kind and f["channel"].startswith(case.expect_channel)


def _ov_onset(spec, profile: str, seed: int, duration: float, cell_spread: dict) -> float | None:
    """First time the true highest cell exceeds the limit (noise-free twin, OV fault)."""
    b = simulate(
        spec,
        profile,
        duration_s=duration,
        seed=seed,
        faults=[Fault("over_voltage", 0)],
        **cell_spread,
    )
    cells = np.vstack([b[c] for c in b.columns if c.startswith("cell_") and c.endswith("_v")])
    over = np.flatnonzero(cells.max(axis=0) > spec.cell_v_max)
    return float(b["time_s"][over[0]]) if len(over) else None


def run_detection(
    chems,
    seeds,
    cells: int,
    onsets: list[float] | None = None,
    profiles: tuple[str, ...] | None = None,
    spreads: tuple[float, ...] = RESISTANCE_SPREADS,
    capacity_spread: float = CAPACITY_SPREAD,
    only: list[str] | None = None,
    short_ohms: list[float] | None = None,
    dt_s: float = 1.0,
    resolution: dict[str, float] | None = None,
    noise_scale: float = 1.0,
) -> list[dict]:
    """One row per case (``only``: the cases whose label contains one of these;
    ``short_ohms``: see :func:`cases`);
    ``onsets`` None: a random onset in 5400-7200 s per case,
    else every case at every onset given (the over-voltage case keeps its physical
    onset, the crossing of the limit, in group ``limit``). The i-th seed's packs
    have the i-th resistance spread of ``spreads`` (cycling). ``resolution``: the
    readings rounded so (see :func:`quantize`); ``noise_scale``: of the typical noise."""
    rows = []
    for chem in chems:
        spec = preset(chem, series_cells=cells)
        noise = NoiseSpec.typical(spec, noise_scale)
        for i, seed in enumerate(seeds):
            rng = np.random.default_rng(1000 + seed)
            cell_spread = {
                "capacity_spread": capacity_spread,
                "resistance_spread": spreads[i % len(spreads)],
                "dt_s": dt_s,
            }
            for case, profile, group in _runs(chem, onsets, profiles, only, short_ohms):
                if case.expect_kind == "over_voltage":
                    # (16 h: a lead-acid cycle at C/5 reaches its first charge's limit after ~10 h)
                    onset = _ov_onset(spec, profile, seed, 16 * 3600, cell_spread)
                    if onset is None:
                        continue
                    fault = case.fault
                    duration = onset + 900
                else:
                    if group == "5400-7200":
                        onset = float(round(5400 + rng.uniform(0, 1800)))
                    else:
                        onset = float(group)
                    fault = Fault(
                        case.fault.kind,
                        onset,
                        cell=case.fault.cell,
                        channel=case.fault.channel,
                        resistance_ohm=case.fault.resistance_ohm,
                    )
                    duration = onset + max(900.0, case.target_s + 600)
                block = simulate(
                    spec,
                    profile,
                    duration_s=duration,
                    seed=seed,
                    noise=noise,
                    faults=[fault],
                    **cell_spread,
                )
                faults = detect_faults(quantize(block, resolution), spec).to_list()
                limit = _stuck_at_limit(
                    case, spec, profile, seed, onset, duration, cell_spread, resolution, noise
                )
                hits = [f for f in faults if _matches(f, case)]
                det = min((f["detail"]["detected_time_s"] for f in hits), default=None)
                false = [f for f in faults if f["detail"]["detected_time_s"] < onset]
                other = sorted(
                    {
                        f"{f['kind']}:{f['channel']}"
                        for f in faults
                        if f not in hits and f not in false
                    }
                )
                rows.append(
                    {
                        "onset_alarm": _onset_alarm(faults)
                        if case.expect_kind == "internal_short"
                        else None,
                        "chem": chem,
                        "cells": cells,
                        "group": group,
                        "profile": profile,
                        "seed": seed,
                        "spread": cell_spread["resistance_spread"],
                        "case": case.label,
                        "kind": case.expect_kind,
                        "onset": onset,
                        "latency": None if det is None else det - onset,
                        "target": case.target_s,
                        "false": false,
                        "other": other,
                        "limit": limit,
                    }
                )
    return rows


def _quantum_of(channel: str, resolution: dict[str, float] | None) -> float:
    """The quantum ``resolution`` reads ``channel`` to (0: read finely)."""
    if not resolution:
        return 0.0
    if channel == "temperature_c" or channel.endswith("_temp_c"):
        kind = "temp"
    elif channel == "current_a":
        kind = "current"
    elif channel == "voltage_v":
        kind = "pack_v"
    else:
        kind = "cell_v"
    return float(resolution.get(kind, 0.0))


def _stuck_at_limit(case, spec, profile, seed, onset, duration, cell_spread, resolution, noise):
    """For a stuck sensor read to a quantum q with noise under half of it: whether its
    true value (a noise-free, fault-free twin of the run: the physics does not depend
    on the noise) moved by less than q within the target after the onset -- the
    healthy sensor would then hold its reading mid-step as long as the stuck one
    (0.3 degC of noise on a whole-degree sensor: for 30 s in 5 % of windows, 60 s in
    0.25 %), and no detector tells them apart within the target (None: not such a
    case: read finely, or its noise spans the quantum, which a stuck sensor stops)."""
    ch = case.fault.channel or ""
    sigma = {
        "voltage_v": noise.voltage_v * math.sqrt(spec.series_cells),
        "current_a": noise.current_a,
    }.get(ch, noise.temperature_c if ch.endswith("temp_c") else noise.voltage_v)
    q = _quantum_of(ch, resolution)
    if case.expect_kind != "sensor_stuck" or not q or sigma >= q / 2:
        return None
    twin = simulate(spec, profile, duration_s=duration, seed=seed, noise=None, **cell_spread)
    t = np.asarray(twin["time_s"])
    x = np.asarray(twin[case.fault.channel], dtype=float)[
        (t >= onset) & (t <= onset + case.target_s)
    ]
    return bool(len(x)) and float(np.nanmax(x) - np.nanmin(x)) < q


def _onset_alarm(faults: list[dict]) -> bool:
    """A thermal-runaway-onset alarm was raised on a run whose only fault is an internal
    short: one reported, or one withdrawn as the short's heat (a live run raised it)."""
    return any(
        f["kind"] == "thermal_runaway_onset" or "withdrawn_onset_detected_s" in f["detail"]
        for f in faults
    )


def _runs(chem: str, onsets, profiles, only=None, short_ohms=None):
    """(case, profile, onset group) of the detection runs of one chemistry and seed;
    ``only``: the cases whose label contains one of these strings."""
    groups = ["5400-7200"] if onsets is None else [f"{o:g}" for o in onsets]
    out = []
    for case in cases(chem, 0.0, short_ohms):
        if only and not any(s in case.label for s in only):
            continue
        profs = case.profiles
        if profiles is not None and case.profiles == PROFILES:
            profs = profiles
        if case.expect_kind == "over_voltage":
            out += [(case, p, "limit") for p in profs]
            continue
        out += [(case, p, g) for g in groups for p in profs]
    return out


def onset_summary(rows: list[dict]) -> list[str]:
    """Kind x onset: found/total, within target, worst latency, and what a miss
    was reported as instead."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["chem"], r["cells"], r["group"]), []).append(r)
    lines = [
        f"   {'fault':<36} {'chem':<9} {'cells':>5} {'onset_s':>9} {'found':>7} "
        f"{'in target':>9} {'worst_s':>7} {'false':>5} {'onset':>5}  misses reported as"
    ]
    for (case, chem, cells, group), rs in groups.items():
        got = [r["latency"] for r in rs if r["latency"] is not None]
        inside = sum(r["latency"] is not None and r["latency"] <= r["target"] for r in rs)
        worst = "-" if not got else f"{max(got):.0f}"
        if len(got) < len(rs):
            worst = "MISSED"
        instead = sorted({o for r in rs if r["latency"] is None for o in r["other"]})
        n_false = sum(len(r["false"]) for r in rs)
        lines.append(
            f"   {case:<36} {chem:<9} {cells:>5} {group:>9} {len(got):>3}/{len(rs):<3} "
            f"{inside:>5}/{len(rs):<3} {worst:>7} {n_false:>5} {_onset_count(rs):>5}  "
            f"{', '.join(instead)}"
        )
    return lines


def _onset_count(rows: list[dict]) -> str:
    """How many of the internal-short runs among ``rows`` raised a runaway-onset alarm
    ('-': no short runs)."""
    shorts = [r for r in rows if r["onset_alarm"] is not None]
    return f"{sum(r['onset_alarm'] for r in shorts)}" if shorts else "-"


def run_clean(
    chems,
    seeds,
    hours: float,
    cells_list,
    spreads: tuple[float, ...] = RESISTANCE_SPREADS,
    capacity_spread: float = CAPACITY_SPREAD,
    dt_s: float = 1.0,
    resolution: dict[str, float] | None = None,
    noise_scale: float = 1.0,
) -> list[dict]:
    rows = []
    for chem in chems:
        for cells in cells_list:
            spec = preset(chem, series_cells=cells)
            noise = NoiseSpec.typical(spec, noise_scale)
            runs = [(p, 25.0) for p in CLEAN_PROFILES]
            if chem == "lead_acid":  # a standby battery on float, in a room and a hot one
                runs += [("float", 25.0), ("float", FLOAT_HOT_C)]
            for profile, ambient in runs:
                for spread in spreads:
                    for seed in seeds:
                        block = simulate(
                            spec,
                            profile,
                            duration_s=hours * 3600,
                            seed=seed,
                            noise=noise,
                            ambient_c=ambient,
                            capacity_spread=capacity_spread,
                            resistance_spread=spread,
                            dt_s=dt_s,
                        )
                        block = quantize(block, resolution)
                        faults = detect_faults(block, spec).to_list()
                        # the safety check's limit events on the same healthy packs (CV
                        # phases held at the cell limit with sensor noise): false alarms
                        safety = monitor_safety(block, spec).events
                        rows.append(
                            {
                                "chem": chem,
                                "cells": cells,
                                "profile": (
                                    profile if ambient == 25.0 else f"{profile}@{ambient:g}C"
                                ),
                                "spread": spread,
                                "seed": seed,
                                "hours": hours,
                                "faults": faults,
                                "safety": safety,
                            }
                        )
    return rows


def feed_live(block: SampleBlock, spec, rng, max_block: int) -> list[dict]:
    det = FaultDetector(spec)
    n = len(block)
    start = 0
    while start < n:
        stop = min(n, start + int(rng.integers(1, max_block + 1)))
        det.update(block.slice(start, stop))
        start = stop
    det.flush()
    return det.result().to_list()


def run_equivalence(
    seed: int, resolution: dict[str, float] | None = None
) -> list[tuple[str, bool, int]]:
    out = []
    rng = np.random.default_rng(seed)
    spec = preset("nmc", series_cells=4)
    for label, faults in (
        (
            "runaway + noisy + dropout",
            [
                Fault("thermal_runaway", 4000, cell=2),
                Fault("sensor_noisy", 3000, channel="cell_4_v"),
                Fault("sensor_dropout", 4500, channel="current_a"),
            ],
        ),
        (
            "short + stuck",
            [
                Fault("internal_short", 3600, cell=1),
                Fault("sensor_stuck", 3000, channel="cell_3_temp_c"),
            ],
        ),
        # the runaway test's growing window, in a log's first two minutes
        ("runaway from 5 s", [Fault("thermal_runaway", 5, cell=2)]),
        # a slow log: the runaway test on two grids of bins (see "A decision at every
        # sample" in app.diagnostics.faults.detector)
        ("runaway at 0.2 Hz", [Fault("thermal_runaway", 4000, cell=2)]),
    ):
        block = simulate(
            spec,
            "drive",
            duration_s=7200,
            seed=seed,
            faults=faults,
            noise=NoiseSpec.typical(spec),
            dt_s=5.0 if "0.2 Hz" in label else 1.0,
        )
        block = quantize(block, resolution)
        offline = detect_faults(block, spec).to_list()
        for max_block in (1, 37, 5000):
            live = feed_live(block, spec, rng, max_block)
            out.append((f"{label}, blocks <= {max_block}", live == offline, len(offline)))
    return out


def run_speed(n: int = 1_000_000, cells: int = 16) -> dict:
    spec = preset("nmc", series_cells=cells)
    noise = NoiseSpec.typical(spec)
    block = simulate(spec, "drive", duration_s=n, seed=1, noise=noise)
    df = block.to_frame()
    best = cpu = float("inf")
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        detect_faults(df, spec)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    live = {}
    m = 200_000
    for dt in (1.0, 0.1):  # a 1 Hz and a 10 Hz stream: bins of 5 and 50 samples
        stream = simulate(spec, "drive", duration_s=m * dt, dt_s=dt, seed=2, noise=noise)
        for size in (10, 100, 1000):
            parts = [stream.slice(s, min(m, s + size)) for s in range(0, m, size)]
            det = FaultDetector(spec)
            c0 = time.process_time()  # CPU time: the machine may be shared
            for p in parts:
                det.update(p)
            live[(dt, size)] = (time.process_time() - c0) / m * 1e6
    return {"samples": n, "cells": cells, "offline_s": best, "cpu_s": cpu, "live_us": live}


PARTS = ("detection", "clean", "equivalence", "speed")


def kind_summary(rows: list[dict]) -> list[str]:
    """Per fault kind: found, within target, latency median / 90th percentile / max."""
    kinds: dict[str, list[dict]] = {}
    for r in rows:
        kinds.setdefault(r["kind"], []).append(r)
    lines = [
        f"   {'kind':<22} {'runs':>5} {'found':>6} {'in target':>9} "
        f"{'median_s':>8} {'p90_s':>6} {'max_s':>6} {'false':>5} {'onset':>5}"
    ]
    for kind, rs in sorted(kinds.items()):
        got = [r["latency"] for r in rs if r["latency"] is not None]
        inside = sum(r["latency"] is not None and r["latency"] <= r["target"] for r in rs)
        stats = (
            f"{np.median(got):>8.0f} {np.percentile(got, 90):>6.0f} {max(got):>6.0f}"
            if got
            else f"{'-':>8} {'-':>6} {'-':>6}"
        )
        n_false = sum(len(r["false"]) for r in rs)
        lines.append(
            f"   {kind:<22} {len(rs):>5} {len(got):>6} {inside:>9} {stats} {n_false:>5} "
            f"{_onset_count(rs):>5}"
        )
    return lines


def _print_detection(
    chems,
    seeds,
    cells_list,
    onsets,
    profiles,
    brief: bool,
    spreads,
    only=None,
    short_ohms=None,
    capacity_spread: float = CAPACITY_SPREAD,
    dt_s: float = 1.0,
    resolution: dict[str, float] | None = None,
    noise_scale: float = 1.0,
) -> int:
    failures = 0
    rows = []
    for cells in cells_list:
        rows += run_detection(
            chems,
            seeds,
            cells,
            onsets,
            profiles,
            spreads,
            capacity_spread,
            only=only,
            short_ohms=short_ohms,
            dt_s=dt_s,
            resolution=resolution,
            noise_scale=noise_scale,
        )
    onset_text = "5400-7200 s" if onsets is None else ", ".join(f"{o:g}" for o in onsets) + " s"
    print(
        f"1. detection, {'/'.join(map(str, cells_list))}-cell packs, onsets {onset_text}, "
        f"{1 / dt_s:g} Hz, {_sensors_text(resolution, noise_scale)}, capacity spread {capacity_spread:.0%}, "
        f"resistance spreads {', '.join(f'{x:.0%}' for x in spreads)} "
        "(latency = confirmed - onset)"
    )
    if not brief:
        print(
            f"{'chem':<9} {'cells':>5} {'profile':<6} {'seed':>4} {'R_sd':>4} {'onset':>6} "
            f"{'fault':<36}"
            f" {'latency_s':>9} {'target':>6}  {'ok':<4} {'false':>5} {'onset':>5}"
            "  other faults after onset"
        )
    for r in rows:
        lat = r["latency"]
        ok = lat is not None and lat <= r["target"] and not r["false"] and not r["onset_alarm"]
        failures += not ok
        if brief:
            continue
        lat_s = "MISSED" if lat is None else f"{lat:.0f}"
        print(
            f"{r['chem']:<9} {r['cells']:>5} {r['profile']:<6} {r['seed']:>4} {r['spread']:>4.0%} "
            f"{r['onset']:>6.0f}"
            f" {r['case']:<36} {lat_s:>9} {r['target']:>6.0f}  {'ok' if ok else 'FAIL':<4}"
            f" {len(r['false']):>5} {'-' if r['onset_alarm'] is None else int(r['onset_alarm']):>5}"
            f"  {', '.join(r['other'])}"
        )
        for f in r["false"]:
            print(f"{'':>20} false alarm: {f['kind']} {f['channel']} at {f['start_time_s']:.0f} s")
    print()
    print("   summary per fault, chemistry, pack and onset")
    for line in onset_summary(rows):
        print(line)
    print()
    print("   summary per fault kind (latency of the found ones)")
    for line in kind_summary(rows):
        print(line)
    lim = [r for r in rows if r.get("limit") is not None]
    if lim:
        at = [r for r in lim if r["limit"]]
        rest = [r for r in lim if not r["limit"]]

        def _within(rs):
            return sum(r["latency"] is not None and r["latency"] <= r["target"] for r in rs)

        print(
            f"   stuck sensors read to a quantum: {len(at)} of {len(lim)} at the resolution limit "
            f"(true value moved < 1 quantum within the target; {_within(at)} within target), "
            f"the other {len(rest)}: {_within(rest)} within target"
        )
    lats = [r["latency"] for r in rows if r["latency"] is not None]
    found = sum(r["latency"] is not None for r in rows)
    inside = sum(r["latency"] is not None and r["latency"] <= r["target"] for r in rows)
    n_false = sum(len(r["false"]) for r in rows)
    print(
        f"found {found}/{len(rows)}; within target {inside}/{len(rows)}; "
        + (f"median latency {np.median(lats):.0f} s, max {max(lats):.0f} s; " if lats else "")
        + f"{n_false} faults confirmed before an onset; "
        f"runaway-onset alarms on internal shorts: {_onset_count(rows)}"
    )
    return failures


def _print_clean(
    chems,
    seeds,
    hours: float,
    spreads,
    capacity_spread: float = CAPACITY_SPREAD,
    cells_list: tuple[int, ...] = (4, 16),
    dt_s: float = 1.0,
    resolution: dict[str, float] | None = None,
    noise_scale: float = 1.0,
) -> int:
    failures = 0
    print(
        "2. clean packs (no fault injected): every fault reported is a false alarm; "
        + _sensors_text(resolution, noise_scale)
    )
    clean = run_clean(
        chems, seeds, hours, cells_list, spreads, capacity_spread, dt_s, resolution, noise_scale
    )
    total_h = sum(r["hours"] for r in clean)
    n_false = 0
    for r in clean:
        n_false += len(r["faults"])
        if r["faults"]:
            failures += 1
            for f in r["faults"]:
                print(
                    f"  {r['chem']} {r['cells']} cells {r['profile']} R spread {r['spread']:.0%}"
                    f" seed {r['seed']}: "
                    f"{f['kind']} {f['channel']} {f['start_time_s']:.0f}-{f['end_time_s']:.0f} s"
                )
    n_safety = sum(len(r["safety"]) for r in clean)
    for r in clean:
        if r["safety"]:
            failures += 1
            e = r["safety"][0]
            print(
                f"  safety: {r['chem']} {r['cells']} cells {r['profile']} R spread "
                f"{r['spread']:.0%} seed {r['seed']}: {len(r['safety'])} limit events, first "
                f"{e.check} {e.channel} {e.worst_value:.4g} vs {e.limit:.4g} at "
                f"{e.start_time_s:.0f}-{e.end_time_s:.0f} s"
            )
    print(f"safety limit events on the clean packs (target: none): {n_safety}")
    print(
        f"{len(clean)} runs, {total_h:.0f} pack-hours "
        f"({1 / dt_s:g} Hz; {', '.join(chems)} x {'/'.join(map(str, cells_list))} cells x {', '.join(CLEAN_PROFILES)}"
        f"{'; lead_acid float @25/40 C' if 'lead_acid' in chems else ''}; "
        f"R spreads {', '.join(f'{x:.0%}' for x in spreads)}): "
        f"{n_false} false alarms, {n_false / total_h:.4f} per pack-hour"
    )
    return failures


def _print_equivalence(resolution: dict[str, float] | None = None) -> int:
    failures = 0
    print("3. offline == live (random block sizes); " + _sensors_text(resolution, 1.0))
    for label, same, n in run_equivalence(7, resolution):
        failures += not same
        print(f"  {label:<45} {'identical' if same else 'DIFFERENT'} ({n} faults)")
    return failures


def _sensors_text(resolution: dict[str, float] | None, noise_scale: float) -> str:
    noise = "typical sensor noise" if noise_scale == 1 else f"{noise_scale:g} x typical noise"
    if not resolution:
        return noise
    res = ", ".join(f"{k} {q:g}" for k, q in resolution.items())
    return f"{noise}, then read to {res}"


def _print_speed() -> int:
    sp = run_speed()
    ok_off = sp["cpu_s"] <= 0.5
    print(
        f"4. speed: offline {sp['samples']:.0e} samples x {sp['cells']} cells: "
        f"{sp['offline_s']:.3f} s wall, {sp['cpu_s']:.3f} s CPU (best of 3; target <= 0.5 s)"
        f" {'ok' if ok_off else 'SLOW'}, load average {os.getloadavg()[0]:.1f}"
    )
    for (dt, size), us in sp["live_us"].items():
        print(
            f"   live, {1 / dt:>4.0f} Hz samples in blocks of {size:>4}: {us:7.2f} us CPU/sample"
            f" (target <= 5) {'ok' if us <= 5 else 'SLOW'}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one chemistry and seed, 6 clean hours")
    p.add_argument("--seeds", type=int, default=2, help="seeds per case (default 2)")
    p.add_argument(
        "--first-seed", type=int, default=1, help="first seed (default 1): other packs, onsets"
    )
    p.add_argument("--chem", choices=CHEMISTRIES, help="only this chemistry")
    p.add_argument("--clean-hours", type=float, default=24.0, help="hours per clean run")
    p.add_argument(
        "--cells", type=int, nargs="+", default=[4], help="series cells of the fault runs"
    )
    p.add_argument(
        "--rate-hz",
        type=float,
        default=1.0,
        help="sample rate of the detection and clean logs, Hz (default 1)",
    )
    p.add_argument(
        "--clean-cells",
        type=int,
        nargs="+",
        default=[4, 16],
        help="series cells of the clean packs (default 4 16)",
    )
    p.add_argument(
        "--onsets",
        type=float,
        nargs="+",
        help="fault onsets, s into the log (default: one random onset in 5400-7200 s)",
    )
    p.add_argument("--profiles", nargs="+", help="load profiles of the fault runs")
    p.add_argument(
        "--cases",
        nargs="+",
        help="only the fault cases whose label contains one of these (e.g. runaway '100 ohm')",
    )
    p.add_argument(
        "--spreads",
        type=float,
        nargs="+",
        default=list(RESISTANCE_SPREADS),
        help="cell resistance spreads, relative sigma (default 0.03 0.06 0.08)",
    )
    p.add_argument(
        "--capacity-spread",
        type=float,
        default=CAPACITY_SPREAD,
        help=f"cell capacity spread, relative sigma (default {CAPACITY_SPREAD:g})",
    )
    p.add_argument(
        "--parts", nargs="+", choices=PARTS, default=list(PARTS), help="tables to run (default all)"
    )
    p.add_argument("--brief", action="store_true", help="table 1: only its summaries")
    p.add_argument(
        "--short-ohms",
        type=float,
        nargs="+",
        help="internal shorts at these resistances, ohm (default: the chemistry's default R "
        "and, on NMC, 100 ohm)",
    )
    p.add_argument(
        "--resolution",
        nargs="+",
        metavar="KIND=QUANTUM",
        help="round the readings (after the noise) as a coarse BMS does, e.g. temp=1 "
        "current=0.1 cell_v=0.001 pack_v=0.1 (degC, A, V); kinds: " + ", ".join(RESOLUTION_KINDS),
    )
    p.add_argument(
        "--noise-scale",
        type=float,
        default=1.0,
        help="sensor noise of the detection and clean logs, x typical (0: noise-free)",
    )
    args = p.parse_args(argv)
    resolution = parse_resolution(args.resolution)
    chems = ("nmc",) if args.quick else CHEMISTRIES
    if args.chem:
        chems = (args.chem,)
    first = args.first_seed
    seeds = range(first, first + (1 if args.quick else args.seeds))
    hours = 6.0 if args.quick else args.clean_hours
    profiles = tuple(args.profiles) if args.profiles else None
    spreads = tuple(args.spreads)
    parts = {
        "detection": lambda: _print_detection(
            chems,
            seeds,
            args.cells,
            args.onsets,
            profiles,
            args.brief,
            spreads,
            args.cases,
            args.short_ohms,
            args.capacity_spread,
            1.0 / args.rate_hz,
            resolution,
            args.noise_scale,
        ),
        "clean": lambda: _print_clean(
            chems,
            seeds,
            hours,
            spreads,
            args.capacity_spread,
            tuple(args.clean_cells),
            1.0 / args.rate_hz,
            resolution,
            args.noise_scale,
        ),
        "equivalence": lambda: _print_equivalence(resolution),
        "speed": _print_speed,
    }
    failures = 0
    for name in PARTS:
        if name in args.parts:
            failures += parts[name]()
            print()
    print(f"{failures} failing rows")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
