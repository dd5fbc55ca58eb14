"""HPPC readings (r_2s, r_10s, r_30s, the cycles' 10 s DCIR) of sparse cycler logs
against the same run logged densely (issue 3, internal resistance on sparse logs).

Run: ``python benchmarks/bench_dcir_sparse.py [--periods 30 60 300] [--profiles hppc
cycle] [--seeds 3] [--first-seed 1] [--chems nmc lfp lead_acid]``

A cycler (Arbin, Neware, Maccor, BioLogic) logs a row at each step's start and then
at its logging interval, which may be long. The simulator does the same with
``step_samples=True`` (the default): this runs its HPPC and cycle profiles (NMC and
LFP presets, four cells, seeds as given, no noise) logged every ``--periods`` s, and
the same run logged at 1 Hz (the same 1 s control steps, so the same voltages at the
common times). Every reading of ``measure_internal_resistance`` (pulses matched by
start time) and of ``pulse_resistances`` (the cycles' DCIR) on the sparse log is
compared with the 1 Hz log's: a reading whose read point ``t_s + tau`` is on a
sample of the pulse in the sparse log (``on``) against one that is not (``off``:
interpolated across the interval around it, or a sample before it standing in for
the pulse's end; the 1 Hz run reads a 10 s pulse at its last sample, 9 s in). Printed per
reading: how many the sparse log gives, how many of them off a sample, and the
error of each group against the 1 Hz run's (per cent: mean |error|, worst), with
the worst ``off`` error of the read point alone (``(read)``: the voltage just before
the step taken from the 1 Hz run: the sparse log's row before the step can be a
period older, in a rest still relaxing -- most of the ``on`` readings' error) and the
widest interval an ``off`` reading was read across; of every reading, the oldest row
before the step (``age``: ``t_s`` minus that row's time) and the worst error the
voltage before the step alone causes (``(pre)``: the error less the read point's).

2026-12-07 session 36 (sparsepulse): ``reads_supported``
(:mod:`app.diagnostics.pulse_detection`), one rule for the readings from the samples,
the read-out fit's and the cycles' DCIR. ``nice python benchmarks/bench_dcir_sparse.py``
(seeds 1-3, looked at while choosing the limits), before (1ff83dd) -> after:
1384 -> 189 readings, 1305 -> 110 of them off a sample; off a sample and more than 5 %
from the 1 Hz run's 729 -> 8, by the read point alone (the voltage before the step
taken from the 1 Hz run) 821 -> 1. Per reading: r_2s 322 -> 1 (321 -> 0 off a sample;
the worst read point 22.9 % -> none), r_10s 322 -> 27 (297 -> 2; 50.1 % -> 1.2 %), r_30s
295 -> 134 (267 -> 106; 62.0 % -> 5.8 %), the cycles' DCIR 445 -> 27 (420 -> 2; 50.1 % ->
1.2 %). Held out, ``--first-seed 101`` (seeds 101-103, not used to choose the limits;
an earlier draft's run of them was seen): 1372 -> 189 readings, 1292 -> 109 off a sample, more than 5 % off 731 -> 7, by
the read point 834 -> 0; worst read point r_2s 21.9 %, r_10s 48.0 %, r_30s 59.3 %, DCIR
48.0 % -> none, 1.1 %, 4.7 %, 1.1 %. The kept one beyond 5 % by its read point: an LFP
cycle at 60 s, r_30s interpolated across a 60 s interval, 5.83 % (the rule's bound: 10 %
of the relaxation, here nearly all of R30). What is left beyond 5 % is the voltage
before the step: the NMC HPPC's r_10s and DCIR on a sample 10 s in (60 and 300 s: 11.8 %,
the read point 0.01 %), its row before the step up to a period older, in a rest
still relaxing after the pulse before; LFP HPPC r_30s at 60 s 8.2 % (read point 4.7 %). The
price: a sparse log keeps few 2 and 10 s readings (the NMC HPPC at 30 s: r_10s 30 -> 9,
the ones on a sample); the real Neware export (rows every 30 s) has no cycle DCIR any
more (0.083 ohm, read across 30 s, -> None).

2026-12-07 session 36 (sparsebase): ``pre_step_supported``
(:mod:`app.diagnostics.pulse_detection`), the one rule for the voltage just before the
step in every reader (``hppc_resistances_raw``, the tracker's raw readings and fit
read-out, the cycles' DCIR): a row before the step more than 2 s old (``PRE_STEP_AGE_S``;
a 1 or 0.5 Hz log untouched) gives no reading when the voltage can have moved since by
more than 10 % of the reading's voltage change (``PRE_STEP_MISS_MAX``; the bound: the
slope between the two rows before the step times the row's age, conservative for a
slowing relaxation). New columns ``age`` and ``(pre)``. Measured first (before, 60e4e04):
of 189 readings 35 more than 5 % from the 1 Hz run's, 33 of them by the voltage before
the step alone (rows up to 40 s old): NMC HPPC r_10s and DCIR on a sample at 60 and
300 s 11.8 %, r_30s at 300 s 9.9 %, LFP HPPC r_30s at 60 s 9.3 % by it. ``nice python
benchmarks/bench_dcir_sparse.py`` (seeds 1-3, the limit chosen on them: 0.025 kept 78
readings, 0.05 87, 0.1 108, 0.2 155, none more than 5 % off by the voltage before the
step): 189 -> 108 readings, more than 5 % off 35 -> 1 (the LFP cycle's r_30s at 60 s
read across 60 s, 5.83 %, the read point's), by the voltage before the step 33 -> 0.
Held out, ``--first-seed 101``: 189 -> 108, more than 5 % off 34 -> 0, by the voltage
before the step 33 -> 0. The price, all in the HPPC (the cycle profile's readings are
unchanged): the NMC HPPC has no r_10s nor DCIR on any sparse log (at 30 s 9 readings 1.35 %
off dropped with the 11.8 % ones at 60 and 300 s), its r_30s 30 -> 21 at 30 s, 12 -> 3 at
60 s; the LFP HPPC's r_30s 30 -> 21 at 30 s (worst 1.79 -> 1.12 %), 12 -> 3 at 60 s (worst
8.18 -> 3.05 %). The bound is several times the true move where the rows before the step
reach back to the rest's first (its fast relaxation): extrapolating the rest instead
would keep more, not tried. Unchanged: ``bench_dcir_definition.py`` (also ``--rates 0.2
0.1``), ``bench_dcir_layouts.py --layouts std p30 --seeds 2`` (348/348), every reading of
the real files (``batteryos analyze FILE --json``).

2026-12-07 session 37 (sparserelax): ``step_rows_read``
(:mod:`app.diagnostics.pulse_detection`): a pulse that ends at its read point (a 10 s
HPPC pulse logged every 10 s or slower: its first row and the next step's are all the
log has of it) is read from those two rows where ``step_index`` marks both as their
steps' starts: by superposition the next step's first row less the jump the pulse's
first row showed (scaled by the currents) is the voltage at the pulse's end, exact for
an RC network whatever its time constants (no fitted or preset time constant: the
rest's rows alone, 1-2 in the HPPC's 40 s rests at 30 s and slower, give a fitted
exponential nothing to stand on, and the preset's constants are the simulator's own).
The row before the step enters twice and its drift is held to 5 % of the change
(``STEP_ROWS_MISS_MAX``, ``step_rows_weight``): a pulse 40 s after another (the HPPC's
charge pulse) is mostly still refused. A step of one row (the next row starts the next
step, >= 3 s later) is now a pulse (``step_candidates``, the tracker's hold test). New:
``--chems``, per-chemistry totals, ``bench_dcir_sparse_pybamm.py``. ``nice python
benchmarks/bench_dcir_sparse.py --chems nmc lfp lead_acid`` (seeds 1-3), before
1b38816 -> after, readings (r_10s of them), more than 5 % off: HPPC NMC 24 (0) -> 186
(81), 0 -> 0; LFP 24 (0) -> 186 (81), 0 -> 0; lead-acid 48 (9) -> 210 (90), 0 -> 0; the
cycle profile unchanged (NMC 27, LFP 33 with its 5.83 % r_30s, lead-acid 11). Per
rate, r_10s and DCIR: NMC and LFP 0 -> 27 at each of 30, 60 and 300 s (the discharge
pulses, nine a seed), worst 2.32 % and 3.86 % (LFP's last pulse, near empty);
lead-acid 9 -> 36 at 30 s, 0 -> 27 at 60 and 300 s, worst 1.28 %. They read 10 s in,
the 1 Hz run 9 s in (its last pulse sample): +1.3 to 1.7 % mid-SOC, more where the OCV
is steep. ``--periods 5 10 15 20`` (seeds 1-3): 1407 -> 2187 readings, 0 -> 0 more than
5 % off, worst 4.63 % (LFP near empty); with the drift held to 10 % as the other
readings' (``PRE_STEP_MISS_MAX``) 2355 and 84 (lead-acid's charge pulse at 5 and 15 s,
6.03 %, its row before the step 5 s old: the bound tight): the 5 % chosen on that.
Held out (other cells: the profile is the same), ``--first-seed 101``: 167 -> 653
readings, 0 -> 0 more than 5 % off, worst r_10s 4.11 %; ``--first-seed 701`` (fresh):
176 -> 662, 1 -> 1 (the cycle's LFP r_30s); ``--periods 5 10 15 20 --first-seed 101``:
1408 -> 2188, 0 -> 0, worst 4.85 % (LFP at 10 and 20 s near empty, 4.51 % of it the
10 s vs 9 s read). 1 and 2 s logs: ``--periods 1 2`` output identical before and after;
the pulse and cycle tables of 27 simulated logs (3 chemistries x hppc, cycle, drive x
10, 1, 0.5 Hz) and ``analyze --json`` of the six real files byte-identical. A
non-linear cell, ``python benchmarks/bench_dcir_sparse_pybamm.py`` (PyBaMM SPMe HPPC
logged as a cycler, its DCIR against the same run at 1 Hz): 3 -> 30 of 90 readings, 0
-> 0 more than 5 % off, worst 3.16 %; ``--heldout`` (the four ``bench_dcir.HELDOUT_HPPC``
variants): 21 -> 163 of 468, 0 -> 0, worst 4.54 % (Prada2013 at 40 degC, 1.5C / 1C;
run once before the 5 % rule, at 10 %: 177, worst 4.89 %, a charge pulse 3.4 % from the
10 Hz run's exact 10 s value). The price: ``callgrind`` instructions of
``measure_internal_resistance`` + ``summarize_cycles`` (4-cell NMC): HPPC at 30 s
(45000 s) 88.5 M -> 177.6 M (the one-row pulses measured: 22 more, each its fit), at
1 Hz 681.5 M -> 681.2 M, the cycle at 1 Hz 190.0 M -> 193.0 M (+1.6 %). The
resistance SOH (``calculate_soh(..., resistance_metric="r_10s")``, HPPC seed 1, 45000
s): NMC at 30, 60, 300 s no pulse -> 6, 6, 3 (99.4, 99.4, 99.1 %; 1 Hz 100 %), LFP at
30 and 60 s none -> 5 (100 %), lead-acid at 60 and 300 s none -> 3 and 9 (100 %); but
an LFP HPPC at 300 s now reads 85 % (was none): its
readings are right, but the pulses' coulomb-counted SOC on that log is not (99.8 % at
the 90 % pulse: the 300 s intervals into a step change are time gaps, their charge not
counted), so the 20-80 % band takes the near-empty pulses. Not done: the 2 s reading
(no row within 2 s of the step but its first) and the 10 s reading of a step longer
than 10 s (rows at 0 and 30 s do not pin 10 s: any fast time constant fits them);
extrapolating the rest before a pulse from its rows (the refused readings follow the
40 s rests, with 1-2 rows).

2026-12-07 session 37 (ccsoc), that LFP 300 s SOH of 85 %, fixed: the pulses'
coulomb-counted SOC tag (:class:`~app.diagnostics.soc_coulomb.CoulombCountingSoc`, what
``measure_internal_resistance`` and ``calculate_soh`` use on their own; ``run_suite``
and the live engine tag with the filter's SOC) judged time gaps without the log's
``step_index`` (an interval from a step's first row, a cycler's slow logging, read as
a gap: its charge dropped) and averaged the current across a step's end. It now judges
gaps with the steps as every other charge counter does and integrates as the per-cycle
table (``trapezoid_increments``: the earlier current held where it starts or stops).
``python benchmarks/bench_dcir_sparse.py --soh --chems nmc lfp lead_acid --seeds 2``
(new: the r_10s SOH of new cells' HPPC logs, and the pulses' SOC tags against the 1 Hz
run's), before -> after: LFP at 300 s 85.2 / 85.1 % (3 pulses) -> 99.5 / 99.4 % (6);
NMC at 300 s 99.1 / 98.8 % (3) -> 99.4 / 99.0 % (6); lead-acid at 300 s 100 % of 9 ->
100 % of 3 (its in-band pulses); worst SOC tag at 300 s 48.5 (NMC), 48.1 (LFP), 91.0
(lead-acid) % -> 0.00; at 30 and 60 s 0.4-1.7 % -> 0.00 (the 1 Hz tags moved too: half
a second's current at each step). Held out, ``--first-seed 101``: LFP 300 s 82.3 / 79.0
% -> 96.5 / 97.1 % (the 30 s log's own 97.5 / 98.3 -> 96.5 / 97.1 with its sixth
pulse), NMC and lead-acid 300 s within 0.3 points of their 30 s logs, every tag 0.00.

2026-12-07 session 38 (ekfsteps), the SOC filter's pulse tags and series on sparse
logs (``run_suite`` and the live engine tag pulses with the filter's live SOC, not
the coulomb count of session 37). New ``--soc``: per profile, chemistry, period and
seed, the pulses' SOC tags against the 1 Hz run's (worst, mean) and the SOC series at
the sparse log's times against the 1 Hz run's (smoothed and live, RMS and worst), in
SOC points. Two changes (:mod:`app.diagnostics.soc_ekf`, "Step edges"): (1) the
filter's charge count and RC prediction take the current over an interval as every
charge count does (``cycles.held_values``, the one rule of ``trapezoid_increments``:
the earlier current held where it starts or stops), not the trapezoid across a step's
start or end; (2) a rest's relaxation still to come is read only once an interval
ends in its second half besides the last (``_relaxation_read``): at 300 s a rest's
first two rows (at the current's stop, and 123 s on, the interval's seconds counting
the load before) were taken for a relaxed rest, and a start under load re-anchored
on it (an LFP HPPC 70 -> 51 %, the plateau's OCV range of an unrelaxed voltage).
``nice python benchmarks/bench_dcir_sparse.py --soc --chems nmc lfp lead_acid
--profiles hppc cycle`` (seeds 1-3), before (7112390) -> after, worst tag at 30 / 60 /
300 s: HPPC NMC 0.42 / 0.68 / 5.38 -> 0.13 / 0.16 / 0.18; LFP 0.33 / 0.87 / 8.68 ->
0.07 / 0.10 / 0.50; lead-acid 0.34 / 0.83 / 26.23 -> 0.11 / 0.31 / 0.36; cycle NMC
0.11 / 0.15 / 1.37 -> 0.02 / 0.02 / 0.84; LFP 0.01 / 0.47 / 1.93 -> 0.02 / 0.02 / 0.49;
lead-acid 4.23 / 4.15 / 4.23 -> 4.23 / 4.14 / 4.23 (not the integration: the same at
every period, its two cycle pulses). Smoothed series worst at 300 s: HPPC NMC 12.17 ->
0.41, LFP 8.10 -> 0.50, lead-acid 14.46 -> 4.64; cycle NMC 4.21 -> 0.84, LFP 4.24 ->
1.12, lead-acid 8.40 -> 6.68; live worst at 300 s: HPPC NMC 12.52 -> 3.29, LFP 17.97 ->
0.50, lead-acid 39.68 -> 2.73. (1) alone (ec9086b) mended 30 and 60 s but not 300 s
(HPPC LFP tag 8.39, cycle LFP 4.45: the exact charge undid an error that had half
offset the re-anchoring). Worse: the live worst of HPPC NMC at 30 / 60 s 1.05 / 1.67 ->
1.22 / 1.89, lead-acid HPPC's smoothed worst at 30 / 60 s 4.57 / 4.47 -> 4.63 / 4.70;
unchanged, the cycle LFP's live worst 11.6-12.2 at every period (a start, the same
before). Held out, ``--first-seed 101``: HPPC NMC 0.44 / 0.68 / 5.38 -> 0.14 / 0.18 /
0.20; LFP 0.33 / 0.87 / 8.69 -> 0.07 / 0.10 / 0.50; lead-acid 0.34 / 0.83 / 26.15 ->
0.11 / 0.31 / 0.36; cycle NMC 0.10 / 0.11 / 3.73 -> 0.03 / 0.03 / 0.79; LFP 0.01 /
0.55 / 1.83 -> 0.02 / 0.01 / 0.85; lead-acid 4.04 / 4.04 / 2.64 -> 4.05 / 4.05 / 4.05
(worse at 300 s: one of its two cycle pulses). 1 Hz logs: ``analyze --json`` of the
six real files byte-identical but the BDF (its SOC fields ~1e-7 relative: exact-zero
currents at step edges); of 1 and 0.5 Hz simulated logs (3 chemistries x hppc, cycle,
drive, seed 3) the drive logs' and the noisy ones' identical, the others' SOC moved by
half a second's current at each step start or stop (charge out of the NMC HPPC
2.56875 -> 2.569444 Ah, the simulator's exact 2.569444; final SOC 1e-4 - 1e-2 points),
identical between (1) and (1)+(2). ``bench_soc.py`` (default cases) and
``bench_soc_gaps.py`` (seeds 1 2, 256 figures) unchanged (``bench_soc.py --no-speed``
output byte-identical); ``sweep_live_offline.py`` (new noise-free cases ``*_steps``,
``nmc1_hppc_1hz_clean``): 0 mismatches in every case and split (the first 25 cases
on (1); the new ones, the 1 Hz drive and HPPC ones, the last faults, the perturbed,
faded and real ones on (1)+(2)). The price: ``callgrind`` instructions of
``soc_series`` on a 20000-sample 4-cell NMC HPPC at 1 Hz read from CSV (exact-zero
rests: the held rule at work), less the CSV's loading: 5.0227e9 -> 5.0245e9 (+0.04 %);
``app.diagnostics.cycles`` is now imported with the filter (+0.04e9 on a path that did
not import it yet; ``run_suite`` always did).

2026-12-07 session 39 (socsparse), the lead-acid cycle's SOC tags ~4 % off at every
period: the 1 Hz run was the wrong one (its live SOC 6 % below the truth at the top of
the charge; the sparse logs' within ~2 %). The simulator's lead-acid cells, discharged
at C/5 to 1.75 V a cell, end ~1 % below empty and rest ~110 mV below the table's 0 %
(charged to 2.45 V, ~265 mV above its 100 %); the filter re-anchored its start under
load at that rest at -5 % (the lowest its 5 mV per % extension reaches), put the 85 mV
left into the table offset (-40 mV, its bound), and through the anchor's correlation
took the SOC back to -3.4 %; on the charge the offset decayed, the charge-transfer
amplitude that had taken up its opposite (35 mV) more slowly, and the charge scale
fell to 0.979. Fixed at that cause (:mod:`app.diagnostics.soc_ekf`, "Beyond the
table's ends"): a voltage beyond the OCV at 0 or 100 % by more than 2 sigmas of what
the other states allow reads as that end alone (no offset, RC, R0 or scale read from
it), and a start-under-load anchor or rest anchor whose rest lies wholly beyond an end
reads as that end. ``nice python benchmarks/bench_dcir_sparse.py --soc --chems nmc
lfp lead_acid --profiles hppc cycle`` (seeds 1-3), before (527fb0c) -> after, worst
tag / smoothed max / live max at 30, 60, 300 s: cycle lead-acid 4.23 / 6.76 / 4.43,
4.14 / 7.07 / 5.73, 4.23 / 6.68 / 7.11 -> 0.00 / 2.20 / 2.59, 0.00 / 2.21 / 2.59,
0.96 / 1.80 / 2.31 (the 0.96: the 300 s log's one rest row before the bottom charge
pulse, its live SOC the prior from before the rest); HPPC lead-acid smoothed max 4.63
/ 4.70 / 4.64 -> 3.95 / 3.94 / 4.03; every NMC and LFP figure identical. Held out,
``--first-seed 101``: cycle lead-acid 4.05 / 7.05 / 5.60, 4.05 / 6.57 / 4.94, 4.05 /
8.07 / 7.52 -> 0.00 / 2.15 / 0.60, 0.00 / 2.20 / 2.44, 0.62 / 2.07 / 2.68; everything
else identical. Against the simulator's true SOC (the cells' mean, clipped to 0-100
%; the same logs, worst over seeds 1-3 of the RMS and worst of the smoothed series,
the live series' RMS), cycle lead-acid at 1, 30, 60, 300 s: smoothed RMS 3.08, 1.46,
1.27, 1.95 -> 1.11, 1.40, 1.42, 0.95, worst 6.12, 2.04, 1.87, 5.04 -> 1.84, 1.85, 1.76,
1.59, live RMS 3.70, 2.64, 2.61, 2.67 -> 2.61, 2.60, 2.66, 2.68; held out (101-103)
smoothed RMS 3.39, 2.85, 1.34, 1.57 -> 1.32, 1.23, 1.54, 0.92, worst 5.48, 5.72, 1.78,
2.80 -> 1.92, 1.97, 2.18, 1.56 (60 s a little worse: 1.27 -> 1.42, 1.34 -> 1.54 RMS);
HPPC lead-acid held out smoothed worst 4.93 -> 4.72 at 1 Hz; every other profile,
chemistry and period identical. What is left of the lead-acid cycle's live error is
its start under load (+3-4 % through the first discharge: its gentle OCV does not pin
a start until the bottom); the lead-acid HPPC's smoothed series sits 3.2 % RMS from
the truth (worst ~5 %) where its live one is 0.6 %: not looked into. Unchanged: ``bench_soc.py
--no-speed`` output byte-identical; ``bench_soc_gaps.py`` (seeds 1 2, 256 figures) none
moved; ``sweep_live_offline.py``: 0 mismatches in every case and split run (its first
25 cases, every lead-acid one among them, on the change before its bad-input guard;
``pert_ real_ fade_ dropout multi noisy`` on the final one). ``analyze --json`` of the six real files:
Arbin, Maccor and both BioLogic identical; two whose voltage runs past the NMC table
they are read with moved (the sweep's chemistries): the BDF coin cell, a lithium /
graphite half cell at 0.01-2.9 V (final SOC 0 -> 45.7 %, "charge moved at empty" 288
-> 91 %, R0 at its 5x bound 75 -> 12.6 ohm), the Neware export at 3.9-4.7 V (final
45.2 -> 46.0 %, lowest 15.6 -> 19.0 %). Not changed: (b) the NMC HPPC's live worst at
30 / 60 s (1.22 / 1.89) is its start at 100 % under load, the RC voltages guessed
half charged (-19 mV, the true ~0 after a 10 s pulse) read past 100 % and taken as
SOC above it at each sparse log's few updates (reading such a voltage as the end
alone, whatever the sigmas, took it to 0.38 / 0.89 but the lead-acid HPPC's first
hour-long rest 4 % high); (c) the LFP cycle's live worst of 11.6-12.2 % at every
period is the sparse log's second row: a row's live SOC is the prior from the rows
before it, there the first row's guess under load on the plateau (95.3 % at a true
80 %, the 1 Hz run's start too), against the 1 Hz run already one period of updates
on; from the third row on 2.22 / 3.45 / 8.43 (held out 2.22 / 3.44 / 8.45): still the
start, converging by one update a row where the 1 Hz run makes one every 5 s.

2026-12-07 session 40 (soc40), the lead-acid HPPC's smoothed series 3.2 % RMS off the
truth where its live one is 0.6 %: the smoother's fault, fixed. New ``--soc-truth``:
per profile, chemistry, period (1 s and ``--periods``) and seed, the smoothed and
live SOC series against the simulator's true SOC (the cells' mean, clipped to 0-100
%, as the series are), RMS and worst. The HPPC runs down to 1.75 V a cell and rests
its last 2 h 25-37 mV below the table's 0 % (seeds 1, 2: the cells' mean -0.1 / +0.3
%, the lowest cell below empty); within the end rule's 2 sigmas (the table offset's
9 mV and the 12 mV rest model error) the filter reads that through the table's 5 mV
per % extension: its SOC slides to the -5 % clamp (live, clipped: 0 %, right) and
the charge scale with it to 1.016-1.019, and those intervals (sigma 3-4 %, the
surest of the log: the mid-log rests' is ~5 %, the offset's share) were the
smoother's reference for every earlier one: each worked back ~5 % low less ~1 % of
scale. Fixed at that (:mod:`app.diagnostics.soc_ekf`, "Smoothed"): no interval is
worked back from one whose SOC is beyond the table's 0 or 100 % (the extension's
guess). ``nice python benchmarks/bench_dcir_sparse.py --soc-truth --chems nmc lfp
lead_acid`` (seeds 1-3), before (88d1ad3) -> after, HPPC lead-acid worst over seeds,
smoothed RMS / worst at 1, 30, 60, 300 s: 3.29 / 5.13, 3.29 / 5.10, 3.31 / 5.10, 3.34
/ 4.98 -> 0.14 / 0.28, 0.12 / 0.28, 0.12 / 0.28, 0.11 / 0.28 (live RMS 0.60, 0.63,
0.71, 0.82 unchanged); held out (``--first-seed 101``) 3.18 / 4.72, 3.25 / 4.90, 3.23
/ 4.92, 3.11 / 4.86 -> 0.12 / 0.27, 0.09 / 0.21, 0.10 / 0.19, 0.09 / 0.19; every
other profile, chemistry, period and seed identical (both sets). ``--soc`` (sparse
against the 1 Hz run): HPPC lead-acid smoothed max at 30, 60, 300 s, worst of seeds
1-3, 3.95 / 3.94 / 4.03 -> 0.10 / 0.28 / 0.16, RMS 0.36 / 0.94 / 1.05 -> 0.04 / 0.12 /
0.08 (the summary's lead-acid smoothed max now the cycle's: 2.20 / 2.21 / 1.80, its
smoothed RMS 1.06 / 1.14 / 1.05 -> 1.06 / 1.14 / 0.92); held out 3.94 / 4.01 / 4.11 ->
0.11 / 0.20 / 0.16 (summary 2.15 / 2.20 / 2.07, RMS 1.43 / 1.44 / 1.21 -> 0.33 / 1.01 /
1.03); tags and live figures identical, every NMC and LFP figure identical.
Unchanged: ``bench_soc_gaps.py`` (seeds 1 2, 256 figures, base from ``BENCH_APP_ROOT``)
none moved; ``sweep_live_offline.py pb`` and ``--heldout pb``: 0 mismatches in
every split of the lead-acid cases it ran (the new test checks the live twin's
smoothed columns on this HPPC to the bit); ``bench_soc.py --no-speed``: 96/96 ok,
the first 11 rows byte-identical to the base's run (stopped there: the machine's
load), every group's mean / worst as last recorded there (table from rest NMC 0.13 /
0.18, LFP 0.23 / 0.33, ... preset LFP under load 0.56 / 1.12). Found,
not changed: the end rule's 2-sigma test weighs the voltage against the update's
reading variance, which the carried-over misfit's correlation inflates (``relax_s /
span``, x15 at 1 Hz): on seed 1's bottom rest the threshold was ~100 mV where the
misfit, the offset and the RC states allow ~31 mV; taking it out read that rest as
0 % (seed 1) but not seeds 2, 3 (seed 2's 24.5 mV below: within them) and was not
run through the other benches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.spec import preset  # noqa: E402
from app.diagnostics.cycles import pulse_resistances  # noqa: E402
from app.diagnostics.internal_resistance import measure_internal_resistance  # noqa: E402
from app.diagnostics.soc import soc_estimates  # noqa: E402
from app.diagnostics.soc_ekf import SOC_COLUMN  # noqa: E402
from app.diagnostics.soh import calculate_soh  # noqa: E402
from app.hardware.simulator import simulate  # noqa: E402

KEYS = ("r_2s_ohm", "r_10s_ohm", "r_30s_ohm")
TAUS = {"r_2s_ohm": 2.0, "r_10s_ohm": 10.0, "r_30s_ohm": 30.0, "dcir_10s": 10.0}
DURATION_S = {"hppc": 45000, "cycle": 40000}


def readings(df, spec) -> dict[tuple[str, float], float]:
    """(key, start time) -> reading, of the pulses and of the cycles' DCIR."""
    out = {}
    for p in measure_internal_resistance(df, spec).pulses:
        for key in KEYS:
            if p[key] is not None:
                out[(key, round(p["start_time_s"], 3))] = p[key]
    t = df["time_s"].to_numpy()
    at, val = pulse_resistances(df, spec.pack_capacity_ah)
    for k, r in zip(at.tolist(), val.tolist(), strict=True):
        out[("dcir_10s", round(float(t[k]), 3))] = r
    return out


