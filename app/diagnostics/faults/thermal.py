"""Thermal runaway onset: a cell heating at >= 0.7 degC/min, and ever faster, that
neither its neighbours nor its Joule heat explain.

Thresholds. Feng et al., "Thermal runaway mechanism of lithium ion battery for
electric vehicles: A review", Energy Storage Materials 10 (2018) 246, describe a
runaway by three temperatures: T1, the onset of self-heating, which an
accelerating-rate calorimeter detects at a self-heating rate of 0.02 degC/min;
T2, the trigger, where the rate takes off (of the order of 1 degC/s); T3, the
maximum. The ARC's 0.02 degC/min is far below what a pack's sensors resolve
(0.3 degC of noise gives a 60 s slope a standard error of ~0.13 degC/min), and
normal operation itself heats a cell at up to ~1 degC/min (an NMC 21700 at its
1.5C limit: I²R over its heat capacity). Pack-level practice therefore alarms
at ~1-2 degC/min. Here the alarm is on *excess* heating -- over the median of
the other cells, which share the load, the ambient and the cooling -- that is
also *accelerating*: a steady heat source (an internal short, a hot neighbour)
does not accelerate. The rate threshold is 0.7 degC/min, under the practical
1 degC/min because the reference removes the Joule heating.

The statistic. Every 5 s bin, a least-squares quadratic in time is fitted to
the last 120 s (24 bins) of the cell's excess temperature. A runaway's
self-heating grows exponentially, so a straight line over the last minute
(the former test) measures the rate of ~30 s ago and needs the whole minute
to stand out; the quadratic gives the rate *now* (its derivative at the
window's end) and the window's flat start is the baseline the rise is measured
against. The alarm needs (all from the same fit, i.e. fixed linear contrasts
of the bin means, whose standard errors under white noise are exact):

* the rate at the window's end >= 0.7 degC/min (and the cell's own >= half);
* evidence: the fitted end value above the window's mean by 5 standard errors.
  The error is the sensor's white noise (its second differences, robust to the
  heating curve; for a bin mean of n samples sigma^2/n, plus the median's
  share) or the fit's residuals, whichever is larger (non-white dynamics of a
  clean pack: loosening this guard gave false alarms);
* rising: the end rate exceeds the start rate by >= 0.4 degC/min at 2
  standard errors, and is at least twice it (a runaway doubles its rate
  within two minutes; a steady source keeps it).

Self-heating templates. The quadratic is a generic curve; the early self-heating
of a runaway is an Arrhenius take-off, an exponential from its onset. So the same
window is also matched against a bank of templates ``b + A (exp((t - t0)/tau) - 1)``
after an onset t0 (every bin edge up to 3 bins before the window's end) with
e-folding times tau of 30, 60 and 120 s (a runaway doubling its rate every
20-80 s): least squares give each template's amplitude and its z (the smaller of the z
with the rise's noise level above and the z with each bin's own noise: a
template weighing the last bins must not borrow the calm of the earlier ones
when a sensor turns noisy mid-window), and the best template's z >= 5 with its rate at the
window's end >= 0.7 degC/min stands in for the quadratic's rise (the quadratic's
rate must still reach 0.7 degC/min, and the acceleration and own-heating
conditions still apply). It raises the evidence for
a slow onset by ~0.5 sigma, a few seconds sooner; on the clean packs below the
best template's z, where the other conditions hold, stays <= 4.7 (as the
quadratic's). The z reported is the larger of the two.

The rise contrast is nearly as powerful as a filter matched to the exact
exponential curve (z 5.2 against 5.5 for an 0.42 degC/min onset 55 s in), so
no statistic on these bins can do much better at this false-alarm level.
Clean simulated packs (3 chemistries x 4/16 cells x 6 profiles x 32 seeds x
24 h, 27,648 pack-hours) never tripped it, the largest noise-only z seen with the
rate and acceleration conditions met 4.8. Seeds 30-80 did, on 16-cell packs
(the sensor noise of a seed is the same whatever the chemistry and profile, so
these are ~50 independent draws of a 16-cell pack-day, ~800 cell-days): once through a late, steep
template whose rate the quadratic did not confirm (now required), and six times
with every condition met, z 5.0-6.0, five of them on a lead-acid pack cycling at
1C -- a pack that warms under load passes the own-heating condition, leaving the
excess's noise alone to decide, and the best of many overlapping windows and
templates has heavier tails than one z. A z of 5.4 removed the four of seeds
30-60 but neither of seeds 61-80, at a few seconds of latency: not taken.
The two of seeds 61-80 (lead-acid, 16 cells, cycle and HPPC: seed 75 cell 13 at
30,060 s and seed 77 cell 2 at 56,915 s, each under 2 of the 3 resistance
spreads, the noise being the same) are the sensor noise alone: the noise-free twin's
excess of that cell is flat (0.19 K) and its own temperature too (the pack holds
~32.5 degC, a lead-acid cell's heat capacity), while the noise's 5 s bin means
are white (lag-1..5 autocorrelation < 0.01 over the day) and happen to run low for
a minute, then high: rise z 6.5 on the noise alone (the day's other 276,000
windows of that pack: 23 above 4). The own-heating guard is no help there (the
cell's own rate is its noise too). Tried on the recorded statistics of every
window (runaways: NMC and LFP, 4/16 cells, 4 profiles, seeds 300-339, 640 runs;
first-detection latency within 60 s: LFP 138/160 (4 cells) and 157/160 (16),
NMC 320/320), each removing these alarms but costing detections: the template's
evidence required (z >= 5.4, the quadratic's >= 4.5) LFP 4 cells 122/160, 16
cells 153/160; the condition in two successive bins (z >= 4.5 and 4.0) 123 and
148/160. A start rate no lower than -0.6 x the end rate (the noise dipped, then
rose) removes only the first (the other's first bin has -0.58), at LFP 134 and
155/160 (the parabola through a runaway's flat start and its take-off dips too);
-0.5 x removes both at 117 and 140/160. None taken: they are left as this test's
false-alarm rate (6 of the 480 lead-acid 16-cell pack-days of seeds 61-80, all of
them among its 120 cycle and HPPC runs: two noise events).
A runaway whose self-heating
starts at 1 degC/min (the simulator's NMC cell) is caught 27-45 s after its
onset; at 0.4-0.5 degC/min (its LFP and lead-acid cells, doubling every ~40 s)
in a 4-cell pack LFP 41-66 s (15 of 16 within a minute; seeds 300-339 of the
benchmark: 138 of 160 within a minute, the slowest 67 s, 16 cells 157 of 160, 65 s),
lead-acid 46-72 s
(12 of 16; with the quadratic alone 8 of 16): the rise by then, ~0.6 degC, is
about 4 times the noise of a 5 s bin mean of 0.3 degC sensors, so a minute is
at the limit of what 5-sigma evidence allows -- still minutes before T2: from
1 degC/min an e-folding self-heating needs ~4 e-folds to reach 60 degC/min. (The
simulator's LFP runaway now starts at 1 degC/min as its NMC one -- an onset is a
self-heating rate, see :mod:`app.hardware.simulator.faults` -- and is found as soon,
within 45 s of an onset 30 s or more into the log; the LFP figures above are of its
former 0.5 degC/min onset, the same take-off declared ~42 s earlier: a slower onset
is still found no sooner.) With no other cell temperature to compare with,
the expected adiabatic Joule heating (I² R_dc / C from the spec's ECM, R_dc at the
cell's own temperature: see "A cold lone cell") is subtracted instead.

A log's first two minutes. The window needs 24 bins: a runaway starting in a log's
(or a live connection's) first two minutes was tested only once it filled, at ~119 s,
and found 74-114 s after its onset. The window now grows from the log's start: from
30 s (6 bins) on, each new bin is tested on all the bins since the start, with the
contrasts of that length (the z's are in that window's own standard errors) and
the acceleration thresholds scaled to it (a rate doubling within 120 s rises by
2 ** (L / 120 s) within L, its end-minus-start rise in proportion), the acceleration
at 3 standard errors instead of 2 (the start rate of a short window is noisy: a cell
steadily 3 degC/min warmer from the start passed at 2, at 44 s; 4 cost a third of the
early detections). The full window's test is unchanged (the same bits). Runaway
injected at 0-110 s into the log (``bench_faults.py --parts detection --onsets 0 5 30
60 90 110``, the runaway case only; NMC and LFP, 4 and 16 cells),
within 60 s, before -> after: seeds 1-4, onset 30 s 0/16 (89 s) -> 11/16 (29-79 s),
60 s 15/16 -> 15/16 (29-64 s, was 59-64), 90-110 s 32/32 either way; onsets 0-5 s
0/32 (114-119 s) -> 8/32 (39-99 s): with no flat start to measure the rise against,
the excess's curvature alone must show the acceleration. Untuned seeds 300-307
(64 runs per onset): onset 30 s 0/32 (89 s) -> NMC 16/16 (29-54 s), LFP 5/16
(39-84 s); 60 s 30/32 (59-64 s) -> 30/32 (29-64 s); 90-110 s 63/64 either way;
0-5 s 0/64 (114-119 s) -> 1/64 (59-99 s). Clean: the first 6 minutes
of the benchmark's 960 clean runs of seeds 1-8 and of 61-68 (all chemistries,
profiles, spreads; later windows are the full one's, unchanged): no alarm.
Once the growing window holds a minute (12 bins) the acceleration is tested at 2
standard errors again, as in the full window: a runaway from a log's first seconds
shows its curvature at 2-2.5 standard errors by then, and waited 10-25 s more for 3.
Below a minute, a start rate under zero counts as zero (the start rate of so short a
fit is noisy: a 10 ohm short from the log's fifth second, heating steadily, passed
at 39 s with a start rate of -2.5 and an end rate of 4.9 degC/min, fast enough to
stand as a runaway and to have the short, found later, dropped as its heat).
``bench_faults.py --parts detection --onsets 5 30 --cells 4 16``, the Li-ion
runaway and short cases (4 profiles), within target, before -> after: seeds 300-303
runaways 44 -> 76 of 128 (onset 5 s NMC 4 -> 16 of 32, LFP 0 of 32 either way;
onset 30 s LFP 8 -> 28 of 32), shorts 169 -> 176 of 192; untuned seeds 320-323
runaways 56 -> 92 of 128, shorts 175 -> 176 of 192. Clean: no alarm in the first
6 minutes of 864 clean runs (3 chemistries x 4/16 cells x 6 profiles x 3 spreads x
seeds 1-4 and 61-64) nor in the benchmark's clean table (seeds 81-82, 24 h).

Onset in a log's first minute. A runaway from the log's first seconds leaves the
window no flat start: in its first minute a self-heating that e-folds in ~60 s bends
by one e-fold, and an LFP onset (0.5 degC/min) shows that bend at 0.3-1.9 standard
errors when its rise already stands at 5 (onset 5 s, seeds 300-303, 59 s in: template
z 5.7-7.4, the acceleration's z 0.3-1.9); the acceleration at 2 kept it waiting until
76-89 s. So in the growing window the acceleration may instead be only not negative
-- the end rate at least the start rate: a runaway does not slow down, while a cell
relaxing towards its neighbours' temperature at a log's start does -- as long as the
end rate stays under ``RUNAWAY_CONFIRM_C_PER_MIN`` (3 degC/min); the evidence (5
standard errors), the 0.7 degC/min and the own-heating conditions are unchanged. What
this gives up: the first minute cannot tell a slow runaway from a steady source of
0.7-3 degC/min excess heat (an internal short of ~10 ohm from the log's start), which is
now reported as a runaway onset in the log's first two minutes; on a shorted cell
:mod:`.detector` drops that alarm as the short's heat once the short test confirms it
(the alarm never reached 3 degC/min). A faster steady source still needs the
acceleration: at 3 degC/min a real runaway shows it within the minute (the 10 ohm
shorts of seeds 301 and 304 on a 4-cell NMC pack heat at 2-3 degC/min over the
others: with no cap the alarm reached 3-3.8 degC/min, stood as a runaway, and the
short was dropped as its heat: the benchmark's 10 ohm shorts from 5 s on 4-cell NMC
packs fell from 16 to 7 of 16). Under a minute of data only the template's evidence
counts, not the quadratic's: on 6-11 bins the quadratic fits a dip and rise of the
noise (a clean 16-cell LFP pack on a CC-CV charge, seed 1108, 34 s in: start rate
-3.0, end rate 4.1 degC/min, quadratic z 5.1, template z 4.7, raised an alarm before
this change: 1 of 3,000 clean log starts), while every runaway confirmed in those
windows had a template z >= 5 (onset 0 s, NMC and LFP, 4 and 16 cells, 4 profiles,
seeds 300-307: the same 60 confirmations either way). Clean log starts (4 minutes,
4 and 16 cells, chemistry, profile and resistance spread cycling with the seed): of
3,000 on seeds 3000-4499 none raised an alarm, the largest evidence of a growing window
meeting the other conditions 4.9 (on seeds 1000-2499, where the rule was chosen, 4.7
once the seed-1108 window is gone): 5 is kept. (One other clean start, seed 1812, a
16-cell NMC pack on CC, raised an alarm at 119 s: the first full window, template z
5.0, the same before and after -- this test's own noise rate, above.)
``bench_faults.py --parts detection --onsets 5 30 --cells 4 16 --brief``, within
target, before -> after: seeds 300-303 runaways 92 -> 128 of 144 (LFP onset 5 s 0 -> 24
of 32, within 44-69 s; NMC onset 5 s 16 -> 28 of 32; LFP onset 30 s 28 -> 28), shorts
240 of 256 either way; untuned seeds 320-323 runaways 108 -> 136 of 144 (LFP onset 5 s
4 -> 24 of 32, NMC 28 -> 32; LFP onset 30 s 28 -> 32), shorts 240 of 256 either way; no
fault before an onset. The LFP runaways still late (4-cell packs mostly, 64-69 s) have
a rise of z 3.8-4.0 at 59 s (seed 302): not yet 5. Clean: the benchmark's clean table
(seeds 81-82, 24 h) and the first 6 minutes of seeds 83-86 raise nothing.

Lead-acid. The figures above for lead-acid came from a simulated runaway that
was not physical (the Li-ion self-heating on a lead-acid cell, even at rest): 19 of
32 runaways within 60 s on seeds 1-8, the temperature evidence alone at z ~5.7 by
55-60 s. A lead-acid runaway is the float charger's -- its recombination current,
through every cell of the string, heating each alike -- and is found on that
current by :mod:`.float_runaway`; this test still runs on lead-acid packs (a cell
heated by something else) but is not what finds their runaway. On a lead-acid pack
its condition must hold over four successive bins (``RUNAWAY_DEBOUNCE_LEAD_ACID_S``):
a lead-acid cell's heat capacity (35 J/K/Ah, a thermal time constant of hours) makes
its heating slow, and a real one holds and grows from bin to bin, while a noise
excursion scores only while it sits at the window's end. The two noise alarms above
(seeds 75 and 77, all lead-acid) held one and two bins; they are gone. On seeds the
rule was not chosen on, 30-60 (16-cell lead-acid packs, 1C cycle and HPPC, each
resistance spread, 24 h: 186 pack-days), the test raised ten noise alarms (seeds 40,
42, 52, 59 and 60, z 5.1-5.5, every one a single bin); now none. The cost: a
lead-acid cell's own accelerating heat (0.5 degC/min, e-folding in 60 s, added to
a clean 16-cell pack in its 1C discharge, seeds 40-51) is confirmed 15 s later, 49-74 s
instead of 34-59 s.

The detail. A runaway's episode runs from its onset past its peak, so its detail
says which moment each figure is of: ``detected_time_s``, the cell's temperature
there (``temperature_at_detection_c``, its 5 s bin mean) and the test's rate there
(``excess_rate_at_detection_c_per_min``, of the sensors compared:
``temperature_sensors``); over the episode's bins, the cell's highest
temperature (``max_temperature_c``: its highest *sample* from the confirming bin on,
or the safety check's over-temperature peak of that sensor where one overlaps the
episode -- see :func:`.detector._runaway_peaks`; it was the hottest 5 s bin mean, 699.9
against the safety event's 702.4 degC for one runaway) and fastest rise (``max_rise_rate_c_per_min``:
the straight-line slope of its own temperature over 120 s, as the thermal summary's
``max_rise_rate_c_per_min``, on 5 s bins instead of samples); and the test's peak rate
(``peak_excess_rate_c_per_min``, at ``peak_rate_time_s``, the cell then at
``temperature_at_peak_rate_c``, with ``prev_rate_c_per_min``, ``own_rate_c_per_min``
and ``rate_z`` of that bin). The test's rates are of the *excess* over the other
cells' median (a lone sensor: its own less the Joule heating) and are the end slope
of the quadratic over the last 120 s, the rate *now* -- a curve's extrapolation,
which overshoots where a rise stops short: a simulated NMC runaway (4 cells, drive,
onset 600 s) peaks at 553 degC/min at 999 s, the cell already at its 694 degC
plateau, where its fastest 120 s rise is 322 degC/min (the summary: 321 on samples).
Before, the detail gave that peak bin's figures as ``rate_c_per_min`` and
``temperature_c`` beside ``detected_time_s`` (634 s, the cell then at 26 degC).

The noise level. A clean 16-cell NMC pack cycling at 1C (resistance spread 8 %, seed
1 of ``bench_faults.py``) raised an onset on its hottest cell, cell 8, at 23,170 s,
five minutes into a discharge after a rest: template z 5.3 (quadratic 5.25), end rate
0.79, start rate -0.43 degC/min -- the excess's noise low for a minute, then high.
Three things had raised that z besides the noise itself. (1) The window's own
estimate of the sensor's noise (~120 second differences) read 0.275 and 0.257 degC in
its two bins against the sensor's 0.30 (its day's): a two-minute estimate is ~10 %
low one window in six, and a z as much too high. A sensor's white noise is now the
larger of the window's and its last 30 minutes' (``NOISE_HISTORY_S``). (2) The
reference's share of the noise was that of the median of cells at one temperature,
1.57/k of a cell's variance; cells further apart than their noise (an 8 % resistance
spread puts them ~0.3 degC apart, twice a bin mean's noise) leave the median following
its middle cell or two: 0.21 of a cell's variance over that day, against 0.098. The
reference's noise is now measured too, from the second differences of its bin means
over the last 30 minutes (the larger of the two counts; 0.13 there). With (1) and
(2) the alarm read z 4.9 and 5.1. (3) below.

A cell's own resistance. A cell with more resistance than the median cell heats
(1 + r) times as much (r its relative excess resistance; its thermal mass and cooling
alike), so its excess over the median follows r times the median's rise over ambient
(the short test's model: :mod:`.cell_resistance`). It is not flat under load: at a
discharge's start after a rest the hottest cell's excess goes from flat to a climb
(cell 8 above, r ~0.17: 0.06 degC/min) -- a flat start and a rise, the shape the test
looks for -- worth ~0.8 standard errors over the window. The evidence (the quadratic's
rise and the templates' amplitudes; not the rates, nor the acceleration) is now that
of the excess less its share of the reference, ``yd - s * ref``: the share s, the
excess regressed on the reference over the 30 minutes before the window
(``PRE_TREND_S``), at its lower bound (``PRE_SHARE_Z`` standard errors under it, never
below 0: a share the history does not show surely is not removed; none in a log's
first ``PRE_MIN_BINS`` bins). A runaway's own onset lies in the window, after the
regression's data. The alarm above now reads z 4.4 at most. ``bench_faults.py``,
before -> after: the clean table (seeds 1-2, 5760 pack-hours) 1 runaway alarm -> 0;
seeds 3-5 and 11-12 (14,400 pack-hours) none after. Runaways within 60 s (4 and 16
cells, ``--cases runaway``): seeds 1-4 70/72 either way (two found later, 33 -> 38
and 49 -> 59 s), seeds 300-303 69/72 either way (median 39 -> 40 s), onsets 5, 30 and
60 s into the log (seeds 300-303) the same table to the second; a runaway of that
pack's hottest cell in that discharge 19-34 s, as before. The evidence is judged only
where the test's other conditions hold (the same decisions, less work).

A log's start under a load. The share needs ``PRE_MIN_BINS`` bins before the window and
the steady trend ``STEADY_MIN_S`` of them; a log that starts at a load step has neither
for its first minutes, while its high-resistance cells already warm ahead of the others.
A clean 16-cell NMC pack at 0 degC, 1C discharge from rest, 8 % spread (seed 401 of
``benchmarks/validate/start_load.py``): cell 14's noise-free excess climbs at 0.10-0.14
degC/min from the first minute on, then slower (no S-curve: the heat of a resistance
falls as the cell warms), a ramp that adds ~1.6 standard errors to the quadratic's rise;
with a noise wobble (start rate -0.39, end rate 0.85 degC/min) it raised a critical onset
at 194 s, z 5.5 (cc and cycle; at 2C that cell and others at 184-224 s, z up to 12).
Taking each cell's noise-free excess off the noisy log removed all seven such alarms.
So where fewer than ``PRE_MIN_BINS`` bins precede the window, the share is regressed over
the bins since the log's start, the window's included (still at its lower bound, and on at
least ``PRE_MIN_BINS`` bins: a full window's worth): a resistance's excess follows the
reference from the load step on, and a runaway's take-off does not (the reference of a
pack at rest is flat, its share unknown: 0). Runaways (``bench_faults.py --cases runaway
--onsets 5 30 600 --cells 4 16 --first-seed 300 --seeds 2 --parts detection``): 108/108
within 60 s, median 34, worst 54 s, the same table; ``--brief --parts detection`` the
same table; held out, ``--cases runaway short --onsets 5 30 --cells 4 16 --first-seed 320
--seeds 4 --brief``: runaways 144/144 within 60 s, the same table, onset alarms on shorts
43 -> 42 of 256. A minimum of 12 bins (a minute) also removed the growing windows' alarms
but cost runaways 3 of 144 (to 74 s): not taken. Clean starts, ``start_load.py --chems
nmc lfp --cells 16 --ambients 0 10 25 --profiles cc cycle --c-rates -1 -2 --seeds 403-408
--minutes 10`` (held out): onset alarms 16 -> 8, all 2C at 0 degC at 44-109 s (growing
windows or too few bins since the start: see the next section); the rule's seeds 400-402
(1C, 0 degC): 2 -> 0.

The resistance of a cell at a log's start. The share from the bins since the start
needs ``PRE_MIN_BINS`` of them: a log's growing window (its first two minutes) had none.
At 2C from 0 degC a pack warms at ~3 degC/min (its resistance f(0 degC) = 2.09 times its
25 degC one), and a cell with 19 % more resistance than the median (``start_load.py``
seed 404, 16-cell NMC, 8 % spread, cell 14) climbs 0.50-0.56 degC/min over the others
from the load step on -- 0.19-0.20 of the reference's rise, falling slowly (0.15 at 300
s: the cell's own warming lowers its resistance, the Arrhenius law) -- a ramp that is
most of a growing window's evidence: with a noise wobble its end rate read 2.8 degC/min,
z 6.1, at 44 s (seeds 403-408, 16 cells, NMC and LFP, 0/10/25 degC, 1C/2C, cc and cycle:
8 such alarms at 44-109 s, all NMC 2C at 0 degC). Within the first minute the temperature
cannot tell that ramp from a runaway's take-off at ~1 degC/min: the share regressed on
the growing window's own bins (from 6 on) removed those alarms and a runaway's evidence
with them (runaways 5 and 30 s into a 2C discharge at 0 degC, NMC and LFP, 4/8/16 cells,
seeds 300-302, cell 2: within 60 s 34 -> 17 of 36). The cell's voltage can: a cell whose
resistances are (1 + r) times the median's makes (1 + r) times its Joule heat and drops
(1 + r) times its overpotential under the current -- at 2C and 0 degC ~0.3 V at once,
r = 0.19 of it 58 mV, against a few mV of OCV between a balanced pack's cells. So where
fewer than ``PRE_MIN_BINS`` bins precede the window, the share is also read from the
voltages over the bins since the log's start (:meth:`.short_heat.ShortHeat.resistance_share`:
the cell's deviation from the other cells' median voltage over the nominal cell's
overpotential, R0 I and its RC pairs from the log's start as the short's heat reads it,
times the Arrhenius factor at the reference's temperature, at its lower bound), and the
larger of it and the temperature's share is taken off. Cell 14 above (noise-free): 0.18
over its first 6-12 bins, 0.17 at 24 (its excess 0.20-0.17 of the reference's rise; the
nominal RC pairs build up faster than a cold cell's, so it reads low). A runaway's own
heat lowers its cell's resistance (under a discharge its voltage rises against the
others): it reads less, never more. What it costs: a runaway of the most resistive cell
from a cold 2C start is found as its excess beyond that heat (seeds 300-302, 4/8/16
cells, NMC and LFP, onsets 5 and 30 s: 36/36 within 60 s either way, worst 54 s either
way, 7 of them 5-10 s later); a log that starts mid-discharge (``--skip 300``: the RC pairs
already charged, the model's empty) reads r high at first, up to (R0 + R1 + R2) / R0
(there 48/48 within 60 s either way, worst 59 s either way, 11 of them 5-10 s later).
Clean starts, before -> after: the seeds above (403-405, and the cold 2C set of
``benchmarks/validate/README.md``, seeds 400-402, 4/8/16 cells, 35 min) 3 -> 0 and 5 -> 0
onset alarms; held out: seeds 406-414, 16 cells, 9 -> 0; seeds 403-414, 4 and 8 cells,
10 -> 0; the cold set on seeds 409-411, 0 either way. ``bench_faults.py --parts detection
--cases runaway --onsets 5 30 600 --cells 4 16``, seeds 300-301 and 320-321: the same
tables (108/108 within 60 s each); ``--brief --parts detection clean equivalence``:
422/422 within target, no false alarm, offline == live, no onset alarm on a short.

An aged pack. The voltage's share is the cell's deviation from the other cells' median
over the NOMINAL cell's overpotential: r times the pack's own resistance over the
nominal's. In a pack aged as a whole (every cell's resistances twice the spec's,
``benchmarks/validate/aged_runaway.py``) it read twice the cell's share of the
reference's heat, and a runaway of its most resistive cell was found only beyond that
(8-cell NMC, seed 601, cell 7, 32 % over the others' median: 0.49 where its heat is ~0.3
of the reference's; runaway 30 s into a 2C discharge at 0 degC found 74 s after it). The
reference's own rise tells the pack's resistance: the median cell heats by the current
times its overpotential, so the reference's temperature over the nominal cell's heat
accumulated since the window's first bin (I times the nominal overpotential times f(T),
over the heat capacity: no cooling) is the pack's resistance over the nominal's
(:meth:`.short_heat.ShortHeat._pack_scale`), and the voltage's share is divided by it, at
its lower bound (``PACK_SCALE_Z`` standard errors) and never below 1. The cell's excess
the test takes off is then its own extra heat, the current times its extra voltage drop,
whatever the pack's resistance, an outside heat or the model's RC pairs (both the share
and the scale read them alike). A pack no more resistive than the spec keeps its share:
16-cell packs (seed 404, 5 min) read 0.77-0.88 (NMC, 0 and 10 degC, 2C; the nominal
RC pairs build up faster than a cold cell's and no cooling is counted) and less on the
others (LFP, 1C, 25 degC); at twice the spec 1.62-1.80 (NMC 2C), 1.25-1.45 (LFP 2C) --
under the truth, so the share stays on the safe side. A pack whose cells hold less heat
than the spec says would read as more resistive (not seen in the simulator). Before ->
after: ``aged_runaway.py --chems nmc --conds 0:-2 --r-scales 2 --where hi --seeds
600-611``: median latency 49 -> 44 s, over 60 s 5 -> 0 of 72, worst 74 -> 54 s; held out,
``--chems nmc lfp`` seeds 612-623: NMC median 49 -> 39 s, over 60 s 2 -> 0 of 72, LFP
39 s either way (144/144 within 60 s, worst 54 s); ``--conds 0:-2 10:-2 25:-1 --r-scales
1.5 2 --where hi lo --onsets 5 30 --seeds 620 621``: 35 of 288 sooner, none later (the 11
over 60 s the same: nine the LEAST resistive cell's, which this share does not touch);
``--skip 300`` (seeds 600-601): over 60 s 2 -> 1 of 48, none later. Clean (every fault
false): ``aged_runaway.py --clean`` seeds 601-607, with and without ``--skip 300``, 0;
``start_load.py --chems nmc lfp --cells 16 --ambients 0 10 25 --profiles cc cycle
--c-rates -1 -2 --minutes 10`` seeds 403-405 and held out 406-414, 0 onset alarms
(``--cells 4 16 --skip 300`` seeds 403-405: 0). ``bench_faults.py --parts
detection --cases runaway --onsets 5 30 600 --cells 4 16 --first-seed 300 --seeds 2``:
the same table (108/108 within 60 s, median 34, worst 54 s); ``--brief --parts detection
clean equivalence``: 422/422 within target, no false alarm, offline == live;
``bench_pack_only_faults.py --seeds 3``: onset alarms on shorts 33 of 216 (a pack voltage
alone: no voltage share), runaways 39/39 within 60 s.

The share's noise. The evidence is of the excess less its share of the reference, the
cell's temperature less (1 + s) times the reference's, whose noise is the cell's and
(1 + s)² times the reference's; it was judged as if s were 0. With a share of ~0.2 that
is a few per cent of the variance, but the voltage's share (see "The resistance of a
cell at a log's start") reads any offset of a cell's voltage over the nominal
overpotential, an OCV offset included: in a hot pack of large cells (an LFP cell's
overpotential at 45 degC, 100 Ah, +0.2C: ~3 mV) whose SOCs differ (3 % at LFP's knee: a
cell 290-314 mV off the median) it read s = 83, and the reference's noise, taken 84 times
into the evidence and not into its error, gave z 31 at 40 s into a clean log
(``bench_clean_hunt.py`` seed 12057; seed 12140, 8 cells at 0.5 Hz and 35 degC, 40 mV
over ~4 mV: s = 8.6, z 8.8 at 66 s; with 12255, 10236 and 15065 five such alarms at
35-90 s, all LFP at 35-45 degC with a 1-3 % SOC spread, their noise-free twins clean).
Two changes. (1) The evidence's standard errors (the quadratic's rise, the templates'
white and per-bin ones, and the steady trend's lower bound) hold (1 + s)² times the
reference's share. (2) A voltage's share is a resistance's only up to what one can read:
a cell of twice the median's resistance (``SHARE_V_MAX_R``) in a pack of twice the
nominal's (``SHARE_V_MAX_PACK``), read against R0 alone where the RC pairs are already
charged (a log from mid-discharge: R_dc / R0 more), reads at most
``SHARE_V_MAX_R * SHARE_V_MAX_PACK * R_dc / R0`` (NMC 3.9, LFP 3.8, lead-acid 4.7; the
resistance shares seen in the benchmarks' aged, cold and mid-discharge starts <= 0.31);
beyond it the offset is the cells' OCVs and the voltage gives no share. The share regressed
on the temperatures is bounded alike: a 10 ohm short's heat on its cell (4-cell NMC, its
neighbours warming with it) read as a share of ~10, and with (1) its runaway 15 minutes
on was found 99-134 s after its onset (``test_short_heat``), within a minute with the
bound (the short's heat is the steady trend's to take off). With (1) alone the
false alarms went, but a runaway of such a cell 30 s into the log was found 40-130 s
after its onset (its evidence judged against 9-140 times the reference's noise); with
(2) too, 20-56 s, as with no voltage share at all. What (1) costs: a real resistance's
share raises a bin mean's variance by ~4 % (16 cells, s = 0.2) to ~35 % (4 cells, s =
0.5: the reference's part is 1.57/k of the cell's), so a runaway of a resistive cell in
an aged pack may be confirmed a bin later. Figures, before -> after:
``bench_clean_hunt.py --runs 300 --ambients 35 45 --hours 0.1 --twin`` (the log starts of
the hunt's hot runs), ``--first-seed`` 10000, 12000, 14000, 15000 (where this was traced):
runaway onsets 1, 3, 0, 1 -> 0 (every one's twin clean); held out, ``--runs 1000
--first-seed 20000`` (329 hot runs): 3 -> 0 (NMC 4-16 cells, +0.2C, 1-3 % SOC spread,
40-54 s); ``--runs 100 --first-seed 16000 --ambients 35 45 --hours 6`` (222 pack-hours,
after only): 0. Runaways: ``bench_faults.py --parts detection --brief --cases runaway
--cells 4 16`` at 1, 0.2 and 0.1 Hz, and ``--onsets 5 30 --first-seed 300``: the same
tables (1 Hz 36/36 within 60 s, median 36 s; 0.2 Hz 36/36, median 52, worst 60 s; 0.1 Hz
4/36 either way; log starts 72/72, worst 54 s); a runaway of cell 2 30 s into the hot
hunt's Li-ion runs of 3+ cells (seeds 21000-21199, 36 runs): 35/36 within 60 s either
way, the same latencies; ``benchmarks/validate/aged_runaway.py --chems nmc lfp --conds
0:-2 --r-scales 2 --where hi --seeds 612 613 614``: 36/36 within 60 s either way, worst
54 s either way, three of them 5 s later (34-44 -> 39-49 s); ``--skip 300`` (seeds 600
601), ``start_load.py`` (16 cells, NMC and LFP, 0-25 degC, 1-2C, seeds 406-408) and the
clean aged packs (``--clean``, seeds 601-603, with and without ``--skip 300``): the same
output; ``bench_faults.py --parts detection --brief`` (every case, seeds 1-2) the same
table (422/422 within target, no onset alarm on a short); ``--parts clean --first-seed
1440 --seeds 2 --clean-cells 4 16`` (5,760 pack-hours): 0 false alarms; ``--parts
equivalence`` identical, and live == offline on the five hot log starts above, clean and
with a runaway, blocks of 1, 37 and 5000 samples (30 of 30). Held out, ``--first-seed 90
--seeds 4 --parts detection --brief``: the same table (844/844 within target); shorts
from a log's start, ``--first-seed 320 --seeds 2 --onsets 5 30 --cells 4 16 --cases
runaway short --parts detection --brief``: runaways the same, onset alarms on shorts 28 ->
25 of 128 (LFP default shorts: 4 cells from 30 s 1 -> 2, 16 cells 4 -> 2 and 3 -> 1).

A short's heat. An internal short's onset steps its cell's heating rate (a 10 ohm short
across a 5 Ah NMC cell: 1.4 W, ~1.1 degC/min), and a step passes this test's
acceleration as well as a runaway's take-off does: a first-time GUI user's benign
short (4-cell NMC at rest, 10 ohm from 60 s) raised a critical onset alarm at 75 s, the
cell at 25.3 degC, withdrawn only once the short test confirmed the short at 480 s; a 1-3
ohm short (5-19 degC/min, steadily) stood as a runaway, and the short was dropped as its
heat. Within the minute a runaway must be found in, the temperature alone cannot tell
the two apart; the cell's voltage can: a short's current drops it against the other
cells at once, a runaway's self-heating does not. So a window's rate must also exceed
what a short its cell's voltage drop allows could make (:mod:`.short_heat`, which also
says when no short explains a heat; a lone pack sensor without cell voltages asks the pack
voltage, its model carried on through the window). And a cell whose excess already rose at
``STEADY_START_C_PER_MIN`` over the two minutes before the window (a straight line's
slope: ~0.05 degC/min of noise at 1 Hz; and at ``STEADY_START_Z`` of the slope's standard
errors, which at a sample every 5 s are ~0.13 degC/min: there a flat excess's noise
alone passed 0.15 in about one window of eight) must show its acceleration at
``ACCEL_Z_STEADY`` standard errors: a steady ramp meets the rise's evidence by itself, so a 2-sigma wobble
of the acceleration raised alarms on shorted cells 4-11 minutes after the short began.
A runaway starts from a flat excess: unchanged. What it costs: a runaway on a cell
already heated by a short must outgrow the short's heat (NMC, a 10 ohm short for 15
minutes, then a runaway, seeds 1-4, rest and drive: found in 19-44 s; LFP 34-144 s,
was 4-44 s, the earlier alarms partly the short's heat). Figures: :mod:`.short_heat`.

Steady heat is no self-heating. A short the voltage cannot see (the LFP default, 20
ohm across a 2.5 Ah cell: 0.54 W, ~0.44 degC/min at first; its drop, ~1.3 mV through
R0, is within the cells' voltage noise) heats its cell as a first-order lag: its rate
steps up at the short's onset, then falls as the cell's cooling catches up (a thermal
time constant of ~20 minutes), never faster. A quarter of an hour on, the excess still
ramps at ~0.25 degC/min, and a two-minute window of that ramp meets the rise's evidence
by itself (z 8-11): a noise wobble of the end rate (0.74 against a true ~0.25 degC/min;
the end rate's standard error is ~0.22 degC/min) and of the acceleration then raised an
onset alarm, withdrawn once the short test confirmed the short (bench_faults.py seeds 2,
101 and 110: 17-19 minutes after the short's onset). A runaway's self-heating is heat
*on top of* whatever steady heating the cell had. So the cell's steady heating before
the window -- the straight line's slope of its excess (less its resistance's share)
over the ``STEADY_TREND_S`` before the window, at its lower bound (``STEADY_TREND_Z``
standard errors under it, never below 0: a trend the history does not surely show is
not taken off) -- is carried on through the window: the evidence (the quadratic's rise,
the templates' amplitudes) is of the excess beyond it, and the end rate less it must
reach ``RATE_MIN_C_PER_MIN``. A runaway from a flat excess: a trend of 0, unchanged; on
a cell its short has heated for 15 minutes (``test_short_heat``): still found within a
minute (its quadratic rate holds the short's ramp and the take-off, the trend takes off
the ramp). A lone sensor keeps its Joule correction only (its own temperature's trend
holds its Joule heat, already taken off its rate).

A steady heat switched on. In the short's first minutes the window holds a flat start
and a ramp: the quadratic's end rate of such a kink overshoots the ramp's rate (up to
~1.5 x) and its noise adds the rest -- 0.8-1.0 degC/min read on a 0.44 degC/min short,
1-3 minutes after its onset (the acceleration at z 2.0-2.9). Within the minute a runaway
is found in, the kink and a take-off differ by less than the noise (a bank of ramp
templates switched on at each bin edge, against the self-heating templates, fitted the
runaways' first minute as well: those found 29-39 s after their onset waited until 58-63
s for the take-off to beat the best ramp). What does differ is the rate of the
self-heating: a runaway's onset is a self-heating of ~1 degC/min (the simulator's, and
the practical pack alarm level of 1-2 degC/min) that only grows, and the best
self-heating template -- an exponential take-off, the model of a runaway -- reads it at
1.3-3.9 degC/min where the runaways are confirmed (the quadratic, which lags a take-off,
reads 0.86-0.97 there), while it reads a switched-on 0.44 degC/min at 0.6-0.9 (the
quadratic 0.8-1.0). So the best template's rate at the window's end must reach
``SELF_HEATING_RATE_C_PER_MIN`` (1 degC/min), whichever evidence confirms the window.
Figures, before -> after both: ``bench_faults.py --brief --parts detection clean
equivalence`` (seeds 1-2): shorts with an onset alarm 3 -> 0 of 32 (LFP: 62, 114 and
1117 s after the short's onset), runaways 18/18 within 60 s either way (worst NMC 41 ->
45 s, LFP 40 -> 45 s); clean 0 false alarms either way; offline == live. Held out:
``--parts detection --chem lfp --cases short --first-seed 100 --seeds 12``: 16 -> 2 of 48
(the two left, 2.5-3 minutes after the short's onset, a late steep template of a noise
excursion, 1.1 and 1.8 degC/min); ``--first-seed 300 --seeds 4 --cells 4 16 --cases
runaway --parts detection --brief``: 72/72 within 60 s either way, median 33 -> 34 s,
worst 45 s either way; ``--first-seed 90 --seeds 4 --parts detection --brief`` (every
case): onset alarms on shorts 5 -> 2 of 64, runaways 36/36 within 60 s, worst 42 s
either way. Shorts from a log's first seconds (``--first-seed 300 --seeds 2 --onsets 5 30
--cells 4 16 --cases runaway short --parts detection --brief``): 37 -> 27 of 128 (what is
left: the growing window's own limit, above, mostly NMC 10 ohm shorts at ~0.9
degC/min), runaways 72/72 within 60 s either way, worst 54 s either way (16 cells from
30 s: 34 -> 39 s). Packs without cell voltages (a lone sensor: the template's rate
only), ``bench_pack_only_faults.py --seeds 3 --cells 4 --parts runaways shorts``: shorts
with an onset alarm 53 -> 45 of 216, runaways 39/39 within 60 s, median 44 -> 45 s,
worst 52 -> 53 s.

A sensor turning noisy. A cell temperature sensor turning noisy (sigma 5 degC) reads
its first noisy bin as a step as likely as not, and a steep one: on a 4-cell NMC pack
cycling at 1C (held-out seed 62, from 3000 s) that bin read 5.2 degC high, 5 standard
errors of its own noise as its five second differences estimated it (the template's
per-bin guard above), and raised a critical onset at 3004 s; the noisy sensor, starting
after the 'runaway', was then dropped as its consequence. A runaway adds no white noise
to its sensor (at 1 Hz a take-off's curvature is hundredths of a degree per sample while
the cell is under ``SELF_HEATING_ONSET_C``), a sensor turning noisy does: a window whose
last bin's white noise is above ``NOISE_JUMP`` times the sensor's over the long history
gives no evidence there (a clean sensor's bin estimate passes 10 times its variance about
once in a million bins). ``bench_faults.py --parts detection --first-seed 60 --seeds 5
--chem nmc --onsets 2000 3000 --profiles cycle cc --cases "sensor_noisy cell_3_temp_c"``:
onset alarms 1 -> 0 of 20, the noisy sensor found 19 -> 20 of 20.

Coarse sensors. Many BMSs report temperatures in whole degrees. A cell warming under
load then reads a staircase, and its excess over the other cells' median (a staircase
too) steps by a whole degree whenever the cell crosses a step before its neighbours: a
flat excess and a step up at the window's end, the shape this test looks for, while
its white noise (second differences: a step now and then) reads next to none. Noise-free
whole-degree logs of clean packs raised 1,308 onset alarms in 960 pack-hours (NMC
cycle and CC-CV the most). The sensor's quantum q is learnt from its readings
(:mod:`.resolution`), and the rounding's bias b (:func:`.resolution.rounding_bias`:
q/pi without noise, next to nothing once the sensor's noise spans q) is what the
excess may err by, the cell's and the reference's, varying over the window as they cross
their steps: the excess swings by up to 2b with the cell's, and with the reference's by
up to 2b more, at most 2 pi b / q per degree the reference's fitted curve moves over the
window (the bias is a sine of the true value, period q), and the evidence is of the rise
beyond what a step of that swing (2B) anywhere in the window gives (its greatest response, :func:`.resolution.step_response`, taken off the
quadratic's rise and off each template's amplitude), and a bin mean's noise is at
least (2B)²/12 (``QUANTUM_VARIANCE``), however many samples it holds. A sensor with no
known quantum (any noisy one read finely) has b = 0: the same bits as before. (The step
was 2b, the cell's swing alone, until a clean 16-cell NMC cycle read to whole degrees
with 0.3 degC of noise raised a runaway onset, z 5.3, where the same log read finely
gave z 4.4: the cell crossed a step while its reference crossed half of one. A flat 4b
cost noise-free whole-degree runaways, whose reference hardly moves, 9 -> 0 of 18 within
a minute; bounded by the reference's movement they stay 9 of 18.)
The steps' times. A noise-free whole-degree reading carries its information in the times
of its steps, which the bin means hold: a bin with a step has a mean between its two
levels, the fraction of its samples after the step, so the time a staircase spent below
a level (the bins' shortfalls from it) is when its true value crossed that level's edge,
to a sample (:func:`.resolution.staircase_steps`). One step is no evidence (a clean cell
crosses one whenever its excess drifts over an edge, however little), two are: between
its crossings into the last two levels the true value rose by a quantum. So a window
also has its evidence (in place of the quadratic's or a template's z; every other
condition unchanged) where the cell's sensor is noise-free and quantised (its rounding
bias at least ``STAIR_BIAS`` of q/pi), its readings rose by two steps or more with no
step down, the last quantum within ``q / SELF_HEATING_RATE_C_PER_MIN`` (a minute per
degree) after holding the level before the window's acceleration ratio times as long
(``ACCEL_RATIO``, 2, in a full window; the growing window's, in a log's first two
minutes, where the level before is held since the log's start at least): faster and
faster, as a runaway's step interval shrinks with its rate, where a steadily warming
cell's does not; and the reference held its value over the whole window (a pack warming
alike moves its reference's readings as much as the cell's). A cell whose self-heating
starts low in its degree crosses its second edge 55-67 s after a 1 degC/min onset: it is
now found in the bin of that step, not the bin after or when the bin means' z reaches 5.
``bench_faults.py --parts detection --cases runaway --noise-scale 0 --resolution temp=1
current=0.1 cell_v=0.001 pack_v=0.1`` (seeds 1-2, 4 cells), within 60 s, before ->
after: 9 -> 12 of 18 (NMC 2 -> 4 of 8, LFP 7 -> 8 of 8; worst NMC 73 -> 68 s, LFP 63 ->
60 s). Held out, ``--resolution temp=1 --noise-scale 0 --cases runaway --brief``:
``--cells 4 16 --first-seed 90 --seeds 4`` 38 -> 50 of 72 (NMC 4 cells 3 -> 8 of 16, 16
cells 6 -> 10 of 16; LFP 29 -> 32 of 32); ``--onsets 5 30 600 --cells 4 16 --first-seed
300 --seeds 2`` 35 -> 55 of 108 (onset 30 s NMC 4 -> 12 of 16, LFP 4 -> 16 of 16);
``--onsets 5 30 --cells 4 16 --first-seed 320 --seeds 2`` 12 -> 26 of 72 (onset 30 s NMC
6 -> 10 of 16, LFP 4 -> 14 of 16); nothing before an onset. What is left: the runaways
whose second step comes after the minute (NMC: the first at 33-41 s, the cell low in its
degree), one step only; from a log's first seconds (onset 5 s), whose level before is
held only since the log's start (too short to show the acceleration); onsets in a load
(the reference's readings moving); and the lead-acid float runaways (0 of 2, 0 of 8, 0
of 12 either way), found on the string's current by :mod:`.float_runaway`, whose heat test
waits for the mean cell temperature's rounding swing. Clean (every alarm false),
``--parts clean --clean-hours 24 --resolution temp=1 --noise-scale 0``: ``--seeds 1
--spreads 0.06`` (960 pack-hours) 0; ``--first-seed 2 --seeds 2 --spreads 0.03`` and
``0.08`` (3,840) no runaway onset on a cell (3 lead-acid float runaway onsets on the
current in CC-CV, the same before); ``--resolution temp=1 current=0.1 cell_v=0.001
pack_v=0.1 --first-seed 5 --seeds 1 --spreads 0.03``: 38 alarms before and after, none a
cell's runaway onset (internal shorts on NMC HPPC and lead-acid CC and CC-CV, lead-acid
float runaway onsets on the current). A sensor with a little noise: ``--resolution
temp=1 --noise-scale 0.1 --first-seed 7 --seeds 1 --spreads 0.06`` (0.03 degC read to
whole degrees) raised 55 runaway onsets on NMC cells (16-cell cycle and CC the most),
the bin-mean test's. The bias was worked out from the larger of the window's noise and
the long history's, and a reading whose noise is far under q sitting on a step's edge
chatters between the two steps, a variance of up to q²/4 whatever its noise: the
windows that alarmed read 0.10-0.16 q² (their sensors' 30 minutes 0.016-0.026 q²,
about sigma q / sqrt(pi) over a step's every place, under q²/12), which took 0.3-0.8 of
q/pi off the bias (b 0.07-0.22 degC for 0.32), z 5.1-6.8. The bias is now worked out from
the long history's noise only (:func:`.resolution.rounding_bias`). Clean runs, cell
runaway onsets before -> after (every other alarm the same: internal shorts, one lead-acid
float runaway onset on the current): ``--noise-scale 0.1`` seed 7 55 -> 0 (95 -> 41
alarms), held out seed 8 60 -> 0; seed 7 at ``--noise-scale 0.05`` 36 -> 0, ``0.2`` 48 ->
0, ``0.5`` 12 -> 0. The same tables before and after: noise-free whole-degree runaways
(``--parts detection --cases runaway --noise-scale 0 --resolution temp=1 --onsets 5 30
600 --cells 4 16 --first-seed 300 --seeds 2``: 55/108 within 60 s), read finely (the
same without ``--noise-scale 0 --resolution temp=1``: 108/108) and ``--brief --parts
detection clean equivalence`` (422/422 within target, no false alarm, offline == live).
The cost, on a sensor with noise read coarsely (0.3 degC to whole degrees, ``--resolution
temp=1`` alone): runaways 600 s into a log slower by 5-15 s (90 -> 87 of 108 within 60 s,
all found, the worst 94 s either way): a pack at rest sits in one place of its step,
whose noise then reads under the average over its every place, and the window's did not
count any more. What would do better: the noise from the readings' spread over the
levels (three levels at a step's middle, two at its edge), not from their variance.
Figures: ``benchmarks/bench_faults.py`` (``--resolution``).

A gap in the log. A time gap (rows lost) leaves its bins out: the stage makes bins only
of the samples it has (:class:`.bins.BinBatch`, whose ``index`` says which slot of time
each bin is), and the window was the last 24 bins, judged only if they spanned at most
25 slots (a lost bin is jitter). So no window across a gap of 10 s or more was judged
until the gap had left it, two minutes later: a runaway whose onset a 10 s gap followed
was found 139 s after it, one a 30 s gap followed 159 s (``benchmarks/validate/
gap_runaway.py``: every gap of 10 s or more from a minute before the onset to just after
it, seeds 700-706 and 740-742). Such a window is now the bins present over the last 24
slots of time, its fits over their times (the quadratic's and the templates' contrasts
for that pattern of slots, onsets in the gap included; a gap passing through the window
takes a few dozen patterns), its acceleration's thresholds those of the time from its
first bin to its last. The minimum of evidence: a minute of bins (``GAP_WINDOW_MIN_S``).
What must not pass for a rise is a gap's edge: the bins either side of a gap are often
partial (the first after a 20 s gap held one sample, a bin mean with the noise of five:
a clean 16-cell pack's quadratic read z 4.9 on that one bin, its noise taken for that of
a whole bin), so across a gap each bin's variance is that of its own samples (its count
of second differences against the window's mean count) in every standard error: the
rise's, the acceleration's and each template's. Windows of successive bins (no gap, or
one lost bin): the same bits as before. ``gap_runaway.py``, gaps of 10-30 s from 200 s
before the onset to 40 s after it: seeds 740-741 (where this was built) 24-49 s after the
onset, held-out seeds 700-706 and 742 29-49 s (without a gap 29-39 s). Clean logs losing
10-60 s every ~5 minutes (``benchmarks/validate/gap_clean.py``: NMC, LFP, lead-acid, 4 and
16 cells, drive, cycle, CC, 2 h): no alarm on held-out seeds 700-706 (504 runs); with the
evidence's z lowered to 4 (a margin), 2 of 144 runs of seeds 740-741 against none before
(one noise event behind a 60 s gap, 14 bins left; before the per-bin noise, 8: the partial
bins); 300 and 900 s gaps every 30 minutes (4 h): none, at z 4 the same 2 as before.

A cold lone cell. A lone sensor's Joule heating was taken off at the spec's R_dc, its 25
degC one; a cold cell's is the Arrhenius factor times more
(:func:`~app.core.spec.resistance_temperature_factor`: NMC and LFP x2.1 at 0 degC, x2.9 at
-10). A clean 1-cell NMC pack cycling at -10 degC (``benchmarks/bench_clean_hunt.py`` seed
9504: 0.5 Ah, 2 Hz) raised an onset at each discharge or charge step after a rest, in its
noise-free twin too (12,724 s: the cell at -7.6 degC, its own rate 1.32 degC/min, the
spec's Joule heat 0.60, leaving 0.71 "excess"; its R there is 2.69 times the spec's, whose
adiabatic heat, 1.6 degC/min, is more than the cell's whole rate). So the Joule heating is
now I² R_dc f(T) / C, f the factor at the cell's own temperature (its bin mean at the
window's end), held at the ends of ``RESISTANCE_CORRECTION_RANGE_C`` as the simulator's
cells, 1 where unknown; a warm cell's (f < 1) is less than before. Clean 1-2 cell packs at
-10/0 degC, 24 h, each noisy and its noise-free twin (the hunt's ``condition``s restricted
to them: ``bench_clean_hunt.py --ambients -10 0 --max-cells 2 --twin``, which twins only
the alarmed runs; here every run was twinned), runaway-onset alarms before -> after: seeds
9400-9459 and 9500-9599 (NMC cycle) 49 -> 0 (8 of 24 runs; the twins 3 of 12), 9000-9199 0
-> 0 (24 runs); held out, 21000-21299, 22000-22299 and 23000-23299 43 -> 0 (7 of 154 runs,
all 1-cell NMC, cycle and HPPC, -10 and 0 degC; twins 2 of 77); warm, the same seed sets'
1-2 cell packs at 35/45 degC (79 conditions, noisy and twin) 0 -> 0. Runaways of a lone
cell (``benchmarks/validate/lone_runaway.py``: cell 1 from 600 s, NMC and LFP, 2.5 Ah,
-10/0/25/45 degC, rest/CC 1C/cycle/drive, typical noise): seeds 300-301, 64/64 within 60 s
either way, max 39 -> 44 s (cold NMC under load 34 -> 39-44 s in 4 runs, 45 degC 39 -> 34
s in 2); held out 320-321 64/64 either way, max 39 s either way (NMC -10 degC 29 -> 39 s
in 2); the false onsets the old model raised before those runaways' onsets (6 of the 128
runs, cold NMC under load, 50-100 s in) are gone. Packs of 2 or more cells are not touched
(their reference is the other cells).
"""

