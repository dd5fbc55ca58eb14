"""Sensor faults: dropout (NaN runs, time gaps), stuck and noisy channels.

**Noise.** A channel's white-noise variance is estimated per 30 s window from
its second differences (for white noise of variance s², E[d2²] = 6s²). The
signal itself hardly reaches d2: load profiles and temperatures are smooth at
the sample rate. Voltages and the current also step (an HPPC pulse, a CC phase
starting, a failing cell), which gives two large d2 of opposite signs in a row:
for them each d2² is replaced by the minimum over 3 consecutive ones, which
removes an isolated step while white noise keeps a known fraction C2_MIN of its
energy (Monte Carlo, 2e7 Gaussian samples). A channel is
noisy when that estimate is 4x the median of its group (cell voltages, cell
temperatures: a channel among >= 3 of its kind) and above an absolute floor
well over typical sensor noise (floors below). Two channels see the load's own
curvature and are corrected for it: the pack voltage is judged by its
difference from the sum of the cell voltages (less the cells' own noise; beside cells
read coarsely, only where it spans more than their roundings can,
``CELLS_ROUNDING_SPAN``), and
the current by its excess over what the mean cell voltage's curvature implies
through the cells' ohmic resistance R0 (a real change of current moves the
voltage by R0 dI; sensor noise does not), with a margin of 2 in variance for an
R0 that differs from the spec's. The current's own estimate there is the plain
mean square of its second differences: a load step moves the voltage by R0 dI in
the same sample, so the plain voltage reference subtracts it (twice) anyway. Only a
step the voltage does not follow is left to the step-robust estimate, taken when
``CURRENT_ROBUST_SLACK`` times it is smaller: its 30 s window scatters far more
(white noise: under a third of the truth in 5 % of windows, the plain one under
half), and the smaller of the two as they were, on a 4-cell LFP pack -- whose R0
of 8 mOhm turns the mean cell's 1 mV of noise into 0.125 A of apparent load, half
the noisy sensor's variance once doubled -- left a noisy current unconfirmed for
84-94 s (``bench_faults --first-seed 30 --seeds 2 --profiles cccv cc drive
--onsets 120 900 --cells 4 16``; now <= 49 s). Without cell voltages, the pack voltage is
corrected the same way by the current's curvature. A window in which a
cycler's step changes is not judged: the voltage relaxing after a CC phase
ends is polarisation, not noise, and no ohmic correction covers it (a noisy
sensor stays noisy, and shows in the next window). Nor is one whose step-robust terms
read a sample of the step before (``BinBatch.step_reach``: a step's first sample and
the 3 after it; a second difference spans two samples before its own, the minimum
two second differences before): at 1 Hz the step's jump is two large second
differences the minimum drops, but logged every 20 s a 16-cell NMC pack's weakest cells
bent 55 mV into their OCV's knee the sample before the discharge ended, then the jump
and the relaxation: three in a row, a 12 mV "noise" in the first window after the
step (``bench_clean_slow``, session 35).

The voltage reference's own noise is counted twice there (with the load it is
doubled), the slack that keeps a clean current quiet; on a 4-cell LFP pack at rest it
is half a noisy current's variance, and a 30 s window that read the noise low held it
unconfirmed for 69-91 s. Removing part of it (the cells' spread about their mean, which
the load does not reach) raised false alarms on clean LFP drives: in a 30 s window the
reference's noise scatters by as much as a light load's curvature. What tells a
sensor's noise from a load is whether the voltage follows it: a load of variance L
moves the reference by R0 d2I, so the mean product of the two's second differences is
R0 L (at least ``1 / sqrt(CURRENT_LOAD_MARGIN)`` of it for an R0 that differs from the
spec's, the plain reference's margin), while the sensor's noise adds nothing to it
(``BinBatch.s2x``). So the current is also noisy where the products fall
``CURRENT_FOLLOW_Z`` standard errors short of that gain times its excess over the floor
(a load that large would have moved the voltage), its noise then its variance less the
load the products show. The error is the products' own: the current's variance times
the reference's that the current leaves, over the window's terms (doubled: the second
differences are correlated), so no light load's scatter hides in it. On clean 24 h LFP
4-cell packs (drive seeds 1-3, 31, 43 and 40-42; rest, cycle, HPPC, CC and CC-CV seeds
40-42; 3 resistance spreads) the windows over the floor (drives only) came no closer
than 1.1 standard errors; a noisy current at rest reaches ~5. ``bench_faults --parts
detection --chem lfp --profiles rest --cases "sensor_noisy current" --first-seed 60
--seeds 40 --onsets 120 900 3000``: within 60 s 116 -> 119 of 120, median 24 -> 19 s,
90th percentile 44 -> 34 s, worst 84 -> 64 s (seed 61 at 900 s: the noise read 0.64 of
itself, the reference's 1.9x, and their products +1.5 standard errors, for a minute);
``--first-seed 80 --seeds 4 --profiles drive cycle hppc rest cc cccv --onsets 120 900
3000 --cells 4 16 --cases "sensor_noisy current_a"`` 432 of 432 within either way, 90th
percentile 24 -> 19 s.

Both read the load through R0, and a warm pack's is smaller: at 45 degC ambient a
drive heats the cells to ~50 degC, where their R0 is ~0.55 of the spec's (25 degC), so
the spec's R0, doubled, took two fifths of the load's curvature for the current's
noise, and the products' gain fell short of the follow test's. A window is judged
with R0 times the Arrhenius factor of the cells' median temperature where it is under 1
(``R0_WARM_MAX_C``), the least of its bins; a bin's screen keeps the spec's (a superset
of the windows: exact, whatever the split). ``benchmarks/validate/clean_ambient.py
--chems lfp nmc --cells 4 8 16 --ambients 30 35 40 45 --profiles drive --spreads 0.06
--seeds 90 91 92 93 94`` (120 clean 24 h drives): noisy-current alarms 145 -> 0 (at 40
degC 7 -> 0, at 45 degC 138 -> 0); held out, ``--chems nmc lfp lead_acid --cells 4 16
--ambients 40 45 50 --seeds 95 96`` (every profile, 456 runs): none; below 25 degC
nothing changes. The price is a small warm pack's: a 4-cell LFP pack's mean cell noise
(1 mV) through its R0 at 50 degC (4.3 mOhm) is as large as a noisy sensor's 0.1 C, so
only the follow test tells them (~2.7 standard errors at rest per 30 s window):
``benchmarks/validate/faults_ambient.py 45 --parts detection --cases "sensor_noisy
current" --first-seed 60 --seeds 3`` within 60 s 36 -> 33 of 36 (LFP 67, 73, 125 s),
``--first-seed 70 --seeds 2 --cells 4 16`` 48 -> 47 of 48 (82 s); the runs before were
quick only by the spec's R0 that took the clean hot drives for noise.

**Slow logs.** A noise window is 30 s and at least ``NOISE_WINDOW_SAMPLES`` samples
(15: at 0.5 Hz the 30 s held them; at 0.2 Hz it is 80 s of 10 s bins, at 0.1 Hz 160
s), and no channel is judged on fewer than ``MIN_SAMPLES`` second differences: the
current's estimate is NaN where its own, its step-robust one's or the voltage
reference's count is short (``np.minimum``, not ``np.fmin``: a step-robust estimate
NaN for too few terms left the current judged on the plain one alone). A 30 s window
of a 0.2 Hz log held 3 samples, under ``MIN_SAMPLES``: every voltage and temperature
noise was NaN, a noisy cell voltage, cell temperature or pack voltage was never found
(0 of 48), the current was judged on 3-5 samples against NaN references (120 false
alarms in 180 clean pack-hours; 287 at 0.1 Hz), and a single glitched cell
temperature reading, not seen as a noisy sensor, was read as its cell's heat: an
internal short (now a noisy sensor, which explains the short's evidence on its cell).
A drive read every 5-10 s changes its current from sample to sample, and the voltage
follows it through R0 and the polarisation's lag, which cancels part of it where the
load's second differences alternate: on clean 4-cell LFP drives at 0.2 and 0.1 Hz the
voltage's second differences carried 0.47-0.54 of the load's variance through R0 (1st
percentile of the windows with a load), under the 1/2 that ``CURRENT_LOAD_MARGIN``
covers (every 2-3 s: 0.60-0.70); in a slow log (samples ``SLOW_LOG_DT_S`` or more
apart) the margin is
``CURRENT_LOAD_MARGIN_SLOW``. ``bench_faults --rate-hz 0.2 --parts clean --clean-hours 3
--first-seed 720 --seeds 1 --clean-cells 4``: 120 -> 0 false alarms (16 with the
window alone, all LFP drives). The price: a noisy current beside such a load is within
what R0 does not explain, so on a slow LFP drive it may go unfound, and elsewhere on LFP
it takes 65 s at 0.2 Hz, 90 s at 0.1 Hz (the window's own length there).
A cell voltage with no group to be judged against (a pack of 1 or 2 cells: no median
of >= ``MIN_GROUP``) had the floor alone, and the premise above -- the signal hardly
reaches d2 -- fails for it in a slow drive: the load changes between samples and the
cell's second differences carry R0 times the load's (a 1-cell lead-acid drive at 8 s:
the noise-free cell's d2 is 0.71 mOhm times the current's, 99 % of its variance; its
noise windows read up to 2.6 floors). It is judged like the pack voltage without cells:
less ``CURRENT_LOAD_MARGIN`` times R0² times the current's plain d2 variance (the
margin for an R0 that differs from the spec's, not the slow one: a voltage that lags
the load carries less of it, not more); in logs of a sample every ``LAG_MIN_DT_S`` or
more, also the lag's part of the load held between samples, logged or not (a drive's
current changes every second between slow samples): ``LONE_LAG_LOAD`` times the spec's
lag bound squared times the logged current's mean squared first differences
(``bench_clean_slow``, session 34). Their noise is their plain estimate (the
step-robust one's ``CURRENT_ROBUST_SLACK`` times where smaller, as the current's), which
measures the load as the current's plain one does: the step-robust estimate is the least
of 3 consecutive squared second differences over the fraction of white noise's energy
that keeps (``C2_MIN``, 0.27), and a load's bend that the minimum keeps -- a pulse held
over two slow samples bends the cell by R0 times it in 3-4 second differences in a row
-- it raised 3.7-fold beside an allowance of 1 (NMC 1- and 2-cell drives at 5 and 20 s,
seeds 501-503: 6 noisy cell voltages, now none; ``bench_clean_slow``, session 35).
Clean 24 h logs (3 chemistries, drive, cycle,
CC-CV and float, 1, 2, 3, 4, 8 and 16 cells, 1-20 s a sample, typical noise): seed 408,
which it was made on, 2,503 -> 6 noisy cell voltages (3 on LFP 1-2 cells at 20 s; 3 on
grouped packs, unchanged), held out, seeds 501-503 (1,440 runs), 11,199 -> 32 (all LFP,
1-2 cells, 15-20 s); packs of >= 3 cells are not touched. The price, a noisy cell beside
a slow drive's load (``bench_faults --parts detection --cells 2 --first-seed 40
--seeds 6 --cases "sensor_noisy cell_2_v"``): found 72 of 72 at every rate, as before;
within 60 s the same at 1 and 0.5 Hz, 68 -> 66 at 0.2 Hz, 50 -> 37 at 0.125 Hz, 59 -> 51
at 0.1 Hz, 24 -> 12 at 0.05 Hz (worst 64 -> 72, 105 -> 138, 100 -> 129, 276 -> 417 s),
where before the same channel was reported noisy 0-175 times per 24 runs before any
fault. The current's own false alarms on slow drives (2,282 in those 1,440 runs, 1,860
on LFP) were not this: the voltage lags the load. A sample's voltage carries R0 dI and
also the RC pairs' and the OCV's integral of the current held over the sample before
(per sample kappa = R1 (1 - exp(-dt/tau1)) + R2 (...) + dOCV/dSOC 100 dt / 3600 Q, up to
1-6 R0 on LFP and NMC at 15-20 s), whose second difference is kappa times the previous
first difference dI' of the load: R0 (d2I + g dI'), g = kappa / R0. As sum(d2I dI') =
-sum(d2I²)/2 for any sequence (but for its ends), the products with the current's second
differences are R0 L (b - g/2) and the voltage's mean square R0² (L (b - g/2)² + g² (P -
L/4)) (L, P: the load's mean squared second and first differences, b R0 the cells' R0):
the lag cancels the products (they turned negative on LFP's steep OCV ends) and up to
3/4 of the voltage's variance for a rough load (P = L/3), more for one that alternates.
In logs of a sample every ``LAG_MIN_DT_S`` or more the current is judged with a lag g
of at most what the voltage's own second differences leave room for beside the products
(``(V L - X²) / (R0² L (P - L/4))``, from the current's first differences too) and the
spec's bound -- the RC pairs' part and the OCV table's steepest slope where the cells'
OCV may be (``LAG_OCV_DROP``) --: the plain reference explains V / (R0² f) of load, f
the least of (b - g/2)² + g² (P/L - 1/4) over [0, g] (b² = 1 / the margin), and the
follow test's gain is R0 (1/sqrt(``CURRENT_LOAD_MARGIN``) - g/2) (the margin for R0
alone: the lag is now the model's, not the margin's). A noisy current beside no load
or a constant one is still found where the spec's bound leaves the voltage too little
lag (``benchmarks/bench_clean_slow.py``: clean false alarms 2,282 -> see there; the
price, slower and fewer finds at 0.2-0.05 Hz, is there too). The OCV's part of that bound
is the table's slope where the cells' OCV may be, and a table may stop short of the cell's
limits: the lead-acid preset's ends at 2.12 V, its charge limit is 2.45 V. A lead-acid cell
just charged sits on its gassing knee, up to 0.3 V over the table's top, and the drive after
the charge draws that off within ~1 % of its charge (~0.3 V per %, 200 times the table's top
slope): the voltage lagged the current by far more than the bound let it, and its clean
current read noisy (47 of the 49 lead-acid alarms left at 5-20 s, seeds 501-503; one more a
float settling over the table, one a cell run under its bottom). Beyond an end that stops
short of the limit, the table is taken on to the limit over ``LAG_KNEE_PCT`` of charge.

**Few terms.** A window's noise is an estimate, and what a clean sensor shows the floor
is its upper tail, which is wide for few terms: the step-robust estimate of 15 samples
(a window at 0.5 Hz, and at 0.2-0.1 Hz) is worth ~3 independent squares (its minimum
over 3 correlated second differences), and read 7.4x the truth in 1e-4 of white-noise
windows, 11.1x in 1e-6; of 30 (1 Hz) 4.8x and 6.8x. The floors are ~6x the variance of a
sensor twice as noisy as the typical one, and the group ratio and the pack voltage's
residual test (16x) are as near to 15 terms' tail: noisy cell and pack voltages of clean
logs at 0.5 Hz with sensors 1.5-2x the typical one (``benchmarks/bench_clean_hunt.py``,
twins clean). A window of fewer than ``NOISE_FLOOR_TERMS`` terms (30, 1 Hz's) has its
floor and those ratios raised by the ratio of its estimate's upper quantile to that of
30 terms (1e-6, a chi-square of ``NOISE_DOF_ROBUST`` or ``NOISE_DOF_PLAIN`` degrees of
freedom a term, Wilson-Hilferty): 1.66 at 15 step-robust terms, 1.50 plain; a window of
30 or more is judged as before (1 Hz and faster logs are unchanged but for windows a
dropout thinned). The current is not (its estimate is its excess over the load the
voltage explains, judged by its own tests). The conditions of
``bench_clean_hunt.py --runs 150`` at 0.5 Hz with noise x1.5-2 (its other runs are at 1
Hz or faster), tuned on ``--first-seed 10000`` and ``12000`` (20 runs, 480 pack-hours):
noisy voltages 4 -> 0; held out, ``--first-seed 14000 16000 18000`` at 0.5 Hz with noise
x1-2 (73 runs, 1,752 pack-hours): 23 -> 0 (19 pack voltages, 4 cell voltages; the
other kinds the same). The price,
a noisy cell of a 2-cell pack beside a slow drive (``bench_faults.py --parts detection
--brief --cells 2 --cases "sensor_noisy cell_2_v"``): found 24 of 24 at 0.1-1 Hz either
way; within 60 s at 0.1 Hz 14 -> 11 (median 49 -> 64 s, worst 125 -> 142 s), at 0.2 Hz 24
either way (median 17 -> 24 s), 0.5 Hz the same (worst 16 -> 20 s), 1 Hz identical.

**Stuck.** The rule is :mod:`.stuck`'s (shared with the SOC filter's cell
channels); here is its evidence, per 5 s bin. A channel is stuck when its value has not changed at all for 30 s
(exactly: the sum of its squared differences is zero) while, over the 10 min
before it froze (at a log's start, at least 1 min of it), it changed in >= 95 % of the
bins (it is a sensor that normally flickers with noise) and at least half of its
peers changed in the same 30 s. A history of its own as long as that window counts
(white noise spanning the reading's resolution does not hold it for 30 s): a pack
voltage stuck 30-45 s into a rest log, a current 45 s into an LFP HPPC log (its
pulses are steps without noise) had waited for a minute of it and were missed
(``bench_faults --parts detection --first-seed 90 --seeds 3 --onsets 45 --cases
sensor_stuck``: 164 -> 179 of 180 within a minute); until a minute, the channel is
judged on its peers' history too (below).
A sensor stuck in a log's first minute has no history of its own: a cell
voltage or temperature (in a group of >= 3) is then judged on its peers' --
stuck when it has not changed for 30 s while every peer of its kind changed in
that window and all of them together in >= 95 % of their bins since the log's
start (sensors of that kind flicker with noise, this one does not), and their
flicker was white noise (pooled, ``_peers_white``): cells of a noise-free float
charge ramp to their float voltage in the first minute, changing every bin, then
hold together (lead-acid, 4 and 16 cells, seeds 0-9: 2 of 40 runs had a cell
reported from 55 s, before). The pack
voltage measures what the cells' sum does: it is stuck when it has not changed
for 30 s and that sum moved since it froze (a load that varies, or a constant
current's drift) by more than a healthy reading holds: two of its resolution --
bounded by its own changes so far: a reading quantised by q changes by multiples
of q, so a bin whose squared first or second differences sum to s > 0 has
q <= sqrt(s), and q is at most its least change between two samples (the bound
that does not grow with the sample rate: at 10 Hz a bin's sum of 49 squared changes
bounded a reading with 4 mV of noise by ~28 mV, its own noise never spanned that,
and at rest, where the cells' sum does not move, a stuck pack voltage was missed;
``bench_faults --first-seed 90 --seeds 2 --rate-hz 10 --parts detection --cases
"stuck voltage_v"``: 9 -> 24 of 24 within a minute) -- plus the range of the sum's noise (9 sigmas of its bin means, at
least those of cells read to 1 mV), and at most ``STUCK_PACK_MOVE_V``, which no
sensor's resolution hides. The twin decides with a history of its own too: the
pack voltage's history (flicker, peers that changed) counts only once its own noise
-- the second differences of its difference from the cells' sum, less the cells',
so that a load moving both is not its noise -- spans its resolution bound
(``STUCK_PACK_DITHER``): then it cannot hold a reading for 30 s by chance. A coarse
reading that sat on a step and toggled, then held as the value left the step while
the cells flickered, was reported by its history alone: a 4/16-cell pack read to 20
or 50 mV with 2 mV of noise, at 4 offsets (3 chemistries x 6 profiles, 1 h, seeds
0-3), 34 of 1,152 runs, most of them 16-cell LFP under a 1C discharge or in the
rest after it; now none, and on seeds 20-23 (not tuned on) none (29 before), while a stuck
pack voltage is found as before (``--cases "sensor_stuck voltage_v"``, seeds 300-303,
4/16 cells: random onsets 96 of 96 within a minute, onsets 5/30 s 140 of 192). The
current's twin is the cells' voltage:
it is stuck when it has not changed for 30 s while the mean cell voltage jumped
meanwhile by what a change of C/2 makes through R0 (a load that changed;
``STUCK_CURRENT_JUMP_C``) -- in a log's first minute, and whenever its history
has no white noise of its own (a drive's first two minutes, whose load changes
dwarf the sensor's noise: a 16-cell LFP pack's current stuck 120 s into a drive was
missed; ``bench_faults --first-seed 50 --seeds 4 --profiles drive cycle hppc rest
cc cccv --onsets 60 120 900 --cells 4 16 --cases "sensor_stuck current_a"``: 430 ->
432 of 432 within a minute, the two missed now at 29 and 59 s). Otherwise a constant current from a log's
start (a CC phase, a cycler's exact setpoint) is not evidence of a stuck sensor:
it needs its own minute of history. A pack temperature beside >= 3 cell
temperature sensors is judged on them like a cell sensor once it flickered in
every bin (>= 1) it had before it froze: stuck 5-45 s into the benchmark's logs
(3 chemistries x 4/16 cells x 4 profiles x 3 seeds) it is found in 29 s, where
before it was missed; one constant from the first bin on is not judged (a pack
temperature moves slowly and may be a coarser sensor than the cells').
At rest or under a constant current the current's twin does not move, so beside
>= 3 cell voltages it is judged on the cells like a pack temperature, but only
once it showed white noise of its own (second differences as large as its first
differences give, ``STUCK_WHITE_MIN``) in every bin before it froze but one (the
log's first has too few robust second differences to tell), at least one: a step
or a ramp to a setpoint (a cycler starting its CC step) changes a value without
it. Stuck 30 s into the benchmark's logs (``--onsets 30``, 3 chemistries x 4/16
cells x 4 profiles, seeds 300-303) it is found within a minute in 79 of 96 runs
(a minute of its own history was needed before, which a stuck sensor never
gets): in 29 s, but for an HPPC log, whose pulses before the freeze are steps
without white noise (64-74 s, when a pulse moves the twin). The pack voltage is
not judged so: a coarse reading sitting on a step of its resolution toggles like
white noise, then holds while the cells flicker (a 4-cell LFP pack read to 20 or
50 mV on a C/2 charge was reported 39 s into the log). Its twin under a constant
current is quick enough: stuck from the fifth or the 30th second (``--onsets 5
30``, seeds 300-303) it is found within a minute in 72 and 68 of 96 runs, all but
the 24 at rest (and 4 HPPC logs at 30 s, found at 64 s; was 41 and 89 with a
fixed 0.2 V and the white-noise test, 69 and 96 in all); seeds 320-323: 72 and 69
(was 43 and 88). At rest nothing moves -- the cells' sum by their noise only, the
current's twin not at all -- and a held reading after a bin or a few of history is
what a coarse healthy sensor shows too: nothing is reported before 30 s of its own
history (above). Neither is a current held from the fifth second
under a constant current: a cycler that measured its rest for 5 s and then writes
its CC setpoint exactly looks the same.
A history of its own counts only when the flicker in it was white noise of its
own (``STUCK_OWN_WHITE``: in the baseline's median bin that changed, its
step-robust second differences give a tenth or more of the variance its first
differences give; white noise ~0.8): a reading with noise cannot hold for 30 s, one
that only drifted -- a ramp or a decay read to a resolution -- holds when a
controller holds its value. A clean CC-CV charge written to 6 significant digits
(`batteryos simulate -o`) holds the pack (0.1 mV) and the cells below the limit
(10 uV) in CV while the current tapers, and the cells' ramp before it changed every
bin: they were reported stuck (a 3-cell cycle run: the pack and cell_1 in each CV
phase), and now are not; so is any controlled hold (CV on the pack, a CC current
read with a cycler's setpoint, a rest) of a reading without noise. A current
frozen from a log's start is judged on the median cell's bend (of 1 or 2 cells,
the lesser where they agree): a load change bends the cells alike, a noisy cell
sensor only its own (a 4-cell cycle run's exact -5.0 A was reported
stuck beside a noisy cell_2, from 865 s).
That bend is what a load that changed makes, less what the held current makes through the
OCV (:meth:`SensorDetector._held_bend`): the bin means of an OCV linear between the
table's points bend at a point by its change of slope times the charge a bin moves (%
SOC) times a quadratic B-spline's weight (at most 3/4), the way its slope changes whichever
way the current flows. In 5 s bins that is a few mV at most, but a bin is two samples
long: a C/2 discharge logged every 10 minutes moves 17 % of its charge a bin, its cells'
bin means bent by 40-100 mV where NMC's or LFP's slope changes, and its exact, noise-free
current was reported stuck (from 1,200 s on NMC, from the start on LFP; simulated CC,
CC-CV and cycle logs at 60-600 s a sample likewise, every chemistry). Where the cells read
off the table (a 1-cell LFP pack run under its 2.0 V floor, charged back through the
over-discharge's knee) the OCV's slope is unknown: the twin does not judge there.
A peer counts as having changed meanwhile only where it changed in two of the window's
bins (``STUCK_PEER_BINS``), by two steps of its resolution at least: noise, or a load,
moves a reading every bin, and a healthy reading beside such peers cannot hold; a
noise-free relaxation read to a resolution steps once in a while near its end, and a
healthy cell a little ahead of its peers holds while they step once more (an HPPC or CC
rest logged every minute to 10 uV, 6 significant digits: a cell 'stuck' from 2,160 s --
12 of 384 noise-free 24 h runs at 60-600 s a sample, NMC 3/4/16 cells, LFP 3/16 cells).
A channel judged on its peers' history (a log's first minute) keeps its rule.
A noise-free, piecewise constant signal (a simulated current without noise)
never qualifies, by the 95 % rule; nor does a voltage frozen exactly at a limit
(a noise-free CV phase holding the highest cell at ``cell_v_max``), nor a
current frozen at exactly zero after a CV taper (a cycler's rest: cyclers write
0 A when no current flows; a current sensor stuck at exactly 0 A is missed).

**Coarse sensors.** Every channel's quantum is learnt from its readings
(:mod:`.resolution`: the pack voltage's resolution bound above is its least bound). A
history of its own counts for a stuck sensor only where its white noise spans its
known quantum (variance >= ``STUCK_PACK_DITHER`` q², the pack voltage's rule, for
every channel): a whole-degree sensor with 0.3 degC of noise reads one value for 30 s
in ~5 % of windows where the temperature sits mid-step (a clean 4-cell NMC pack on
HPPC: its pack temperature 'stuck' 4 times a day), and a noise-free 1 mV cell on LFP's
plateau holds while its peers step. Only a twin then judges it (the pack voltage's,
the current's): a stuck whole-degree cell temperature is missed. The twins judge a
frozen pack voltage or current whatever it did before the freeze (no flicker in 95 % of
its baseline's bins needed): a healthy reading cannot hold while the cells' sum moves by
two of its quanta and their noise's range, nor while the cells bend by a C/2 change through
R0 -- and a coarse reading with noise under its quantum holds in a drive's cruise, so it
never had that flicker (``bench_faults --brief --parts detection --resolution temp=1
current=0.1 cell_v=0.001 pack_v=0.1 --cases sensor_stuck``: 32 -> 37 of 120 within a
minute; 79 of the 88 runs whose noise is under half the quantum are at the resolution
limit -- the true value moved less than a quantum within the minute: no reading tells
them -- and 5 of the other 9 are found now, none before). A noisy channel must be noisier than its resolution: the
floor is raised by ``QUANTUM_NOISE`` q² (a pack voltage read to 0.1 V toggling between
two steps).
Judged on its peers' history in a log's first minute, a grouped channel or the pack
temperature known to be quantised before its run of unchanged bins began (a hold makes
a reading known: a stuck sensor's own would excuse it; a fine 0.3 degC cell temperature
stuck 5 s into a log was given a quantum so), whose own noise does not span its
quantum, is stuck only once its peers' median moved by ``STUCK_QUANTA`` quanta over
that run (:func:`.stuck.past_quantum`; the open run's extremes, quantum and noise sums
carried to the next batch): the flicker of its first bins is no noise of its own, but a value by a step's
edge toggling on it. A 16-cell NMC pack's hottest-sensor temperature read to whole
degrees at 10 Hz changed 26, 19, 26, 16, 10, 6, 8 and 4 times in its first 5 s bins,
then held from 40 s as the pack warmed away from the edge, its cells' median by 0.4
degC in the 50 s it held: it was reported stuck (every spread, ``cycle`` and ``cc``).

**Peers that moved.** A reading without noise -- a BMS reading its cells to 1 mV, a clean
lab logger, a simulated log -- has no white noise of its own, and its history never
counted: a stuck cell voltage or cell temperature of a noise-free log was never found
(``bench_faults --parts detection --cases "sensor_stuck cell" --noise-scale 0``: 0 of 96 at
1 Hz). A healthy one holds its reading while its true value stays within a step; its peers
show where that value went. A grouped channel (>= 3 of its kind) frozen at no setpoint is
stuck once every peer moved since its run of unchanged bins began (the greatest less the
least of the peer's bin means) by ``STUCK_PEER_QUANTA`` quanta -- its own as known before
the run, the peer's, and at least what a BMS reads (1 mV, 0.01 degC: the finest step a
reading without noise is taken to have) -- plus ``STUCK_PEER_NOISE_SIGMAS`` sigmas of the
peer's bin mean (its white noise since the log's start); and, for a cell voltage, once the
load moved too: the current's bin means' range (less its noise's) times the least R0 a cell
may have (the spec's at the cells' temperature, over ``CURRENT_LOAD_MARGIN``'s spread) is
as many quanta. A cell in series with its peers moves with a load by its own R0 times the
same current; it does not drift with them: a constant current moves each cell along its
own OCV, and where the OCV's slope changes (LFP's plateau ends) a cell a little behind its
peers holds a 1 mV reading for a minute or more while they climb by 4-8 mV (a noise-free
4-cell LFP ``cycle`` read to 1 mV, seed 2: cell_4 at 3.334 V from 10,120 s, reported before
the load test). So a stuck cell voltage is found under a load that varies (a drive, HPPC
pulses), or under a held current once the least drift a healthy cell shows along its OCV
meanwhile is as many quanta (``STUCK_DRIFT_CAPACITY``: the least slope of the spec's table
where the held reading's OCV may be, times the charge moved, less what the current's
change over the run moves the resistance drop by) -- not at rest, where nothing moves,
nor soon on LFP's plateau read to 1 mV, whose slope is near nil (a healthy cell behind its
peers at the plateau's end, the 3.334 V one above, stays quiet), nor where the OCV may be
beyond the cell's limits, or over the table's top on a charge (charge there may go to
gassing, not the OCV). Beyond a table's end that stops short of the cell's limit its knees
are taken (``LAG_KNEE_PCT``; only lead-acid's preset has them), steeper than the table: a
lead-acid cell under 1C reads under the table's bottom (1.94 V) while its OCV may be over
its top by 1.5 times its resistance's drop (0.26 V at 100 A), and with the table's ends
as the limit it was never judged (a stuck cell on a noise-free 1C discharge: 0 of 8 found;
with the knees, read to 1 mV, 8 in 119-124 s). A reading finer than ``STUCK_CELL_FINE_V``
(its own changes bound its quantum so), beside peers read so, is judged by that drift in
quanta of it (0.04 mV, not 1 mV: a noise-free log written to 6 significant digits, a
simulated one): a stuck cell on LFP's plateau at 1C, whose OCV drifts 0.4 mV a minute, was
found after 604 s, now 34 s; on a C/2 CC-CV charge through LFP's flattest stretch (50-60 %
SOC, a least drift of 0.2 mV a minute) 54-58 s (64-68 s with quanta of 0.05 mV). Not by the load's test (a CV phase's taper moves the cells
below the limit by R0 dI against their OCV's drift, and they hold to 10 uV). With noise a
held reading is found by its own history (above) first. A temperature has no such test:
the cells share the current's heat, and a healthy sensor moves with its peers, each
warming or cooling towards its own steady state; read finer than ``STUCK_TEMP_FINE_C``
(0.001 degC: a simulated log, one written to 6 significant digits) beside peers read so,
it is stuck once every peer moved by 4 of that, not of 0.01 degC: a stuck cell temperature
of a noise-free LFP pack on a 1C discharge, whose cells warm by ~0.04 degC a minute at
600 s and a third of that at 1,800 s, was found after 64-69 and 159-164 s, now 29 s. A
healthy one holds while its true value stays within its step, and each cell warms or
cools along its own first-order curve under the same current: in clean noise-free logs,
float or read to 0.1 or 1 mdegC, with cooling and heat capacities spread by 20 %, none
held while every peer moved 4 mdegC (``bench_faults``, session 38).
"""

