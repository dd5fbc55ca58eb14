"""SOC estimator accuracy against PyBaMM ground truth, and its speed.

    pip install "pybamm>=26.10,<27"                # development only (the ``bench`` extra)
    python benchmarks/bench_soc.py                 # all cases + speed: ~30 s (first run ~3 min)
    python benchmarks/bench_soc.py --seeds 4 5 6 --profiles udds wltp
    python benchmarks/bench_soc.py --no-accuracy   # speed only (no PyBaMM needed)
    python benchmarks/bench_soc.py --broad         # + 14 broader scenarios (see below)
    python benchmarks/bench_soc.py --broad-only --chemistries lfp --ocvs table --starts rest
                                                   # one group (here LFP table from rest)
    python benchmarks/bench_soc.py --broad-only --cases 0 1 --chemistries lfp   # broad cases 0, 1
    python benchmarks/bench_soc.py --table-offset  # PyBaMM's true OCV minus the C/50 table
    python benchmarks/bench_soc.py --suite-logs 3  # soc_series CPU on bench_suite's hppc/pack

Ground truth: PyBaMM SPMe, Chen2020 (NMC, LG M50) and Prada2013 (LFP, A123
26650), on seeded drive-cycle-like profiles with rests (``udds``, ``us06``,
``wltp``, ``commute`` -- the last one charges at 0.5C halfway; see
``groundtruth_pybamm.drive_profile``), from a seeded initial SOC of 80-95 %
down to ~20 %, sampled at 10 Hz, with sensor noise 2 mV (voltage) and 5 mA
(current) and a +0.5 % current gain error. The user gives only the nominal
capacity of the parameter set (5.0 / 2.3 Ah; the cells hold 5.15 / 2.30 Ah),
and either an OCV table measured at C/50 (a PyBaMM C/50 discharge) or nothing
(the chemistry preset's OCV table from app/core/spec.py).

``--broad`` adds scenarios unlike those: constant-current ``steps`` at
0.2-2C, ``partial`` cycles (discharge 5-20 %, recharge 3-15 %), ``parked``
(drives between 1-3 h rests), the drive cycles sampled at 1 Hz, and runs at
10 degC ambient (the OCV table still the 25 degC one), all from a seeded
start SOC of 25-90 % down to ~12 % (``Scenario``, ``broad_scenarios``).

Each case starts either at rest (the simulation's first 2 min are a rest in
equilibrium) or under load at an unknown SOC (the log is cut to begin 10-30 min
into the drive, at a sample drawing >= 0.3C). Score: SOC RMSE over the log after
its first 10 minutes. Targets (RMSE, %):

    OCV table (C/50):  NMC 1.0 from rest and under load;  LFP 1.0 from rest, 5.0 under load
    preset OCV:        NMC 3.0;                            LFP 8.0

The series scored is the smoothed one ``soc_series`` gives offline (see
"Smoothed" in ``app.diagnostics.soc_ekf``); ``live%`` is the RMSE of the
filter's own per-sample SOC (what the live engine's blocks carry), and the
summary adds the mean band share and the live filter's mean.

Every case is printed, misses included; a summary per group follows, for the
default and the broad cases apart. Cases whose log leaves less than 20 minutes
to score are printed as "short" and left out of the summary's figures; its
line counts them apart, with how many are over the target and the worst (a
hidden case may be one). ``band%`` is the
share of samples whose true SOC lies in the +-2 sigma band; ``cc rmse%`` is
plain coulomb counting from the same logs (the estimator the filter replaced),
for scale.

Speed of soc_series on bench_suite.py's 1e6-sample logs (``--suite-logs 3``,
best of 3 in CPU time, the code before and after run alternately twice at load
15-20): hppc (4 cells, 10 Hz) 1.497, 1.487 -> 0.980, 0.991 s; pack (16 cells,
1 Hz) 0.928, 1.016 -> 0.844, 0.844 s (see bench_suite.py and the commit log).
With the smoothed series (its history kept, the backward pass, the columns;
best of 3, before and after run alternately twice at load 12-14, so noisy):
hppc 0.397, 0.388 -> 0.423, 0.438 s; pack 0.392, 0.388 -> 0.419, 0.433 s
(the backward pass and the columns alone: ~10 ms on pack, ~35 ms on hppc).

Measured 2026-12-05 (``--broad --no-speed``, an empty cache filled: ~50 min
on 2 shared cores; PyBaMM 26.10.1.1). RMSE after 10 min, mean / worst, cases
within target:

    group                default                 broad
    nmc table  rest      0.19 / 0.31  12/12      0.38 / 0.60  14/14
    nmc table  load      0.27 / 0.36  12/12      0.41 / 0.78  14/14
    lfp table  rest      0.59 / 0.83  12/12      1.10 / 2.11   6/14   (target 1.0)
    lfp table  load      0.58 / 0.86  12/12      1.65 / 3.93  13/13, 1 short
    nmc preset rest      0.77 / 0.88  12/12      0.49 / 0.86  14/14
    nmc preset load      0.56 / 0.80  12/12      0.51 / 1.18  14/14
    lfp preset rest      1.07 / 1.42  12/12      2.02 / 3.63  14/14
    lfp preset load      1.02 / 1.46  12/12      2.51 / 6.67  13/13, 1 short

Then the offline series smoothed (the filter worked back from later, surer
estimates; ``live%`` holds the figures above, unchanged), mean / worst, within
target, mean band share:

    group                default                       broad
    nmc table  rest      0.13 / 0.19  12/12  100.0     0.35 / 0.60  14/14   99.6
    nmc table  load      0.26 / 0.36  12/12  100.0     0.33 / 0.46  14/14  100.0
    lfp table  rest      0.36 / 0.48  12/12   99.7     0.71 / 1.63  11/14   95.7  (was 94.4)
    lfp table  load      0.45 / 0.58  12/12   99.8     0.96 / 3.47  13/13   95.7
    nmc preset rest      0.77 / 0.88  12/12  100.0     0.49 / 0.86  14/14  100.0
    nmc preset load      0.56 / 0.80  12/12  100.0     0.44 / 0.97  14/14  100.0
    lfp preset rest      0.60 / 1.19  12/12   99.0     1.39 / 3.38  14/14   90.5
    lfp preset load      0.55 / 0.99  12/12   99.0     1.57 / 4.41  13/13   87.1

LFP table from rest, broad, still over 1 %: steps s11 1.63 (was 1.91), steps
1 Hz s14 1.15 (2.11), partial 1 Hz s14 1.14 (1.09): their last estimates are
1-2.3 % off, and the series worked back from them keeps that.

Then the misfit a load carries into the rest weighed as correlated over its
decay time, not as independent evidence every minute (``app.diagnostics.
soc_ekf``, "Carried-over misfit"; ``--broad --no-speed --chemistries lfp``
and ``--broad --no-speed --chemistries nmc``, the cache filled 2026-12-05), smoothed,
mean / worst, within target, mean band share (before: the table above):

    group                default                       broad
    nmc table  rest      0.14 / 0.19  12/12  100.0     0.36 / 0.59  14/14   99.8
    nmc table  load      0.26 / 0.36  12/12  100.0     0.33 / 0.46  14/14  100.0
    lfp table  rest      0.33 / 0.48  12/12  100.0     0.59 / 1.47  13/14   98.5
    lfp table  load      0.45 / 0.58  12/12   99.7     0.92 / 3.45  13/13   97.0
    nmc preset rest      0.77 / 0.88  12/12  100.0     0.49 / 0.86  14/14  100.0
    nmc preset load      0.56 / 0.80  12/12  100.0     0.44 / 0.97  14/14  100.0
    lfp preset rest      0.62 / 0.92  12/12   99.5     1.18 / 3.47  14/14   92.8
    lfp preset load      0.55 / 0.98  12/12   99.1     1.53 / 4.41  13/13   88.7

The live filter's means: LFP table from rest default 0.59 -> 0.61 %, broad
1.10 -> 1.06 %; LFP preset from rest default 1.07 -> 1.09 %, broad 2.02 ->
1.92 %; from load and NMC within 0.01 %. Cases worse by more than 0.05 %:
LFP preset from rest us06 s1 0.55 -> 0.78, commute s1 0.76 -> 0.91, udds s2
0.46 -> 0.52, partial 1 Hz s14 3.38 -> 3.47, LFP table from rest steps
10 degC 0.40 -> 0.46, NMC table from rest us06 s1 0.12 -> 0.19 (its start
learns the table's +5 mV offset a little more slowly). ``--chemistries lfp
--seeds 7 8 9 --profiles udds wltp`` (not looked at while choosing): table
from rest 0.41 / 0.50 -> 0.37 / 0.45 %, preset from rest 0.82 / 1.15 -> 0.63 /
0.86 %, from load unchanged, no case worse; ``--chemistries nmc --seeds 7 8
--profiles udds wltp``: every group within 0.01 %. LFP table from rest, broad, still
over 1 %: steps s11 1.47 %; its log ends 21 min into a rest at 22 % that has
not relaxed (the last estimate 0.92 % low), see the soc_ekf doc.
``bench_soc_sim.py`` (288 simulator cases): every group unchanged to 0.01 %.

Then the current offset a consider state while the SOC's sigma exceeds 4 %
(``app.diagnostics.soc_ekf``, "Offset while the SOC is unsure"): the default
groups (``--chemistries nmc lfp --no-speed``) NMC and LFP table unchanged to
0.01 %, LFP preset from rest 0.62 / 0.92 -> 0.58 / 0.85 %, under load 0.55 /
0.98 -> 0.54 / 0.99 %; LFP broad (``--broad --broad-only --chemistries lfp
--no-speed``), mean / worst, within target:

    group                broad before                  broad after
    lfp table  rest      0.59 / 1.47  13/14   98.5     0.61 / 1.47  13/14   98.2
    lfp table  load      0.92 / 3.45  13/13   97.0     0.89 / 3.45  13/13   96.9
    lfp preset rest      1.18 / 3.47  14/14   92.8     1.19 / 3.47  14/14   92.9
    lfp preset load      1.53 / 4.41  13/13   88.7     1.56 / 4.41  13/13   88.7

(worse by more than 0.03 %: table from rest parked s12 0.67 -> 0.89, us06 1 Hz
0.55 -> 0.63; preset parked s11 0.63 -> 0.77 / 0.69 -> 0.86 from rest / load,
udds 10 degC 0.36 -> 0.46 / 0.53 -> 0.82, us06 1 Hz 0.77 -> 0.81 / 0.90 ->
0.98). Validation seeds never tuned on, LFP table from rest (``--chemistries
lfp --ocvs table --starts rest --no-speed --profiles parked --seeds 35
--start-soc 68``; s31 65, s34 62; ``--profiles steps --seeds 34 --start-soc 85
--sample-period 1``; ``--profiles partial --seeds 31``): parked s35 2.73 ->
0.60, s31 2.24 -> 0.42, s34 1.84 -> 0.67 %; steps 1 Hz s34 0.96, partial s31
(90.4 %) 0.90 unchanged. ``bench_soc_sim.py``: 0.90 -> 0.91 % (lead-acid cc
noise 1 1.67 -> 1.74 %, LFP and NMC within 0.01 %).

Before the smoother, the one group that missed was LFP with the C/50 table from rest, broad cases
(steps s11 1.91, s12 1.19, partial s11 1.01, parked s12 1.16, us06 1 Hz 1.47,
wltp 1 Hz 1.59, steps 1 Hz s14 2.11, partial 1 Hz s14 1.09 %): every one starts
on a plateau (40-70 % or 82-95 %). Started at the true SOC (0.5 % sigma, the
filter otherwise unchanged) all 14 are within 1 % (0.15-0.99 %, steps s11 the
0.99), so the miss is the start, not the tracking: the first 2 min rest bounds
the SOC only to the plateau (the table offset's 5 mV prior is ~14 % of SOC at
0.35 mV per %), and the start is 1-1.5 sigma off (steps s11 -4.2 % at a 2.9 %
sigma, s12 -8.1 % at 6.6 %). The module doc of ``app.diagnostics.soc_ekf``
lists the start remedies already measured and left out (start sigma,
posterior-mean start, a Gaussian-sum start, the offset's prior mean and sigma).
Also tried now and left out (scratch settings, A/B on the same logs): the table
offset as a consider state (not updated, its variance kept) under load only
where the table's linearised slope is below 1 mV per % (the LFP plateau; never
on NMC): LFP table default + broad 0-3 from rest 0.76 -> 0.75 %, under load
0.80 -> 0.80 %, too small to matter; under load wherever the carried-over
misfit exceeds 5 mV: LFP 0.76 -> 0.73 / 0.80 -> 0.74 %, but NMC table default
+ broad 0-3 from rest 0.26 -> 0.29 %, under load 0.31 -> 0.33 %; under load
everywhere (as in the soc_ekf doc) LFP 0.72 / 0.71 %, NMC 0.32 / 0.35 %.

Short logs from under load, and the late rest of steps s11 (2026-12-06;
analysis, the filter unchanged). The short cases: ``--broad-only
--chemistries lfp --no-speed`` has one, steps 1 Hz s14 from load (10.2 min
of log, 12 s scored): 16.34 % with the table, 16.20 % with the preset, the
band holding the truth in none of it; ``--chemistries lfp --ocvs table
--starts load rest --profiles partial steps --seeds 31 32 --start-soc 25``
adds partial s32 from load, 12.07 % (10.3 min; steps s31/s32 and partial s31
from load leave nothing to score, the from-rest ones 0.13-0.48 %). Both are
one constant-current discharge (1.19C, 0.89C) from an unknown SOC into
PyBaMM's cut-off: the voltage falls from 0.1 V to 1.1 V below the OCV in
10 min (diffusion), the filter reads that as the table's low knee and ends at
0.3 % with a 0.4 % sigma against a true 16.7 %. Nothing in such a log tells
the two apart: the first voltage's guess is itself 8.6 % low (s14), and the
filter without any voltage update under load until the first rest still ends
8.7 % off. Tried, only while the start under load is unsettled (so every
from-rest case is the same bits), scratch code: the load's model error
correlated over the load's length so far and growing as its square root (a
diffusion overpotential; ``--broad --starts load --no-speed``): LFP broad
from load, table 0.89 / 3.45 -> 0.78 / 2.46 %, preset 1.56 / 4.41 -> 1.37 /
4.42 %, steps 1 Hz s14 16.34 -> 12.02 % (preset 16.20 -> 11.06), partial
s32 12.09 -> 10.31 %, LFP default 0.45 -> 0.43 / 0.54 -> 0.53 %, NMC
groups within 0.01 % (NMC steps 1 Hz s14 0.29 -> 0.35, udds 1 Hz 0.11 ->
0.14 %), held-out ``--seeds 7 8 9 --profiles udds wltp --starts load`` no
case worse by more than 0.03 %. But
``bench_soc_sim.py`` (its cells are the filter's own ECM, no diffusion, so a
long load's voltage is right there): all 0.91 -> 1.33 %, LFP drive 0.46 ->
4.32 % (at 1 Hz the 60 s intervals of a 2 h drive are one long load), lead-
acid cycle 2.48 -> 4.26 %. A load run that a change of the current's
direction ends: LFP drive 3.06 %; that residuals of the other sign end: 3.80
%; a steady current only (each interval's mean within 5 % of the run's):
LFP drive unchanged, PyBaMM LFP broad from load 0.82 / 2.54 and 1.38 / 4.42 %,
but lead-acid cycle still 2.48 -> 4.26, LFP cc 0.22 -> 0.25 %; capped at 10
min: lead-acid cycle 3.59, LFP cc 0.28 %; a model error of the OCV's slope
times a surface-to-mean SOC gap growing with the load (3.7 % per C at 1 min,
as sqrt(t)), steady loads only: the simulator within 0.02 % but LFP cc 0.26
%, and steps 1 Hz s14 only 15.10 %. Left out: the one thing that tells a
wrong SOC on the knee from diffusion under a constant current is a model of
the diffusion, which the filter and the simulator lack; what it would gain
(the short cases still 11-12 %, over the 5 % target) does not pay for the
ECM logs it costs.

Steps s11 from rest (1.47 %): its last 22 min are 16.7 min of rest at 22.8 %
(3.4 mV per %), a short 0.43C pulse and 5 min of rest at 22.1 %. The long
rest's last minute reads +1.4 mV above the C/50 table at the true SOC, the
true OCV +2.4 mV (``--table-offset``): 1.0 mV (0.3 %) still to relax. The
filter's table offset is +2.9 mV, and the estimate, pulled up from -2.36 %
through the rest at the carried-over misfit's pace, is still climbing (0.07
% a minute) when the log ends at -0.92 % with a 0.95 % sigma; the charge
scale went 1.004 -> 0.985 on the way (truth 0.9935). Every filtered estimate of the
log is 0.9-2.4 % low, the last the surest and closest, so the series worked
back from it is -0.9 % at the end and, by the 0.85 % error of the charge
scale over 70 % of charge, -2 % at the start. The rest's own 1/sqrt(t)
extrapolation (the rest anchors') says 4.6 mV still to come (the voltage
rose 1.9 mV from the rest's middle to its last minute), an exponential
through its second, middle and last minute 0.4 mV, the truth 1.0 mV: neither
is a reading to correct by, and no earlier rest (46 %, 32 %) was surer.
(2026-12-06, again: a rest correction taking the charge scale along while the
carried-over misfit decays -- ``k`` a consider state at rest then -- leaves
steps s11 at 1.47 %, the live filter 1.86 -> 1.90 %; PyBaMM's SPMe here has
no hysteresis, and the table's offset is what ``b`` holds: +2.9 mV at the end
against a true +2.4. Its smoothed miss is the charge scale it is worked
back with: the discharge before the last rest pumps ``k`` 0.991 -> 1.003 by
the misfit under load, the rest's correction takes it to 0.985 (truth
0.9935); worked back from the last estimate (-0.92 %) with the true ``k`` the
series would be ~0.95 %. ``k`` a consider state under load instead (updated
at rests only): 1.71 %. Left out; s11 is still 1.47 %.)
(2026-12-06, a third look: the charge scale is not observable to the
0.3 % it would take. The filter ends with ``k`` 0.985 at a sigma of 0.026
(0.9935 true, 0.3 sigma off): its surest rests, on the top knee at 92 %
and the last one at 22 %, pin the SOC to 1.2 and 0.95 % (the table
offset's 5 mV prior; the rests at 46 and 32 % to 1.6-1.9 %), so over the
70 % between them ``k`` is known to ~2 %, and the series worked back from
the last estimate (-0.92 %) with it is -1.0 % at 22 %, -1.5 % at 60 %,
-1.8 to -2.1 % in the first half hour. Smoothing ``k`` does not
change it: a scratch Rauch-Tung-Striebel pass over the whole 9-state
filter (its posterior, prediction and Jacobian stored per interval, the
same filter) gives the smoothed ``k`` = the last filtered one at every
interval (0.9846), and steps s11 1.47 -> 1.56 %. Elsewhere that RTS pass
is better than the reference smoother (the same bench logs, RMSE after 10
min, mean / worst): LFP table from rest broad 0.61 / 1.47 -> 0.49 / 1.56 %
(parked s12 0.89 -> 0.36, partial s12 0.82 -> 0.51, partial 1 Hz s14 0.59
-> 0.21; us06 1 Hz s13 0.63 -> 0.85, s11 worse), default 0.33 / 0.48 ->
0.30 / 0.50 %; from load broad 0.62 / 1.41 -> 0.52 / 1.33 % (steps 1 Hz s14
16.35 -> 16.36 left out); NMC table from rest default 0.14 / 0.19 -> 0.09 /
0.13 %; LFP preset from rest broad 1.19 / 3.47 -> 1.20 / 3.17 % (us06 1 Hz
0.81 -> 1.33, parked s12 0.88 -> 1.21); held out (LFP table from rest, udds
/ wltp s7 s8, steps 1 Hz s34 from 85 %, partial s31, partial s32 from 25 %)
0.57 -> 0.53 % mean (udds s7 0.42 -> 0.55, steps 1 Hz s34 0.96 -> 1.02,
partial s31 0.90 -> 0.56). Not kept: it does not fix s11, its band needs
its own honesty work (the read-under-load variance, the anchors' resets
are not in its covariances), and it costs ~1.5 kB of history an interval (as
probed) and a sequential 9x9 backward pass. A candidate for the smoother, not for
this case. Also tried: the carried-over misfit's long correlation taken
only for its own share of the model error (the floor's at 60 s as at any
rest; the late, all but relaxed rest then counts ~5x more): steps s11 1.47
-> 1.47 %, the last estimate -0.92 -> -0.88 %, ``k`` 0.9846 -> 0.9839 (the
SOC's rise takes ``k`` along). The code is unchanged.)

A start read under load only (``app.diagnostics.soc_ekf``, "Read under load
only"; 2026-12-06): until a rest settles a start under load, the band (and
the smoother) counts what the voltage under load moved the SOC by and what the
first guess's polarisation may be worth, forgotten over 30 % of charge moved.
The filter is unchanged to the bit (every ``live%`` and every from-rest case
the same), the band and the smoothed series change. Steps 1 Hz s14 from load
is unobservable as logged (one 1.19C discharge from an unknown 36.9 % into
the cut-off: the guess is 8.6 % low, the voltage under load pulls it 7.6 %
lower, nothing in the log says it is not the low knee): 16.34 % as before,
its band holding the truth in 0 -> 100 % of the scored samples (table and
preset; the band at its end 0-20.3 % and 0-20.8 %). Smoothed RMSE after 10 min, mean /
worst, band share (``--no-speed``, the same cache, base and after run on it):

    group                  before                     after
    default lfp table load 0.45 / 0.59   99.7 %       0.35 / 0.53  100.0 %
    default lfp preset load 0.54 / 0.99  99.1 %       0.50 / 0.89   99.5 %
    default nmc table load 0.26 / 0.36  100.0 %       0.25 / 0.36  100.0 %
    default nmc preset load 0.56 / 0.80 100.0 %       0.54 / 0.80  100.0 %
    broad lfp table load   0.89 / 3.45   96.9 %       0.62 / 1.41   98.9 %
    broad lfp preset load  1.56 / 4.41   88.7 %       1.30 / 4.41   92.3 %
    broad nmc table load   0.33 / 0.46  100.0 %       0.33 / 0.45  100.0 %
    broad nmc preset load  0.44 / 0.97  100.0 %       0.44 / 0.91  100.0 %

(from rest: every group the same bits). Worse by more than 0.02 %: LFP udds
10 degC s15 from load 0.66 -> 0.75 (table), 0.82 -> 1.04 (preset), wltp 1 Hz
s13 preset 0.83 -> 0.95, default udds s2 preset 0.50 -> 0.62, us06 s1
preset 0.50 -> 0.55, NMC steps 10 degC s15 table 0.22 -> 0.25 %; better:
partial 1 Hz s14 3.45 -> 0.75 (table), 3.70 -> 0.82 (preset), partial s12
1.41 -> 0.93. Held out (not looked at while choosing; ``--chemistries lfp
--ocvs table preset --starts load --profiles partial steps --seeds 31 32 33
34 --start-soc 30 --sample-period 1``): table 3.50 / 4.57 -> 1.53 / 1.79 %,
band 87.0 -> 97.1 %, preset 3.56 / 4.47 -> 2.02 / 2.15 %, band 77.0 -> 87.2
%; the two short logs there (10-27 min) partial s33 5.82 -> 1.08 % (band
1.9 -> 84.3 %), steps s31 3.35 -> 1.45 % (band 43.8 -> 71.9 %): what the
band still misses there is the settled filter's last minutes, 1-3 % off,
not the start. Held out too, ``--chemistries lfp nmc --seeds 7 8
--profiles udds wltp --starts load``: LFP table 0.46 / 0.55 -> 0.37 / 0.42
%, band 99.5 -> 100 %; LFP preset 0.69 / 0.95 -> 0.74 / 1.01 %, band 96.4 ->
98.4 % (udds s7 0.44 -> 0.54, wltp s8 0.95 -> 1.01); NMC within 0.01 %.
The other short one-discharge log from load (``--chemistries lfp --ocvs
table preset --starts load --profiles partial steps --seeds 31 32
--start-soc 25``, partial s32, 10.3 min): 12.07 / 11.95 % as before, band
0 -> 100 % (table, preset).
``bench_soc_sim.py`` (288 simulator cases, ``--baseline``): all 0.91 / 4.37
-> 0.89 / 4.37 % after 10 min, no group worse by 0.01 %, band shares the
same (LFP hppc 0.59 -> 0.54, NMC hppc 0.19 -> 0.16, NMC cc 0.36 -> 0.32 %).

Held-out validation (2026-12-07; the filter unchanged, PyBaMM 26.10.1.1,
an empty cache filled). Seeds no earlier paragraph names: ``--chemistries
nmc --seeds 40 41 42 --broad --broad-seed-offset 30 --no-speed`` and the
same with ``--chemistries lfp`` (``--broad-seed-offset 30``: the 14 broad
shapes with seeds 41-45 and start SOCs redrawn, 25.6-85.6 %). Smoothed RMSE
after 10 min, mean / worst, within target, band share, the live filter's
mean (the tuned seeds' figures above; re-run on this tree, ``--chemistries
lfp --no-speed`` and ``--chemistries lfp --broad-only --ocvs table --starts
rest --no-speed`` give the latest of them to 0.01 %: LFP default table 0.33
/ 0.48 and 0.39 / 0.51 %, preset 0.58 / 0.85 and 0.54 / 1.02 % from rest /
load, live 0.61, 0.58, 1.12, 1.04 %; LFP broad table from rest 0.61 / 1.47
%, 13/14, live 1.07 %):

    group              held-out default (s40-42)        held-out broad (offset 30)
    nmc table  rest    0.14 / 0.19  12/12 100.0  0.14   0.37 / 0.66  12/12 100.0  0.37
    nmc table  load    0.18 / 0.34  12/12 100.0  0.30   0.42 / 0.80  12/12 100.0  0.44
    lfp table  rest    0.57 / 0.90  12/12 100.0  1.52   0.70 / 1.54  11/12  93.0  1.35
    lfp table  load    0.39 / 0.64  12/12 100.0  0.70   0.71 / 1.37  11/11  95.2  0.89
    nmc preset rest    0.78 / 0.90  12/12 100.0  0.78   0.37 / 0.72  12/12 100.0  0.37
    nmc preset load    0.67 / 0.85  12/12 100.0  0.72   0.40 / 0.56  12/12 100.0  0.43
    lfp preset rest    0.73 / 1.01  12/12  99.9  1.85   1.55 / 5.54  12/12  91.3  1.81
    lfp preset load    0.53 / 0.76  12/12 100.0  1.45   1.25 / 2.32  11/11  79.8  1.45

(short and left out: NMC steps s41 and steps 10 degC s45 from rest, 0.12-1.12
%; LFP steps 1 Hz s44 from load, 2.19 / 2.87 %; the LFP steps s41 and steps
10 degC s45 logs end 9.8 and 7.9 min in: not applicable.) The one miss:
LFP table from rest, partial s41 (from 56.7 %): 1.54 %, live 1.63 %, band
89.3 %, its end -2.04 %. More of its kind (``--chemistries lfp --ocvs table
preset --starts rest --profiles partial --seeds 46 47 48 49 --start-soc 57
--no-speed``): table 1.74 (s46, band 56.1 %), 0.57, 0.82, 0.86 %; preset
3.03, 1.81, 1.54, 0.74 % (target 8). Both misses are one mechanism, the one
"Carried-over misfit" and "Short logs" describe: the log starts on the
45-70 % plateau (sigma 7.2-7.3 %), and its first long discharge (0.39C,
0.49C) runs onto the 37-45 % slope, where diffusion the ECM lacks (the cell
44-67 mV below its OCV, the model's polarisation ~30 mV) reads as SOC: s41
+1.2 -> -5.2 % at 32 min, s46 +1.3 -> -5.3 % at 25 min. The SOC's own
variance explains each interval's residual there, so no misfit is carried
into the rest, and the rest's first minute is read as OCV while the cell is
still 15-20 mV below it: sigma 3.3 -> 0.94 % (s41), the rests end at -1.7 %
(8 min, 0.69 % sigma) and -2.6 % (5 min, 0.74 %). s41 then stays -1.3 to
-1.5 % through rests on the plateau (``b`` along the ridge) and ends -2.0 %;
s46 stays -1.7 to -2.1 % for 70 min, outside its band, until a 17-min rest
at 27 % takes it to -0.8 %; the smoother keeps those intervals (surer than
its 1 % floor). Not the start: s41 started at the true SOC (0.5 % sigma) is
1.23 % (live 1.23 %), the partial cycles pumping ``k`` to 1.041 (truth
0.9935). Tried on the same logs (scratch settings, not kept): the load's
model-error budget carried into the rest as the carried-over misfit's floor,
s41 1.54 -> 2.09 % (the rest is what pulls the estimate back; weakened, it
pulls less); the SOC's variance not counted as explaining the misfit under
load, s41 1.57 %. What might help is the band, not the estimate (``Read
under load only``'s term for an unsure start at rest, bounded by the next
rest: s46's overconfident hour could then be worked back from the 27 %
rest); not tried.

The live filter over the target (LFP table from rest, 1.0 %): udds, us06,
wltp, commute s40 and s41 1.73-2.43 % (smoothed 0.46-0.90 %), steps s42
1.30, parked s42 2.58, wltp 1 Hz s43 1.60, steps 1 Hz s44 3.24, udds 10 degC
s45 1.92 % (smoothed 0.46-0.93 %), partial s41 1.63 %; NMC and every other
group within target live too. The held-out live mean (1.52 %) is the tuned
seeds' (0.61 %) flattered, not a regression: after the first 2 min of rest
the filter puts every start on the 82-94 % plateau at 85.1-86.0 % whatever
the truth (seeds 3, 2, 1, 40, 41 from 82.8, 85.7, 89.2, 92.5, 93.5 % -> 86.0,
85.4, 85.6, 85.1, 85.3 %): the C/50 table spans 3.4 mV over those 12 %
(3309.8-3313.2 mV) against the table offset's 5 mV prior, so the first rest
cannot place it, and seeds 1-3 happen to start near where it lands; s40/s41
start 7.3 / 8.3 % off and the live estimate is within 1 % only once the log
reaches the 70-80 % slope (~2 h). A data limit for a causal filter; the
smoothed series repairs it. Tried (scratch, as the soc_ekf doc's "the SLR
variance always"): the OCV's variance about the SLR line counted for starts
at rest too moves where the plateau start lands, not how well: held-out
default 0.57 / 0.90 -> 0.44 / 0.75 % (live 1.52 -> 1.13), but tuned default
0.33 / 0.48 -> 0.39 / 0.56 % (live 0.61 -> 0.79), held-out broad steps 1 Hz
s44 0.71 -> 1.48 % (a second miss); not kept.

2026-12-07 session 33: an unsure start at rest (sigma over 4 %: the LFP
plateau; never NMC, whose start at rest is at most 1.9 %) gets the band term
a start under load has (``app.diagnostics.soc_ekf``, "Unsure start at
rest"): the filter and the live SOC the same bits, the band and the smoothed
series change. Smoothed RMSE after 10 min, mean / worst, band share, before
-> after (the same cache, base and after on it; ``live%`` unchanged):

    tuning (the held-out set above, ``--chemistries lfp --seeds 40 41 42
    --broad --broad-seed-offset 30 --no-speed``)
      lfp table  rest default   0.57 / 0.90  100.0  ->  0.56 / 0.93  100.0
      lfp table  rest broad     0.70 / 1.54   93.0  ->  0.69 / 1.51   95.7
      lfp preset rest default   0.73 / 1.01   99.9  ->  0.68 / 0.98   99.9
      lfp preset rest broad     1.55 / 5.54   91.3  ->  1.11 / 2.09   96.2
    ``--chemistries lfp --ocvs table preset --starts rest --profiles partial
    --seeds 46 47 48 49 --start-soc 57 --no-speed``
      lfp table  rest           1.00 / 1.74   88.3  ->  0.93 / 1.60  100.0
      lfp preset rest           1.78 / 3.03   91.2  ->  1.60 / 3.09   97.1
    held out, ``--chemistries lfp --broad-only --broad-seed-offset 70 --no-speed``
      lfp table  rest           0.65 / 1.94   96.1  ->  0.67 / 1.94   97.2
      lfp preset rest           2.67 / 10.10  77.7  ->  2.02 / 8.64   93.0
    held out, ``--chemistries lfp --seeds 43 44 45 --no-speed``
      lfp table  rest           0.43 / 0.86  100.0  ->  0.40 / 0.77  100.0
      lfp preset rest           0.72 / 1.03   98.5  ->  0.77 / 1.22   99.5
    held out, ``--chemistries lfp --seeds 43 44 45 --broad --broad-seed-offset 50
    --no-speed``, the broad cases
      lfp table  rest           0.56 / 1.20   95.6  ->  0.52 / 1.00   98.6
      lfp preset rest           1.13 / 2.45   90.0  ->  1.06 / 2.45   93.5
    the first broad draws, ``--chemistries lfp --broad-only --no-speed``
      lfp table  rest           0.61 / 1.47   98.2  ->  0.60 / 1.53   98.6
      lfp preset rest           1.19 / 3.47   92.9  ->  1.17 / 3.47   94.4

From load every group the same bits (a start under load has had the term
all along). Changed, among others: partial s41 1.54 -> 1.51 (band
89.3 -> 100 %), partial s46 1.74 -> 1.60 (56.1 -> 100 %), wltp 1 Hz s83 0.65 ->
0.84 (85.3 -> 100 %), steps s11 1.47 -> 1.53; preset steps 1 Hz s44 5.54 ->
1.57, steps s42 2.04 -> 0.90, steps 1 Hz s84 9.98 -> 4.24 (band 0 -> 100 %),
steps 10 degC s85 10.10 -> 8.64 (0 -> 75 %; over the 8 % target before and
after), udds 1 Hz s43 1.14 -> 0.86, wltp 1 Hz s43 1.04 -> 1.23, partial 1 Hz
s84 2.84 -> 2.34, us06 s44 0.79 -> 1.22, commute s43 0.73 -> 0.87, udds s43
0.68 -> 0.85; table udds s43 0.40 -> 0.29, partial s62 1.10 -> 0.96 (band 92.8 ->
100 %), partial 1 Hz s64 1.20 -> 1.00 (82.6 -> 100 %). NMC: ``--chemistries nmc --no-speed`` (the default cases) the same output to the
character; ``bench_soc_sim.py --baseline`` all 0.89 / 4.37 % after 10 min,
every group within 0.01 %. So the LFP table from rest misses stay (s41 1.51,
s46 1.60, steps s11 1.53, held out steps s81 1.94, partial 1 Hz s84 1.36, steps
10 degC s85 1.13 %): the band now holds the truth there, the estimate is the
filter's. Tried and dropped (scratch, on the same logs): an unrelaxed rest
after a load (the relaxation still to come, the rest's own 1/sqrt(t)
extrapolation, over 1 mV, or the rest under 60 s) left out of the covariance
update (the mean still moved, the variance kept): p46 table 0.93 / 1.60 ->
0.51 / 0.70 %, s41 1.51 -> 1.17, but tuning broad table from rest 0.69 / 1.51
-> 0.82 / 2.08 (steps 1 Hz s44 0.78 -> 2.08), preset default 0.68 -> 0.89, the
live filter from load broad 1.00 -> 1.89 %; only where that relaxation in SOC
(over the OCV slope) exceeds the SOC's sigma (the flat regions): tuning broad
table from rest 0.69 / 1.51 -> 0.65 / 1.13 %, p46 0.93 / 1.60 -> 0.63 / 0.93
%, but held out (offset 70) 0.67 / 1.94 -> 0.76 / 2.98 % (steps s81 1.94 ->
2.98, steps 1 Hz s84 0.11 -> 0.90; preset 2.02 / 8.64 -> 1.53 / 5.30 %); the
relaxation still to come added to the rest's measurement variance,
correlated over the relaxation time: s46 1.60 -> 2.47, s41 1.51 -> 2.90 % (a
weaker rest pulls the estimate back less, as the load's budget carried into
the rest did).
Speed (callgrind, soc_series of 2e5 samples at 1 Hz, the loading included,
PYTHONHASHSEED=0): bench_suite's NMC pack drive (16 cells) 6.930e9 -> 6.927e9
(never unsure: the same path but for a flag); an LFP 2-RC drive started at
rest on the plateau (60 %, parked 15 min an hour, never settled) 2.138e9 ->
2.163e9 (+1.2 % of the run: the rest's range checked each interval of a rest
past 5 min while the term is nonzero, as a start under load's is). Live ==
offline: ``sweep_live_offline.py lfp1_hppc_1hz lfp4_rest`` 0 mismatches in
every split; the new test splits an unsure start's log at random.

2026-12-07 session 34: the slow relaxation modelled (commit 68c1487, reverted
in 922b20f; the code and its tests are there to cherry-pick). What the LFP
rests lack: in PyBaMM's Prada2013 cell the slow part is solid-state diffusion
in the graphite (5 um, 3e-15 m^2/s; the LFP particles relax in seconds): the
particles' surface lags their mean by 10 % of their stoichiometry at 0.5C, 19
% at 1C (x1.26 in cell SOC), and the slowest mode relaxes over R^2 / (4.49^2
D) = 410 s, the voltage with it (1C for 20 min from 50 %: -92 mV 5 min into
the rest, -14 after 15, -3 after 25; a scratch PyBaMM run, not in this
bench). Its voltage is the OCV at the surface SOC: nothing on the plateau,
tens of mV on the slopes. Tried (scratch): a surface-SOC gap ``d`` following
the current as a slow RC (``d -> c I / 1C`` over 410 s, from the charge counted
per interval; not a filter state), the measurement the OCV at ``soc + w d``;
a start under load begins with the gap its load settled to. Fixed ``w = 1``:
tuning (``--chemistries lfp --ocvs table --starts rest --broad-only
--no-speed``) 0.60 / 1.53 % -> 0.74 / 2.43 (c 13 %/C, the physics' slow-mode
half), 0.36 / 0.94 % 14/14 (c 7), but ``bench_soc_sim.py --chemistries lfp``
(2-RC cells, no gap) 0.42 -> 2.23 % after 10 min. So ``w`` fitted at rests:
from 60 s into a rest, the rise of its voltage beyond the model's polarisation
against the rise the gap predicts at ``w = 1`` (the OCV at the surface SOC
less at the mean), least squares over the rests, prior 0 worth a 3 mV rest,
within [0, 2]; c 5 %/C chosen on the tuning cases (3, 5, 7, 10, 13; 7 the
better table-from-rest mean, 5 the other groups and worst). Smoothed RMSE
after 10 min, mean / worst, base -> gap, live filter means in brackets (the
same cache, base and after on it):

    tuning broad (``--chemistries lfp --broad-only --no-speed``)
      lfp table  rest   0.60 / 1.53 (1.07)  ->  0.46 / 1.24 (0.90)  13/14 -> 12/14
      lfp table  load   0.64 / 1.41 (1.63)  ->  0.44 / 1.01 (1.52)
      lfp preset rest   1.17 / 3.47 (1.93)  ->  0.76 / 1.15 (1.68)
      lfp preset load   1.30 / 4.41 (2.51)  ->  1.04 / 4.35 (2.37)
    tuning default (``--chemistries lfp --no-speed``)
      lfp table  rest   0.32 / 0.46 (0.61)  ->  0.21 / 0.36 (0.52)
      lfp table  load   0.39 / 0.51 (0.58)  ->  0.29 / 0.47 (0.47)
      lfp preset rest   0.59 / 0.92 (1.12)  ->  0.54 / 1.05 (0.98)
      lfp preset load   0.54 / 1.02 (1.04)  ->  0.58 / 1.05 (0.93)
    held out, ``--chemistries lfp --seeds 43 44 45 --broad --broad-seed-offset
    50 --no-speed``, default / broad
      lfp table  rest   0.40 / 0.77, 0.50 / 1.00  ->  0.34 / 0.74, 0.43 / 1.13
      lfp table  load   0.36 / 0.60, 0.61 / 1.02  ->  0.26 / 0.46, 0.62 / 1.49
      lfp preset rest   0.77 / 1.22, 0.97 / 2.45  ->  0.73 / 0.97, 0.78 / 2.43
      lfp preset load   0.69 / 1.19, 1.35 / 3.92  ->  0.62 / 1.03, 1.30 / 4.27
    held out, ``--chemistries lfp --broad-only --broad-seed-offset 70 --no-speed``
      lfp table  rest   0.66 / 1.94 (1.48)  ->  0.55 / 1.62 (1.35)  10/13 -> 12/13
      lfp table  load   0.61 / 1.42 (2.13)  ->  0.61 / 1.68 (2.12)
      lfp preset rest   2.03 / 8.64 (3.69)  ->  1.63 / 7.91 (3.53)
      lfp preset load   1.49 / 3.20 (3.08)  ->  1.16 / 1.75 (2.93)

The misses named: partial s41 1.51 -> 0.41 (``--broad-only
--broad-seed-offset 30 --cases 2 --chemistries lfp --ocvs table --starts
rest``), partial s46 1.60 -> 0.68 (``--profiles partial --seeds 46
--start-soc 57``, same), steps s11 1.53 -> 1.24, steps s81 1.94 -> 1.62,
partial 1 Hz s84 1.36 -> 0.87, steps 10 degC s85 1.13 -> 0.98 %. Worse
by more than 0.25 %: partial 1 Hz s14 from rest 0.59 -> 1.18 (a new miss),
partial s61 0.80 -> 1.13 (table, from rest; from load 0.66 -> 1.49), steps
s81 from load 0.57 -> 1.68, steps 1 Hz s84 0.11 -> 0.43, partial s81 0.37 ->
0.63, us06 1 Hz s13 from load 0.29 -> 0.71; preset partial s81 from load 0.80
-> 3.01, parked s12 0.84 -> 1.30, wltp s3 0.69 -> 1.05. ``bench_soc_sim.py
--chemistries lfp``: 0.42 / 0.94 -> 0.41 / 0.94 %, no group worse by more than
0.01 %; NMC and lead-acid the same JSON to the byte (the gap is LFP's only).
Live == offline: ``sweep_live_offline.py lfp1_hppc_1hz lfp4_rest`` 0
mismatches in every split. Speed (callgrind, soc_series of a 2e5-sample 1 Hz
LFP 2-RC drive from rest at 60 %, PYTHONHASHSEED=0, the loading included):
2.642e9 -> 2.691e9 (+1.8 %). Not adopted, for what it does to a cell whose
slow polarisation is a linear RC branch: the tests' third branch (10 mOhm,
300 s, ``test_unrelaxed_rest_after_a_load_is_not_read_as_ocv``) relaxes like
the gap and is fitted as it, at the weight's bound 2: the 30-min rest's end
0.16-0.28 -> 0.82-0.94 % off (test bound 0.5); the cold start under load (3x
the resistances, 80 %, 2C) 2.20 -> 3.10 % at its first rest's end, 3.73 %
RMSE after it (bounds 3.0). Tried to tell the two apart: the gap's change
itself (an RC as slow, whatever the OCV's slope) as a second regressor of the
same fit: those logs' rests sit at like slopes, the two regressors nearly
collinear, the third-branch rest's end still 0.69-0.80 %; the fit gated off
while a start under load is unsettled: the cold start passes (2.41 %) but
tuning broad from load 0.44 / 1.01 -> 0.69 / 2.16 % (worse than the base),
and the third branch still fails; the weight capped at 1: third branch 0.48-
0.57 %, cold start 3.13 %. Left for the lead: whether the tests' linear
third branch is the slow polarisation an LFP cell has (PyBaMM says a
surface-SOC gap, whose voltage follows the OCV's slope), or a fit that tells
the two apart from rests at different slopes.

2026-12-07 session 35, LFP table from rest: where each miss is made, and
what a settled SOC reads under load counted in the band. Traced (the filter
and the smoothed series against the truth; ``benchmarks/trace_soc.py`` and a
scratch copy printing the smoothed band):

* steps s11 (1.53 %): the end, as the "Steps s11" paragraphs say (the last
  rest unrelaxed, ``k`` 0.985 against 0.9935); not the start, not the plateau.
* partial s41 (1.51), partial s46 (1.60), steps 10 degC s85 (1.13 %): a
  discharge onto the 37-45 % slope or below reads the graphite's surface gap
  as SOC, and the rest after it, still relaxing, is read as OCV (s85: -0.6 ->
  -1.6 % over three discharges each followed by a 6-10 min rest at 10 degC,
  the band -6 / +3.5 %, no surer estimate later to work back from). The
  slow relaxation of session 34 is the mechanism.
* partial 1 Hz s84 (1.36 %): a start at 40 % on the slope read 1.2 % high
  and kept 1.1-1.9 % high for 2.5 h at a sigma of 1.5-3 % (the table
  offset's ridge: rests at 25-38 %, 3-5 mV per %, cannot part the SOC from
  ``b``); the low knee at the end pins it (-0.2 %) but no surer than before.
* steps s81 (1.94 %, band 79 %): after a 1.9C discharge to 26 % and a rest,
  0.58C down the low knee read -1.3 -> -8.3 % in 10 min, the filter's sigma
  3.2 -> 0.65 %; a rest 15 min later took it back to -1 % (sigma 0.13 %),
  but the smoother changes only intervals less sure than its 1 % floor and
  kept the -8 %.

The reverted slow relaxation (68c1487) re-checked on the failing test: the
third branch's rest after 2C (10 mOhm, 300 s) reads +0.03 % at 2 min, +1.19
% at 15 min, +0.94 % at the end (the base: +0.13, -0.61, +0.28 %): the gap's
weight is fitted inside the very rest it corrects, against a 410 s gap the
300 s branch outruns, so by mid-rest it predicts a deficit still to come that
the cell no longer has, and the rest's later readings, weighed as the misfit
carried over, do not undo it. No variant of it tried this session.

Changed (``app.diagnostics.soc_ekf``, "Read under load, settled";
``load_read_settled``): the band term of "Read under load only" counted for a
settled SOC too, not only until a start settles. The filter and the live SOC
are the same bits (every ``live%`` below unchanged); the band and the smoothed
series change. Smoothed RMSE after 10 min, mean / worst, within target, band
share, before -> after (the same cache, base and after on it):

    tuning, ``--chemistries lfp --ocvs table --starts rest --broad-only --no-speed``
      lfp table  rest   0.60 / 1.53  13/14  98.6  ->  0.58 / 1.53  13/14  99.5
        (wltp 1 Hz s13 0.62 -> 0.41, partial 1 Hz s14 0.59 -> 0.48)
    ``--chemistries lfp --broad-only --no-speed``, the other groups
      lfp table  load   0.64 / 1.41         98.7  ->  0.63 / 1.41         98.7
      lfp preset rest   1.17 / 3.47  14/14  94.4  ->  1.07 / 2.98  14/14  98.5
      lfp preset load   1.30 / 4.41         92.6  ->  1.21 / 4.41         92.8
        (preset steps s12 2.14 -> 1.25 from rest, 2.08 -> 1.03 from load,
        partial 1 Hz s14 3.47 -> 2.98, band 50 -> 100 %)
    ``--chemistries lfp --no-speed`` (default): every group the same to 0.01 %
    ``--broad-only --broad-seed-offset 70`` (steps s81 looked at while choosing)
      lfp table  rest   0.66 / 1.94  10/13  97.2  ->  0.56 / 1.36  11/13 100.0
        (steps s81 1.94 -> 0.69, commute 1 Hz s83 0.50 -> 0.35)
    held out, ``--seeds 43 44 45 --broad --broad-seed-offset 50``
      lfp table  rest   default 0.40 / 0.77 100.0 -> 0.39 / 0.77 100.0,
                        broad 0.50 / 1.00  98.4 -> 0.50 / 1.00  99.9
    ``--broad-only --broad-seed-offset 30 --cases 2`` (partial s41) 1.51 -> 1.51;
    ``--profiles partial --seeds 46 47 48 49 --start-soc 57``: 0.93 / 1.60 ->
    0.93 / 1.60
    held out, never looked at (drawn this session): ``--chemistries lfp --ocvs
    table --starts rest --broad-only --broad-seed-offset 90 --no-speed``
      lfp table  rest   0.71 / 1.30  10/13  97.7  ->  0.70 / 1.30  10/13  97.7
        (partial s102 1.18 -> 1.01; misses left: steps s102 1.30, band 77 %,
        parked s102 1.27, partial s102 1.01)
No PyBaMM case worse by 0.03 % or more in any of these. NMC
(``--chemistries nmc --no-speed``): every group's mean and worst the same
(four cases moved 0.01-0.02 %: table from rest udds s1 0.10 -> 0.08, wltp s1
0.12 -> 0.10, commute s1 0.16 -> 0.15, s2 0.18 -> 0.19; NMC broad not run).
``bench_soc_sim.py --baseline`` (288 cases): every group the same to 0.01 %
(LFP cycle band 94.3 -> 94.4 %).
The price, on the tests' 2-RC LFP cell with a slow polarisation the model
lacks, its start given (70 +- 1 %: settled from the first sample), 2 h of
drive, 10 min of rest, 1C for 12 min (300 s branches) or 0.5C for 23 min (600
s) onto the low end, 30 min of rest (scratch, smoothed RMSE of the whole log,
seeds 1 / 3): a third RC branch of 50 mOhm / 300 s 0.87 / 0.50 -> 0.86 /
0.50, 100 mOhm / 300 s 0.73 / 0.50 -> 0.73 / 0.61, 50 mOhm / 600 s 0.97 /
0.88 -> 0.98 / 0.98, 100 mOhm / 600 s 0.59 / 0.92 -> 0.45 / 1.30 %; the same
cell with a surface-SOC gap instead (13 and 20 % per C, 410 s; given 45 +- 1
%, three two-discharge profiles down to 13-16 %, 30 min of rest at the end):
2.41 -> 2.41, 2.56 -> 2.79, 1.15 -> 1.19 % (13 % per C), 1.09 -> 1.19, 1.30
-> 1.57, 1.09 -> 1.22 % (20 % per C); the band 39.1 -> 30.7 % in the worst,
80.6 -> 88.9 and 96.6 -> 100 % in two others. There the load's intervals,
less sure now, are worked back from rest intervals that are themselves
unrelaxed and carry the band term until the rest is 5 min old: a cell whose
rests read wrong after the load gains nothing from the term and loses a
little. Speed (callgrind, soc_series of a 2e5-sample 1 Hz LFP 2-RC drive from
60 %, PYTHONHASHSEED=0, the loading included): 2.8298e9 -> 2.8307e9 (+0.03
%); bench_suite's NMC pack drive (16 cells) 9.8059e9 -> 9.8099e9 (+0.04 %).
Live == offline: ``sweep_live_offline.py lfp1_hppc_1hz lfp4_rest`` 0
mismatches in every split; the tests split a settled SOC's log at random.
Still over 1 % (LFP table from rest): steps s11 1.53, partial s41 1.51, s46
1.60, partial 1 Hz s84 1.36, steps 10 degC s85 1.13, held out steps s102
1.30, parked s102 1.27, partial s102 1.01 %: the slow relaxation and the
offset's ridge above, which a band term cannot move.

2026-12-07 session 35, held-out conditions and the surface gap. ``--heldout``
(``heldout_scenarios``) adds 8 scenarios unlike any case above: seeds 91-98,
0 and 40 degC ambient, 0.5 Hz sampling, the profiles' currents x1.5 and x0.6
(``Scenario.rate_scale``); ``--heldout-seed-offset K`` redraws their seeds and
start SOCs. ``nice python benchmarks/bench_soc.py --broad-only --heldout
--no-speed`` (PyBaMM 26.10.1.1, an empty cache filled) on the tree before:
NMC every group within target (table 0.30 / 0.48 and 0.32 / 0.44 %, preset
0.70 / 1.41 and 0.61 / 1.35 % from rest / load, mean / worst); LFP one miss
in this helper's remit, steps 1 Hz 0 degC s96 from load with the C/50 table,
6.45 % (target 5; band 0 %), the same log 5.22 % from rest (target 1, another
session's), 6.44 / 6.43 % with the preset (target 8). The cause (a trace of
the filter): the unknown start settles on the 45-55 % plateau (sigma 6.6 %),
then 0.62C for 11 min runs onto the low knee at 0 degC, the cell 250 mV below
its OCV and still 20 mV a minute under it 4 min into the final rest, and the
voltage under load, read as SOC, takes the sigma to 1.1 % at 8 % low; the
smoothed series is worked back from there. The surface gap
(``app.diagnostics.soc_ekf``, "Surface gap": 20 % of SOC per C of the slow
branch's current times the OCV slope's excess over its median, not while a
start under load is unsettled; the value from {5, 10, 20} on s96 and
PyBaMM's ~24 % per C of graphite lag at 25 degC). Smoothed RMSE after 10 min,
mean / worst, band share, before -> after (the same cache):

    held-out (seeds 91-98, ``--heldout``; s96 tuned on)
      lfp table  rest    1.07 / 5.22   87.5  ->  0.63 / 2.00  100.0
      lfp table  load    1.31 / 6.45   87.3  ->  1.00 / 3.97   99.9
      lfp preset rest    1.57 / 6.44   82.5  ->  1.32 / 4.90   95.0
      lfp preset load    1.53 / 6.43   83.8  ->  1.24 / 4.15   96.7
      nmc groups         within 0.02 % (preset from rest s96 1.41 -> 1.43)
    tuned broad (``--broad-only --chemistries lfp``)
      lfp table  rest    0.60 / 1.53   98.6  ->  0.52 / 1.20   99.2
      lfp table  load    0.63 / 1.41   98.7  ->  0.71 / 2.32   94.7
      lfp preset rest    1.17 / 3.47   94.4  ->  0.86 / 1.78   98.0
      lfp preset load    1.30 / 4.41   92.6  ->  1.13 / 3.66   96.0
    default (``--chemistries lfp``)
      lfp table  rest    0.32 / 0.46  ->  0.30 / 0.43
      lfp table  load    0.39 / 0.51  ->  0.39 / 0.51
      lfp preset rest    0.59 / 0.92  ->  0.60 / 1.02
      lfp preset load    0.54 / 1.02  ->  0.55 / 1.08

The price: LFP partial 1 Hz s14 from load 0.75 -> 2.32 % (table), 0.82 ->
1.56 % (preset); us06 s3 preset 0.89 -> 1.08 (from load), 0.92 -> 1.02 %
(from rest); steps 10 degC s15 from load: the live filter 3.30 -> 5.91 %
(smoothed 1.15 -> 0.92). Better: partial 0.5 Hz s94 from rest 1.45 -> 0.62
(preset), partial 1 Hz s14 preset from rest 3.47 -> 0.75, steps 1 Hz s14 from
load (short) unchanged at 16.35 %. NMC default from rest with the table: the
same to 0.01 % (10 of 12 cases compared); NMC broad not re-run (the term needs
a slope above the table's median: NMC's ends only). Held out, looked at only
after choosing (``--broad-only --heldout --heldout-seed-offset 100
--held-cases 0 1 2 3 4 5 --chemistries lfp --no-speed``, seeds 191-196; the
parked 28 h and wltp x0.6 logs, 197-198, not simulated in time): every case
within target before and after; table from rest 0.50 / 0.91 -> 0.44 / 0.65 %,
from load 0.64 / 1.18 -> 0.64 / 1.18 %, preset from rest 0.89 / 1.29 -> 0.82 /
1.14 %, from load 1.23 / 2.76 -> 1.15 / 2.76 %; no case worse by more than
0.03 % (commute x1.5 s195 table from load 0.32 -> 0.35). ``bench_soc_sim.py``: all 0.89 -> 0.86 % after 10 min (see there).
Speed (callgrind, soc_series of a 2e5-sample 1 Hz simulator drive from 60 %,
PYTHONHASHSEED=0, the loading included): LFP 2.8425e9 -> 2.8333e9, NMC
2.8965e9 -> 2.8889e9 instructions (-0.3 %: the same path but a comparison an
interval, and other branches taken).

2026-12-07 session 36 (lfpsoc3): the C/50 table's current stated, and where
the LFP from-rest error comes from. ``benchmarks/soc_error_sources.py`` re-runs
each LFP table-from-rest case with one cause taken away (smoothed RMSE after
10 min, mean / worst; the filter before this session: ``--unrated`` and
``--unrated --broad-seed-offset 90``; "as run" is its ``unrated`` column):

    set (cases)                 as run       no gain err   true OCV table   true start
    tuning broad (14)           0.51 / 1.20  0.51 / 1.21   0.61 / 1.40      0.32 / 0.61
    --broad-seed-offset 90 (13) 0.57 / 1.27  0.58 / 1.35   0.60 / 1.33      0.27 / 0.50

So: not the +0.5 % gain error (``k`` learns it); not the C/50 table's offset
as such (PyBaMM's true OCV as the table is worse: these logs discharge on
net, their short rests sit below the OCV unrelaxed, and a table below it
half cancels that; parked s102 1.27 -> 0.27 and partial cycles better, the
drive and steps logs worse); the start on or next to the plateau is the
bulk (steps s11 1.20 -> 0.54, parked s102 1.27 -> 0.20, steps s102 0.94 ->
0.27): the first rest pins the SOC only along ``OCV(soc) + b = v0``, and the
offset's 5 mV prior is 5-15 % of plateau. A tighter prior is what pins it, and
what makes a tighter prior honest is knowing the table's rate: hence
``BatterySpec.ocv_table_current_c`` (``--ocv-table-current-c``; this bench
states -0.02, ``TABLE_CURRENT_C``): the table read as OCV = table - I x (R0 +
R1 + R2) of the preset (+0.76 mV LFP, +2.9 mV NMC at C/50) and the offset's
sigma 3 mV instead of 5 (``app.diagnostics.soc_ekf``, "Rated table"). Each
alone does not hold (the shift with the 5 mV sigma: tuning 0.51 / 1.20 ->
0.52 / 1.22 %, offset 90 0.57 / 1.27 -> 0.50 / 1.10 % with udds 1 Hz s103
0.38 -> 0.80; the 3 mV sigma unshifted: offset 90 worst 1.05 %, and NMC's +5
mV offset at 1.7 sigma). Smoothed RMSE after 10 min, mean / worst, within
target (the same cache, before = the table given without its current, the
same bits as the code before; ``--no-speed`` and ``--chemistries lfp --ocvs
table`` with the flags named):

    LFP table            from rest                         from load
    default (s1-3)       0.30 / 0.43 -> 0.26 / 0.40 12/12  0.39 / 0.51 -> 0.32 / 0.45
    tuning --broad-only  0.51 / 1.20 13/14 -> 0.41 / 0.98 14/14
                                                            0.70 / 2.30 -> 0.67 / 2.28
    held out, --broad-only --broad-seed-offset 90
                         0.57 / 1.27 12/13 -> 0.47 / 0.78 13/13
                                                            0.68 / 1.85 -> 0.52 / 1.89
    held out, --broad-only --broad-seed-offset 70
                         0.46 / 1.11 12/13 -> 0.39 / 0.65 13/13
                                                            0.67 / 1.61 -> 0.51 / 1.89
    held out, --broad-only --heldout (s91-98)
                         0.63 / 2.00  7/8  -> 0.58 / 1.84  7/8
                                                            0.97 / 3.71 -> 0.71 / 1.92

(the live filter's mean from rest: tuning broad 0.97 -> 0.76, offset 90 1.15
-> 0.88, offset 70 1.37 -> 1.00, held out 1.40 -> 1.06 %). LFP preset groups:
the same output to the character (default; a preset's table has no stated
current). The one LFP from-rest miss left: steps 1 Hz 0 degC s96 (1.84 %),
not the start (given the true start: 1.77 %): the 0 degC knee, as session 35
found. The price (worse by more than 0.1 %): from rest partial 1 Hz s14 0.48
-> 0.70, partial s101 0.30 -> 0.54, udds 1 Hz s103 0.38 -> 0.50, steps 1 Hz
s104 0.29 -> 0.78, steps s81 0.51 -> 0.65, steps 1 Hz s84 0.09 -> 0.29, parked
40 degC s97 0.18 -> 0.34; from load steps s12 0.26 -> 0.86, partial s12 0.44
-> 0.58, steps 1 Hz s84 1.02 -> 1.20, steps 10 degC s85 1.61 -> 1.89, partial
0.5 Hz s94 1.36 -> 1.47 %. Better by more than 0.3 %: parked s12 0.89 ->
0.17, parked s101 0.84 -> 0.14, parked s102 1.27 -> 0.72, steps s102 0.94 ->
0.57, partial 1 Hz s84 0.95 -> 0.56, steps 10 degC s85 1.11 -> 0.53, udds 10
degC s85 0.64 -> 0.32 (from rest); steps 1 Hz 0 degC s96 3.71 -> 1.92,
partial s82 1.42 -> 0.49, partial s101 0.94 -> 0.28 (from load).
Held out, drawn after the change was chosen and never looked at before
(``--broad-only --broad-seed-offset 110``): from rest 0.41 / 1.14 12/13 ->
0.31 / 0.53 13/13 % (parked s122 1.14 -> 0.21; worse: partial s122 0.20 ->
0.46, parked s121 0.32 -> 0.45, partial 1 Hz s124 0.29 -> 0.42; the short
steps 1 Hz s124, 11 min scored, 6.23 -> 4.86 %), from load 0.47 / 1.06 ->
0.37 / 0.78 % (commute 1 Hz s123 1.06 -> 0.57, partial s121 0.60 -> 0.78).
After it, what is left is still mostly the start (``soc_error_sources.py``
and ``--broad-seed-offset 90``, columns base / true start): tuning 0.41 /
0.98 -> 0.31 / 0.62 %, offset 90 0.47 / 0.78 -> 0.26 / 0.45 %; the gain
error 0.42 / 1.01 and 0.48 / 0.92 % without it (steps s11 0.98 -> 1.01).
NMC (``--chemistries nmc --broad --no-speed``, the cache filled this session):
table from rest default 0.14 / 0.19 -> 0.13 / 0.17 %, broad 0.36 / 0.59 ->
0.23 / 0.50 %; from load default 0.25 / 0.36 -> 0.15 / 0.20 %, broad 0.33 /
0.45 -> 0.19 / 0.31 % (live means 0.20 -> 0.13, 0.38 -> 0.24, 0.27 -> 0.15,
0.41 -> 0.30 %); every case within target before and after; presets every
case the same. Worse by more than 0.02 %: table from rest udds s1 0.08 ->
0.15, wltp s1 0.10 -> 0.14, udds 1 Hz s13 0.13 -> 0.17, steps 10 degC s15
0.42 -> 0.50, from load udds 1 Hz s13 0.08 -> 0.12 %. ``bench_soc_sim.py``
gives no table's current: unchanged. No work added per interval (the
correction is made once, when the model is built): no speed measured.
Live == offline: the new test splits a rated table's log into blocks.

2026-12-07 session 37 (lfpsoc4): the surface gap weighed over its relaxation
time, and a table of unstated current. (1) Why steps 1 Hz 0 degC s96 from rest
read 1.84 % (``trace_soc.py lfp steps 96 --soc0 75 --sample-period 1 --ambient
0``): not the start (+0.26 %, sigma 0.8 %) but the last 15 min, 0.62C down the
low knee at 0 degC, the cell 160-510 mV under its OCV: the surface gap's model
error was counted as independent every minute, so the same lag was read as SOC
again and again (-0.8 -> -4.4 %, ``k`` 1.01 -> 1.06). Now it is weighed over the
carried-over misfit's time (300 s for LFP) and is 24 % per C (PyBaMM's 25 degC
lag, was 20): s96 1.84 -> 0.97 % (correlation alone 1.11). (2) A table of
unstated current (``--unstated``, a plain ``--ocv-table``): not shifted, its
offset's sigma hypot(3 mV, C/50 x R0 + R1 + R2) = 3.1 mV LFP, 4.2 mV NMC (was
5; see "Unstated table" in ``app.diagnostics.soc_ekf``). Stated tables and
presets: (2) changes nothing. Smoothed RMSE after 10 min, mean / worst, before
-> after (``nice python benchmarks/bench_soc.py --no-speed`` with the flags
named, the same cache; tuning = default and broad, held out = the rest):

    LFP table stated (-0.02)      from rest                   from load
    --chemistries lfp (default)   0.26 / 0.40 -> 0.23 / 0.34   0.32 / 0.45 -> 0.32 / 0.45
    --broad (tuning)              0.41 / 0.98 -> 0.36 / 0.92   0.67 / 2.28 -> 0.66 / 2.24
    --heldout (s91-98)            0.58 / 1.84 -> 0.44 / 0.97   0.71 / 1.92 -> 0.61 / 1.47
    --broad-seed-offset 70        0.39 / 0.65 -> 0.34 / 0.63   0.51 / 1.89 -> 0.51 / 1.95
    --broad-seed-offset 90        0.47 / 0.78 -> 0.38 / 0.91   0.52 / 1.89 -> 0.52 / 1.86
    --broad-seed-offset 110       0.31 / 0.53 -> 0.24 / 0.45   0.37 / 0.78 -> 0.36 / 0.80
    --heldout-seed-offset 100     0.32 / 0.71 -> 0.27 / 0.60   0.43 / 0.82 -> 0.41 / 0.76
    --heldout-seed-offset 200 *   0.33 / 0.48 -> 0.27 / 0.36   0.37 / 0.59 -> 0.35 / 0.53

    LFP table unstated            from rest: before -> (1) -> (1)+(2)        from load: before -> (1)+(2)
    default                       0.30 / 0.43 -> 0.26 / 0.37 -> 0.21 / 0.32  0.39 / 0.51 -> 0.30 / 0.41
    broad (tuning)                0.51 / 1.20 -> 0.44 / 0.89 -> 0.36 / 0.95  0.70 / 2.30 -> 0.67 / 2.21
    heldout (s91-98)              0.63 / 2.00 -> 0.47 / 1.03 -> 0.43 / 0.87  0.97 / 3.71 -> 0.81 / 2.77
    broad offset 70               0.46 / 1.11 -> 0.40 / 1.05 -> 0.35 / 0.68  0.67 / 1.61 -> 0.49 / 1.81
    broad offset 90               0.57 / 1.27 -> 0.54 / 1.27 -> 0.43 / 1.21  0.68 / 1.85 -> 0.50 / 1.82
    broad offset 110              0.41 / 1.14 -> 0.34 / 1.14 -> 0.30 / 0.55  0.47 / 1.06 -> 0.36 / 0.55
    heldout offset 100            0.39 / 0.65 -> 0.31 / 0.45 -> 0.26 / 0.58  0.57 / 1.18 -> 0.37 / 0.72
    heldout offset 200 *          0.41 / 0.94 -> 0.33 / 0.64 -> 0.34 / 0.48  0.42 / 0.68 -> 0.38 / 0.63

    LFP preset                    from rest                   from load
    default                       0.60 / 1.02 -> 0.62 / 1.13   0.55 / 1.08 -> 0.56 / 1.12
    broad                         0.83 / 1.78 -> 0.78 / 1.47   1.11 / 3.66 -> 1.06 / 3.12
    heldout (s91-98)              1.31 / 4.84 -> 1.08 / 3.19   1.04 / 2.63 -> 0.89 / 1.50

(* seeds 291-298, drawn this session after both changes were chosen, never
looked at before.) Every stated LFP table case from rest is within 1 % now;
unstated, one held-out case is over: steps 1 Hz s104 (offset 90) 0.29 -> 1.21
%, a start at 76.7 % on the upper plateau that the 0.76 mV shift of a stated
discharge table places 0.3 % better (+1.1 against +1.4 % 5 min in): the sign
of an unstated table's polarisation is what the filter cannot know. Judging a
plain table a C/50 discharge (the stated figures above, but a charge table then
1.5 mV off) is the trade that would reach 1 % on every case; not taken.
NMC (``--chemistries nmc``, default cases s1-3; broad and held out not re-run:
the machine was loaded): (1) table stated and presets every case within
0.01 % (table from rest 0.13 / 0.17 -> 0.13 / 0.18, from load 0.15 / 0.20 ->
0.15 / 0.20; preset 0.77 / 0.88 -> 0.76 / 0.88, 0.54 / 0.80 -> 0.54 / 0.79).
The price of (2), on NMC unstated (``--ocvs table --unstated``): from rest 0.14
/ 0.19 -> 0.20 / 0.28, from load 0.25 / 0.36 -> 0.29 / 0.38 % (every case
0.02-0.08 % worse, all within 1 %): its C/50 table sits 4.8-7.2 mV off, more
than C/50 x R_dc (2.9 mV), so 4.2 mV is tighter than its offset. Tried and
left out, the sign's bound added rather than in quadrature (3 mV + C/50 x
R_dc: 3.8 mV LFP, 5.9 mV NMC; measured with ``ocv_table_unstated_current_c``
0.0597 / 0.035, which give those sigmas): NMC from rest 0.11 / 0.16, from load 0.22 / 0.34 % (better
than before), but LFP unstated from rest worse than hypot's on six of seven
sets (held out s91-98 0.50 / 0.93, offset 90 0.52 / 1.34 with parked s102 1.34 %).
Other prices, worse by 0.1 % or more: (1) LFP preset from rest us06 s3 1.02 ->
1.13, wltp s3 0.72 -> 0.94, commute s3 0.44 -> 0.55, commute 1 Hz s13 0.70 ->
1.02, commute x1.5 s95 1.05 -> 1.16; table stated from rest steps 1 Hz s104
0.78 -> 0.91, from load steps 1 Hz s84 (short, 10 min scored) 1.20 -> 3.67 %
(3.06 at 20 % per C); (2) LFP unstated from rest partial 1 Hz s14 0.48 ->
0.95, steps 1 Hz s104 0.29 -> 1.21, partial s101 0.30 -> 0.64, from load
steps s12 0.26 -> 1.22 %. Better by 0.3 % or more with (1): preset steps s11
1.78 -> 1.47, steps s12 1.05 -> 0.66, partial s11 0.74 -> 0.43, s96 4.84 ->
3.19 (rest) and 2.63 -> 1.48 (load), steps 10 degC s15 load 3.66 -> 3.12,
table partial s102 0.61 -> 0.30 %. The tests' synthetic cells (no lag): LFP
Butler-Volmer drive 2.72 -> 3.53 % (the knee read less under load), the NMC
bad-samples log 1.05 -> 1.15 %, the plateau-parked LFP log's start +0.6-0.9 ->
+1.0 % (2); the settled-SOC logs 1.32 / 3.17 -> 1.04 / 1.37 % (better).
``bench_soc_sim.py --baseline`` (288 cases, preset tables: (1) only): all
0.86 / 4.37 -> 0.87 / 4.37 % after 10 min (LFP cycle 0.14 -> 0.16, lead-acid
cc 1.69 -> 1.74 %). Speed: (1) adds a division and a comparison in an
interval's update on a knee, (2) nothing per interval; callgrind of
soc_series on a 5e4-sample 1 Hz LFP drive (the tests' cell, loading
included, PYTHONHASHSEED=0) 2.2395e9 -> 2.2390e9 instructions. Live ==
offline: the same code serves both (``sweep_live_offline.py lfp1_hppc_1hz
lfp4_rest``: 0 mismatches); the new knee test runs the filter as the tests do.

2026-12-07 session 39 (soctable): why unstated steps 1 Hz s104 (offset 90)
read 1.21 %, and a start's sigma no surer than its rest posterior. Not the
table's sign (``trace_soc.py lfp steps 104 --soc0 76.7 --sample-period 1
--unstated``): the start at 76.7 % is on the 70-80 % step, the C/50 table 3.1
mV below the OCV there (one sigma of the unstated offset); the SOCs the first
voltage allows (+-2 x 4.3 mV) are 75.7-82.9 %, their upper end on the 81-95 %
plateau, so the range's middle (79.3 %) sits above the step and its quarter
width (1.8 %) held it there: the 2 min rest moved it only to +1.5 %, and no
later rest leaves the plateau (45-50 %), so the log kept +1.2-1.5 %. (With
the 5 mV sigma of before session 37 the start's sigma was 4.8 % and the same
rest took it to +0.75 %, 0.58 % RMSE with today's filter; the rated table's
0.91 % was the same miss, +1.2 %.) The SOC's spread under the posterior the
start's SOC-offset correlation already comes from
(``CellModel.rest_posterior_moments``) is 4.0 % there; the start's sigma is
now at least that (``app.diagnostics.soc_ekf``, "Start beside a plateau"):
s104 +1.48 -> +0.78 % after the rest, 1.21 -> 0.54 % RMSE. NMC's OCV is
linear over its ranges (the two agree but at 80-95 %, within 0.1 %). From
load nothing changes (the start under load is not this start: the same bits,
checked on partial 1 Hz s104). Smoothed RMSE after 10 min from rest, mean /
worst, within 1 % (``nice python benchmarks/bench_soc.py --no-speed
--chemistries lfp --starts rest`` with ``--ocvs table --unstated`` /
``--ocvs table`` / ``--ocvs preset`` and the flags named; measured as a
scratch A/B over the same cached logs and scoring, whose "before" is
bench_soc's output to the digit, and offset 90 unstated re-run with
bench_soc after: 13/13, live mean 0.88 -> 0.76 %):

    LFP, from rest           table unstated                table stated            preset
    default (s1-3)           0.21 / 0.32 -> 0.21 / 0.30    0.23 / 0.34 -> 0.23 / 0.33   0.62 / 1.13 -> 0.61 / 1.11
    --broad-only (tuning)    0.36 / 0.95 -> 0.36 / 0.94    0.36 / 0.92 -> 0.35 / 0.95   0.78 / 1.47 -> 0.78 / 1.48
    --broad-seed-offset 90   0.43 / 1.21 12/13 -> 0.36 / 0.64 13/13
                                                           0.38 / 0.91 -> 0.34 / 0.67   1.08 / 3.60 -> 1.01 / 2.57
    --broad-seed-offset 70   0.35 / 0.68 -> 0.37 / 0.76    0.34 / 0.63 -> 0.35 / 0.71   1.02 / 4.81 -> 0.96 / 3.92
    --broad-seed-offset 110  0.30 / 0.55 -> 0.30 / 0.55    0.24 / 0.45 -> 0.24 / 0.44   0.85 / 1.36 -> 0.76 / 1.31
    --heldout (s91-98)       0.43 / 0.87 -> 0.43 / 0.87    0.44 / 0.97 -> 0.45 / 0.97   1.08 / 3.19 -> 1.03 / 2.86
    --heldout-seed-offset 100  0.26 / 0.58 -> 0.24 / 0.56  0.27 / 0.60 -> 0.26 / 0.62   0.92 / 1.43 -> 0.87 / 1.42
    --heldout-seed-offset 200  0.34 / 0.48 -> 0.33 / 0.47  0.27 / 0.36 -> 0.27 / 0.36   0.93 / 1.47 -> 0.95 / 1.47

    NMC, from rest (``--chemistries nmc``): default (s1-3) table unstated 0.20 /
    0.28 -> 0.20 / 0.27, stated 0.13 / 0.18 -> 0.13 / 0.18; ``--broad-only``
    unstated 0.40 / 0.58 -> 0.40 / 0.58 (udds 1 Hz s13 0.32 -> 0.28, the rest
    the same to 0.01), stated 0.25 / 0.50 -> 0.25 / 0.50, preset 0.48 / 0.85
    -> 0.48 / 0.85.

Every LFP table case from rest is within 1 % now, stated and unstated. Worse
by 0.05 % or more: unstated steps s11 0.74 -> 0.94, commute s1 0.17 -> 0.23,
partial s82 0.43 -> 0.51, partial 1 Hz s84 0.68 -> 0.76, steps 10 degC s85
0.35 -> 0.58 (its start better, +0.71 -> +0.50 % after the rest; the cold low
knee at the end read 0.3 % lower with it), wltp 1 Hz x0.6 s98 0.46 -> 0.53;
stated s82 0.42 -> 0.53, s84 0.42 -> 0.49, s85 0.46 -> 0.71, s98 0.46 -> 0.54,
steps 10 degC s15 0.31 -> 0.37; preset steps s102 1.37 -> 1.62, s81 0.68 ->
0.75, partial 1 Hz s84 0.29 -> 0.35, steps 1 Hz 0 degC s296 1.36 -> 1.43,
steps 10 degC s15 1.23 -> 1.28 (plateau starts: there the posterior's tails
reach a little past the quarter width, LFP 45-70 % 6.6-7.1 -> 6.9-7.2 %, and
the first rest moves them along ``OCV(soc) + b = v`` either way). Better by
0.1 % or more: s104 (unstated, stated 0.91 -> 0.37, preset 3.60 -> 2.57),
parked s102 0.90 -> 0.53, partial 1 Hz s14 0.95 -> 0.72 (stated 0.78 -> 0.55),
steps s81 0.48 -> 0.33 (stated 0.63 -> 0.42); preset steps s121 1.30 -> 0.52,
s122 0.32 -> 0.21, us06 1 Hz s123 1.34 -> 1.21, steps 10 degC s85 4.81 ->
3.92, steps 1 Hz 0 degC s96 3.19 -> 2.86, s196 0.77 -> 0.39. The tests'
synthetic cells: a start at the top of the test table's 68-72 % step, the cell
3 mV above the table (the new test, seeds 1-6): +0.33-1.52 % after the rest ->
+0.14-0.38 %, RMSE up to 1.12 -> 0.37 %; the plateau-parked LFP log's start
(seeds 1-6) +1.03 / +1.01 / +1.01 / +0.44 / +1.18 / +1.31 -> +1.03 / +1.01 /
+1.14 / +0.44 / +1.18 / +1.62 % (its test's bound 1.1 -> 1.2).
``bench_soc_sim.py --baseline`` (288 cases): all 0.91 / 4.35, 0.87 / 4.37 %
unchanged (lead-acid drive 0.30 -> 0.29 % whole log). Live == offline: the
start is the same code for both (``sweep_live_offline.py lfp1_hppc_1hz
lfp4_rest``: 0 mismatches in every split). No work per interval (the
posterior's moments were already computed at the start).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.core.samples import SampleBlock  # noqa: E402
from app.core.spec import BatterySpec, preset  # noqa: E402
from app.diagnostics.soc_coulomb import CoulombCountingSoc  # noqa: E402
from app.diagnostics.soc_ekf import (  # noqa: E402
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
)

#: The current the OCV table was measured at, as the user states it (a C/50 discharge).
TABLE_CURRENT_C = -0.02
SCORE_AFTER_S = 600.0
#: A case whose log leaves less than this to score (after SCORE_AFTER_S) is
#: printed as "short" and left out of the summary: an RMSE over a few minutes
#: just after the grace period says little.
MIN_SCORED_S = 1200.0
TARGETS = {
    ("nmc", "table", "rest"): 1.0,
    ("nmc", "table", "load"): 1.0,
    ("lfp", "table", "rest"): 1.0,
    ("lfp", "table", "load"): 5.0,
    ("nmc", "preset", "rest"): 3.0,
    ("nmc", "preset", "load"): 3.0,
    ("lfp", "preset", "rest"): 8.0,
    ("lfp", "preset", "load"): 8.0,
}


@dataclass
class CaseResult:
    chemistry: str
    profile: str
    seed: int
    start: str
    ocv: str
    hours: float
    soc_lo: float
    soc_hi: float
    rmse: float
    max_abs: float
    final: float
    band_pct: float
    cc_rmse: float
    target: float
    live_rmse: float
    suite: str  # "default" or "broad"

    @property
    def ok(self) -> bool:
        return self.rmse <= self.target

    @property
    def short(self) -> bool:
        return self.hours * 3600.0 < SCORE_AFTER_S + MIN_SCORED_S

    @property
    def verdict(self) -> str:
        return "short" if self.short else "ok" if self.ok else "MISS"


@dataclass(frozen=True)
class Scenario:
    """One simulated log: a seeded profile from a start SOC, sampled and at an ambient.

    ``soc0``: the start SOC (%) of a broad scenario, which then discharges to
    ~12 %; the default ones start at a seeded 80-95 % and discharge 68 %.
    """

    profile: str
    seed: int
    soc0: float | None = None
    sample_period_s: float = 0.1
    ambient_c: float | None = None
    #: the profile's currents times this (its C-rates; the net discharge the same)
    rate_scale: float = 1.0

    @property
    def label(self) -> str:
        hz = f"{1 / self.sample_period_s:g}Hz"
        amb = "" if self.ambient_c is None else f" {self.ambient_c:g}C"
        rate = "" if self.rate_scale == 1.0 else f" x{self.rate_scale:g}"
        return f"{self.profile} {hz}{amb}{rate}"

    def start_soc(self) -> tuple[float, float]:
        """Initial SOC (%) and the share of the capacity the profile discharges."""
        if self.soc0 is None:
            return float(np.random.default_rng(1000 + self.seed).uniform(80.0, 95.0)), 0.68
        return self.soc0, min(max((self.soc0 - 12.0) / 100.0, 0.1), 0.68)


def broad_scenarios(seed_offset: int = 0) -> list[Scenario]:
    """Other profiles, seeds, start SOCs (25-90 %), sampling and ambient than the default cases.

    ``seed_offset`` (``--broad-seed-offset``): the same 14 shapes (profile,
    sampling, ambient) held out, each seed moved by it and its start SOC drawn
    from 25-90 % by the new seed and its place in the list, instead of the ones
    earlier sessions tuned on.
    """
    if seed_offset:
        held = []
        for k, sc in enumerate(broad_scenarios()):
            # (drawn per scenario, not per seed: scenarios sharing a seed would share it)
            rng = np.random.default_rng(3000 + 100 * k + sc.seed + seed_offset)
            soc0 = round(float(rng.uniform(25.0, 90.0)), 1)
            held.append(
                Scenario(sc.profile, sc.seed + seed_offset, soc0, sc.sample_period_s, sc.ambient_c)
            )
        return held
    return [
        Scenario("steps", 11, 90.0),
        Scenario("steps", 12, 70.0),
        Scenario("partial", 11, 60.0),
        Scenario("partial", 12, 30.0),
        Scenario("parked", 11, 85.0),
        Scenario("parked", 12, 50.0),
        Scenario("udds", 13, 90.0, 1.0),
        Scenario("us06", 13, 65.0, 1.0),
        Scenario("wltp", 13, 45.0, 1.0),
        Scenario("commute", 13, 80.0, 1.0),
        Scenario("steps", 14, 55.0, 1.0),
        Scenario("partial", 14, 40.0, 1.0),
        Scenario("udds", 15, 75.0, ambient_c=10.0),
        Scenario("steps", 15, 85.0, ambient_c=10.0),
    ]


def heldout_scenarios(seed_offset: int = 0) -> list[Scenario]:
    """Conditions no other case has (``--heldout``; 2026-12-07 session 35).

    Fresh seeds (91-98), ambients of 0 and 40 degC (the broad cases: 10 degC
    only), 0.5 Hz sampling (others: 10 and 1 Hz) and the profiles' currents
    scaled 1.5x (udds peaks at 2.25C, steps 0.3-3C) or 0.6x, from start SOCs
    the broad cases do not use. ``seed_offset`` (``--heldout-seed-offset``):
    the same 8 conditions, each seed moved by it and its start SOC drawn from
    25-90 % by the new seed (as ``broad_scenarios``' offset).
    """
    if seed_offset:
        moved = []
        for k, sc in enumerate(heldout_scenarios()):
            rng = np.random.default_rng(5000 + 100 * k + sc.seed + seed_offset)
            soc0 = round(float(rng.uniform(25.0, 90.0)), 1)
            moved.append(
                Scenario(
                    sc.profile,
                    sc.seed + seed_offset,
                    soc0,
                    sc.sample_period_s,
                    sc.ambient_c,
                    sc.rate_scale,
                )
            )
        return moved
    return [
        Scenario("udds", 91, 85.0, ambient_c=0.0),
        Scenario("wltp", 92, 70.0, ambient_c=40.0),
        Scenario("us06", 93, 88.0, 2.0),
        Scenario("partial", 94, 78.0, 2.0),
        Scenario("commute", 95, 62.0, rate_scale=1.5),
        Scenario("steps", 96, 75.0, 1.0, ambient_c=0.0),
        Scenario("parked", 97, 55.0, ambient_c=40.0),
        Scenario("wltp", 98, 92.0, 1.0, rate_scale=0.6),
    ]


def _log_for(gt, chemistry: str, sc: Scenario) -> tuple[pd.DataFrame, float]:
    """Noisy log (with ``soc_true_pct``) and the nominal capacity of the cell."""
    ps = gt.PARAMETER_SETS[chemistry]
    cap = gt.nominal_capacity_ah(ps)
    soc0, fraction = sc.start_soc()
    # (a profile scaled to rate_scale x the capacity: its currents scaled, the
    # net discharge kept at ``fraction`` of the cell's capacity)
    prof = gt.drive_profile(
        sc.profile,
        cap * sc.rate_scale,
        seed=sc.seed,
        discharge_fraction=fraction / sc.rate_scale,
    )
    clean = gt.simulate_pybamm(
        ps,
        prof,
        initial_soc_pct=soc0,
        sample_period_s=sc.sample_period_s,
        ambient_c=sc.ambient_c,
    )
    return gt.add_sensor_noise(clean, seed=sc.seed), cap


def _load_start(df: pd.DataFrame, cap: float, seed: int) -> int | None:
    """Index of the first sample >= 10-30 min into the log drawing >= 0.3C; None
    if there is none (a short log, or one whose loads all come earlier: the
    start under load does not apply to it)."""
    rng = np.random.default_rng(2000 + seed)
    t_min = float(rng.uniform(600.0, 1800.0))
    t = df["time_s"].to_numpy()
    i = df["current_a"].to_numpy()
    idx = np.flatnonzero((t >= t_min) & (i <= -0.3 * cap))
    return int(idx[0]) if len(idx) else None


def _score(df: pd.DataFrame, spec: BatterySpec) -> tuple[dict, dict, np.ndarray]:
    """The smoothed columns (``soc_series``'s), the live filter's and coulomb counting's SOC."""
    block = SampleBlock({c: df[c].to_numpy() for c in ("time_s", "voltage_v", "current_a")})
    est = EkfSocEstimator(spec)
    live = est.update(block)
    cc = CoulombCountingSoc(spec).update(block)
    return est.smoothed_columns(), live, cc


class NotApplicable(Exception):
    """A case the log does not allow (its reason the message)."""


def run_case(
    gt, chemistry, sc: Scenario, start, ocv, tables, table_current_c=TABLE_CURRENT_C
) -> CaseResult:
    """One case scored; :class:`NotApplicable` if the log does not allow it (a
    start under load with no sample drawing >= 0.3C 10-30 min in, or nothing
    left to score after the first 10 min)."""
    df, cap = _log_for(gt, chemistry, sc)
    if start == "load":
        first = _load_start(df, cap, sc.seed)
        if first is None:
            raise NotApplicable("no sample drawing >= 0.3C 10-30 min into the log")
        df = df.iloc[first:].reset_index(drop=True)
        df["time_s"] -= df["time_s"].iloc[0]
    spec = preset(chemistry, capacity_ah=cap)
    if ocv == "table":
        tab = tables[chemistry]
        spec = spec.with_ocv_table(tab["soc_percent"], tab["ocv_v"], current_c=table_current_c)
    out, live, cc = _score(df, spec)
    truth = df["soc_true_pct"].to_numpy()
    t = df["time_s"].to_numpy()
    late = t >= SCORE_AFTER_S
    if not late.any():
        raise NotApplicable(
            f"the log ({'from its load start' if start == 'load' else 'in all'}) "
            f"ends {t[-1] / 60:.1f} min in: nothing to score after {SCORE_AFTER_S / 60:g} min"
        )
    err = out[SOC_COLUMN] - truth
    live_err = live[SOC_COLUMN] - truth
    inside = (truth >= out[SOC_BAND_LOW_COLUMN]) & (truth <= out[SOC_BAND_HIGH_COLUMN])
    return CaseResult(
        chemistry=chemistry,
        profile=sc.label,
        seed=sc.seed,
        start=start,
        ocv=ocv,
        hours=float(t[-1] / 3600.0),
        soc_lo=float(truth.min()),
        soc_hi=float(truth.max()),
        rmse=float(np.sqrt(np.mean(err[late] ** 2))),
        max_abs=float(np.abs(err[late]).max()),
        final=float(err[-1]),
        band_pct=float(100.0 * inside[late].mean()),
        cc_rmse=float(np.sqrt(np.mean((cc - truth)[late] ** 2))),
        live_rmse=float(np.sqrt(np.mean(live_err[late] ** 2))),
        target=TARGETS[(chemistry, ocv, start)],
        suite=(
            "default" if sc.soc0 is None else "held-out" if sc in heldout_scenarios() else "broad"
        ),
    )


def accuracy(args) -> list[CaseResult]:
    import groundtruth_pybamm as gt

    tables = {c: gt.ocv_table_c50(gt.PARAMETER_SETS[c]) for c in args.chemistries}
    results = []
    scenarios = [
        Scenario(p, s, args.start_soc, args.sample_period)
        for p in args.profiles
        for s in args.seeds
    ]
    if args.broad:
        broad = broad_scenarios(args.broad_seed_offset)
        scenarios += broad if args.cases is None else [broad[k] for k in args.cases]
    if args.heldout:
        held = heldout_scenarios(args.heldout_seed_offset)
        scenarios += held if args.held_cases is None else [held[k] for k in args.held_cases]
    header = (
        f"{'chem':4} {'profile':16} {'seed':>4} {'start':5} {'ocv':6} {'hours':>5} "
        f"{'true SOC':>11} {'rmse%':>6} {'max%':>6} {'final%':>7} {'band%':>6} "
        f"{'cc rmse%':>8} {'live%':>6} {'target':>6}  result"
    )
    rate = None if args.unstated else TABLE_CURRENT_C
    print(header)
    print("-" * len(header))
    for chem in args.chemistries:
        for ocv in args.ocvs:
            for start in args.starts:
                for sc in scenarios:
                    try:
                        r = run_case(gt, chem, sc, start, ocv, tables, rate)
                    except NotApplicable as e:
                        print(
                            f"{chem:4} {sc.label:16} {sc.seed:>4} {start:5} {ocv:6} "
                            f"not applicable: {e}",
                            flush=True,
                        )
                        continue
                    results.append(r)
                    print(
                        f"{r.chemistry:4} {r.profile:16} {r.seed:>4} {r.start:5} {r.ocv:6} "
                        f"{r.hours:5.2f} {r.soc_lo:5.1f}-{r.soc_hi:5.1f} {r.rmse:6.2f} "
                        f"{r.max_abs:6.2f} {r.final:+7.2f} {r.band_pct:6.1f} "
                        f"{r.cc_rmse:8.2f} {r.live_rmse:6.2f} {r.target:6.1f}  {r.verdict}",
                        flush=True,
                    )
    for suite in ("default", "broad", "held-out"):
        _summary([r for r in results if r.suite == suite], suite)
    return results


def _summary(results: list[CaseResult], suite: str) -> None:
    if not results:
        return
    print()
    print(f"summary, {suite} cases (worst RMSE per group; short logs left out):")
    for (chem, ocv, start), target in TARGETS.items():
        group = [r for r in results if (r.chemistry, r.ocv, r.start) == (chem, ocv, start)]
        scored = [r for r in group if not r.short]
        # (short logs are left out of the figures, not out of sight: a hidden
        # case may be one, so their misses and worst are shown apart)
        shorts = [r for r in group if r.short]
        short = ""
        if shorts:
            w = max(shorts, key=lambda r: r.rmse)
            over = sum(not r.ok for r in shorts)
            short = (
                f"{len(shorts)} short ({over} over target, worst {w.rmse:.2f}"
                f" {w.profile} s{w.seed})"
            )
        if not scored:
            if shorts:
                print(f"  {chem:4} {ocv:6} {start:5}  no log long enough to score: {short}")
            continue
        worst = max(scored, key=lambda r: r.rmse)
        misses = sum(not r.ok for r in scored)
        mean = float(np.mean([r.rmse for r in scored]))
        band = float(np.mean([r.band_pct for r in scored]))
        live = float(np.mean([r.live_rmse for r in scored]))
        print(
            f"  {chem:4} {ocv:6} {start:5}  mean {mean:5.2f}  worst {worst.rmse:5.2f}"
            f" ({worst.profile} s{worst.seed})  target {target:4.1f}"
            f"  {len(scored) - misses}/{len(scored)} ok{', ' + short if short else ''}"
            f"  band {band:5.1f} %"
            f"  live filter mean {live:5.2f}"
        )


def table_offset(chemistries: list[str]) -> None:
    """The C/50 table's error: PyBaMM's true OCV minus the table, at SOC points.

    The true OCV is the electrodes' OCPs at the stoichiometries of PyBaMM's SOC
    (linear between those at the OCV limits, the truth's convention); the table
    is :func:`groundtruth_pybamm.ocv_table_c50` read at the same SOC. What the
    filter's table-offset state ``b`` has to learn (its prior: 0 +- 5 mV).
    """
    import groundtruth_pybamm as gt
    import pybamm

    socs = np.arange(5.0, 96.0, 5.0)
    head = "true OCV minus the C/50 table (mV), at SOC %"
    print(f"{head:44} " + " ".join(f"{s:5.0f}" for s in socs))
    for chem in chemistries:
        ps = gt.PARAMETER_SETS[chem]
        pv = pybamm.ParameterValues(ps)
        x0, x100, y100, y0 = pybamm.lithium_ion.get_min_max_stoichiometries(pv)
        u_n, u_p = pv["Negative electrode OCP [V]"], pv["Positive electrode OCP [V]"]

        def ocp(fn, sto: float, pv=pv) -> float:
            return float(pv.evaluate(fn(pybamm.Scalar(sto))))

        f = socs / 100.0
        true = np.array(
            [ocp(u_p, y0 - s * (y0 - y100)) - ocp(u_n, x0 + s * (x100 - x0)) for s in f]
        )
        tab = gt.ocv_table_c50(ps)
        diff = 1000.0 * (true - np.interp(socs, tab["soc_percent"], tab["ocv_v"]))
        print(f"{'  ' + chem + ' (' + ps + ')':44} " + " ".join(f"{d:+5.1f}" for d in diff))


# ---------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------
def _synthetic_pack(n: int, cells: int, period_s: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spec = preset("nmc", capacity_ah=50.0, series_cells=cells)
    t = np.arange(n) * period_s
    steps = np.repeat(rng.uniform(-1.0, 0.5, n // 100 + 1), 100)[:n] * 50.0
    soc = 90.0 + np.cumsum(steps) * period_s / (50.0 * 36.0)
    soc = np.clip(soc, 5.0, 100.0)
    cell_v = spec.cell_ocv(soc) + 0.002 * steps
    cols = {"time_s": t, "current_a": steps + rng.normal(0, 0.05, n)}
    for k in range(1, cells + 1):
        cols[f"cell_{k}_v"] = cell_v + rng.normal(0, 0.002, n)
    cols["voltage_v"] = cell_v * cells
    cols["temperature_c"] = np.full(n, 25.0)
    return pd.DataFrame(cols), spec


def speed() -> None:
    from app.diagnostics.live import LiveEngine
    from app.diagnostics.soc import calculate_soc
    from app.diagnostics.suite import run_suite

    n = 1_000_000
    df, spec = _synthetic_pack(n, cells=1, period_s=0.1)
    spec1 = spec.with_overrides(series_cells=1)
    calculate_soc(df.iloc[:1000], spec1)  # warm-up
    t0 = time.perf_counter()
    calculate_soc(df, spec1)
    t_soc = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_suite(df, spec1)
    t_suite = time.perf_counter() - t0
    print(
        f"offline, 1e6 samples at 10 Hz, 1 cell: calculate_soc {t_soc:.2f} s, run_suite {t_suite:.2f} s"
    )

    df16, spec16 = _synthetic_pack(200_000, cells=16, period_s=0.1)
    t0 = time.perf_counter()
    calculate_soc(df16, spec16)
    print(
        f"offline, 16-cell pack: calculate_soc {1e6 * (time.perf_counter() - t0) / len(df16):.2f} us/sample"
    )
    for period, block_n in ((0.1, 1), (0.1, 10), (0.01, 10), (0.01, 100)):
        d, sp = _synthetic_pack(36_000, cells=16, period_s=period)
        block = SampleBlock.from_frame(d)
        blocks = [block.slice(k, k + block_n) for k in range(0, len(block), block_n)]
        est = EkfSocEstimator(sp)
        t0 = time.perf_counter()
        for b in blocks:
            est.update(b)
        per_est = (time.perf_counter() - t0) / len(block)
        eng = LiveEngine(sp)
        t0 = time.perf_counter()
        for b in blocks:
            eng.process(b)
        per_block = (time.perf_counter() - t0) / len(blocks)
        # (each block alone, as a source read that slowly gives them: the engine's cost
        # per block, not its throughput, which bench_live_engine.py measures against the
        # 20 us/sample target through the sink that joins small blocks)
        print(
            f"live, 16 cells, {1 / period:.0f} Hz, blocks of {block_n:3d} samples "
            f"({block_n * period:.1f} s): SOC estimator {1e6 * per_est:5.1f} us/sample; "
            f"all live diagnostics {1e3 * per_block:5.2f} ms a block, "
            f"{100 * per_block / (block_n * period):4.1f} % of one core in real time"
        )


def suite_logs_speed(repeat: int) -> None:
    """CPU time of soc_series on bench_suite.py's 'hppc' and 'pack' logs (best of ``repeat``)."""
    from app.diagnostics.soc import soc_series
    from app.hardware.simulator import NoiseSpec, simulate

    for name, cells, profile, dt in (("hppc", 4, "hppc", 0.1), ("pack", 16, "drive", 1.0)):
        spec = preset("nmc", capacity_ah=5.0, series_cells=cells)
        noise = NoiseSpec.typical(spec)
        df = simulate(spec, profile, 1e6 * dt, dt, seed=2, noise=noise).to_frame()
        best = math.inf
        for _ in range(max(1, repeat)):
            t0 = time.process_time()
            soc_series(df, spec)
            best = min(best, time.process_time() - t0)
        print(
            f"soc_series on bench_suite's {name!r} log (1e6 samples, {cells} cells, "
            f"{1 / dt:g} Hz): {best:.3f} s CPU (best of {max(1, repeat)})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--chemistries", nargs="+", default=["nmc", "lfp"], choices=["nmc", "lfp"])
    ap.add_argument("--profiles", nargs="+", default=["udds", "us06", "wltp", "commute"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument(
        "--start-soc",
        type=float,
        help="start the --profiles/--seeds logs at this SOC (%%, then down to ~12 %%, "
        "as a broad scenario; summarised with the broad cases) instead of a seeded 80-95 %%",
    )
    ap.add_argument(
        "--sample-period",
        type=float,
        default=0.1,
        help="sample period (s) of the --profiles/--seeds logs (default 0.1: 10 Hz)",
    )
    ap.add_argument(
        "--broad",
        action="store_true",
        help="also the broad cases: steps/partial/parked profiles, start SOC 25-90 %%, "
        "1 Hz sampling, 10 degC ambient (14 more simulations per chemistry, cached)",
    )
    ap.add_argument(
        "--broad-only", action="store_true", help="only the broad cases (implies --broad)"
    )
    ap.add_argument(
        "--broad-seed-offset",
        type=int,
        default=0,
        metavar="K",
        help="held-out broad cases: each broad scenario's seed + K, its start SOC drawn "
        "from 25-90 %% by the new seed (default 0: the scenarios tuned on)",
    )
    ap.add_argument(
        "--heldout",
        action="store_true",
        help="the held-out conditions (0/40 degC, 0.5 Hz, currents x1.5/x0.6, seeds 91-98; "
        "8 simulations per chemistry, cached); with --broad-only: only those",
    )
    ap.add_argument(
        "--heldout-seed-offset",
        type=int,
        default=0,
        metavar="K",
        help="the held-out conditions with each seed + K and its start SOC redrawn "
        "(default 0: seeds 91-98)",
    )
    ap.add_argument(
        "--held-cases",
        nargs="+",
        type=int,
        help="only these held-out scenarios (indices into heldout_scenarios(), 0-7)",
    )
    ap.add_argument(
        "--ocvs",
        nargs="+",
        default=["table", "preset"],
        choices=["table", "preset"],
        help="the OCV groups to run (default both)",
    )
    ap.add_argument(
        "--starts",
        nargs="+",
        default=["rest", "load"],
        choices=["rest", "load"],
        help="the start groups to run (default both)",
    )
    ap.add_argument(
        "--cases",
        nargs="+",
        type=int,
        help="only these broad scenarios (indices into broad_scenarios(), 0-13)",
    )
    ap.add_argument(
        "--table-offset",
        action="store_true",
        help="print PyBaMM's true OCV minus the C/50 table per chemistry (and stop)",
    )
    ap.add_argument(
        "--unstated",
        action="store_true",
        help="give the C/50 table without its current (BatterySpec.ocv_table_current_c None, "
        "a plain --ocv-table) instead of stating -0.02 C",
    )
    ap.add_argument("--no-accuracy", action="store_true", help="skip the PyBaMM cases")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurements")
    ap.add_argument(
        "--suite-logs",
        type=int,
        metavar="REPEAT",
        help="only soc_series' CPU time on bench_suite.py's hppc and pack logs, best of REPEAT",
    )
    args = ap.parse_args()
    if args.start_soc is not None and not 12.0 < args.start_soc <= 100.0:
        ap.error(f"--start-soc {args.start_soc:g}: give an SOC above 12 and at most 100 %")
    if not args.sample_period > 0.0:
        ap.error(f"--sample-period {args.sample_period:g}: give a positive period in seconds")
    if args.table_offset:
        table_offset(args.chemistries)
        return
    if args.suite_logs:
        suite_logs_speed(args.suite_logs)
        return
    if args.broad_only:
        args.broad, args.profiles = not args.heldout, []
    if not args.no_accuracy:
        accuracy(args)
        print()
    if not args.no_speed:
        speed()


if __name__ == "__main__":
    main()