def soh_of_sparse_hppc(args) -> None:
    """``--soh``: per chemistry and logging period, the r_10s resistance SOH of
    :func:`calculate_soh` on its own (its pulses tagged by the coulomb count), the
    pulses it took, and the worst SOC tag of a pulse against the 1 Hz run's."""
    print("r_10s resistance SOH of new cells' HPPC logs (100 % is right)")
    print(f"{'chem':<9} {'period':>6} {'seed':>4} {'SOH %':>7} {'pulses':>6} {'SOC tag worst':>13}")
    for chem in args.chems:
        spec = preset(chem, series_cells=4)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            kw = dict(duration_s=DURATION_S["hppc"], seed=seed)
            dense = simulate(spec, "hppc", dt_s=1.0, **kw).to_frame()
            tag = {
                round(p["start_time_s"], 3): p["soc_percent"]
                for p in measure_internal_resistance(dense, spec).pulses
            }
            for period in args.periods:
                df = simulate(spec, "hppc", dt_s=period, step_samples=True, **kw).to_frame()
                r = calculate_soh(df, spec, resistance_metric="r_10s")
                errs = [
                    abs(p["soc_percent"] - tag[k])
                    for p in measure_internal_resistance(df, spec).pulses
                    if (k := round(p["start_time_s"], 3)) in tag
                    and p["soc_percent"] is not None
                    and tag[k] is not None
                ]
                soh = "-" if r.soh_resistance_percent is None else f"{r.soh_resistance_percent:.1f}"
                worst = f"{max(errs):.2f}" if errs else "-"
                print(
                    f"{chem:<9} {period:>5g}s {seed:>4} {soh:>7} {r.resistance_pulses:>6} "
                    f"{worst:>13}",
                    flush=True,
                )