from __future__ import annotations

import math

import numpy as np

from app.core import schema
from app.core.spec import (
    RESISTANCE_CORRECTION_RANGE_C,
    BatterySpec,
    resistance_temperature_factor,
)
from app.diagnostics.faults.bins import MIN_GROUP, BinBatch, Layout, median_rows
from app.diagnostics.faults.common import (
    C2_MIN,
    D2_VARIANCE,
    MERGE_GAP_S,
    History,
    bins_for,
    nonzero2,
    one_c_a,
    run_length,
    running_totals,
    sum_rows,
    white_noise_var,
)
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.resolution import FLOAT_UNITS
from app.diagnostics.faults.stuck import (
    MIN_SAMPLES,
    STUCK_MIN_BASELINE_S,
    STUCK_WINDOW_S,
    at_setpoint,
    latch_stuck,
    past_quantum,
    stuck_trigger,
)
from app.diagnostics.faults.types import FaultKind

NOISE_WINDOW_S = 30.0
#: ... and at least this many samples (see "Slow logs"; the 30 s window held 15 at
#: 0.5 Hz, and 3 at 0.2 Hz: under ``MIN_SAMPLES``, never judged).
NOISE_WINDOW_SAMPLES = 15
#: Noisy: 4x the group's median noise (sigma), and above the floor of its kind.
NOISE_RATIO = 4.0
#: Floors, one sigma per sample, ~4-5x typical BMS sensor noise (cell voltage
#: 2 mV, current 0.5 % of 1C, temperature 0.3 degC; see the simulator's noise
#: model and the front-end data sheets it cites).
NOISE_FLOOR_CELL_V = 0.010
NOISE_FLOOR_CURRENT_C = 0.025
NOISE_FLOOR_T_C = 1.5
NOISE_DEBOUNCE_S = 5.0
#: A window's noise is an estimate from its few terms, and its upper tail is what a
#: clean sensor shows the floor: the floors hold as set for a window of this many terms
#: (a 30 s window at 1 Hz), and one of fewer terms has its floor raised by the ratio of
#: the two windows' upper quantiles (``NOISE_FLOOR_Z``) of a white-noise estimate (see
#: "Few terms"). Channels judged on their own window's estimate only: the cell and pack
#: voltages and the temperatures (not the current, whose estimate is its excess over
#: the load the voltage explains).
NOISE_FLOOR_TERMS = 30
#: ... the quantile: one window in 1e6 of white noise over it.
NOISE_FLOOR_Z = 4.753
#: ... of the estimate as a chi-square with this many degrees of freedom per term
#: (Wilson-Hilferty's cube root; fitted on 1e7 white-noise windows of 10-90 terms at the
#: 1e-6 quantile, within 3 %): the step-robust estimate 0.19 (the minimum over 3
#: correlated second differences: 15 terms are worth ~3 independent squares, its 1e-6
#: quantile 11.1 times the truth; 30 terms 6.8), the plain one 0.49 (15 terms 5.9; 30,
#: 3.9).
NOISE_DOF_ROBUST = 0.19
NOISE_DOF_PLAIN = 0.49
#: A reading quantised by q that toggles between two steps (a value sitting on a step,
#: with noise of its own below q) shows a white-noise variance its sensor does not
#: have: q²/4 on average by the plain estimate, 0.43 q² by the step-robust one (Monte
#: Carlo), more in a 30 s window. A channel's floor is raised by this many q², q as
#: known by then (see :mod:`.resolution`): noise that spans a quantum, as
#: ``STUCK_PACK_DITHER``. (A pack voltage read to 0.1 V with 4-8 mV of noise read
#: 29-50 mV, over its 20-40 mV floor: 4,800 false alarms in 960 clean pack-hours.)
QUANTUM_NOISE = 1.0
#: The pack voltage's floor is raised by ``QUANTUM_NOISE`` times its resolution bound
#: squared (its least change between two samples so far, or its sums' bound: the
#: quantum itself from a rounded reading's first change, next to nothing within a few
#: samples of a fine one with noise; see ``_pack_resolution``), not only once its
#: quantum is known: a 16-cell lead-acid float charge's first minute read to 0.1 V, a
#: ramp of 0.4 of a quantum a second whose rounding makes every second difference a
#: quantum, read 0.46 q² before any bin held its value (its floor then 1.6e-3 V²). And a
#: window whose every bin read at most two adjacent steps (the readings' range within
#: this many of that bound: one quantum, and float32's rounding) is not judged: noise
#: that never reaches a third step is under a quantum, which the rounding hides. A value
#: on a step's edge toggles (second differences of up to two quanta: up to 4 q² / (6
#: C2_MIN) = 2.47 q² by the step-robust estimate, every sample the other step): a clean
#: 16-cell lead-acid cycle read 1.0-1.2 q² in a 30 s window of it, over the floor; a
#: noisy sensor of the simulator's, 2 quanta at 0.1 V, spans 3 or more steps in nearly
#: every 5 s bin.
PACK_TWO_STEPS = 1.5
#: The pack voltage beside cell voltages is judged by its difference from their sum, and
#: cells read to a quantum (known, see :mod:`.resolution`) without noise that spans it
#: err by their rounding, each within half a quantum: the sum's error spans at most the
#: sum of their quanta. In a series string they move together (a load moves each by its
#: R0 times the same current), so their roundings step at nearly the same samples, and
#: the step-robust estimate of the sum's error -- steps of several cells in consecutive
#: samples, which the minimum over 3 keeps -- is not the sum of the cells' own (isolated
#: steps, which it drops): a noise-free 16-cell LFP drive read to 10 mV read 2e-3 V² (45
#: mV) in its difference from the cells' sum against 1.1e-4 V² for the cells, over the
#: 40 mV floor, 16x theirs (``bench_faults --parts clean --noise-scale 0 --resolution
#: cell_v=0.01 --first-seed 1470``, seed 1471). So the pack voltage is noisy only in a
#: window with a bin in which that difference spanned more than this times the cells'
#: quanta and its own (a quantum each, the pack's its resolution bound; the margin:
#: float32's rounding of the samples): what rounding alone cannot. A noisy pack sensor of
#: the simulator's (0.2 V) spans 0.46 V in a 5-sample bin on average, 16 cells read to 10
#: mV 0.16 V at most.
CELLS_ROUNDING_SPAN = 1.01
#: The load curvature the voltage explains, counted double (R0 uncertainty).
CURRENT_LOAD_MARGIN = 2.0
#: ... and this in a slow log (samples ``SLOW_LOG_DT_S`` or more apart): there the
#: voltage follows a load through R0 and the polarisation's lag, which cancels part of
#: it where the load's second differences alternate from sample to sample (a drive read
#: every 5-10 s; see "Slow logs").
CURRENT_LOAD_MARGIN_SLOW = 3.0
#: Clean 4-cell LFP drives (seeds 720, 761): the voltage carried at least 0.70 (1st
#: percentile of the windows with a load) of the load's variance through R0 read every
#: 2 s, 0.60 every 3 s, 0.47 every 5 s and 0.54 every 10 s; the margin of 2 covers 0.5.
SLOW_LOG_DT_S = 4.0
#: In a slow log the voltage also follows the current held over the sample before
#: (see "Slow logs": the RC pairs' and the OCV's integral of it, kappa per sample, as a
#: multiple g of R0): the load's curvature it explains is judged with a lag of at most
#: what the voltage's own second differences leave room for beside the products and at
#: most the spec's bound: the RC pairs' R (1 - exp(-dt / tau)) over R0 and the OCV
#: table's steepest slope (per sample and ampere, over R0) within this many times the
#: cells' resistance (R0 + R1 + R2) times the bin's mean current of the mean cell voltage
#: (V = OCV + R I: on the side the OCV is; the cells' polarisation, a cold cell's R) ...
LAG_OCV_DROP = 1.5
#: The lag is modelled in logs of a sample every this many seconds or more (at 1 Hz its
#: bound is a few hundredths of R0 on the plateaus; the clean days had no false alarm
#: there, but 12 on LFP at 2 s and 71 at 3 s).
LAG_MIN_DT_S = 2.0
#: ... and this many volts (a cell's polarisation left from the bins before).
LAG_OCV_MARGIN_V = 0.01
#: An OCV table may stop short of the cell's limits (the lead-acid preset's BU-903 table
#: ends at 2.12 V, its charge limit is 2.45 V, its discharge limit 1.75 V under the table's
#: 1.94 V): beyond its ends the cell's voltage runs to the limit within this much of its
#: charge (% SOC) -- the gassing overpotential and surface charge of a lead-acid cell just
#: charged, drawn off as a discharge starts (~0.3 V per % of charge, see
#: :mod:`.cell_resistance`), the collapse at the end of discharge -- and the lag's bound
#: takes those knees as the table's segments beyond its ends.
LAG_KNEE_PCT = 1.0
#: A cell voltage without a group (see Slow logs) in a log of a sample every
#: ``LAG_MIN_DT_S`` or more also carries the lag's part of the load held between samples:
#: up to the spec's bound g (as a multiple of R0) times the previous first difference of
#: the held load, logged or not (a drive's current changes every second between slow
#: samples); its allowance is raised by this many times g² times the logged current's
#: mean squared first differences (the unlogged load's swing is the logged samples': a
#: drive's pulse between two 10 s samples of -1.3 and -1.9 A reached -5.7 A). Clean 1-
#: and 2-cell drives at 5, 10 and 20 s (seeds 501-503, 54 days; 408 is the test's): 138
#: noisy cell voltages with none, 83 with 1, 38 with 4, 14 with 9, 10 with 12, 7 with 16.
LONE_LAG_LOAD = 12.0
#: The current's estimate is the plain one unless this many times the step-robust
#: one is smaller (a step the voltage does not follow: the robust one drops it). White
#: noise, 30 s windows at 1 Hz (Monte Carlo, 7e4 windows): the smaller of the two
#: differs from the plain one in 0.7 % of them, and its 5th percentile is 0.49 of the
#: truth (the plain one's 0.49; the smaller of the plain and the bare robust one, 0.33).
CURRENT_ROBUST_SLACK = 3.0
#: The voltage must follow the current's excess over its floor: a load of variance L
#: moves the reference by R0 d2I, so the products of their second differences give
#: R0 L, at least ``1 / sqrt(CURRENT_LOAD_MARGIN)`` of it for an R0 that differs from
#: the spec's (the margin the plain reference takes); a current whose excess the
#: products fall short of by this many standard errors is noisy (see Noise).
CURRENT_FOLLOW_Z = 3.0
#: The variance of the mean of a window's products over the Gaussian one's: the
#: second differences of white noise are correlated at lags 1 and 2 (-2/3, 1/6),
#: their products at (4/9, 1/36): 1 + 2 (4/9 + 1/36) = 1.94.
CURRENT_FOLLOW_SE = 2.0
#: A warm pack's R0 is smaller than the spec's (25 degC): the load it explains is judged
#: with R0 times the Arrhenius factor of the cells' median temperature where they are
#: warmer (``resistance_temperature_factor``; the least of a window's bins), never
#: larger (a cold pack's R0 is larger: the spec's stays the bound), and at most the
#: factor at this temperature (the end of the range the law is used over; a cell in
#: runaway is not the pack).
R0_WARM_MAX_C = RESISTANCE_CORRECTION_RANGE_C[1]
#: Where the load is *taken off* a voltage (cell voltages with no group, the pack
#: voltage without cells: the current's curvature times R0²), a cold pack's larger R0 is
#: the bound: R0 times the Arrhenius factor where the cells are colder than the spec's
#: 25 degC (the greatest of a window's bins), at most the factor at this temperature.
#: The spec's R0 read a clean 1-2 cell NMC drive at 0 degC (R0 x1.9) as noisy cell
#: voltages 11-24 times in 6 h at 1 Hz, 72-152 at 0.5 Hz, noise-free twins alike
#: (``benchmarks/bench_clean_hunt.py``).
R0_COLD_MIN_C = RESISTANCE_CORRECTION_RANGE_C[0]
#: Without an ECM in the spec (no R0), the current's floor is raised to this.
NOISE_FLOOR_CURRENT_NO_ECM_C = 0.10
#: (``MIN_GROUP``, :mod:`.bins`': groups smaller than it have no robust median, only
#: the floor applies.)