from __future__ import annotations

import numpy as np

from app.core.spec import (
    RESISTANCE_CORRECTION_RANGE_C,
    BatterySpec,
    Chemistry,
    resistance_temperature_factor,
)
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import (
    D2_VARIANCE,
    MERGE_GAP_S,
    History,
    RollingSum,
    as_slice,
    bins_for,
    nonzero2,
    white_noise_var,
)
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.reference import shared_reference
from app.diagnostics.faults.resolution import rounding_bias, staircase_steps, step_response
from app.diagnostics.faults.short_heat import (
    REMEMBER_RATE_C_PER_MIN,
    SELF_HEATING_ONSET_C,
    ShortHeat,
)
from app.diagnostics.faults.types import FaultKind

#: The quadratic fit's window: two minutes, long enough to hold a flat baseline
#: before an onset as well as the curve after it.
FIT_WINDOW_S = 120.0
RATE_MIN_C_PER_MIN = 0.7
ACCEL_MIN_C_PER_MIN = 0.4
#: The cell itself must heat (not only its neighbours cool) at half the rate.
OWN_RATE_FRACTION = 0.5
#: The rise (fitted end value over the window mean) must stand 5 standard errors
#: above zero, and the acceleration 2: the errors come from the sensor's own white
#: noise (its second differences, robust to the heating curve) or from the fit's
#: residuals, whichever is larger.
RATE_Z = 5.0
ACCEL_Z = 2.0
#: ... and the rate at the window's end at least twice that at its start: a runaway
#: doubles its rate within the window, a steady heat source does not.
ACCEL_RATIO = 2.0
MIN_WINDOW_BINS = 6
#: In a log's (or a live connection's) first two minutes the window holds all the
#: bins since the start, from this many seconds on (at least MIN_WINDOW_BINS bins).
START_WINDOW_S = 30.0
#: ... with the acceleration at 3 standard errors, not 2: a shorter window's start
#: rate is noisy enough for a steady source (a cell 3 degC/min warmer from the log's
#: start) to pass the ratio test at 2 (an alarm at 44 s); 4 costs early detections.
ACCEL_Z_START = 3.0
#: ... until the window holds a minute: from then on 2, as in the full window (a
#: minute's fit sees the take-off's curvature at 2-2.5 standard errors where a
#: runaway began in the log's first seconds, 3 waited for another 10-25 s).
ACCEL_Z_START_S = 60.0
#: A cell whose excess already rose at this rate over the two minutes before the
#: window (a straight line's slope; a steady source: a short's heat) must show its
#: acceleration at ACCEL_Z_STEADY standard errors, not ACCEL_Z: its ramp alone meets
#: the rise's evidence, so the acceleration's noise alone would decide (see "A
#: short's heat").
STEADY_START_C_PER_MIN = 0.15
ACCEL_Z_STEADY = 3.0
#: ... and at this many of its own standard errors at least: on a slow log the slope's
#: noise is near the 0.15 itself (a sample every 5 s: ~0.13 degC/min), and a flat
#: excess's noise alone asked a runaway for the stricter acceleration (see "A short's
#: heat"); at 1 Hz (~0.05 degC/min) 0.15 is the larger.
STEADY_START_Z = 2.5
#: A runaway alarm that never heated faster than this, on a cell whose internal short
#: the short test finds, was the short's heat (:mod:`.detector` drops it): a runaway
#: goes on accelerating past it within a minute, a 10 ohm short heats a 5 Ah NMC cell
#: at ~1-2 degC/min, steadily.
RUNAWAY_CONFIRM_C_PER_MIN = 3.0
#: Candidates: the mean excess temperature of the last bins of the window above that
#: of its first bins by this fraction of the threshold rate over the window.
CAND_EDGE_BINS = 4
CAND_RATE_FRACTION = 0.25
#: The noise the evidence is judged against is also measured over this long a
#: history (see "The noise level"): each cell sensor's white noise, and the
#: reference's (the other cells' median) noise from its own bin means.
NOISE_HISTORY_S = 1800.0
#: ... the reference's once it has this many second differences (ten minutes of
#: bins): an estimate of a few bins is as likely high as low, and the larger of it
#: and the model's share then errs high (a 4-cell LFP runaway from a log's fifth
#: second was found 5 s later, at 64 s).
REF_NOISE_MIN_TERMS = 120
#: The evidence of a rise is of the excess its resistance does not explain: the
#: excess's share of the reference's rise, regressed over this long before the
#: window (see "A cell's own resistance").
PRE_TREND_S = 1800.0
#: ... from at least this many bins with both values, and at this lower bound:
#: the share less this many of its standard errors (never below 0).
PRE_MIN_BINS = 24
PRE_SHARE_Z = 2.0
#: A share read off the cell's voltage at a log's start is a resistance's only up to
#: what a cell of (1 + SHARE_V_MAX_R) times the median's resistance, in a pack of
#: SHARE_V_MAX_PACK times the nominal's, reads against the nominal R0 alone (the RC
#: pairs already charged: R_dc / R0 more); beyond it the voltage's offset is the
#: cells' OCVs (an unbalanced pack), and the share is not known; a share regressed on
#: the temperatures beyond it is another heat's (a short's), not known either (see "The
#: share's noise").
SHARE_V_MAX_R = 1.0
SHARE_V_MAX_PACK = 2.0
#: A cell's steady heating before the window (a straight line's slope over this long of
#: its excess, less its resistance's share) is carried on through the window, and the
#: rise and the rate are of the heat beyond it (see "Steady heat is no self-heating") ...
STEADY_TREND_S = 600.0
#: ... at its lower bound, this many standard errors under the slope (never below 0),
#: from at least this long of bins.
STEADY_TREND_Z = 2.0
STEADY_MIN_S = 300.0
#: A window whose last bin's white noise (per sample, from its own second differences)
#: is above this many times the sensor's over the long history gives no evidence while
#: the cell is under the self-heating onset (see "A sensor turning noisy").
NOISE_JUMP = 10.0
#: ... and above ``NOISE_JUMP`` times this (degC^2, a white noise of 0.5 degC) at
#: least: a quiet sensor's history (a noise-free log) is near 0, and a runaway's own
#: rise passed ten times that and cleared the runaway's critical alarm for two minutes
#: while the cell went on to 700 degC. (Whole-degree readings stepping every few
#: seconds through a rise: second differences of +-1 degC, ~0.2 degC^2.)
NOISE_JUMP_FLOOR_C2 = 0.25
#: A coarse sensor (see "Coarse sensors"): the excess's rounding bias, up to +-B,
#: varies over a window as the readings cross their steps: a bin mean errs by
#: (2B)²/this at the least (uniform over 2B), however many samples it holds, and a
#: step of 2B anywhere in the window is the rounding, not a rise.
QUANTUM_VARIANCE = 12.0
#: ... and a noise-free one (its rounding bias this near q / pi) whose reading stepped
#: up twice, fast and ever faster, beside a reference that held its value, has its
#: evidence in the times of its steps.
STAIR_BIAS = 0.9
#: A window across a time gap is judged on the bins present over its time if they
#: are this long of bins at least (see "A gap in the log").
GAP_WINDOW_MIN_S = 60.0
#: The contrasts of this many patterns of gapped windows are kept at most.
GAP_FITS_KEPT = 256
#: No debounce beyond the z-tests: two minutes of data are in every decision already.
RUNAWAY_DEBOUNCE_S = 0.0
#: ... but on a lead-acid pack the condition must hold over four bins (15 s from the
#: first bin's start to the fourth's end): see "Lead-acid" above.
RUNAWAY_DEBOUNCE_LEAD_ACID_S = 15.0