def soc_of_sparse_logs(args) -> None:
    """``--soc``: per chemistry, profile and logging period, the SOC filter's figures
    on the sparse log against the same run logged at 1 Hz: the pulses' SOC tags as
    ``run_suite`` makes them (the filter's live SOC), worst and mean |error|, and
    the SOC series at the sparse log's times (the smoothed one of ``analyze
    --timeseries``, and the live one), RMS and worst, in SOC percentage points."""
    print("SOC filter on a sparse log vs the same run at 1 Hz (percentage points)")
    print(
        f"{'profile':<6} {'chem':<9} {'period':>6} {'seed':>4} {'tags':>4} {'tag worst':>9} "
        f"{'tag mean':>8} {'smooth rms':>10} {'smooth max':>10} {'live rms':>8} {'live max':>8}"
    )
    worst: dict[tuple[str, float], list[float]] = {}
    for profile in args.profiles:
        for chem in args.chems:
            spec = preset(chem, series_cells=4)
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                kw = dict(duration_s=DURATION_S.get(profile, 40000), seed=seed)
                dense = simulate(spec, profile, dt_s=1.0, **kw).to_frame()
                _, live_d, smooth_d = soc_estimates(dense, spec)
                tags = {
                    round(p["start_time_s"], 3): p["soc_percent"]
                    for p in measure_internal_resistance(
                        dense, spec, soc_percent=live_d[SOC_COLUMN]
                    ).pulses
                }
                td = dense["time_s"].to_numpy()
                for period in args.periods:
                    df = simulate(spec, profile, dt_s=period, step_samples=True, **kw).to_frame()
                    _, live, smooth = soc_estimates(df, spec)
                    errs = [
                        abs(p["soc_percent"] - tags[k])
                        for p in measure_internal_resistance(
                            df, spec, soc_percent=live[SOC_COLUMN]
                        ).pulses
                        if (k := round(p["start_time_s"], 3)) in tags
                        and p["soc_percent"] is not None
                        and tags[k] is not None
                    ]
                    at = np.searchsorted(td, df["time_s"].to_numpy())
                    e_s = smooth[SOC_COLUMN] - smooth_d[SOC_COLUMN][at]
                    e_l = live[SOC_COLUMN] - live_d[SOC_COLUMN][at]
                    tag_w = max(errs) if errs else np.nan
                    row = worst.setdefault((chem, period), [0.0] * 4)
                    for k, x in enumerate(
                        (tag_w, np.abs(e_s).max(), np.abs(e_l).max(), np.sqrt(np.mean(e_s**2)))
                    ):
                        row[k] = max(row[k], float(x)) if np.isfinite(x) else row[k]
                    print(
                        f"{profile:<6} {chem:<9} {period:>5g}s {seed:>4} {len(errs):>4} "
                        f"{tag_w:9.2f} {np.mean(errs) if errs else np.nan:8.2f} "
                        f"{np.sqrt(np.mean(e_s**2)):10.2f} {np.abs(e_s).max():10.2f} "
                        f"{np.sqrt(np.mean(e_l**2)):8.2f} {np.abs(e_l).max():8.2f}",
                        flush=True,
                    )
    print("worst over profiles and seeds: tag, smoothed max, live max, smoothed rms")
    for (chem, period), (tag_w, s_max, l_max, s_rms) in worst.items():
        print(f"{chem:<9} {period:>5g}s {tag_w:6.2f} {s_max:6.2f} {l_max:6.2f} {s_rms:6.2f}")