#: (STUCK_WINDOW_S, STUCK_MIN_BASELINE_S -- the least baseline, a log's first
#: minutes --, STUCK_PEERS and MIN_SAMPLES -- also the least of a noise window --
#: are the rule's, :mod:`.stuck`.) The baseline: the bins of the 10 min before a
#: freeze, >= 95 % of them changed.
STUCK_BASELINE_S = 600.0
STUCK_FLICKER = 0.95
#: A peer moved meanwhile (a channel judged on its own history) when it changed in at
#: least this many of the stuck window's bins (by two steps at least: see Stuck).
STUCK_PEER_BINS = 2
#: Twice the coarsest pack-voltage resolution of BMS protocols (0.1 V, Daly).
STUCK_PACK_MOVE_V = 0.2
#: ... or less, for a sensor whose own changes bound its resolution q (a reading
#: quantised by q changes by multiples of q: any bin whose squared differences sum
#: to s > 0 has q <= sqrt(s)): this many of that bound (a healthy reading holds
#: while the true value stays within one quantum, widened by its own dither) ...
STUCK_PACK_QUANTA = 2.0
#: ... plus this many sigmas of the cells' sum's bin mean (its white noise, from
#: the mean cell's second differences; the range of a day of 5 s bins of Gaussian
#: noise stays under ~9 sigmas).
STUCK_PACK_NOISE_SIGMAS = 9.0
#: Cell voltages are read to 1 mV or finer (BMS front ends and protocols): the
#: cells' sum of readings that do not dither errs by their rounding, whose
#: variance (n q²/12) the noise of the sum's bin means is never taken below.
STUCK_CELL_RESOLUTION_V = 0.001
#: A pack voltage's own history is evidence of a stuck reading only when its own white
#: noise (that of its difference from the cells' sum less the cells', since the log's
#: start) is at least its resolution bound (variance >= this times q²): 30 samples of noise of one
#: quantum fall within one quantum with a chance under 1e-12. A coarse reading that
#: sits on a step and toggles shows ~0.4 q² (and holds once the value leaves the
#: step): it is judged on its twin alone.
STUCK_PACK_DITHER = 1.0
#: A current frozen from a log's start is stuck when the mean cell voltage jumps
#: meanwhile: its 5 s bin means bend (second difference) by what a change of C/2
#: makes through R0, and at least 20 mV (38 mV on the NMC and lead-acid presets,
#: 20 mV on LFP). Under a constant current they bend by < 12 mV even at the steep
#: ends of the OCV curve (the presets' noise-free CC, CC-CV and cycle runs), while
#: a load that changes -- a drive, a pulse -- bends them by R0 times its step (half
#: of it for a step in mid-bin).
STUCK_CURRENT_JUMP_C = 0.5
STUCK_CURRENT_JUMP_MIN_V = 0.020
#: ... less what the held current bends them by through the OCV (see Stuck, slow logs):
#: the bin means of a ramp with a knot bend by its change of slope times a bin's run
#: times a quadratic B-spline's weight, at most this.
HELD_BEND_WEIGHT = 0.75
#: White noise in a bin (a pack voltage or current judged on its peers in a log's
#: first minute): the variance its second differences give at least this fraction
#: of the one its first differences give (~1 for white noise; a bin of 5 samples of
#: it falls below 0.002 in 0.2 % of bins, Monte Carlo; a ramp or a smooth curve
#: gives ~1e-4 or less: the float charger's ramp ~1e-6), from at least this many
#: robust second differences (a log's first bin has one).
STUCK_WHITE_MIN = 0.002
STUCK_WHITE_TERMS = 3
#: A history of its own is evidence only when the channel showed white noise in it:
#: in the median bin that changed, its (step-robust) second differences give at least
#: this fraction of the variance its first differences give (Monte Carlo: white noise
#: 0.79 in a bin of 5 samples, under 0.1 in 6 % of them, the median of 12 or of 120
#: bins never in 2e4 windows; the same rounded to 0.5-2 sigma 0.82-0.93; a ramp rounded
#: to 7.4 quanta a sample 0.009 -- a C/2 charge's cell read to 10 uV --, to 2.3 or
#: fewer 0: the step-robust minimum drops a rounding's isolated second differences).
STUCK_OWN_WHITE = 0.1
#: ... and for a channel summed without the step-robust minimum (the temperatures,
#: which do not step) this fraction: a drift read to a resolution -- a noise-free
#: temperature written to 6 significant digits (0.1 mdegC) -- changes by a quantum
#: now and then and its first differences never change sign from one sample to the
#: next, so its second differences give at most 2/3 of the variance its first
#: differences give (sum d2² = sum d² + sum d'² - 2 sum d d', the last >= 0), the
#: ratio a quantum once a bin gives (1, 0, 0, 0: 2/3), while white noise's
#: alternate (E[d d'] = -s²: ~1). Noise-free lead-acid logs (3 cells, drive and
#: float, seeds 0-9) gave 0.12-0.67, and their temperatures were reported stuck
#: when the drift slowed below a quantum per 30 s (12 of 30 runs); Monte Carlo,
#: white noise plain or rounded to 0.5-3 sigma: the median of 12 bins (the least
#: baseline) falls under 0.75 in 0.5 % of windows, of 24 in 0.03 %, of 120 never
#: (2e4 windows each).
STUCK_OWN_WHITE_PLAIN = 0.75
#: A grouped channel (a cell voltage or temperature among >= 3 of its kind) frozen at no
#: setpoint is stuck once every peer moved (its bin means' greatest less least since the
#: run of unchanged bins began) by this many of the reading's quantum -- the greatest of
#: its own as known before the run, the peer's and the finest a reading without noise is
#: taken to have (``STUCK_CELL_RESOLUTION_V``, ``STUCK_TEMP_RESOLUTION_C``) -- and, for a
#: cell voltage, the load moved a healthy cell by as many of its own (see Peers that
#: moved): a healthy reading holds only while its true value stays within a step, and a
#: cell moves with its peers by at least 1/sqrt(``CURRENT_LOAD_MARGIN``) of their R0 ...
STUCK_PEER_QUANTA = 4.0
#: ... plus this many sigmas of the peer's bin means (its white noise since the log's
#: start: a noisy peer's bin means scatter without a move; the current's, for the load).
STUCK_PEER_NOISE_SIGMAS = 9.0
#: A cell voltage's peers moved on a held current (a constant-current phase, where the
#: load test sees nothing): a healthy cell drifts along its own OCV meanwhile, by at least
#: the charge moved -- the least magnitude of the current's bin means over the run (one
#: sign throughout), over the spec's capacity times this (a cell may hold more than its
#: rating) -- times the least slope of the spec's OCV table where the cell's OCV may be
#: (its held reading a quantum either side, less its resistance drop, see
#: ``LAG_OCV_DROP``; the table with its knees, ``LAG_KNEE_PCT``; not judged where that
#: reaches the cell's limits, or over the table's top on a charge), less what the
#: current's change over the run moves that drop by; stuck once that is
#: ``STUCK_PEER_QUANTA`` of its quanta (see Peers that moved). On LFP's plateau the slope
#: is near nil: quiet there.
STUCK_DRIFT_CAPACITY = 1.25
#: ... and a cell voltage read finer than this (its own changes bound its quantum so: a
#: reading quantised by q changes by multiples of q, see :mod:`.resolution`), beside peers
#: read so, is judged by the held current's drift in quanta of this: its reading holds
#: only while its true value stays within its own finer step, and this floor, not that
#: step, is what the drift along the OCV must pass (4 of it, 0.16 mV), with every peer
#: moved as far. What else moves a cell under a held current -- its polarisation relaxing
#: from a current before the run, its resistance as it warms -- its peers in series share;
#: the floor keeps a cell at a turning point of the two from being judged on a drift of a
#: few microvolts. Not the load's test: a CV phase's taper moves the cells below the limit
#: by R0 dI against their OCV's drift, and they hold to 10 uV. (0.05 mV, 0.2 mV in all,
#: took 64-68 s on LFP's flattest stretch at C/2: a CC-CV charge through 50-60 % SOC,
#: 0.3 mV per %, whose least drift over the capacity's margin is 0.2 mV a minute -- a
#: minute and the bins' phase; 0.16 mV is passed within 48 s of hold, found in 54-58 s.)
STUCK_CELL_FINE_V = 0.00004
#: The finest step of a cell temperature reading without noise (a lab logger's 0.01 degC;
#: BMSs read 0.1 or 1 degC).
STUCK_TEMP_RESOLUTION_C = 0.01
#: ... and a cell temperature read finer than this (its own changes bound its quantum so:
#: a simulated log, one written to 6 significant digits, 0.1 mdegC), beside peers read
#: so, is stuck once every peer moved by ``STUCK_PEER_QUANTA`` of this (see Peers that
#: moved): its reading holds only while its true value stays within its own finer step.
#: The cells share the current's heat, each warming or cooling towards its own steady
#: state; on LFP's small resistance a 1C discharge warms them by ~0.04 degC a minute, and
#: 4 of 0.01 degC took 64-164 s.
STUCK_TEMP_FINE_C = 0.001
#: A dropout needs at least two missing samples.
DROPOUT_MIN_SAMPLES = 2.0