def _quad_weights(pos: np.ndarray, bin_s: float) -> dict[str, np.ndarray]:
    """Linear contrasts (weights over a window's bins, oldest first, at the bin indices
    ``pos``: ``arange(w)`` for ``w`` successive bins) of a least-squares quadratic in
    time: the rate at the window's end (per s), the rate at its start (its first bin),
    the fitted end value minus the window mean, and the projection that gives the
    residual sum of squares (``y - hat @ y``); and the straight line's slope (per s:
    the thermal summary's rate of rise, on bins)."""
    w = len(pos)
    x = (pos - pos[-1]) * bin_s / 60.0  # minutes, 0 at the last bin
    xc = x - x.mean()
    X = np.vander(xc, 3, increasing=True)
    pinv = np.linalg.pinv(X)  # (3, w)
    x_end, x_start = xc[-1], xc[0]
    rate_end = (pinv[1] + 2.0 * x_end * pinv[2]) / 60.0
    rate_start = (pinv[1] + 2.0 * x_start * pinv[2]) / 60.0
    rise = np.array([1.0, x_end, x_end * x_end]) @ pinv - 1.0 / w
    return {
        "rate_end": rate_end,
        "rate_start": rate_start,
        "rise": rise,
        "hat": X @ pinv,
        "slope": xc / float(xc @ xc) / 60.0,
    }