def soc_against_truth(args) -> None:
    """``--soc-truth``: per profile, chemistry, logging period (1 s and ``--periods``)
    and seed, the SOC series against the simulator's true SOC (the cells' mean,
    clipped to 0-100 % as the series is): the smoothed one (``analyze --timeseries``)
    and the live one (the filter's), RMS and worst, in SOC percentage points."""
    print("SOC series against the simulator's true SOC (percentage points)")
    print(
        f"{'profile':<6} {'chem':<9} {'period':>6} {'seed':>4} {'smooth rms':>10} "
        f"{'smooth max':>10} {'live rms':>8} {'live max':>8}"
    )
    worst: dict[tuple[str, str, float], list[float]] = {}
    for profile in args.profiles:
        for chem in args.chems:
            spec = preset(chem, series_cells=4)
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                kw = dict(duration_s=DURATION_S.get(profile, 40000), seed=seed)
                for period in [1.0, *args.periods]:
                    df = simulate(
                        spec,
                        profile,
                        dt_s=period,
                        step_samples=period != 1.0,
                        include_truth=True,
                        **kw,
                    ).to_frame()
                    true_cols = [c for c in df.columns if c.startswith("true_")]
                    truth = np.clip(df[true_cols].mean(axis=1).to_numpy(), 0.0, 100.0)
                    _, live, smooth = soc_estimates(df.drop(columns=true_cols), spec)
                    e_s = smooth[SOC_COLUMN] - truth
                    e_l = live[SOC_COLUMN] - truth
                    x = [
                        float(np.sqrt(np.mean(e_s**2))),
                        float(np.abs(e_s).max()),
                        float(np.sqrt(np.mean(e_l**2))),
                        float(np.abs(e_l).max()),
                    ]
                    row = worst.setdefault((profile, chem, period), [0.0] * 4)
                    row[:] = [max(a, b) for a, b in zip(row, x, strict=True)]
                    print(
                        f"{profile:<6} {chem:<9} {period:>5g}s {seed:>4} {x[0]:10.2f} "
                        f"{x[1]:10.2f} {x[2]:8.2f} {x[3]:8.2f}",
                        flush=True,
                    )
    print("worst over seeds: smoothed rms, smoothed max, live rms, live max")
    for (profile, chem, period), x in worst.items():
        print(f"{profile:<6} {chem:<9} {period:>5g}s " + " ".join(f"{v:6.2f}" for v in x))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--periods", nargs="+", type=float, default=[30.0, 60.0, 300.0])
    ap.add_argument("--profiles", nargs="+", default=["hppc", "cycle"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
    ap.add_argument(
        "--soh",
        action="store_true",
        help="only the r_10s resistance SOH of the HPPC logs (new cells: 100 %% is right) "
        "and the pulses' SOC tags against the 1 Hz run's",
    )
    ap.add_argument(
        "--soc",
        action="store_true",
        help="only the SOC filter's pulse tags and series on the sparse logs against "
        "the 1 Hz run's",
    )
    ap.add_argument(
        "--soc-truth",
        action="store_true",
        help="only the SOC series (smoothed and live) against the simulator's true SOC, "
        "the 1 Hz log's and the sparse logs'",
    )
    args = ap.parse_args(argv)
    if args.soc_truth:
        soc_against_truth(args)
        return
    if args.soc:
        soc_of_sparse_logs(args)
        return
    if args.soh:
        soh_of_sparse_hppc(args)
        return
    print("sparse log's readings vs the same run at 1 Hz (no noise); errors in per cent")
    print(
        f"{'profile':<6} {'chem':<4} {'period':>6} {'reading':<9} {'given':>5} {'off':>4} "
        f"{'off mean|err|':>13} {'off worst':>9} {'(read)':>8} {'widest':>7} {'on':>4} "
        f"{'on worst':>8} {'(read)':>8} {'age':>5} {'(pre)':>7}"
    )
    total = {"given": 0, "off": 0, "off_bad": 0, "off_read_bad": 0, "bad": 0, "pre_bad": 0}
    per_chem: dict[tuple[str, str], list[int]] = {}
    for profile in args.profiles:
        for chem in args.chems:
            spec = preset(chem, series_cells=4)
            for period in args.periods:
                rows: dict[str, list] = {k: [] for k in TAUS}
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    kw = dict(duration_s=DURATION_S.get(profile, 40000), seed=seed)
                    dense = simulate(spec, profile, dt_s=1.0, **kw).to_frame()
                    sparse = simulate(spec, profile, dt_s=period, step_samples=True, **kw)
                    sparse = sparse.to_frame()
                    ref = readings(dense, spec)
                    t = sparse["time_s"].to_numpy()
                    i = sparse["current_a"].to_numpy()
                    v = sparse["voltage_v"].to_numpy()
                    td = dense["time_s"].to_numpy()
                    vd = dense["voltage_v"].to_numpy()
                    for (key, t_s), r in readings(sparse, spec).items():
                        x = t_s + TAUS[key]
                        j = int(np.searchsorted(t, x + 1e-6)) - 1
                        # on a sample of the pulse (not the next step's first one)
                        k = int(np.searchsorted(t, t_s - 1e-6))
                        held = abs(i[j] - i[k]) <= 0.05 * max(abs(i[k]), 1e-9)
                        on = abs(t[j] - x) <= 1e-6 and held
                        width = float(t[min(j + 1, len(t) - 1)] - t[j])
                        truth = ref.get((key, t_s))
                        err = np.nan if truth is None else 100.0 * (r / truth - 1.0)
                        # the read point's own error: the voltage before the step taken
                        # from the 1 Hz run (the sparse log's row before it is older)
                        kd = int(np.searchsorted(td, t_s - 1e-6))
                        r_own = r + (v[k - 1] - vd[kd - 1]) / (i[k] - i[k - 1])
                        own = np.nan if truth is None else 100.0 * (r_own / truth - 1.0)
                        # the voltage before the step: its row's age, the error it causes
                        age = float(t_s - t[k - 1])
                        rows[key].append((on, err, width, own, age, err - own))
                for key, got in rows.items():
                    if not got:
                        print(f"{profile:<6} {chem:<4} {period:>5g}s {key:<9} {0:>5}")
                        continue
                    on = np.array([g[0] for g in got])
                    err = np.array([g[1] for g in got])
                    width = np.array([g[2] for g in got])
                    own = np.abs(np.array([g[3] for g in got]))
                    age = np.array([g[4] for g in got])
                    pre = np.abs(np.array([g[5] for g in got]))
                    total["bad"] += int(np.sum(np.abs(err) > 5.0))
                    mine = per_chem.setdefault((profile, chem), [0, 0, 0])
                    mine[0] += len(got)
                    mine[1] += int(np.sum(np.abs(err) > 5.0))
                    mine[2] += len(got) if key == "r_10s_ohm" else 0
                    total["pre_bad"] += int(np.sum(pre > 5.0))
                    pre_txt = (
                        f"{age.max():4.0f}s {np.nanmax(pre):6.2f}%"
                        if np.isfinite(pre).any()
                        else f"{age.max():4.0f}s {'-':>7}"
                    )
                    off = ~on
                    e_off, e_on = np.abs(err[off]), np.abs(err[on])
                    total["given"] += len(got)
                    total["off"] += int(off.sum())
                    total["off_bad"] += int(np.sum(e_off > 5.0))
                    total["off_read_bad"] += int(np.sum(own[off] > 5.0))
                    off_txt = (
                        f"{np.nanmean(e_off):12.2f}% {np.nanmax(e_off):8.2f}% "
                        f"{np.nanmax(own[off]):7.2f}% {width[off].max():6.0f}s"
                        if off.any() and np.isfinite(e_off).any()
                        else f"{'-':>13} {'-':>9} {'-':>8} {'-':>7}"
                    )
                    on_txt = (
                        f"{np.nanmax(e_on):7.2f}% {np.nanmax(own[on]):7.2f}%"
                        if np.isfinite(e_on).any()
                        else f"{'-':>8} {'-':>8}"
                    )
                    print(
                        f"{profile:<6} {chem:<4} {period:>5g}s {key:<9} {len(got):>5} "
                        f"{int(off.sum()):>4} {off_txt} {int(on.sum()):>4} {on_txt} {pre_txt}",
                        flush=True,
                    )
    for (profile, chem), (given, bad, r10) in per_chem.items():
        print(f"{profile} {chem}: {given} readings ({r10} r_10s), {bad} more than 5 % off")
    print(
        f"all: {total['given']} readings, {total['off']} off a sample, "
        f"{total['off_bad']} of them more than 5 % from the 1 Hz run's "
        f"({total['off_read_bad']} by the read point alone); of all readings "
        f"{total['bad']} more than 5 % off, {total['pre_bad']} of them by the voltage "
        "before the step alone"
    )


if __name__ == "__main__":
    main()