def _chi2_upper(dof: np.ndarray) -> np.ndarray:
    """The ``NOISE_FLOOR_Z`` upper quantile of a chi-square over its ``dof`` degrees
    of freedom (Wilson-Hilferty; inf dof: 1)."""
    a = 2.0 / (9.0 * dof)
    return (1.0 - a + NOISE_FLOOR_Z * np.sqrt(a)) ** 3


def few_terms_factor(n2: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """Per window, the factor of a channel's floor (variance) for a noise estimate
    of ``n2`` terms (``dof`` degrees of freedom per term, inf: none): its upper
    quantile over that of ``NOISE_FLOOR_TERMS`` terms, at least 1 (see "Few terms")."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = _chi2_upper(dof * np.maximum(n2, 1.0)) / _chi2_upper(dof * NOISE_FLOOR_TERMS)
    return np.where(np.isnan(ratio), 1.0, np.fmax(ratio, 1.0))


def noise_window_bins(bin_s: float, dt_s: float) -> int:
    """The noise window in bins: ``NOISE_WINDOW_S``, and at least
    ``NOISE_WINDOW_SAMPLES`` samples of ``dt_s`` (see "Slow logs")."""
    return bins_for(max(NOISE_WINDOW_S, NOISE_WINDOW_SAMPLES * dt_s), bin_s, 2)


def _ocv_with_knees(spec: BatterySpec) -> tuple[np.ndarray, np.ndarray]:
    """The spec's OCV table (% SOC, V), and beyond an end that stops short of the cell's
    limit, a knee to it over ``LAG_KNEE_PCT``."""
    soc, ocv = (np.asarray(x, dtype=float) for x in spec.ocv_table)
    if spec.cell_v_min < ocv[0]:
        soc = np.concatenate(([soc[0] - LAG_KNEE_PCT], soc))
        ocv = np.concatenate(([spec.cell_v_min], ocv))
    if spec.cell_v_max > ocv[-1]:
        soc = np.concatenate((soc, [soc[-1] + LAG_KNEE_PCT]))
        ocv = np.concatenate((ocv, [spec.cell_v_max]))
    return soc, ocv


def _groups(layout: Layout) -> list[np.ndarray]:
    return [g for g in (layout.cells_v, layout.cells_t) if len(g) >= MIN_GROUP]


def _peer_matrix(layout: Layout) -> np.ndarray:
    """0/1 matrix: row r marks the channels r is compared with."""
    c = layout.n_rows
    p = np.zeros((c, c))
    cv, ct = list(layout.cells_v), list(layout.cells_t)
    v, i, t = layout.i_v, layout.i_i, layout.i_t
    for r in range(c):
        if r in cv:
            peers = [x for x in cv if x != r] or [i]
        elif r in ct:
            peers = [x for x in ct if x != r] or ([t] if t >= 0 else [v, i])
        elif r == v:
            peers = cv or [i]
        elif r == i:
            peers = [*cv, v]
        else:  # pack temperature
            peers = ct or [v, i]
        p[r, peers] = 1.0
    return p


#: Batches of at least this many bins that judge no run carry the own-noise totals on
#: without the running sums (see SensorDetector._own_sums; fewer: the running sums, which
#: cost no more there).
_TOTALS_MIN_BINS = 256


class SensorDetector:
    """Dropout, stuck and noisy sensors, on every channel."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float, dt_s: float):
        self.layout = layout
        names = list(layout.names)
        c = layout.n_rows
        # 30 s, and at least MIN_SAMPLES samples (a slow log needs a longer window)
        self.ws = bins_for(max(STUCK_WINDOW_S, MIN_SAMPLES * dt_s), bin_s, 2)
        self.wb = bins_for(STUCK_BASELINE_S, bin_s, 4)
        # judged on as little baseline as the stuck window itself (a log's start)
        self.min_base = min(self.wb, bins_for(STUCK_MIN_BASELINE_S, bin_s, 2))
        self.wn = noise_window_bins(bin_s, dt_s)
        self._cx = c + layout.noise_extra
        self._c2 = np.ones(self._cx)  # fraction of white-noise energy kept per row
        self._c2[layout.robust_rows] = C2_MIN
        # each channel's estimate's degrees of freedom per term (see NOISE_FLOOR_TERMS),
        # of its judged row (the pack voltage's residual); the current's floor stays
        dof = np.where(self._c2 == 1.0, NOISE_DOF_PLAIN, NOISE_DOF_ROBUST)
        self._dof = dof[np.arange(c)]
        if layout.noise_extra:
            self._dof[layout.i_v] = dof[c + 1]
        self._dof[layout.i_i] = np.inf
        # the least whiteness of a history of its own (see STUCK_OWN_WHITE_PLAIN)
        self._own_white = np.where(self._c2 == 1.0, STUCK_OWN_WHITE_PLAIN, STUCK_OWN_WHITE)
        # cell voltages with no group to be judged against (1 or 2 cells): the load
        # reaches them as it does the pack voltage (see Slow logs); their plain sums too
        self._lone_cells = layout.lone_cells_v
        self._n_lone = len(self._lone_cells)
        self._noise_hist = History(2 * (self._cx + self._n_lone) + 6, self.wn - 1, 0.0)
        self._hot_hist = History(None, self.wn - 1, 0.0)
        # whether the pack voltage's readings spanned more than two steps in a bin
        self._wide_hist = History(None, self.wn - 1, 0.0)
        # each bin's R0 over the spec's (see R0_WARM_MAX_C, R0_COLD_MIN_C), for the
        # windows: their least (at most 1) and their greatest (at least 1)
        self._warm_hist = History(None, self.wn - 1, 1.0)
        self._chemistry = spec.chemistry
        self._step_hist = History(None, self.wn - 1, 0.0)
        # rows whose per-bin noise is compared with the floor (the pack voltage by
        # its residual against the cells when there are cells)
        judge = np.arange(c)
        if layout.noise_extra:
            judge[layout.i_v] = c + 1
        self._judge_rows = judge
        # inactive and evaluable flags of every row, and the current's quiet (no white
        # noise) flag (the only one read), over the baseline window and the ws bins after it
        self._flag_hist = History(2 * c + 1, self.ws + self.wb - 1, 0.0)
        self._inactive_run = np.zeros(c)
        # baseline counts (inactive, evaluable) before the current run of each row, and
        # of the current's quiet bins
        self._run_base = np.zeros((2, c))
        self._run_base_quiet = 0.0
        self._t0 = History(None, self.ws, np.nan)
        # the cells' sum over the last ws bins (a pack voltage's twin), and the last
        # ws - 1 bin means of each cell (the current's twin: a load change bends all)
        self._cells_sum = History(None, self.ws - 1, np.nan)
        self._cells_tail = np.full((len(layout.cells_v), self.ws - 1), np.nan)
        # (and of the current: the charge a held current moves the cells' OCV by)
        self._i_tail = np.full(self.ws - 1, np.nan)
        # each channel's noise evidence per bin over the baseline window and the ws
        # bins after it: second differences (sums, terms), first differences (same)
        # (and its quantum squared as known by then, see :mod:`.resolution`)
        self._noise_ev = History(5 * c, self.ws + self.wb - 1, np.nan)
        # whether the open run of unchanged bins of each row began after a baseline
        # whose own noise spans its resolution (carried to the next batch)
        self._run_dithers = np.zeros(c, dtype=bool)
        n = spec.series_cells
        self._setpoints = [
            (layout.cells_v, (spec.cell_v_max, spec.cell_v_min)),
            (np.array([layout.i_v]), (n * spec.cell_v_max, n * spec.cell_v_min)),
            (np.array([layout.i_i]), (0.0,)),  # rest
        ]
        self._peers = _peer_matrix(layout)
        self._stuck_state = np.zeros(c, dtype=bool)
        # each row's open run of unchanged bins: every row's least and greatest bin
        # mean over it, and its own quantum squared as known before it began (see
        # _peers_moved_past)
        self._pm_lo = np.full((c, c), np.nan)
        self._pm_hi = np.full((c, c), np.nan)
        self._pm_q2 = np.full(c, np.nan)
        # the least and greatest peers' median over each row's open run of unchanged
        # bins, its own noise sums before that run and since the log's start (see
        # _run_evidence)
        self._prun_lo = np.full(c, np.nan)
        self._prun_hi = np.full(c, np.nan)
        self._prun_s2 = np.full(c, np.nan)
        self._prun_n2 = np.full(c, np.nan)
        self._prun_q2 = np.full(c, np.nan)  # its quantum as known before it began
        self._last_q2 = np.zeros(c)  # the last bin's quantum
        self._own_s2 = np.zeros(c)
        self._own_n2 = np.zeros(c)
        # the least and greatest cells' sum (bin means) over the pack voltage's open
        # run of unchanged bins, kept while that run has no baseline of its own, and
        # the sum and count of the variances of that sum's bin means over the run
        self._vrun_lo = self._vrun_hi = np.nan
        self._vrun_var = self._vrun_n = 0.0
        self._vrun_q2 = np.inf  # the resolution bound at that run's start
        self._pack_least2 = np.inf  # its least change between two samples so far, squared
        # its own white noise so far: the sums of the (step-robust) squared second
        # differences of its difference from the cells' sum, less the cells', and
        # their count (see STUCK_PACK_DITHER)
        self._pack_s2 = self._pack_n2 = 0.0
        self._n_peers = self._peers.sum(axis=1)
        floor = np.full(c, NOISE_FLOOR_CELL_V)
        floor[layout.i_v] = NOISE_FLOOR_CELL_V * math.sqrt(spec.series_cells)
        floor[layout.i_i] = NOISE_FLOOR_CURRENT_C * one_c_a(spec)
        self.r0 = None
        self._follow_r0 = 0.0
        slow = dt_s >= SLOW_LOG_DT_S
        self._load_margin = CURRENT_LOAD_MARGIN_SLOW if slow else CURRENT_LOAD_MARGIN
        self._jump_v = np.inf
        # a slow log's lag of the voltage behind the current (see LAG_OCV_DROP): its
        # per-bin OCV part, over the windows
        self._lag = False
        self._lag_hist = History(None, self.wn - 1, 0.0)
        # the OCV table, with the knees beyond it (see LAG_KNEE_PCT): its points, its
        # segments' slopes (V per % SOC) and its knots' changes of slope, and the % SOC a
        # pack's ampere moves in a second
        soc, ocv = _ocv_with_knees(spec)
        self._ocv_soc, self._ocv_v = soc, ocv
        self._ocv_slopes = np.diff(ocv) / np.diff(soc)
        self._knot_bends = np.diff(self._ocv_slopes)
        self._pct_per_as = 100.0 / (3600.0 * spec.pack_capacity_ah)
        self._bin_s = bin_s
        # the spec's own table's top, for a held current's drift (see
        # STUCK_DRIFT_CAPACITY: the table and its knees, not above the top on charge);
        # the most that drift may be per ampere and bin (none without an ECM: where the
        # OCV may be is unknown)
        self._tab_top = float(np.asarray(spec.ocv_table[1], dtype=float)[-1])
        self._drift_most = 0.0
        self._ocv_drop = np.inf
        if spec.ecm is not None:
            e = spec.ecm.for_capacity(spec.pack_capacity_ah)
            r0 = e["r0_ohm"]
            # the cells' resistance drop per ampere, LAG_OCV_DROP of it: where their OCV
            # may be beside their voltage (see LAG_OCV_DROP)
            self._ocv_drop = LAG_OCV_DROP * (r0 + e["r1_ohm"] + e["r2_ohm"])
            steep = float(np.fmax(self._ocv_slopes.max(initial=0.0), 0.0))
            self._drift_most = steep * bin_s * self._pct_per_as / STUCK_DRIFT_CAPACITY
            # R0 between the current and the reference voltage: the mean cell, or the pack
            self.r0 = r0 if len(layout.cells_v) else r0 * spec.series_cells
            # the least gain from a load's variance to the products (see CURRENT_FOLLOW_Z)
            self._follow_r0 = self.r0 / math.sqrt(self._load_margin)
            jump = r0 * STUCK_CURRENT_JUMP_C * one_c_a(spec)
            self._jump_v = max(jump, STUCK_CURRENT_JUMP_MIN_V)
            if dt_s >= LAG_MIN_DT_S:
                self._init_lag(spec, dt_s)
                self._noise_hist = History(2 * (self._cx + self._n_lone) + 8, self.wn - 1, 0.0)
        else:
            floor[layout.i_i] = NOISE_FLOOR_CURRENT_NO_ECM_C * one_c_a(spec)
        # the bins' screen of the current: a superset of the windows it is noisy in (a
        # slow log's lag model gives its follow test the margin for R0 alone, see
        # LAG_OCV_DROP)
        self._screen_follow_r0 = self._follow_r0
        if self._lag:
            self._screen_follow_r0 = self.r0 / math.sqrt(CURRENT_LOAD_MARGIN)
        floor[layout.temp_rows] = NOISE_FLOOR_T_C
        self._floor2 = (floor**2)[:, None]
        self.groups = _groups(layout)
        # rows judged on their peers' history in a log's first minute (see Stuck)
        self._grouped = np.zeros(c, dtype=bool)
        for g in self.groups:
            self._grouped[g] = True
        # the least quantum of a grouped row's peers' moves (see STUCK_PEER_QUANTA)
        self._peer_q2_floor = np.zeros(c)
        self._peer_q2_floor[layout.cells_v] = STUCK_CELL_RESOLUTION_V**2
        self._peer_q2_floor[layout.cells_t] = STUCK_TEMP_RESOLUTION_C**2
        # ... and of one read finely, beside peers read so (see STUCK_CELL_FINE_V,
        # STUCK_TEMP_FINE_C)
        self._peer_fine2 = np.zeros(c)
        self._peer_fine2[layout.cells_v] = STUCK_CELL_FINE_V**2
        self._peer_fine2[layout.cells_t] = STUCK_TEMP_FINE_C**2
        self._pack_t_peers = layout.i_t >= 0 and len(layout.cells_t) >= MIN_GROUP
        # rows judged on their peers' history and known to be quantised ask for their
        # own noise since the log's start (see Coarse sensors)
        self._young_judged = bool(self._grouped.any()) or self._pack_t_peers
        self._pack_vi_peers = len(layout.cells_v) >= MIN_GROUP
        self.dropout = EpisodeTracker(
            FaultKind.SENSOR_DROPOUT,
            names,
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            min_weight=DROPOUT_MIN_SAMPLES,
            value_name="missing_in_a_bin",
            total_name="missing_samples",
        )
        self.stuck = EpisodeTracker(
            FaultKind.SENSOR_STUCK,
            names,
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            value_name="stuck_value",
        )
        self.noisy = EpisodeTracker(
            FaultKind.SENSOR_NOISY,
            names,
            debounce_s=NOISE_DEBOUNCE_S,
            merge_gap_s=MERGE_GAP_S,
            value_name="noise_sigma",
        )
        # samples in which every channel is NaN: one dropout of the logger (on the
        # channel ``time_s``, as its gaps), not one per channel
        self.logger = EpisodeTracker(
            FaultKind.SENSOR_DROPOUT,
            [schema.TIME],
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            min_weight=DROPOUT_MIN_SAMPLES,
            value_name="missing_in_a_bin",
            total_name="missing_samples",
        )
        self.gaps = GapTracker()

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.dropout, self.logger, self.stuck, self.noisy]

    def process(self, bb: BinBatch) -> None:
        # dropout: NaN samples, the logger's (every channel at once), and gaps in the
        # time stamps
        if bb.nblank.any() or self.logger.has_open_runs:
            blank = bb.nblank[None, :]
            self.logger.feed(bb.blank_t0, bb.blank_t1, blank > 0, 1, blank, weight=blank)
        if bb.nnan.any() or self.dropout.has_open_runs:
            # (a bin of the logger's outage only says nothing of a channel: a channel's
            # dropout goes on through it, to its last sample, if the channel is still
            # out after it)
            outage = bb.nblank >= bb.n
            self.dropout.feed(
                bb.nan_t0,
                np.where(outage, bb.t1, bb.nan_t1),
                bb.nnan > 0,
                1,
                bb.nnan,
                weight=bb.nnan,
                hold=outage,
            )
        self.gaps.feed(bb.gaps)
        # the pack voltage's resolution bound (see Stuck, and :mod:`.resolution`)
        pack_q2 = self._pack_resolution(bb)
        self._noisy(bb, pack_q2)
        self._stuck(bb, pack_q2)

    def _noisy(self, bb: BinBatch, pack_q2: np.ndarray) -> None:
        c, cx, m, lay = self.layout.n_rows, self._cx, bb.m, self.layout
        # a window's mean exceeds the floor only if one of its bins does
        judge = self._judge_rows
        with np.errstate(invalid="ignore", divide="ignore"):
            # (the rows judged only: the same quotients; counts that are one row for
            # every channel, see BinBatch, as that row)
            one_n2 = bb.n2.strides[0] == 0
            n2 = bb.n2[:1] if one_n2 else bb.n2[judge]
            # (the channels' rows read where they are, the pack voltage's from its
            # extra row on its own: the same quotients as from a gathered copy)
            per_bin = white_noise_var(bb.s2m[:c], n2, self._c2[judge, None])
            if lay.noise_extra:
                iv, jv = lay.i_v, judge[lay.i_v]
                per_bin[iv] = white_noise_var(bb.s2m[jv], n2[0 if one_n2 else iv], self._c2[jv])
            if self._n_lone and self.r0 is not None:  # (judged on at most their plain
                # estimate, less the load: see Slow logs)
                per_bin[self._lone_cells] = white_noise_var(bb.s2lone, bb.n2lone)
        with np.errstate(invalid="ignore"):
            floor2 = self._floor2 + QUANTUM_NOISE * bb.q2  # (a coarse reading's own toggling)
            hot_i = False
            if self.r0 is not None:  # the current, less the load the voltage explains
                ref_b = white_noise_var(bb.s2ref, bb.n2ref)
                # (the plain estimate: a window's, the smaller of it and the
                # robust one's multiple, exceeds the floor only if a bin's plain one does)
                i_b = white_noise_var(bb.s2cur, bb.n2cur)
                per_bin[lay.i_i] = i_b - self._load_margin * ref_b / self.r0**2
                # a window whose products fall short of its current's excess has a bin
                # whose products do (means of the bins' values: equal counts)
                x_b = white_noise_var(bb.s2x, bb.n2x)
                hot_i = self._screen_follow_r0 * (i_b - floor2[lay.i_i]) > x_b
            hot = (per_bin > floor2).any(axis=0) | hot_i
        # (read at the candidate windows only)
        # (a slow log's lag model also reads the current's first differences)
        lag_ev = (bb.nd[lay.i_i], bb.sdd[lay.i_i]) if self._lag else ()
        lone_ev = (bb.n2lone, bb.s2lone) if self._n_lone else ()
        full = self._noise_hist.push_lazy(
            (
                bb.n2,
                bb.s2m,
                *lone_ev,
                *lag_ev,
                bb.n2cur,
                bb.s2cur,
                bb.n2ref,
                bb.s2ref,
                bb.n2x,
                bb.s2x,
            )
        )
        hot_full = self._hot_hist.push(hot.astype(float))
        # the pack voltage read more than two adjacent steps in a bin (see PACK_TWO_STEPS)
        iv = lay.i_v
        pack_qe2 = np.fmax(bb.q2[iv], pack_q2)
        with np.errstate(invalid="ignore"):
            wide = bb.sample_range(iv) > PACK_TWO_STEPS * np.sqrt(pack_qe2)
            if len(lay.cells_v):
                # ... and its difference from the cells' sum spanned more than the
                # cells' roundings and its own span (see CELLS_ROUNDING_SPAN)
                rounding = sum_rows(np.sqrt(bb.q2[lay.cells_v]))
                if (rounding > 0).any():
                    span = CELLS_ROUNDING_SPAN * (rounding + np.sqrt(pack_qe2))
                    diff = bb.difference_range(iv, lay.cells_v)
                    wide &= (rounding == 0) | (diff > span)
        wide_full = self._wide_hist.push(wide.astype(float))
        warm_full = self._warm_hist.push(self._r0_factor(bb) if self.r0 is not None else np.ones(m))
        step_full = self._step_hist.push(bb.step_reach.astype(float))
        lag_full = self._lag_hist.push(self._lag_ocv(bb)) if self._lag else None
        w = self.wn
        # the windows (ending at new bins) that contain a hot bin and no step change;
        # no other can be noisy (integer counts: exact)
        hot_cs = np.cumsum(hot_full)
        step_cs = np.cumsum(step_full)
        cand = (hot_cs[w - 1 :] - np.concatenate(([0.0], hot_cs[: m - 1])) > 0) & (
            step_cs[w - 1 :] - np.concatenate(([0.0], step_cs[: m - 1])) == 0
        )
        cols = np.flatnonzero(cand)
        if not len(cols):
            if self.noisy.has_open_runs:
                self.noisy.feed(bb.t0, bb.t1, np.zeros((c, m), dtype=bool))
            return
        # window sums, added in a fixed order (not by cumulative sums, whose rounding
        # would depend on where a call starts)
        # (the columns of the windows: each window's w columns are consecutive there too)
        needed = np.unique((cols[:, None] + np.arange(w)[None, :]).ravel())
        sub = full.columns(needed)
        at = np.searchsorted(needed, cols)
        win = sub[:, at]
        for i in range(1, w):
            win += sub[:, at + i]
        n2, s2 = win[:cx], win[cx : 2 * cx]
        # the least R0 factor of each window's bins (the most load its voltage explains)
        factors = np.lib.stride_tricks.sliding_window_view(warm_full, w)[cols]
        warm = np.fmin(factors.min(axis=1), 1.0)
        # (the greatest: the most load a lone voltage follows, see R0_COLD_MIN_C)
        cold = np.fmax(factors.max(axis=1), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            varx = white_noise_var(s2, n2, self._c2[:, None])
            # plain mean square (steps kept): the load's curvature is never under-counted
            ref_v = white_noise_var(win[-3], win[-4])
            ref_i = white_noise_var(win[-5], win[-6])
            cross = white_noise_var(win[-1], win[-2])
        # (no estimate from fewer than MIN_SAMPLES terms: NaN, not judged; see Slow logs)
        varx[n2 < MIN_SAMPLES] = np.nan
        ref_v[win[-4] < MIN_SAMPLES] = np.nan
        ref_i[win[-6] < MIN_SAMPLES] = np.nan
        var = varx[:c].copy()
        # a window of few terms: its own estimate's scatter (see NOISE_FLOOR_TERMS)
        few = few_terms_factor(n2[judge], self._dof[:, None])
        if len(lay.cells_v):
            # the pack sensor's own noise: V - sum(cells), less the cells' noise
            cells_v_var = var[lay.cells_v]
            cells_var = sum_rows(np.where(np.isnan(cells_v_var), 0.0, cells_v_var))  # nansum
            pack = varx[c + 1] - cells_var
            # the residual must be the pack sensor's, not a noisy cell's
            ratio2 = NOISE_RATIO**2 * few[lay.i_v]
            var[lay.i_v] = np.where(pack > (ratio2 - 1.0) * cells_var, pack, 0.0)
        elif self.r0 is not None:  # no cells: the load curvature the current explains
            # (through a cold pack's R0, see R0_COLD_MIN_C)
            var[lay.i_v] = var[lay.i_v] - self._load_margin * ref_i * (self.r0 * cold) ** 2
        if self._lag:  # a slow log: the voltage lags the current (see LAG_OCV_DROP)
            lag_ocv = np.lib.stride_tricks.sliding_window_view(lag_full, w)[cols].max(axis=1)
            cap = self._lag_cap(warm, lag_ocv)
            with np.errstate(invalid="ignore", divide="ignore"):
                slope_i = white_noise_var(win[-7], win[-8])  # (first differences, /6)
        if self._n_lone and self.r0 is not None:
            # cell voltages without a group: less the load curvature the current
            # explains, as the pack voltage without cells (see Slow logs; where the
            # current is not known, judged as they are), and in a slow log the lag's
            # part of the load held between samples, logged or not (see LONE_LAG_LOAD),
            # from their plain estimate, the step-robust one's multiple where smaller
            # (as the current's; NaN where either is: neither is judged on too few terms)
            cx, nl = self._cx, self._n_lone
            plain = white_noise_var(win[2 * cx + nl : 2 * (cx + nl)], win[2 * cx : 2 * cx + nl])
            plain[win[2 * cx : 2 * cx + nl] < MIN_SAMPLES] = np.nan
            own = np.minimum(plain, CURRENT_ROBUST_SLACK * var[self._lone_cells])
            curv = np.where(np.isnan(ref_i), 0.0, ref_i)
            if self._lag:
                swing = np.where(np.isnan(slope_i), 0.0, slope_i)
                curv = curv + LONE_LAG_LOAD * cap**2 * swing
            load = CURRENT_LOAD_MARGIN * curv * (self.r0 * cold) ** 2  # (see R0_COLD_MIN_C)
            var[self._lone_cells] = own - load
        if self.r0 is not None:
            # the plain estimate, as the plain voltage reference measures the load
            # (a smooth curve, which the step-robust one inflates up to ~4x), unless
            # CURRENT_ROBUST_SLACK times the step-robust one is smaller: a step the
            # voltage does not follow (see Noise)
            # (NaN where either is: neither is judged on too few terms)
            robust = CURRENT_ROBUST_SLACK * var[lay.i_i]
            own = np.minimum(ref_i, robust)
            r0 = self.r0 * warm
            if self._lag:  # a slow log: the voltage lags the current (see LAG_OCV_DROP)
                var[lay.i_i] = self._lagged(own, ref_i, ref_v, cross, win[-2], warm, slope_i, cap)
            else:
                var[lay.i_i] = np.fmax(
                    own - self._load_margin * ref_v / r0**2,
                    self._unfollowed(own, ref_i, ref_v, cross, win[-2], warm),
                )
        floor_w = floor2[:, cols]
        # the pack voltage's: with its resolution bound, and noisy only in a window with a
        # bin whose readings spanned more than two steps (see PACK_TWO_STEPS)
        floor_w[iv] = self._floor2[iv] + QUANTUM_NOISE * pack_qe2[cols]
        floor_w *= few
        wide_w = np.lib.stride_tricks.sliding_window_view(wide_full, w)[cols].max(axis=1) > 0
        with np.errstate(invalid="ignore"):
            over_floor = var > floor_w
        over_floor[iv] &= wide_w
        ref = np.zeros_like(var)
        sub = np.flatnonzero(over_floor.any(axis=0))
        for g in self.groups:  # group medians only where some channel is over its floor
            if len(sub):
                ref[np.ix_(g, sub)] = median_rows(np.maximum(var[np.ix_(g, sub)], 0.0))
        with np.errstate(invalid="ignore"):
            noisy = over_floor & (var > NOISE_RATIO**2 * few * ref)
        if not noisy.any() and not self.noisy.has_open_runs:
            return  # (the tracker would find no channel to follow)
        cond = np.zeros((c, m), dtype=bool)
        cond[:, cols] = noisy
        sigma = np.full((c, m), np.nan)
        group = np.full((c, m), np.nan)
        sigma[:, cols] = np.sqrt(np.maximum(var, 0.0))
        group[:, cols] = np.sqrt(ref)
        self.noisy.feed(bb.t0, bb.t1, cond, 1, sigma, aux={"group_sigma": group})

    def _unfollowed(self, own, ref_i, ref_v, cross, n_cross, warm) -> np.ndarray:
        """Per window, the current's noise where the voltage does not follow it: its
        variance ``own`` less the load the products of its and the reference's second
        differences (``cross``, over ``n_cross`` terms) show, at the least gain
        ``self._follow_r0`` times the window's R0 factor ``warm``, where they fall ``CURRENT_FOLLOW_Z`` standard errors
        short of the gain times its excess over the floor (a real load that large
        would have moved the voltage with it); -inf elsewhere. The standard error:
        the Gaussian one of a mean of products (``ref_i`` ``ref_v`` + ``cross``²,
        plain variances), times ``CURRENT_FOLLOW_SE``."""
        floor = self._floor2[self.layout.i_i]
        with np.errstate(invalid="ignore", divide="ignore"):
            # (the products' residual: the reference's variance the current leaves)
            se = np.sqrt(CURRENT_FOLLOW_SE * (ref_i * ref_v - cross * cross) / n_cross)
            gain = self._follow_r0 * warm
            short = gain * (own - floor) - cross
            found = (short >= CURRENT_FOLLOW_Z * se) & (own > floor)
            return np.where(found, own - np.fmax(cross, 0.0) / gain, -np.inf)

    def _init_lag(self, spec: BatterySpec, dt_s: float) -> None:
        """The spec's bound on a slow log's lag (see ``LAG_OCV_DROP``): the RC pairs'
        part per sample over R0 (at the spec's time constants, and at a warm pack's
        shorter ones), and the OCV table's slopes per sample and ampere over R0."""
        e = spec.ecm.for_capacity(spec.pack_capacity_ah)
        r0 = e["r0_ohm"]
        self._lag = True
        self._dt = dt_s
        self._lag_rc = [
            (e["r1_ohm"] / r0, e["r1_ohm"] * e["c1_f"]),
            (e["r2_ohm"] / r0, e["r2_ohm"] * e["c2_f"]),
        ]
        # V per % SOC -> V per A held over a sample (the pack's charge), over R0
        self._lag_per_a = self._pct_per_as * dt_s / r0
        self._lag_n = spec.series_cells

    def _lag_ocv(self, bb: BinBatch) -> np.ndarray:
        """Per bin, the OCV's part of the lag over R0 (see ``LAG_OCV_DROP``): the
        steepest slope of the OCV table where the cells' OCV may be -- their mean
        voltage less up to ``LAG_OCV_DROP`` times their resistance's drop at the bin's
        mean current (V = OCV + R I), and ``LAG_OCV_MARGIN_V`` either side (the table's
        ends where outside it)."""
        lay = self.layout
        with np.errstate(invalid="ignore"):
            if len(lay.cells_v):
                v = bb.mean[lay.cells_v].mean(axis=0)
            else:
                v = bb.mean[lay.i_v] / self._lag_n
        i = bb.mean[lay.i_i]
        lo, hi = self._ocv_range(v, v, i)
        ocv = self._ocv_v
        out = np.zeros(bb.m)
        for j, slope in enumerate(self._ocv_slopes):  # segments the interval meets
            with np.errstate(invalid="ignore"):
                meet = (ocv[j + 1] >= lo) & (ocv[j] <= hi)
            out = np.where(meet, np.fmax(out, slope), out)
        # (no voltage or current known: the steepest)
        known = np.isfinite(v) & np.isfinite(i)
        return np.where(known, out, self._ocv_slopes.max()) * self._lag_per_a

    def _ocv_range(self, v_lo, v_hi, i) -> tuple[np.ndarray, np.ndarray]:
        """Where the cells' OCV may be (V, elementwise) while their voltage spans ``v_lo``
        to ``v_hi`` at the current ``i``: less up to ``LAG_OCV_DROP`` times their
        resistance's drop (V = OCV + R I), ``LAG_OCV_MARGIN_V`` either side, within the
        table (and its knees)."""
        ocv = self._ocv_v
        with np.errstate(invalid="ignore"):
            # (V = OCV + R I: the OCV below the voltage on charge, above it on discharge)
            drop = self._ocv_drop * i
            lo = np.clip(v_lo - np.fmax(drop, 0.0) - LAG_OCV_MARGIN_V, ocv[0], ocv[-1])
            hi = np.clip(v_hi - np.fmin(drop, 0.0) + LAG_OCV_MARGIN_V, ocv[0], ocv[-1])
        return lo, hi

    def _lag_cap(self, warm, lag_ocv) -> np.ndarray:
        """Per window, the spec's bound on the lag per sample over R0 (see
        ``LAG_OCV_DROP``): the RC pairs' part at the window's R0 factor ``warm`` (a warm
        pack's shorter time constants) and the OCV's, ``lag_ocv``, over it."""
        with np.errstate(invalid="ignore", divide="ignore"):
            rc = sum(
                ratio * (1.0 - np.exp(-self._dt / (tau * warm))) for ratio, tau in self._lag_rc
            )
            return rc + lag_ocv / warm

    def _lagged(self, own, ref_i, ref_v, cross, n_cross, warm, slope_i, cap) -> np.ndarray:
        """A slow log's current noise per window: as :meth:`_noisy`'s (the plain
        reference's and the follow test's) where the voltage also follows the current
        held over the sample before (see "Slow logs"). Its second differences are then
        R0 (b d2I + g dI'), dI' the previous first difference of the load, and as
        sum(d2I dI') = -sum(d2I²) / 2 for any sequence (but for its ends), the products
        with the current's are R0 L (b - g/2) (L: the load's mean d2I²) and the
        voltage's mean square R0² (L (b - g/2)² + g² (P - L/4)) (P: the load's mean
        dI²). So g is at most ``gamma_hat`` = sqrt((V / R0² - X² / (R0² L)) / (P - L/4)),
        bounded by the spec's (``LAG_OCV_DROP``). The plain reference explains at most
        V / (R0² f) of load, f the least of (b - g/2)² + g² (P/L - 1/4) over those lags
        (b² = 1 / the margin); the follow test's gain is R0 (b - g/2)."""
        r0 = self.r0 * warm
        b = 1.0 / math.sqrt(self._load_margin)  # the plain reference's (a slow log's)
        b_follow = 1.0 / math.sqrt(CURRENT_LOAD_MARGIN)  # the follow test's: R0 alone
        with np.errstate(invalid="ignore", divide="ignore"):
            room = ref_i * (slope_i - ref_i / 4.0)  # L (P - L/4)
            inphase = (ref_v * ref_i - cross * cross) / r0**2  # (L V - X²) / R0²
            g_hat = np.sqrt(np.fmax(inphase, 0.0) / room)
            g = np.where(room > 0, np.fmin(g_hat, cap), cap)
            g = np.where(np.isfinite(g), g, cap)
            rho = np.fmax(slope_i / ref_i - 0.25, 0.0)  # P/L - 1/4
            # the least of (b - g/2)² + g² rho over [0, g]: at b / (2 (rho + 1/4)) if within
            g_min = np.fmin(b / (2.0 * (rho + 0.25)), g)
            f = (b - g_min / 2.0) ** 2 + g_min**2 * rho
            plain = own - ref_v / (r0**2 * f)
            floor = self._floor2[self.layout.i_i]
            se = np.sqrt(CURRENT_FOLLOW_SE * (ref_i * ref_v - cross * cross) / n_cross)
            gain = r0 * (b_follow - g / 2.0)
            short = gain * (own - floor) - cross
            found = (short >= CURRENT_FOLLOW_Z * se) & (own > floor) & (gain > 0)
            follow = np.where(found, own - np.fmax(cross, 0.0) / gain, -np.inf)
        return np.fmax(plain, follow)

    def _r0_factor(self, bb: BinBatch) -> np.ndarray:
        """Per bin, the cells' R0 over the spec's (25 degC) one: the Arrhenius factor at
        the median cell temperature (the pack temperature without cell sensors; 1
        without either), between the factors at ``R0_WARM_MAX_C`` and
        ``R0_COLD_MIN_C``."""
        lay = self.layout
        rows = lay.cells_t if len(lay.cells_t) else lay.temp_rows
        if not len(rows):
            return np.ones(bb.m)
        # (the batch's median, which the temperature reference reads too)
        t = bb.median(rows) if len(rows) > 1 else bb.mean[rows[0]].astype(float)
        known = np.isfinite(t)
        out = np.ones(bb.m)
        if known.any():
            t_k = np.clip(t[known], R0_COLD_MIN_C, R0_WARM_MAX_C)
            out[known] = resistance_temperature_factor(self._chemistry, t_k)
        return out

    def _stuck(self, bb: BinBatch, pack_q2: np.ndarray) -> None:
        c, m = self.layout.n_rows, bb.m
        lay = self.layout
        evaluable = bb.nd > 0
        inactive = bb.sdd == 0
        if inactive.any():  # (none in a reading with noise: the and only then)
            inactive &= evaluable
        # no white noise of its own in a bin: its second differences (white-noise
        # variance) under STUCK_WHITE_MIN of what its first differences give (the
        # same variance for white noise): a step, a ramp or a smooth curve (a charger
        # or cycler reaching its setpoint) changes a value without them
        # (and at least STUCK_WHITE_TERMS of them: a log's first bin has one).
        # Read for the current only (see grouped below).
        i = lay.i_i
        with np.errstate(invalid="ignore", divide="ignore"):
            white = (bb.n2[i] >= STUCK_WHITE_TERMS) & (
                bb.s2m[i] * (2.0 * bb.nd[i])
                >= STUCK_WHITE_MIN * D2_VARIANCE * self._c2[i] * bb.n2[i] * bb.sdd[i]
            )
        quiet = evaluable[i] & ~white
        t0_full = self._t0.push(bb.t0)
        noise_ev = self._noise_ev.push_lazy((bb.s2m[:c], bb.n2[:c], bb.sdd, bb.nd, bb.q2))
        if len(lay.cells_v):
            cells_mean = bb.mean[lay.cells_v]
            sum_full = self._cells_sum.push(sum_rows(cells_mean))
            cells_tail, k = self._cells_tail, self.ws - 1
            self._cells_tail = np.concatenate((cells_tail, cells_mean[:, -k:]), axis=1)[:, -k:]
            i_tail = self._i_tail
            self._i_tail = np.concatenate((i_tail, bb.mean[i, -k:]))[-k:]
            pack_dithers = self._pack_dithers(bb, pack_q2)
        # frozen: the last ws bins all without a change (a run of inactive bins)
        if not inactive.any() and not self._inactive_run.any() and not self._stuck_state.any():
            self._flag_hist.push_lazy((inactive, evaluable, quiet))  # (only the kept bins move on)
            if self._young_judged:  # (no run to judge: only the totals move on)
                self._own_sums(bb, totals_only=True)
            return
        own = self._own_sums(bb) if self._young_judged else None
        flags = self._flag_hist.push((inactive, evaluable, quiet))
        run_len = run_length(inactive, self._inactive_run)
        run_evidence = self._run_evidence(bb, run_len, own)
        moved_ev = self._peer_moves(bb, run_len, own)
        # baseline: counts over the wb bins before the run of frozen bins began
        # (integer counts: cumulative sums are exact, whatever the split)
        keep = self._flag_hist.keep
        cs = np.cumsum(flags, axis=1)
        cs0 = np.concatenate((np.zeros((len(cs), 1)), cs), axis=1)
        at = keep + np.arange(m)
        before = cs0[:, at] - cs0[:, at - self.wb]  # the wb bins before each new bin
        start = np.arange(m)[None, :] - run_len.astype(np.int64) + 1  # run start, <0: earlier
        rows = np.arange(c)[:, None]
        s_in = np.clip(start, 0, m - 1)  # (a bin that is not frozen: any)
        base_a = np.where(start >= 0, before[rows, s_in], self._run_base[0][:, None])
        base_e = np.where(start >= 0, before[c + rows, s_in], self._run_base[1][:, None])
        base_q = np.where(start[i] >= 0, before[2 * c, s_in[i]], self._run_base_quiet)
        self._run_base[0], self._run_base[1] = base_a[:, -1], base_e[:, -1]
        self._run_base_quiet = base_q[-1]
        vrun_moved = None
        if len(lay.cells_v):
            # how far the cells' sum moved while the pack voltage held its reading
            iv = lay.i_v
            vrun_moved = self._pack_run_moved(
                run_len[iv],
                sum_full[self._cells_sum.keep :],
                pack_q2,
                bb,
            )
        frozen = run_len >= self.ws
        # candidates: frozen, no setpoint, changed in >= 95 % of the baseline's bins
        unset = frozen & ~self._at_setpoint(bb.mean)
        held = unset & (base_e - base_a >= STUCK_FLICKER * base_e)
        dithers = self._own_noise_dithers(noise_ev, held, start, keep)
        if not frozen.any() and not self._stuck_state.any():
            return
        lo = np.concatenate((np.zeros((len(cs), 1)), cs[:, : m - 1]), axis=1)
        changing = (~frozen).astype(float)
        peer_changing = self._peers @ changing  # small integers: exact
        # peers that kept moving: changed in STUCK_PEER_BINS of the window's bins (see
        # Stuck: a noise-free relaxation read to a resolution steps once in a while near
        # its end, and a healthy reading a little ahead of it holds)
        in_win = cs0[: 2 * c, at + 1] - cs0[: 2 * c, at + 1 - self.ws]  # inactive, evaluable
        moving = (in_win[c:] - in_win[:c] >= STUCK_PEER_BINS) & ~frozen
        peer_moving = self._peers @ moving.astype(float)
        # a baseline of its own, in which its own noise spans its resolution (see
        # _own_noise_dithers: a reading that only drifted holds when a controller
        # holds its value), as long as the stuck window at least: white noise cannot
        # hold a reading that long by chance (see Stuck: a log's first minute); and
        # without a minute of it, also judged on its peers' history (young)
        has_base = base_e >= self.min_base
        own = (base_e >= self.ws) & dithers
        young = held & ~has_base
        # the pack voltage's and the current's own evidence in a log's first minute
        extra = np.zeros_like(frozen)
        if vrun_moved is not None:
            # the pack voltage beside cell voltages: judged on its twin, and on its own
            # history only once its noise showed it cannot hold a reading by chance
            # (see Stuck: a coarse reading that flickered holds while the cells flicker)
            # (on its twin whatever it did before the freeze: see Coarse sensors)
            extra[lay.i_v] = unset[lay.i_v] & vrun_moved
            own[lay.i_v] &= pack_dithers
            young[lay.i_v] = False
        # the current without a history of its own white noise (a log's first minute,
        # or a baseline a varying load dominated: a drive's first minutes): its twin
        twin_i = unset[lay.i_i] & ~own[lay.i_i]
        if twin_i.any() and len(lay.cells_v) and self.r0 is not None and self.ws >= 3:
            # the current's twin: the mean cell voltage bent within the frozen bins
            # by what a change of STUCK_CURRENT_JUMP_C makes through R0
            # (the median cell's bend: a load change bends the cells alike, a noisy
            # cell sensor only its own; of 1 or 2 cells, the lesser if they agree)
            means = np.concatenate((cells_tail, cells_mean), axis=1)
            bends = np.diff(means, 2)
            with np.errstate(invalid="ignore"):
                if len(bends) >= MIN_GROUP:
                    bend = median_rows(bends)
                else:
                    same = (bends > 0).all(axis=0) | (bends < 0).all(axis=0)
                    least = np.abs(bends).min(axis=0)
                    bend = np.where(same, np.copysign(least, bends[0]), 0.0)
                # less what the held current bends them by that way through the OCV
                # (see Stuck)
                up, down = self._held_bend(means, np.concatenate((i_tail, bb.mean[i])))
                jumps = np.where(bend > 0, bend - up, -bend - down)
            win = np.lib.stride_tricks.sliding_window_view(jumps, self.ws - 2)
            with np.errstate(invalid="ignore"):
                jumped = win.max(axis=1) >= self._jump_v
            extra[lay.i_i] = twin_i & jumped
        grouped = young & self._grouped[:, None]
        if self._pack_t_peers:
            # the pack temperature beside >= 3 cell sensors: judged on them too, once
            # it flickered in every bin it had before it froze (a coarse sensor that
            # holds its value from the start is not judged)
            t = lay.i_t
            grouped[t] = young[t] & (base_e[t] >= 1)
        if grouped.any():
            # a reading known to be quantised, whose own noise does not span its
            # quantum: only once its peers moved by more than it may hold (see Coarse
            # sensors: it toggles on a step's edge, then holds as the value leaves it)
            grouped &= self._held_past_quantum(grouped, run_evidence)
        if self._pack_vi_peers:
            # the current beside >= 3 cell voltages: judged on them too, once it showed
            # white noise of its own in every bin it had before it froze but one (the
            # log's first), at least one: a cycler's setpoint, a step or a ramp to it,
            # shows none (not the pack voltage: a coarse reading on a step of its
            # resolution toggles like white noise, then holds; see Stuck)
            grouped[i] = young[i] & (base_e[i] >= 2) & (base_q <= 1)
        peers_flicker = False
        if grouped.any():  # a log's first minute: the peers' history (see Stuck)
            tot = cs[:, self._flag_hist.keep : self._flag_hist.keep + m] - lo
            peer_e = self._peers @ tot[c : 2 * c]
            peer_active = peer_e - self._peers @ tot[:c]
            peers_flicker = (peer_changing == self._n_peers[:, None]) & (
                peer_active >= STUCK_FLICKER * peer_e
            )
            if (grouped & peers_flicker).any():
                peers_flicker = peers_flicker & self._peers_white(
                    noise_ev, grouped & peers_flicker, keep
                )
        n_peers = self._n_peers[:, None]
        trigger = (
            stuck_trigger(held, own, peer_moving, n_peers, False, False)
            | stuck_trigger(held, False, peer_changing, n_peers, grouped, peers_flicker)
            | extra
        )
        if moved_ev is not None:
            # a grouped row with no history of its own that tells: its peers' moves
            # (see Stuck: peers that moved)
            need = unset & self._grouped[:, None] & ~trigger
            if need.any():
                trigger |= need & moved_ev(need)
        stuck = latch_stuck(trigger, frozen, self._stuck_state)
        if stuck.any() or self.stuck.has_open_runs:
            start = t0_full[1 : 1 + m]  # first bin of each ws-bin window
            self.stuck.feed(np.where(np.isnan(start), bb.t0, start), bb.t1, stuck, 1, bb.mean)

    def _held_bend(self, means: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The most a held current bends the mean cell voltage's bin means up and down
        through the OCV, per three bins (``means``: the cells' bin means, ``current``:
        the bins'): a bin's mean of an OCV linear between the table's points bends at a
        point by its change of slope (its sign, whichever way the current flows) times
        the charge a bin moves (% SOC) times a quadratic B-spline's weight -- at most
        ``HELD_BEND_WEIGHT`` -- over the three bins' charge; so by at most that weight
        times the charge times the points' rises (falls) of slope within any three
        bins' charge where the cells' OCV may be (see Stuck). Unbounded where their
        voltage is off the table (and its knees): its slope there is unknown."""
        soc, ocv, knots = self._ocv_soc, self._ocv_v, self._ocv_soc[1:-1]
        with np.errstate(invalid="ignore"):
            v = means.mean(axis=0)
            three = np.lib.stride_tricks.sliding_window_view(v, 3)
            i = np.lib.stride_tricks.sliding_window_view(current, 3)[:, 1]  # (held: any)
            lo, hi = self._ocv_range(three.min(axis=1), three.max(axis=1), i)
            moved = np.abs(i) * self._bin_s * self._pct_per_as
            # the knots where the OCV may be, and those within three bins' charge of each
            inside = (knots >= np.interp(lo, ocv, soc)[:, None]) & (
                knots <= np.interp(hi, ocv, soc)[:, None]
            )
            ahead = knots[None, None, :] - knots[None, :, None]
            near = (ahead >= 0) & (ahead <= 3.0 * moved[:, None, None]) & inside[:, None, :]
            off = (three.min(axis=1) < ocv[0]) | (three.max(axis=1) > ocv[-1])
            out = []
            for knot_bends in (np.fmax(self._knot_bends, 0.0), np.fmax(-self._knot_bends, 0.0)):
                bends = np.where(near, knot_bends, 0.0).sum(axis=2)
                most = np.where(inside, bends, 0.0).max(axis=1, initial=0.0)
                out.append(np.where(off, np.inf, np.nan_to_num(HELD_BEND_WEIGHT * moved * most)))
        return out[0], out[1]

    def _held_drift(self, v, q, i_lo, i_hi, run_bins) -> np.ndarray:
        """The least a healthy cell reading ``v`` (to a quantum ``q``) drifts along its
        OCV over a run of ``run_bins`` unchanged bins whose current's bin means spanned
        ``i_lo`` to ``i_hi`` (elementwise; see ``STUCK_DRIFT_CAPACITY``): 0 where the
        current changed sign or is unknown, or where the OCV may reach the cell's limits
        (its slope beyond them is unknown), or the table's top on a charge (which may go
        to gassing there); the table's knees taken where it stops short of the limits."""
        tv, slopes = self._ocv_v, self._ocv_slopes
        if not self._drift_most:  # (no ECM: where the OCV may be is unknown)
            return np.zeros(np.shape(v))
        with np.errstate(invalid="ignore"):
            lo1, hi1 = self._ocv_range(v - q, v + q, i_lo)
            lo2, hi2 = self._ocv_range(v - q, v + q, i_hi)
            lo, hi = np.fmin(lo1, lo2), np.fmax(hi1, hi2)
            meet = (tv[None, 1:] >= lo[:, None]) & (tv[None, :-1] <= hi[:, None])
            slope = np.where(meet, slopes[None, :], np.inf).min(axis=1, initial=np.inf)
            inside = (lo > tv[0]) & (hi < tv[-1]) & np.isfinite(slope)
            # (beyond the table's top a charge may go to gassing, not the OCV)
            inside &= (i_lo < 0) | (hi < self._tab_top)
            same = i_lo * i_hi > 0
            least = np.fmin(np.abs(i_lo), np.abs(i_hi))
            # (the hold spans at least the run's bins but one)
            charge = least * np.fmax(run_bins - 1.0, 0.0) * self._bin_s * self._pct_per_as
            drift = slope * charge / STUCK_DRIFT_CAPACITY - self._ocv_drop * (i_hi - i_lo)
        return np.where(inside & same & np.isfinite(drift), drift, 0.0)

    def _own_sums(
        self, bb: BinBatch, totals_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Each row's sums of squared second differences and their terms since the
        log's start before each bin of a batch (rows, bins + 1: the last column after
        its last bin), folded bin by bin from the carried totals (exact, whatever the
        split), and its quantum squared as known before each bin (rows, bins).
        ``totals_only``: only the carried totals (and quantum) move on, the same bits
        (:func:`running_totals`), and None is returned."""
        c, m = self.layout.n_rows, bb.m
        s2, n2 = bb.s2m[:c], np.broadcast_to(bb.n2[:c], (c, m))
        fin = np.isfinite(s2) & np.isfinite(n2)
        # (all finite: the values np.where would pick)
        xs = (s2, n2) if fin.all() else (np.where(fin, s2, 0.0), np.where(fin, n2, 0.0))
        if totals_only and m >= _TOTALS_MIN_BINS:
            self._own_s2 = running_totals(self._own_s2, xs[0])
            if fin.all() and bb.n2.strides[0] == 0:
                # (one count row for every channel: whole numbers, whose sums are exact
                # in any order -- the running sums' bits)
                self._own_n2 = self._own_n2 + float(bb.n2[0].sum())
            else:
                self._own_n2 = running_totals(self._own_n2, xs[1])
            if m:
                self._last_q2 = bb.q2[:c, -1].astype(float)
            return None
        out = []  # (a live batch of few bins: its running sums, as cheap as the totals)
        for x, tot in zip(xs, (self._own_s2, self._own_n2), strict=True):
            out.append(np.add.accumulate(np.concatenate((tot[:, None], x), axis=1), axis=1))
        self._own_s2, self._own_n2 = out[0][:, -1].copy(), out[1][:, -1].copy()
        if totals_only:
            if m:
                self._last_q2 = bb.q2[:c, -1].astype(float)
            return None
        # each bin's quantum as known at the end of the bin before it (the previous
        # batch's last in front): a run's is the one known before it began -- a hold
        # makes a reading known to be quantised (see :mod:`.resolution`), so a stuck
        # sensor's own hold would give it a quantum that excuses it
        q2_prev = np.concatenate((self._last_q2[:, None], bb.q2[:c, : m - 1]), axis=1)
        if m:
            self._last_q2 = bb.q2[:c, -1].astype(float)
        return out[0], out[1], q2_prev

    def _peer_moves(self, bb: BinBatch, run_len: np.ndarray, own):
        """For the grouped rows: a function of a (rows, bins) mask giving, where it is
        set, whether every peer of the row moved since the row's run of unchanged bins
        began by more than a healthy reading of its resolution holds (see
        ``STUCK_PEER_QUANTA``): its bin means' greatest less least over the run at
        least ``STUCK_PEER_QUANTA`` quanta (the row's as known before the run, the
        peer's by then, at least the least a BMS reads) plus
        ``STUCK_PEER_NOISE_SIGMAS`` sigmas of the peer's bin mean (its white noise
        since the log's start, over the bin's samples). Each open run's extremes of
        every row and the row's quantum at its start are carried to the next batch
        (running minima and maxima: exact, whatever the split). None without groups."""
        if own is None or not self._grouped.any():
            return None
        c, m = self.layout.n_rows, bb.m
        mean = bb.mean[:c]
        start = np.arange(m)[None, :] - run_len.astype(np.int64) + 1  # (< 0: earlier)
        s2_acc, n2_acc, q2_prev = own
        lo0, hi0, q0 = self._pm_lo, self._pm_hi, self._pm_q2
        if m:  # the open runs at the batch's end (NaN: none)
            last = start[:, -1]
            openr = (run_len[:, -1] > 0) & self._grouped
            lo1, hi1 = np.full((c, c), np.nan), np.full((c, c), np.nan)
            q1 = np.full(c, np.nan)
            if openr.any():
                with np.errstate(invalid="ignore"):
                    suf_lo = np.fmin.accumulate(mean[:, ::-1], axis=1)[:, ::-1]
                    suf_hi = np.fmax.accumulate(mean[:, ::-1], axis=1)[:, ::-1]
                for r in np.flatnonzero(openr):
                    a = int(last[r])
                    if a < 0:
                        lo1[r] = np.fmin(suf_lo[:, 0], lo0[r])
                        hi1[r] = np.fmax(suf_hi[:, 0], hi0[r])
                        q1[r] = q0[r]
                    else:
                        lo1[r], hi1[r], q1[r] = suf_lo[:, a], suf_hi[:, a], q2_prev[r, a]
            self._pm_lo, self._pm_hi, self._pm_q2 = lo1, hi1, q1
        peers = self._peers > 0
        floor2 = self._peer_q2_floor
        c2 = self._c2[:c]
        # a cell voltage's peers moved by a load: the current's moves through the least R0
        # a cell may have (the spec's at the bin's temperature, over the margin's spread;
        # without an ECM none: not judged so)
        volts = np.zeros(c, dtype=bool)
        volts[self.layout.cells_v] = True
        r0_most = 0.0 if self.r0 is None else self.r0 / math.sqrt(CURRENT_LOAD_MARGIN)
        ii = self.layout.i_i
        # (what every threshold is above: a reading's, read finely, see STUCK_CELL_FINE_V)
        fine2 = self._peer_fine2
        least_move = STUCK_PEER_QUANTA * np.sqrt(np.where(fine2 > 0, fine2, floor2))
        warm = []  # (the bins' R0 factors, worked out once, where a row gets that far)

        def moved(need: np.ndarray) -> np.ndarray:
            out = np.zeros((c, m), dtype=bool)
            rr, jj = nonzero2(need)
            aa = start[rr, jj]
            # each (row, run) asked and its last bin asked: the moves there are the most
            # (a running range); where its peers', or its load's, fall short of the least
            # threshold it passes at no bin (min and max: exact; the runs at once)
            # (the pairs come row by row, bin by bin: a run's are consecutive)
            new = np.ones(len(rr), dtype=bool)
            new[1:] = (rr[1:] != rr[:-1]) | (aa[1:] != aa[:-1])
            heads = np.flatnonzero(new)
            inv = np.cumsum(new) - 1
            last = jj[np.append(heads[1:], len(rr)) - 1]
            runs = np.stack((rr[heads], aa[heads]))
            first = np.maximum(runs[1], 0)
            idx = np.stack((first, last + 1), axis=1).ravel()
            with np.errstate(invalid="ignore"):
                padded = np.concatenate((mean, np.full((c, 1), np.nan)), axis=1)
                lo_end = np.fmin.reduceat(padded, idx, axis=1)[:, ::2].T  # (runs, rows)
                hi_end = np.fmax.reduceat(padded, idx, axis=1)[:, ::2].T
                early = runs[1] < 0
                lo_end[early] = np.fmin(lo_end[early], lo0[runs[0, early]])
                hi_end[early] = np.fmax(hi_end[early], hi0[runs[0, early]])
                moves = hi_end - lo_end
                r_run = runs[0]
                # (a held current's drift: at most the table's steepest slope times the
                # most charge the run may have moved, see _held_drift)
                i_most = np.fmax(np.abs(lo_end[:, ii]), np.abs(hi_end[:, ii]))
                drift_most = self._drift_most * i_most * (last - runs[1])
                hopeless = ((moves < least_move) & peers[r_run]).any(axis=1) | (
                    volts[r_run]
                    & ~(r0_most * moves[:, ii] >= least_move[r_run])
                    & ~(drift_most >= least_move[r_run])
                )
            if hopeless.all():
                return out
            live = ~hopeless[inv]
            rr, jj, aa = rr[live], jj[live], aa[live]
            for a in np.unique(aa):
                sel = aa == a
                r_s, j_s = rr[sel], jj[sel]
                a0 = max(int(a), 0)
                seg = mean[:, a0 : int(j_s.max()) + 1]
                with np.errstate(invalid="ignore"):
                    lo = np.fmin.accumulate(seg, axis=1)[:, j_s - a0].T  # (pairs, rows)
                    hi = np.fmax.accumulate(seg, axis=1)[:, j_s - a0].T
                if a < 0:  # begun in an earlier batch
                    lo, hi = np.fmin(lo, lo0[r_s]), np.fmax(hi, hi0[r_s])
                    q2r = q0[r_s]
                else:
                    q2r = q2_prev[r_s, a0]
                with np.errstate(invalid="ignore", divide="ignore"):
                    q2 = np.fmax(np.fmax(q2r[:, None], bb.q2[:c, j_s].T), floor2[None, :])
                    var = white_noise_var(s2_acc[:, j_s + 1], n2_acc[:, j_s + 1], c2[:, None])
                    var = np.where(np.isfinite(var), var, np.inf)
                    sigma = np.sqrt(var / np.fmax(bb.cnt[:c, j_s], 1.0)).T
                    need_move = STUCK_PEER_QUANTA * np.sqrt(q2) + STUCK_PEER_NOISE_SIGMAS * sigma
                    ok = (hi - lo >= need_move) | ~peers[r_s]
                    passed = ok.all(axis=1)
                    v = volts[r_s]
                    if v.any():  # ... and the load moved a healthy cell as far
                        if not warm:
                            warm.append(
                                np.fmin(self._r0_factor(bb), 1.0) if self.r0 is not None else None
                            )
                        load_r0 = 0.0 if warm[0] is None else r0_most * warm[0][j_s]
                        load = load_r0 * (
                            hi[:, ii] - lo[:, ii] - STUCK_PEER_NOISE_SIGMAS * sigma[:, ii]
                        )
                        own_q = STUCK_PEER_QUANTA * np.sqrt(np.fmax(q2r, floor2[r_s]))
                        # ... or the held current moved it along its OCV as far (see
                        # STUCK_DRIFT_CAPACITY)
                        drift = self._held_drift(
                            mean[r_s, j_s],
                            own_q / STUCK_PEER_QUANTA,
                            lo[:, ii],
                            hi[:, ii],
                            run_len[r_s, j_s],
                        )
                        passed &= ~v | (load >= own_q) | (drift >= own_q)
                    # ... or, read finely (see STUCK_CELL_FINE_V, STUCK_TEMP_FINE_C), with
                    # its peers read so, its peers moved by as many fine quanta (a cell
                    # voltage: and the held current moved it as far)
                    fine2_r = fine2[r_s]
                    fine = (bb.q2_bound[r_s, j_s] <= fine2_r) & (fine2_r > 0) & ~passed
                    if fine.any():
                        f_s = np.flatnonzero(fine)
                        fq2 = fine2_r[f_s, None]
                        peer_fine = fq2 >= bb.q2_bound[:c, j_s[f_s]].T
                        q2f = np.fmax(
                            np.fmax(q2r[f_s, None], bb.q2[:c, j_s[f_s]].T),
                            np.where(peer_fine, fq2, floor2[None, :]),
                        )
                        need_f = STUCK_PEER_QUANTA * np.sqrt(q2f)
                        need_f = need_f + STUCK_PEER_NOISE_SIGMAS * sigma[f_s]
                        ok_f = ((hi[f_s] - lo[f_s] >= need_f) | ~peers[r_s[f_s]]).all(axis=1)
                        vf = v[f_s]
                        if vf.any():
                            g_s = f_s[vf]
                            qf = np.sqrt(np.fmax(q2r[g_s], fine2_r[g_s]))
                            drift_f = self._held_drift(
                                mean[r_s[g_s], j_s[g_s]],
                                qf,
                                lo[g_s, ii],
                                hi[g_s, ii],
                                run_len[r_s[g_s], j_s[g_s]],
                            )
                            ok_f[vf] &= drift_f >= STUCK_PEER_QUANTA * qf
                        passed[f_s] = ok_f
                out[r_s, j_s] = passed
            return out

        return moved

    def _run_evidence(self, bb: BinBatch, run_len: np.ndarray, own):
        """For :meth:`_held_past_quantum`, a function of (row, bin) giving, over the
        row's run of unchanged bins up to that bin, how far its peers' median (bin
        means: the cell temperatures' for a temperature, the cell voltages' for a cell
        voltage; NaN for the other rows) moved, its greatest less its least, and the
        row's own white-noise variance from the log's start to the run's start. The
        open runs' extremes and the sums at their start are carried to the next batch
        (running minima, maxima and sums folded bin by bin: exact, whatever the split)."""
        if own is None:  # (no row judged on its peers' history)
            return None
        lay, m, c = self.layout, bb.m, self.layout.n_rows
        med = np.full((c, m), np.nan)
        for group, rows in ((lay.cells_t, lay.temp_rows), (lay.cells_v, lay.cells_v)):
            if len(group) >= MIN_GROUP:
                med[rows] = bb.median(group)
        start = np.arange(m)[None, :] - run_len.astype(np.int64) + 1  # (< 0: earlier)
        s2_acc, n2_acc, q2_prev = own  # (column j: the sums, the quantum before bin j)
        lo0, hi0 = self._prun_lo, self._prun_hi
        s0, n0, q0 = self._prun_s2, self._prun_n2, self._prun_q2
        if m:  # the open run at the batch's end: its extremes and sums (NaN: none)
            last = start[:, -1:]
            seg = np.where(np.arange(m)[None, :] >= last, med, np.nan)
            with np.errstate(invalid="ignore"):
                lo, hi = np.fmin.reduce(seg, axis=1), np.fmax.reduce(seg, axis=1)
            earlier = last[:, 0] < 0
            at = np.clip(last[:, 0], 0, m)
            rows = np.arange(c)
            shut = run_len[:, -1] == 0
            self._prun_lo = np.where(shut, np.nan, np.where(earlier, np.fmin(lo, lo0), lo))
            self._prun_hi = np.where(shut, np.nan, np.where(earlier, np.fmax(hi, hi0), hi))
            self._prun_s2 = np.where(shut, np.nan, np.where(earlier, s0, s2_acc[rows, at]))
            self._prun_n2 = np.where(shut, np.nan, np.where(earlier, n0, n2_acc[rows, at]))
            q2_at = q2_prev[rows, np.minimum(at, m - 1)]
            self._prun_q2 = np.where(shut, np.nan, np.where(earlier, q0, q2_at))

        def evidence(r: int, j: int) -> tuple[float, float]:
            a = int(start[r, j])
            seg = med[r, max(a, 0) : j + 1]
            with np.errstate(invalid="ignore"):
                lo, hi = np.fmin.reduce(seg), np.fmax.reduce(seg)
            if a < 0:
                lo, hi = np.fmin(lo, lo0[r]), np.fmax(hi, hi0[r])
                ss, nn, q2 = s0[r], n0[r], q0[r]
            else:
                ss, nn, q2 = s2_acc[r, a], n2_acc[r, a], q2_prev[r, a]
            with np.errstate(invalid="ignore", divide="ignore"):
                var = white_noise_var(ss, nn, self._c2[r])
            return float(hi - lo), float(var), float(q2)

        return evidence

    def _held_past_quantum(self, need, evidence) -> np.ndarray:
        """Where ``need`` (rows, bins): whether :func:`.stuck.past_quantum` lets the
        row be judged on its peers' history -- not where it was known to be quantised
        before its run of unchanged bins began with white noise of its own under its quantum (from
        the log's start to its run of unchanged bins) and its peers' median moved by
        less than a few quanta over that run: a healthy reading holds while its true
        value stays within a step, which the peers show, however many samples it took
        meanwhile (see Coarse sensors)."""
        out = need.copy()
        for r, j in zip(*nonzero2(need), strict=True):
            out[r, j] = bool(past_quantum(*evidence(int(r), int(j))))
        return out

    def _own_noise_dithers(self, ev, need, start, keep) -> np.ndarray:
        """Per row and bin of a batch (where ``need``, and at the last bin of an open
        run, carried to the next batch), whether the row showed white noise of its
        own in the baseline before the run of unchanged bins it is in began (see
        ``_white_before``). Decided where a run begins, carried while it lasts."""
        c, m = need.shape
        out = np.zeros((c, m), dtype=bool)
        in_run = start <= np.arange(m)[None, :]  # (start: a run's first bin, < 0 before)
        carried = in_run & (start < 0)
        out[carried] = np.broadcast_to(self._run_dithers[:, None], (c, m))[carried]
        need = need & (start >= 0)
        need[:, -1] |= in_run[:, -1] & (start[:, -1] >= 0)
        rr, jj = nonzero2(need)
        if len(rr):
            pairs, inv = np.unique(np.stack((rr, start[rr, jj])), axis=1, return_inverse=True)
            got = np.array([self._white_before(ev, int(r), int(s0) + keep) for r, s0 in pairs.T])
            out[rr, jj] = got[inv.ravel()]
        self._run_dithers = out[:, -1].copy()
        return out

    def _white_before(self, ev, r: int, at: int) -> bool:
        """Row ``r`` showed white noise of its own over the ``wb`` bins before column
        ``at`` of the noise evidence ``ev``: in the median bin that changed, the
        variance its (step-robust) second differences give is at least
        ``STUCK_OWN_WHITE`` (``STUCK_OWN_WHITE_PLAIN`` for a row without the
        step-robust minimum) of the one its first differences give. White noise gives
        ~1 there, and a reading with it cannot hold for 30 s. A drift or a ramp read
        to a fixed resolution (a clean log written to 6 significant digits, a BMS's
        whole millivolts) gives its rounding only: the second differences of a
        rounded ramp are a quantum now and then, isolated (gone in the step-robust
        minimum) or small beside its first differences (a CC charge's cell read to
        10 uV: ~0.01), and such a reading holds when a controller holds its value
        (a CV charge: the limited cell, the others and the pack); its holding is no
        evidence, its peers' or twin's is. (A median of the same bins: exact whatever
        the split.)"""
        ratio = self._white_ratios(ev, r, at)
        return (
            bool(len(ratio))
            and float(np.median(ratio)) >= self._own_white[r]
            and self._dithers_before(ev, r, at)
        )

    def _dithers_before(self, ev, r: int, at: int) -> bool:
        """Row ``r``'s white noise over the ``wb`` bins before column ``at`` of ``ev``
        spans its quantum (variance at least ``STUCK_PACK_DITHER`` q², q as known at
        the last of those bins; any noise where it is not known to be quantised): a
        coarse reading whose noise is less holds its value for 30 s by chance (a
        whole-degree sensor with 0.3 degC of noise, mid-step: 5 % of 30 s windows),
        and its holding is no evidence (see Stuck: the pack voltage's rule)."""
        c = self.layout.n_rows
        q2 = float(ev.take(4 * c + r, np.array([at - 1]))[0])
        if not q2 > 0:
            return True
        cols = np.arange(at - self.wb, at)
        s2, n2 = ev.take(r, cols), ev.take(c + r, cols)
        ok = np.isfinite(s2) & np.isfinite(n2)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = white_noise_var(s2[ok].sum(), n2[ok].sum(), self._c2[r])
        return bool(var >= STUCK_PACK_DITHER * q2)

    def _white_ratios(self, ev, r: int, at: int) -> np.ndarray:
        """Row ``r``'s per-bin ratios of :meth:`_white_before` over the ``wb`` bins
        before column ``at`` of ``ev`` (the bins that changed)."""
        c = self.layout.n_rows
        cols = np.arange(at - self.wb, at)
        s2, n2 = ev.take(r, cols), ev.take(c + r, cols)
        sdd, nd = ev.take(2 * c + r, cols), ev.take(3 * c + r, cols)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = white_noise_var(s2, n2, self._c2[r]) / (sdd / (2.0 * nd))
        return ratio[(sdd > 0) & np.isfinite(ratio)]

    def _peers_white(self, ev, need: np.ndarray, keep: int) -> np.ndarray:
        """Per row and bin of a batch (where ``need``): its peers' flicker since the
        log's start, up to that bin, was white noise -- the median of their bins'
        ratios (see :meth:`_white_before`, pooled: a few bins each in a log's first
        minute) at least the least whiteness of their kind. A young channel is judged
        on its peers' history (see Stuck): a noise-free drift read to a resolution
        (a float charge's cells ramping to 0.1 mV, then held) changes in every bin
        without noise, and a peer holding with them is no stuck sensor."""
        out = np.zeros(need.shape, dtype=bool)
        for r, j in zip(*nonzero2(need), strict=True):
            peers = np.flatnonzero(self._peers[r])
            at = keep + int(j) + 1
            ratio = np.concatenate([self._white_ratios(ev, int(p), at) for p in peers])
            out[r, j] = bool(len(ratio)) and float(np.median(ratio)) >= self._own_white[peers].max()
        return out

    def _pack_resolution(self, bb: BinBatch) -> np.ndarray:
        """Per bin of a batch, the least bound so far of the pack voltage's resolution,
        squared: the one :mod:`.resolution` learns from each bin's sums of squared
        changes (``bb.q2_bound``), and the least change between two samples in a bin,
        squared -- the bound that does not grow with the samples a bin holds (a fast
        log's: at 10 Hz a reading with 4 mV of noise never passed the sums' bound and
        was judged on the cells alone, which do not move at rest). A change within
        float32's rounding (``FLOAT_UNITS``) is no change. A running minimum, carried to
        the next batch (exact, whatever the split)."""
        iv = self.layout.i_v
        least = bb.least_change(iv)
        with np.errstate(invalid="ignore"):
            unit = FLOAT_UNITS * np.finfo(np.float32).eps * np.abs(bb.mean[iv])
            least2 = np.where(least > unit, least * least, np.inf)
        run = np.fmin.accumulate(np.concatenate(([self._pack_least2], least2)))[1:]
        self._pack_least2 = float(run[-1])
        return np.fmin(bb.q2_bound[iv], run)

    def _pack_dithers(self, bb: BinBatch, q2) -> np.ndarray:
        """Per bin of a batch, whether the pack voltage's own white noise so far is at
        least ``STUCK_PACK_DITHER`` times its resolution bound ``q2``: a reading that
        dithers over several quanta. Its noise: the (step-robust) second differences of
        its difference from the cells' sum, less the cells' own (the load moves both
        alike: a coarse reading under a varying load changes by many quanta, which is
        no noise of its own), over every bin since the log's start. Sums folded bin by
        bin, carried to the next batch (exact, whatever the split)."""
        c, cells = self.layout.n_rows, self.layout.cells_v
        own = bb.s2m[c + 1].copy()
        for r in cells:  # (explicit order: the same bits whatever the batch)
            own -= bb.s2m[r]
        n = bb.n2[c + 1]
        ok = np.isfinite(own) & np.isfinite(n)
        s2 = np.add.accumulate(np.concatenate(([self._pack_s2], np.where(ok, own, 0.0))))[1:]
        n2 = np.add.accumulate(np.concatenate(([self._pack_n2], np.where(ok, n, 0.0))))[1:]
        self._pack_s2, self._pack_n2 = s2[-1], n2[-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = white_noise_var(s2, n2, C2_MIN)
            return var >= STUCK_PACK_DITHER * np.asarray(q2)

    def _pack_run_moved(self, run: np.ndarray, sums: np.ndarray, q2, bb: BinBatch) -> np.ndarray:
        """Per bin of a batch, whether the cells' sum (``sums``, bin means) moved
        (its greatest less its least, NaN bins left out) since the pack voltage's run
        of unchanged bins began (``run``: its length up to each bin) by more than a
        healthy reading of its resolution holds: ``STUCK_PACK_QUANTA`` times the bound
        ``q2`` (squared) at the run's start plus ``STUCK_PACK_NOISE_SIGMAS`` of the
        sum's noise over the run, and at most ``STUCK_PACK_MOVE_V``; False outside a
        run. Every bin of a
        run is folded in order (min, max and sums: exact, whatever the split); the open
        run's extremes and noise sums are carried to the next batch."""
        m = len(run)
        out = np.zeros(m, dtype=bool)
        in_run = run > 0
        if not in_run.any():
            self._vrun_lo = self._vrun_hi = np.nan
            self._vrun_var = self._vrun_n = 0.0
            return out
        first = np.arange(m) - run.astype(np.int64) + 1  # a run's first bin (< 0: before)
        ends = np.flatnonzero(~in_run)
        lo_end = hi_end = np.nan
        var_end = n_end = 0.0
        # the variance of each bin mean of the cells' sum: n² times the mean cell's
        # white-noise variance per sample (the extra row of second differences), over
        # the bin's samples (a load's curvature counts as noise: a higher threshold), and
        # never below the rounding of cells read to STUCK_CELL_RESOLUTION_V
        c, n_cells = self.layout.n_rows, len(self.layout.cells_v)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = white_noise_var(n_cells**2 * bb.s2m[c], bb.n2[c], C2_MIN, bb.n)
            var = np.maximum(var, n_cells * STUCK_CELL_RESOLUTION_V**2 / 12.0)
        finite = np.isfinite(var)
        var = np.where(finite, var, 0.0)
        single = np.zeros(m, dtype=bool)  # (runs of one bin: see below)
        single[:-1] = (run[:-1] == 1) & ~in_run[1:]
        for a in np.unique(first[in_run & ~single]):
            a0 = max(int(a), 0)
            after = ends[ends > a0]
            b = int(after[0]) if len(after) else m  # the run's end in this batch
            lo = np.fmin.accumulate(sums[a0:b])
            hi = np.fmax.accumulate(sums[a0:b])
            var0, n0, q2_run = 0.0, 0.0, q2[a0]
            if a < 0:  # begun in an earlier batch
                lo, hi = np.fmin(lo, self._vrun_lo), np.fmax(hi, self._vrun_hi)
                var0, n0, q2_run = self._vrun_var, self._vrun_n, self._vrun_q2
            # (sums folded left to right from the carried ones: exact, whatever the split)
            vs = np.add.accumulate(np.concatenate(([var0], var[a0:b])))[1:]
            ns = np.add.accumulate(np.concatenate(([n0], finite[a0:b].astype(float))))[1:]
            with np.errstate(invalid="ignore", divide="ignore"):
                sigma = np.sqrt(vs / ns)
                move = STUCK_PACK_QUANTA * np.sqrt(q2_run) + STUCK_PACK_NOISE_SIGMAS * sigma
                out[a0:b] = hi - lo >= np.fmin(move, STUCK_PACK_MOVE_V)
            if b == m:
                lo_end, hi_end, var_end, n_end = lo[-1], hi[-1], vs[-1], ns[-1]
                self._vrun_q2 = q2_run
        # A run of one bin begun in this batch and over by the next bin (a reading that
        # changes every other bin: thousands of them a batch, one loop step each) is
        # read here, all at once, with the loop's operations on its one bin (the folds
        # of one element: its min and max the bin itself, its sums 0.0 plus the bin's),
        # element by element: the same bits. After the loop: a run begun earlier that
        # reaches such a bin wrote it first there too, and the bin's own run overwrote it.
        if single.any():
            at = np.flatnonzero(single)
            s_one = sums[at]
            vs = 0.0 + var[at]
            ns = 0.0 + finite[at].astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                sigma = np.sqrt(vs / ns)
                move = STUCK_PACK_QUANTA * np.sqrt(np.asarray(q2)[at])
                move = move + STUCK_PACK_NOISE_SIGMAS * sigma
                out[at] = s_one - s_one >= np.fmin(move, STUCK_PACK_MOVE_V)
        self._vrun_lo, self._vrun_hi = lo_end, hi_end
        self._vrun_var, self._vrun_n = var_end, n_end
        return out

    def _at_setpoint(self, mean: np.ndarray) -> np.ndarray:
        """Values a charger holds exactly (CV on the highest cell or on the pack, no
        current at rest): a noise-free log shows them frozen, which is control, not
        a stuck sensor."""
        out = np.zeros(mean.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            for rows, targets in self._setpoints:
                out[rows] = at_setpoint(mean[rows], targets)
        return out


class GapTracker:
    """Gaps in the time stamps as dropout episodes of the channel ``time_s``."""

    def __init__(self):
        self.episodes: list[list[float]] = []  # [start, end, detected, lost samples]

    def feed(self, gaps: list[tuple[float, float]]) -> None:
        for a, b in gaps:
            if self.episodes and a - self.episodes[-1][1] <= MERGE_GAP_S:
                self.episodes[-1][1] = b
            else:
                self.episodes.append([a, b, b])