#: Self-heating templates: e-folding times of the exponential take-off (seconds),
#: and the fewest bins a template's rise spans at the window's end.
EXP_EFOLD_S = (30.0, 60.0, 120.0)
EXP_MIN_RISE_BINS = 3
#: The best template's rate at the window's end must reach this (see "A steady heat
#: switched on").
SELF_HEATING_RATE_C_PER_MIN = 1.0
#: Evidence the best template needs (its amplitude over its standard error).
TEMPLATE_Z = 5.0


def _exp_templates(pos: np.ndarray, bin_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares contrasts of ``b + A (exp((t - t0)/tau) - 1)+`` over a window's bins
    at the bin indices ``pos`` (oldest first; ``arange(w)`` for ``w`` successive bins),
    one row per template (onset t0 at a bin edge, e-folding time tau; in a time gap
    too, with at least ``EXP_MIN_RISE_BINS`` of the bins after it).

    Returns ``amp`` (rows: weights giving the template's amplitude in its own scale,
    below), ``norm`` (the templates' centred norm, so that amplitude * norm / sigma is
    the template's z) and ``end_rate`` (the template's rate at the window's end per
    unit amplitude, degC/min).

    Each template is scaled to rise by ~1 at the window's end: ``exp((t - t_end)/tau)
    - exp((t0 - t_end)/tau)`` after t0 (the same curve times exp(-(t_end - t0)/tau); z
    and the rate at the end do not depend on the scale). Unscaled, a slow log's bins
    (a 30-min logging interval gives 1-h bins, 12 e-folds of 5 min each) overflowed
    exp to inf and the templates to NaN, with numpy's warnings on the user's terminal.
    """
    x = (pos - pos[-1]) * bin_s  # bin centres, 0 at the last bin
    edges = (np.arange(pos[0], pos[-1] + 1) - pos[-1]) * bin_s - 0.5 * bin_s  # every bin's
    onsets = edges[: len(edges) - (pos[-1] - pos[-EXP_MIN_RISE_BINS])]
    amp, norm, end_rate = [], [], []
    for tau in EXP_EFOLD_S:
        for t0 in onsets:
            g = np.where(x > t0, np.exp(x / tau) - np.exp(t0 / tau), 0.0)  # <= 1: no overflow
            gc = g - g.mean()
            ss = float(gc @ gc)  # > 0: the last bin rises, the first does not
            amp.append(gc / ss)
            norm.append(np.sqrt(ss))
            end_rate.append(60.0 / tau)
    return np.array(amp), np.array(norm), np.array(end_rate)


def _norm(c: np.ndarray, per_bin: np.ndarray | None) -> np.ndarray:
    """The standard error of contrasts ``c`` (over a window's bins, the last axis) in
    units of a bin mean's noise: sqrt(sum(c²)); with ``per_bin``, each bin's variance
    in those units (broadcast against ``c``), sqrt(sum(c² per_bin))."""
    if per_bin is None:
        return np.sqrt(np.sum(c**2))
    return np.sqrt((c * c * per_bin).sum(axis=-1))


class RunawayDetector:
    """Accelerating excess self-heating of a cell (or of the pack sensor)."""

    def __init__(
        self,
        spec: BatterySpec,
        layout: Layout,
        bin_s: float,
        references: dict | None = None,
        full_only: bool = False,
    ):
        """``references``: the temperature references the detector's families share
        (see :func:`.reference.shared_reference`); None: one of its own. ``full_only``:
        full windows only, none growing in a log's first two minutes (a slow log's
        shifted bins, see "A decision at every sample" in :mod:`.detector`)."""
        self.spec = spec
        self.layout = layout
        self.bin_s = bin_s
        # at least 6 bins: a slow log (bins of 2 samples) gets a longer window
        self.w = bins_for(FIT_WINDOW_S, bin_s, 2 * MIN_WINDOW_BINS)
        # a log's (or a live connection's) first bins: the window grows from
        # MIN_WINDOW_BINS to w, each length with its own contrasts
        self.w_min = min(self.w, max(MIN_WINDOW_BINS, bins_for(START_WINDOW_S, bin_s)))
        if full_only:
            self.w_min = self.w
        self.w_late = min(self.w, bins_for(ACCEL_Z_START_S, bin_s))
        self.gap_min = min(self.w, bins_for(GAP_WINDOW_MIN_S, bin_s, MIN_WINDOW_BINS))
        self._fits = {n: self._fit(n) for n in range(self.w_min, self.w + 1)}
        self._seen = 0  # bins pushed so far
        if len(layout.cells_t):
            self.rows = layout.cells_t
        elif layout.i_t >= 0:
            self.rows = np.array([layout.i_t])
        else:
            self.rows = np.array([], dtype=np.int64)
        self._at = as_slice(self.rows)
        self._reference = shared_reference(self.rows, bin_s, references)
        k = len(self.rows)
        # the window, and the history before it (the cell's resistance share); the
        # long noise history (see "The noise level")
        self.pre = bins_for(PRE_TREND_S, bin_s, PRE_MIN_BINS)
        self.trend_n = min(self.pre, bins_for(STEADY_TREND_S, bin_s, PRE_MIN_BINS))
        self.trend_min = min(self.trend_n, bins_for(STEADY_MIN_S, bin_s, PRE_MIN_BINS // 2))
        self.long = max(self.w, bins_for(NOISE_HISTORY_S, bin_s))
        keep = max(self.w - 1 + self.pre, self.long)
        self._delta = History(k, keep)
        self._own = History(k, keep)
        self._t0 = History(None, keep)
        self._t1 = History(None, keep)
        self._index = History(None, keep)  # (BinBatch.index)
        self._gap_fits: dict[tuple[int, ...], dict] = {}
        # every channel's sums of squared d2 and their counts (BinBatch.s2m and .n2)
        self._cx = layout.n_rows + layout.noise_extra
        self._noise = History(2 * self._cx, keep, 0.0)
        # the reference (3+ sensors: the median, one for every cell; a lone sensor: 0;
        # NaN for two, each the other's), and the running sums of its bin means'
        # squared second differences and their counts (its noise)
        self._ref = History(None, keep)
        self._ref_noise = RollingSum(2, self.long)
        # the heat an internal short could explain, from the cells' voltages (see
        # "A short's heat")
        self._short_heat = ShortHeat(spec, layout, self.rows, keep, bin_s)
        # (a lone pack sensor: the pack voltage, or the cells' where logged)
        if not (k >= 2 or self._short_heat.pack or self._short_heat.hottest):
            self._short_heat = None
        # adiabatic Joule heating per A² (K/s/A²) of one cell at 25 degC, for a lone
        # sensor (times its resistance's factor at its temperature: see "A cold lone cell")
        self.joule = 0.0
        # the most a resistance's share read off the voltage can be (see "The share's
        # noise")
        self.share_v_max = np.inf
        if spec.ecm is not None:
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            r_dc = p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]
            self.joule = r_dc / p["heat_capacity_j_per_k"]
            self.share_v_max = SHARE_V_MAX_R * SHARE_V_MAX_PACK * r_dc / p["r0_ohm"]
        self.tracker = EpisodeTracker(
            FaultKind.THERMAL_RUNAWAY_ONSET,
            [layout.names[r] for r in self.rows],
            debounce_s=(
                RUNAWAY_DEBOUNCE_LEAD_ACID_S
                if spec.chemistry is Chemistry.LEAD_ACID
                else RUNAWAY_DEBOUNCE_S
            ),
            merge_gap_s=MERGE_GAP_S,
            value_name="peak_excess_rate_c_per_min",
        )

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.tracker]

    def _fit(self, w: int, pos: tuple[int, ...] | None = None) -> dict:
        """The contrasts of a window of ``w`` successive bins, or (``pos``) of a window
        over the time of ``w`` bins that a time gap left with the bins at those slots
        only (``0 .. w - 1``; see "A gap in the log")."""
        at = np.arange(w) if pos is None else np.array(pos)
        amp, norm, rate = _exp_templates(at, self.bin_s)
        coef = _quad_weights(at, self.bin_s)
        w = int(at[-1] - at[0] + 1)  # the time from its first bin to its last, in bins
        e = max(1, min(CAND_EDGE_BINS, w // 4))
        return {
            "w": len(at),
            "coef": coef,
            "tmpl_amp": amp,
            "tmpl_norm": norm,
            "tmpl_rate": rate,
            # the most a step of one unit anywhere in the window adds to the rise and
            # to each template's amplitude (see "Coarse sensors")
            "step_rise": step_response(coef["rise"]),
            "step_tmpl": step_response(amp),
            "edge": e,
            # the time between the window's first and last ``edge`` bins (in bins)
            "edge_span": float(at[-e:].mean() - at[:e].mean()),
            # the longest time the window's bins may span (one lost bin is jitter)
            "span_s": (w + 1) * self.bin_s,
            # a rate doubling within the full window rises by 2 ** (w / full) within
            # a shorter one (its end-minus-start rise in proportion)
            "accel_ratio": ACCEL_RATIO ** (w / self.w),
            "accel_min": ACCEL_MIN_C_PER_MIN * (w / self.w),
            "accel_z": ACCEL_Z if w >= self.w_late else ACCEL_Z_START,
            "clip_start": w < self.w_late,
            "growing": w < self.w and pos is None,
            "gapped": pos is not None,
        }

    def _gap_windows(self, cols, first, t0, t1, index) -> dict[tuple[int, ...], np.ndarray]:
        """The new bins ``cols`` (``first``: the history's index of the batch's first
        bin) whose full window spans a time gap and whose time holds the evidence a
        window needs (see "A gap in the log"), by the slots of its bins present: {slots:
        bins}."""
        w = self.w
        end = first + cols
        with np.errstate(invalid="ignore"):
            across = t1[end] - t0[end - w + 1] > (w + 1) * self.bin_s
        out: dict[tuple[int, ...], list[int]] = {}
        for c, e in zip(cols[across], end[across], strict=True):
            g = index[e - w + 1 : e + 1]
            pos = g[g > g[-1] - w] - (g[-1] - w + 1)  # the slots of its time's bins
            if len(pos) >= self.gap_min:
                out.setdefault(tuple(int(p) for p in pos), []).append(int(c))
        return {pos: np.array(c) for pos, c in out.items()}

    def _gap_fit(self, pos: tuple[int, ...]) -> dict:
        """The contrasts of a full window with the bins at slots ``pos`` only (kept for
        the gaps' few patterns: a gap passes through the window in as many)."""
        fit = self._gap_fits.get(pos)
        if fit is None:
            if len(self._gap_fits) >= GAP_FITS_KEPT:
                self._gap_fits.clear()
            fit = self._gap_fits[pos] = self._fit(self.w, pos)
        return fit

    def _test(self, fit, cols, bb, d_full, o_full, nz, t0, t1, h, r_full, refs, volts):
        """The test on the windows of ``fit``'s length ending at the new bins ``cols``:
        (rows, cols, ok, rate, prev, own, z, slope, short, sure, rising) of its candidates, or None (slope:
        the straight line's of the cell's own temperature, for the detail)."""
        w, e = fit["w"], fit["edge"]
        end = h - bb.m + cols  # index of each window's last bin
        # candidates: the excess temperature of the window's last bins above that of
        # its first bins by a quarter of what the threshold rate gives (cheap; the fit
        # runs only there). Sums in a fixed order: the same bits however bins arrive,
        # and part of the condition, so live and offline agree exactly.
        lo, n_end = int(end[0]), len(end)
        if lo >= w - 1 and int(end[-1]) - lo + 1 == n_end:
            # consecutive windows (the usual batch): the bins ``off`` before each end
            # are a slice, not a gathered copy (the same values, added alike)
            def before(off: int) -> np.ndarray:
                return d_full[:, lo - off : lo - off + n_end]
        else:

            def before(off: int) -> np.ndarray:
                return d_full[:, end - off]

        last = before(0).copy()
        first = before(w - 1).copy()
        for j in range(1, e):
            last += before(j)
            first += before(w - 1 - j)
        need = CAND_RATE_FRACTION * RATE_MIN_C_PER_MIN / 60.0 * fit["edge_span"] * self.bin_s * e
        with np.errstate(invalid="ignore"):
            rising = last - first >= need
        cand = rising.copy()
        if self.tracker.has_open_runs:
            cand[:] = True
        if not cand.any():
            return None
        rows, ci = nonzero2(cand)
        cols = cols[ci]
        # the windows, gathered as (candidates, w) rows: each reduction below runs
        # along a contiguous row of w values, in the same order whatever the batch
        end = h - bb.m + cols
        idx = end[:, None] - (w - 1) + np.arange(w)[None, :]
        yd = d_full[rows[:, None], idx]
        yo = o_full.take(rows[:, None], idx)
        cf = fit["coef"]
        rate = (yd * cf["rate_end"]).sum(axis=1)
        prev = (yd * cf["rate_start"]).sum(axis=1)
        own = (yo * cf["rate_end"]).sum(axis=1)
        slope = (yo * cf["slope"]).sum(axis=1)
        if len(self.rows) == 1:
            i = bb.mean[self.layout.i_i][cols]
            # (at the cell's resistance at its temperature, see "A cold lone cell")
            joule = np.nan_to_num(i * i) * self.joule * self._r_factor(yo[:, -1])
            rate = rate - joule
            prev = prev - joule
        per_min = 60.0
        # the conditions that need no noise level first: the evidence and the
        # acceleration's z are judged only where they hold (a few windows of many;
        # elsewhere the condition is false whatever they say, and the tracker reads
        # a bin's figures only where it holds)
        # (a short window's start rate is noisy: below zero it lends no acceleration)
        base = np.fmax(prev, 0.0) if fit["clip_start"] else prev
        with np.errstate(invalid="ignore"):
            accel = ((rate - base) * per_min >= fit["accel_min"]) & (
                rate >= fit["accel_ratio"] * prev
            )
            if fit["growing"]:  # (see "Onset in a log's first minute")
                # ... the rate need only not slow down, under the confirming rate
                slow = (rate >= base) & (rate * per_min < RUNAWAY_CONFIRM_C_PER_MIN)
                accel |= slow
            # a template lends its evidence, not its rate: the quadratic's rate must
            # reach the threshold too (a late, steep template fits a dip-and-recover
            # of noise at a rate the quadratic does not see: a clean 16-cell pack,
            # template z 5.2, its rate 1.5 degC/min, the quadratic's 0.6)
            quad_rate = rate * per_min >= RATE_MIN_C_PER_MIN
            span = t1[end] - t0[end - w + 1]
            contiguous = span <= fit["span_s"]
            gate = (
                rising[rows, ci]
                & contiguous
                & accel
                & quad_rate
                & (own * per_min >= OWN_RATE_FRACTION * RATE_MIN_C_PER_MIN)
            )
        ok = np.zeros(len(rows), dtype=bool)
        z = np.full(len(rows), np.nan)
        g = np.flatnonzero(gate)
        if len(g):
            win = (rows[g], cols[g], end[g], idx[g])
            slow_g = slow[g] if fit["growing"] else None
            # a coarse sensor's quantum (see "Coarse sensors"), by the end of the window
            q2 = bb.q2[self.rows[win[0]], win[1]]
            ok[g], z[g] = self._evidence(
                fit,
                win,
                yd[g],
                yo[g],
                rate[g],
                base[g],
                slow_g,
                nz,
                d_full,
                o_full,
                r_full,
                refs,
                q2,
                volts,
            )
        # the heat a short could make in the cell, by its voltage's drop (see "A
        # short's heat"; judged in :meth:`process`, in bin order), worked out where
        # the judge reads it: a window that passed, or one whose drop it may remember
        short, sure = np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
        if self._short_heat is not None:
            with np.errstate(invalid="ignore"):
                need = ok | (rising[rows, ci] & (rate >= REMEMBER_RATE_C_PER_MIN / 60.0))
            n = np.flatnonzero(need)
            if len(n):
                short[n], sure[n] = self._short_heat.explained_rate(
                    volts, rows[n], end[n], w, fit["edge"], yo[n]
                )
        return rows, cols, ok, rate, prev, own, z, slope, short, sure, rising[rows, ci]

    def _evidence(
        self, fit, win, yd, yo, rate, base, slow, nz, d_full, o_full, r_full, refs, q2, volts
    ):
        """The test's evidence at the windows where its other conditions hold: (ok, z)
        -- the rise (the quadratic's, or the best template's) at RATE_Z or TEMPLATE_Z
        standard errors, and the acceleration at ``accel_z`` (or, in a growing window,
        not slowing down: ``slow``). ``q2``: each window's sensor's quantum squared
        (0: not known to be quantised; see "Coarse sensors")."""
        w, k = fit["w"], len(self.rows)
        cf = fit["coef"]
        rows, cols, end, idx = win
        s2_bins = nz.take(self.rows[rows][:, None], idx)
        n2_bins = nz.take(self._cx + self.rows[rows][:, None], idx)
        s2 = s2_bins.sum(axis=1)
        n2 = n2_bins.sum(axis=1)
        # the excess and the reference before the window (see "A cell's own resistance")
        pidx = (end - w + 1 - self.pre)[:, None] + np.arange(self.pre)[None, :]
        yp = d_full[rows[:, None], pidx]
        rp = o_full.take(rows[:, None], pidx) - yp if k == 2 else r_full[pidx]
        with np.errstate(invalid="ignore", divide="ignore"):
            # residuals of the quadratic fit
            res = yd - (yd[:, :, None] * cf["hat"][None, :, :]).sum(axis=1)
            rss = (res * res).sum(axis=1)
            s_fit = np.sqrt(rss / max(w - 3, 1))
            nb = n2 / w  # samples per bin
            # white noise of a bin mean (the window's, or the sensor's over the long
            # history if more), plus the reference's: the iid cells' median's share of
            # it, or the reference's own over the long history if more (see "The
            # noise level")
            white_long, var_ref_long = self._noise_long(rows, cols, end, nz, refs)
            # the rounding of a coarse sensor and of the reference (its peers, read
            # alike), which its white noise does not show: a bias of up to b each,
            # varying as the readings cross their steps: a swing of 2b with the cell's,
            # and with the reference's as far as it moved (see "Coarse sensors"); the
            # sensor's noise for it over the long history, not the window's (a reading
            # on a step's edge chatters: see "Coarse sensors")
            b = rounding_bias(q2, white_long)
            q_step = 2.0 * b
            if k >= 2:
                # the reference's bias moves only as its temperature does: by at most
                # 2 pi b / q per degree (a sine of period q), its quadratic fit's range
                # over the window, and never more than 2b
                ref_fit = ((yo - yd)[:, :, None] * cf["hat"][None, :, :]).sum(axis=1)
                moved = ref_fit.max(axis=1) - ref_fit.min(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    lip = 2.0 * np.pi * b * moved / np.sqrt(q2)
                q_step = q_step + np.where(q2 > 0, np.fmin(2.0 * b, lip), 0.0)
            qv = q_step * q_step / QUANTUM_VARIANCE
            share_ref = 1.57 / k if k >= 3 else 1.0
            own_bin = np.fmax(np.fmax(white_noise_var(s2, n2), white_long) / nb, qv)
            var_bin = own_bin + np.fmax(own_bin * share_ref, var_ref_long)
            s_noise = np.sqrt(var_bin)
            # (a window across a time gap: the bins at its edges hold fewer samples, each
            # bin's noise by its own count; see "A gap in the log")
            per_bin = nb[:, None] / np.fmax(n2_bins, 1.0) if fit["gapped"] else None
            se_accel = s_noise * _norm(cf["rate_end"] - cf["rate_start"], per_bin)
            # the evidence: the excess's rise beyond its resistance's share of the
            # reference's (see "A cell's own resistance"), in the quadratic and in the
            # self-heating templates (the best one's z, and its rate at the end)
            share = self._resistance_share(yp, rp, s_noise)
            # ... at a log's start (under PRE_MIN_BINS before the window), over the bins
            # since the start, the window's too (see "A log's start under a load")
            short_hist = (np.isfinite(yp) & np.isfinite(rp)).sum(axis=1) < PRE_MIN_BINS
            if short_hist.any():
                ref_h = np.concatenate((rp, yo - yd), axis=1)
                s2h = self._resistance_share(np.concatenate((yp, yd), axis=1), ref_h, s_noise)
                # ... or the cell's resistance, from its voltage, where that is more
                # (see "The resistance of a cell at a log's start")
                if self._short_heat is not None:
                    s_v = self._short_heat.resistance_share(
                        volts, rows, np.concatenate((pidx, idx), axis=1), ref_h, yo[:, -1]
                    )
                    # (beyond what a resistance can read: an OCV offset, see "The share's
                    # noise")
                    s2h = np.fmax(s2h, np.where(s_v <= self.share_v_max, s_v, 0.0))
                share = np.where(short_hist, s2h, share)
            # (a share beyond what a resistance can read is another heat's: none)
            share = np.where(share <= self.share_v_max, share, 0.0)
            yr = yd - (yo - yd) * share[:, None]  # (the contrasts of a constant are 0)
            # ... whose noise is the cell's and (1 + share) times the reference's (see
            # "The share's noise")
            gain = (1.0 + share) ** 2
            var_ev = own_bin + gain * np.fmax(own_bin * share_ref, var_ref_long)
            s_ev = np.sqrt(var_ev)
            se_rise = np.fmax(s_fit, s_ev) * _norm(cf["rise"], per_bin)
            # ... and beyond the steady heating it already showed before the window,
            # carried on (see "Steady heat is no self-heating")
            # (a lone sensor: its rate is already less its Joule heat, which a trend of
            # its own temperature holds too)
            trend = self._steady_trend(yp - rp * share[:, None], s_ev) * (k >= 2)
            yr = yr - trend[:, None] * (np.arange(w) * self.bin_s)[None, :]
            rise_ev = (yr * cf["rise"]).sum(axis=1)
            rise_ev = rise_ev - q_step * fit["step_rise"]
            # (windows, templates): each a sum along a contiguous row of w products, the
            # same bits however many windows are judged together (a matrix product's
            # need not be: a live run's single window differed in the last bits)
            ta = fit["tmpl_amp"][None, :, :]
            amp = (yd[:, None, :] * ta).sum(axis=2)
            amp_ev = (yr[:, None, :] * ta).sum(axis=2) - q_step[:, None] * fit["step_tmpl"][None, :]
            s_white = np.fmax(s_fit, s_ev)
            if per_bin is None:
                tz = amp_ev * fit["tmpl_norm"] / s_white[:, None]
            else:
                tz = amp_ev / (s_white[:, None] * _norm(ta, per_bin[:, None, :]))
            # ... and with each bin's own noise: a template that weighs the last
            # bins must not borrow the calm of the earlier ones (a sensor turning
            # noisy mid-window); the smaller z counts
            own_bins = np.fmax(white_noise_var(s2_bins, n2_bins, mean_of=n2_bins), qv[:, None])
            var_bins = own_bins + gain[:, None] * np.fmax(
                own_bins * share_ref, var_ref_long[:, None]
            )
            var_bins = np.where(np.isfinite(var_bins), var_bins, var_ev[:, None])
            se_het = np.sqrt((var_bins[:, None, :] * (ta * ta)).sum(axis=2))
            tz = np.fmin(tz, amp_ev / se_het)
            best = np.argmax(np.nan_to_num(tz, nan=-np.inf), axis=1)
            pick = np.arange(len(best))
            t_z = tz[pick, best]
            t_rate = amp[pick, best] * fit["tmpl_rate"][best]
            # (a cell already heating before the window: see "A short's heat")
            pidx = (end - w + 1 - self.w)[:, None] + np.arange(self.w)[None, :]
            pre_rate = (d_full[rows[:, None], pidx] * self._fits[self.w]["coef"]["slope"]).sum(
                axis=1
            )
            se_pre = s_noise * _norm(self._fits[self.w]["coef"]["slope"], None)
            steady = pre_rate * 60.0 >= np.fmax(
                STEADY_START_C_PER_MIN, STEADY_START_Z * se_pre * 60.0
            )
            accel = rate - base >= np.where(steady, ACCEL_Z_STEADY, fit["accel_z"]) * se_accel
            if slow is not None:
                accel |= slow & np.isfinite(se_accel)
            # (under a minute of data only the template's evidence counts: see "Onset in
            # a log's first minute")
            quad = (rise_ev >= RATE_Z * se_rise) & (not fit["clip_start"])
            templ = (t_rate >= RATE_MIN_C_PER_MIN) & (t_z >= TEMPLATE_Z)
            stair = self._staircase(fit, yo, yd, q2, b, nb) if k >= 2 else False
            ok = accel & (quad | templ | stair)
            # ... and the self-heating's own rate, the best template's, at the onset's
            ok &= t_rate >= SELF_HEATING_RATE_C_PER_MIN
            # the new heat, over the steady heating carried on, at the threshold rate
            ok &= (rate - trend) * 60.0 >= RATE_MIN_C_PER_MIN
            # (a sensor turning noisy: see "A sensor turning noisy")
            last = white_noise_var(s2_bins[:, -1], n2_bins[:, -1])
            with np.errstate(invalid="ignore"):
                jump = last > NOISE_JUMP * np.fmax(white_long, NOISE_JUMP_FLOOR_C2)
            ok &= ~(jump & (yo[:, -1] < SELF_HEATING_ONSET_C))
            z = np.fmax(rise_ev / se_rise, t_z)
        return ok, z

    def _staircase(self, fit, yo, yd, q2, b, nb) -> np.ndarray:
        """Each window's evidence from a noise-free coarse sensor's step times (see
        "Coarse sensors", the steps' times): its readings rose by two steps or more, the
        last quantum at SELF_HEATING_RATE_C_PER_MIN at least (to a sample), after holding
        the level before the window's acceleration ratio times as long, beside a
        reference that held its value over the whole window."""
        if fit["gapped"]:
            return np.zeros(len(yo), dtype=bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.sqrt(q2)
            dt, before = staircase_steps(yo, q)
            dt = dt + 1.0 / np.fmax(nb, 1.0)  # (to a sample)
            ref = yo - yd
            flat = (ref.max(axis=1) - ref.min(axis=1)) <= 1e-4 * q
            quiet = (q2 > 0) & (b >= STAIR_BIAS * q / np.pi)
            fast = q * 60.0 >= SELF_HEATING_RATE_C_PER_MIN * dt * self.bin_s
            return quiet & flat & fast & (before >= fit["accel_ratio"] * dt)

    def _steady_trend(self, y: np.ndarray, s_noise: np.ndarray) -> np.ndarray:
        """The steady heating (K/s) each candidate's excess ``y`` (the bins before its
        window, less its resistance's share) surely showed: the straight line's slope over
        its last ``STEADY_TREND_S``, less ``STEADY_TREND_Z`` standard errors (the larger
        of the bins' white noise ``s_noise`` and the line's residuals); 0 below that, or
        on fewer than ``STEADY_MIN_BINS`` bins."""
        y = y[:, -self.trend_n :]
        ok = np.isfinite(y)
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            nn = np.maximum(n, 1)
            x = np.where(ok, np.arange(y.shape[1], dtype=float)[None, :] * self.bin_s, 0.0)
            xc = np.where(ok, x - (x.sum(axis=1) / nn)[:, None], 0.0)
            yz = np.where(ok, y, 0.0)
            yc = np.where(ok, yz - (yz.sum(axis=1) / nn)[:, None], 0.0)
            sxx = (xc * xc).sum(axis=1)
            slope = (xc * yc).sum(axis=1) / sxx
            res = np.where(ok, yc - slope[:, None] * xc, 0.0)
            s_res = np.sqrt((res * res).sum(axis=1) / np.maximum(n - 2, 1))
            low = slope - STEADY_TREND_Z * np.fmax(s_noise, s_res) / np.sqrt(sxx)
        low = np.where((n >= self.trend_min) & np.isfinite(low), low, 0.0)
        return np.fmax(low, 0.0)

    def _r_factor(self, temp_c: np.ndarray) -> np.ndarray:
        """A lone cell's resistance at ``temp_c`` over the spec's (25 degC): the
        chemistry's Arrhenius factor, held at the ends of the range it is used over (as
        the simulator's cells); 1 where the temperature is unknown."""
        lo, hi = RESISTANCE_CORRECTION_RANGE_C
        t = np.clip(np.nan_to_num(temp_c, nan=25.0, posinf=hi, neginf=lo), lo, hi)
        return resistance_temperature_factor(self.spec.chemistry, t)

    @staticmethod
    def _resistance_share(yp: np.ndarray, rp: np.ndarray, s_noise: np.ndarray) -> np.ndarray:
        """The lower bound of each candidate's excess share of its reference (the
        slope of the excess ``yp`` on the reference ``rp`` before the window, less
        PRE_SHARE_Z standard errors; 0 below that, or with too few bins)."""
        ok = np.isfinite(yp) & np.isfinite(rp)
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            nn = np.maximum(n, 1)
            rz = np.where(ok, rp, 0.0)
            rc = np.where(ok, rz - (rz.sum(axis=1) / nn)[:, None], 0.0)
            ez = np.where(ok, yp, 0.0)
            sxx = (rc * rc).sum(axis=1)
            share = (rc * ez).sum(axis=1) / sxx
            low = share - PRE_SHARE_Z * s_noise / np.sqrt(sxx)
        low = np.where((n >= PRE_MIN_BINS) & np.isfinite(low), low, 0.0)
        return np.fmax(low, 0.0)

    def _noise_long(self, rows, cols, end, nz, refs) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's white noise per sample over the long history (its sensor's
        squared second differences over the last ``long`` bins) and the variance of the
        reference's bin mean over it (from its running sums ``refs``; 0 if none)."""
        idx = end[:, None] - (self.long - 1) + np.arange(self.long)[None, :]
        r = self.rows[rows][:, None]
        s2 = nz.take(r, idx).sum(axis=1)
        n2 = nz.take(self._cx + r, idx).sum(axis=1)
        c_hi, c_lo = self.long + 1 + cols, 1 + cols  # (see RollingSum.push)
        q = refs[0, c_hi] - refs[0, c_lo]
        n = refs[1, c_hi] - refs[1, c_lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            white = np.where(n2 > 0, white_noise_var(s2, n2), 0.0)
            var_ref = np.where(n >= REF_NOISE_MIN_TERMS, q / (D2_VARIANCE * n), 0.0)
        return white, var_ref

    def _push_ref(self, ref: np.ndarray, t0: np.ndarray, t1: np.ndarray):
        """Push the new bins' reference; return its history and the running sums of its
        squared second differences over three contiguous bins, and their counts."""
        m = len(t0) - self._ref.keep
        r = self._ref.push(ref if ref.ndim == 1 else np.full(m, np.nan))
        p = len(r) - m + np.arange(m)  # the new bins (the time histories alike)
        d2 = r[p] - 2.0 * r[p - 1] + r[p - 2]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(d2) & (t1[p] - t0[p - 2] <= 4.0 * self.bin_s)
        q = np.where(ok, d2 * d2, 0.0)
        return r, self._ref_noise.push(np.vstack((q, ok.astype(float))))

    def process(self, bb: BinBatch) -> None:
        if not len(self.rows):
            return
        m = bb.m
        temp = bb.mean[self._at]  # (consecutive rows: a view, read-only)
        if len(self.rows) >= 3:
            ref = self._reference.median(bb)  # (a noisy sensor kept out)
        elif len(self.rows) == 2:
            ref = temp[::-1]  # the other cell
        else:  # a lone sensor: its Joule heating is subtracted from the rate below
            ref = np.zeros(m)
        delta = temp - ref
        d_full = self._delta.push(delta)
        o_full = self._own.push_lazy((temp,))  # (read at the candidates only)
        t0 = self._t0.push(bb.t0)
        t1 = self._t1.push(bb.t1)
        g_full = self._index.push(bb.index.astype(float))
        nz = self._noise.push_lazy((bb.s2m, bb.n2))  # (read at the candidates only)
        h = d_full.shape[1]
        r_full, refs = self._push_ref(ref, t0, t1)
        volts = self._short_heat.push(bb) if self._short_heat is not None else None
        # bins of data each new bin's window can hold: the full window, or in a log's
        # first bins all since its start (a window growing from w_min)
        seen = self._seen + 1 + np.arange(m)
        self._seen += m
        full = np.flatnonzero(seen >= self.w)
        # (a full window across a time gap: over its time's bins, see "A gap in the log")
        gapped = self._gap_windows(full, h - m, t0, t1, g_full)
        if gapped:
            full = np.setdiff1d(full, np.concatenate(list(gapped.values())))
        groups = [(self._fits[self.w], full)] if len(full) else []
        groups += [(self._gap_fit(pos), c) for pos, c in gapped.items()]
        for c in np.flatnonzero((seen >= self.w_min) & (seen < self.w)):
            groups.append((self._fits[int(seen[c])], c[None]))
        parts = [
            self._test(f, c, bb, d_full, o_full, nz, t0, t1, h, r_full, refs, volts)
            for f, c in groups
        ]
        parts = [p for p in parts if p is not None]
        if not parts:
            return
        rows, cols, ok, rate, prev, own, z, slope, short, sure, rising = (
            np.concatenate(x) for x in zip(*parts, strict=True)
        )
        if self._short_heat is not None:
            ok = self._short_heat.judge(rows, bb.t1[cols], rising, short, sure, rate, ok)
        if not ok.any() and not self.tracker.has_open_runs:
            # (the usual batch: the tracker has nothing to take, and every episode
            # ended before this batch, so none has a peak in it)
            return
        k = len(self.rows)
        cond = np.zeros((k, m), dtype=bool)
        cond[rows, cols] = ok

        def scatter(v):
            out = np.full((k, m), np.nan)
            out[rows, cols] = v
            return out

        rate_min = scatter(rate * 60.0)
        new = len(self.tracker.episodes)
        # the detail (see "The detail" above): the figures of the bin of the episode's
        # peak rate, and of the bin that confirmed it
        self.tracker.feed(
            bb.t0,
            bb.t1,
            cond,
            2,
            rate_min,
            aux={
                "peak_rate_time_s": bb.t1,
                "temperature_at_peak_rate_c": temp,
                "prev_rate_c_per_min": scatter(prev * 60.0),
                "own_rate_c_per_min": scatter(own * 60.0),
                "rate_z": scatter(z),
            },
        )
        for ep in self.tracker.episodes[new:]:
            r = self.tracker.channels.index(ep.channel)
            c = int(np.searchsorted(bb.t1, ep.detected_time_s))  # the confirming bin
            ep.detail["temperature_at_detection_c"] = float(temp[r, c])
            ep.detail["excess_rate_at_detection_c_per_min"] = float(rate_min[r, c])
            # what the excess is over: the others' median (3+), the other one (2), or
            # a lone sensor's own Joule heating (1)
            ep.detail["temperature_sensors"] = len(self.rows)
        self._episode_peaks(bb, scatter(slope * 60.0))
        for ep in self.tracker.episodes[new:]:
            self._at_detection(ep, bb, scatter(slope * 60.0))

    def _episode_peaks(self, bb: BinBatch, slope_min: np.ndarray) -> None:
        """The highest temperature and straight-line rate of rise of the bins within each
        episode (the detail's ``max_temperature_c`` and ``max_rise_rate_c_per_min``).

        The highest temperature is the highest *sample*, as the safety check's event
        peak (5 s bin means read up to ~3 degC lower at a runaway's take-off and
        plateau: 699.9 against safety's 702.4 degC), from the confirming bin on: the
        bins before it were live in earlier batches, whose samples are gone (and a
        runaway is found rising)."""
        for ep in self.tracker.episodes:
            if ep.end_time_s < bb.t0[0]:
                continue
            r = self.tracker.channels.index(ep.channel)
            inside = (bb.t0 >= ep.start_time_s) & (bb.t1 <= ep.end_time_s)
            v = slope_min[r][inside & np.isfinite(slope_min[r])]
            if v.size:
                key = "max_rise_rate_c_per_min"
                ep.detail[key] = max(ep.detail.get(key, -np.inf), float(v.max()))
            cols = np.flatnonzero(inside & (bb.t1 >= ep.detected_time_s))
            peaks = bb.sample_max(int(self.rows[r]), cols)
            peaks = peaks[np.isfinite(peaks)]
            if peaks.size:
                key = "max_temperature_c"
                ep.detail[key] = max(ep.detail.get(key, -np.inf), float(peaks.max()))

    def _at_detection(self, ep, bb: BinBatch, slope_min: np.ndarray) -> None:
        """An episode confirmed in this batch, as known at its confirmation: the
        figures of its confirming bin (the peaks of :meth:`_episode_peaks` over that
        bin alone: the bins before it may have come in earlier batches), whatever
        bins came after it in this batch."""
        r = self.tracker.channels.index(ep.channel)
        c = int(np.searchsorted(bb.t1, ep.detected_time_s))
        detail = ep.at_detection["detail"]
        for key in ("temperature_at_detection_c", "excess_rate_at_detection_c_per_min"):
            detail[key] = ep.detail[key]
        detail["temperature_sensors"] = ep.detail["temperature_sensors"]
        if np.isfinite(slope_min[r, c]):
            detail["max_rise_rate_c_per_min"] = float(slope_min[r, c])
        peak = bb.sample_max(int(self.rows[r]), np.array([c]))
        if np.isfinite(peak).any():
            detail["max_temperature_c"] = float(np.nanmax(peak))
