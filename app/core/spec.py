"""BatterySpec and the chemistry presets.

Every number of a preset carries its source in a comment. Limits are per cell;
pack limits follow from ``series_cells``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from app.core.errors import BatteryOSError

#: No cell chemistry rests above this (LNMO's ~4.7 V is the highest in use): a
#: higher "cell OCV" is a pack's voltage or millivolts.
MAX_CELL_OCV_V = 5.5
#: Every chemistry's OCV rises more than this from empty to full (lead-acid ~0.2 V,
#: LFP ~0.5 V): a flatter table is not an OCV curve.
MIN_OCV_RISE_V = 0.01
#: An OCV table is measured at rest or at a small current (C/20-C/50 typically):
#: one at more than this is a discharge curve, not an OCV table.
MAX_OCV_TABLE_CURRENT_C = 0.2
#: How far one cell's OCV table may run outside its battery's cell voltage window, as
#: fractions of the limit: a cell at rest sits between its discharge cut-off and its
#: charge limit, and a table does (the presets' run from the one to the other), less a
#: margin for a table measured at a small charging current, an instrument's offset and
#: cells of one chemistry whose limits differ from the preset's. Above the charge limit
#: 5 % (NMC 4.2 V: 4.41 V, a 4.35-4.4 V high-voltage cell's table stands; LFP 3.6 V:
#: 3.78 V, an NMC table's 3.8-4.2 V does not); below the cut-off 20 %, as cut-offs
#: differ more between cells of one chemistry (NMC 2.0-3.0 V: LG HG2's 2.0 V stands).
#: Beyond them the table is another chemistry's or a pack's: a cell resting on it
#: would sit outside the limits, in over- or under-voltage alarm at once.
OCV_TABLE_WINDOW_MARGIN = (0.20, 0.05)
#: The SOC (%) an OCV table is compared at with its chemistry's (the preset's table):
#: 50 %, or the table's nearest SOC inside this band (outside it cells of one chemistry
#: differ more than chemistries do, near empty and full).
OCV_TABLE_MID_SOC = (30.0, 70.0)
#: How far one cell's OCV at mid SOC may lie from its chemistry preset's (V). The
#: mid-SOC OCV is the couple's: PyBaMM's Li-ion layered-oxide sets read 3.69-3.83 V at
#: 50 % (NCA Kim2011 3.685, NMC ORegan2022 3.686, Mohtat2020 3.716, Chen2020 3.751,
#: Ecker2015 3.787, LCO Ramadass2004 3.827; the NMC preset 3.751), LFP 3.25-3.33 V
#: (Prada2013 3.266, the LFP preset), lead-acid 2.03-2.08 V (2.04 the preset); 0.3 V
#: keeps each chemistry's in and the others' out (LFP is 0.42 V from NCA).
OCV_TABLE_MID_TOLERANCE_V = 0.3
#: Outside these a capacity is a typo or a unit mix-up (thin-film cells hold ~1e-4 Ah,
#: the largest cells ~1e3 Ah), and the diagnostics' arithmetic on it overflows.
MIN_CAPACITY_AH = 1e-6
MAX_CAPACITY_AH = 1e6
#: Outside these a cell's resistance is a unit mix-up (a 1000 Ah cell has ~50 uOhm, a
#: coin half cell tens of ohm, a thin-film cell ~1 kOhm).
MIN_RESISTANCE_OHM = 1e-6
MAX_RESISTANCE_OHM = 1e4
#: The band of a cell voltage reading that is a working cell's, as fractions of the
#: spec's cell minimum and maximum (NMC 2.50-4.20 V: 1.25-5.25 V). Outside it (a
#: cell collapsed to 0 V after a thermal runaway, a broken sense wire reading 0 V
#: or full scale, 65 V of garbage) the reading is no working cell's: the SOC leaves
#: it out of the mean cell and cell balance out of the spread and names it. One rule
#: for both (:attr:`BatterySpec.plausible_cell_v`). Half the minimum keeps an
#: over-discharged cell a BMS let sag below its cut-off; 1.25x the maximum keeps an
#: overcharged cell before it vents (NMC ~5 V).
PLAUSIBLE_CELL_V = (0.5, 1.25)


class Chemistry(StrEnum):
    NMC = "nmc"
    LFP = "lfp"
    LEAD_ACID = "lead_acid"

    @classmethod
    def parse(cls, text: str) -> Chemistry:
        key = text.strip().lower().replace("-", "_")
        aliases = {
            "li_ion": "nmc",
            "liion": "nmc",
            "lead": "lead_acid",
            "pb": "lead_acid",
            "leadacid": "lead_acid",
            "lifepo4": "lfp",
        }
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise BatteryOSError(
                f"unknown chemistry {text!r} (choose from {', '.join(c.value for c in cls)})"
            ) from None


@dataclass(frozen=True)
class EcmParameters:
    """Typical 2-RC equivalent-circuit parameters of one cell, scaled by capacity.

    Resistances are given as specific values in ohm*Ah: a cell of capacity Q Ah
    has R = r_specific / Q. Time constants tau = R*C are kept constant.
    """

    r0_ohm_ah: float
    r1_ohm_ah: float
    tau1_s: float
    r2_ohm_ah: float
    tau2_s: float
    # Lumped thermal model: heat capacity per Ah and cooling conductance per Ah.
    heat_capacity_j_per_k_ah: float
    cooling_w_per_k_ah: float

    def for_capacity(self, capacity_ah: float) -> dict[str, float]:
        """R0, R1, C1, R2, C2 (ohm, farad) and thermal values for a cell of ``capacity_ah``."""
        q = float(capacity_ah)
        r1 = self.r1_ohm_ah / q
        r2 = self.r2_ohm_ah / q
        return {
            "r0_ohm": self.r0_ohm_ah / q,
            "r1_ohm": r1,
            "c1_f": self.tau1_s / r1,
            "r2_ohm": r2,
            "c2_f": self.tau2_s / r2,
            "heat_capacity_j_per_k": self.heat_capacity_j_per_k_ah * q,
            "cooling_w_per_k": self.cooling_w_per_k_ah * q,
        }


@dataclass(frozen=True)
class BatterySpec:
    """What the user tells Battery OS about the battery under test.

    Voltage limits are per cell. ``ocv_soc_pct``/``ocv_v`` is the open-circuit
    voltage of one cell against state of charge (0–100 %), SOC ascending.
    """

    chemistry: Chemistry
    capacity_ah: float
    series_cells: int = 1
    parallel_strings: int = 1
    cell_v_min: float = 0.0
    cell_v_max: float = 0.0
    cell_v_nominal: float = 0.0
    max_charge_current_c: float = 1.0
    max_discharge_current_c: float = 1.0
    charge_temp_min_c: float = 0.0
    charge_temp_max_c: float = 45.0
    discharge_temp_min_c: float = -20.0
    discharge_temp_max_c: float = 60.0
    ocv_soc_pct: tuple[float, ...] = ()
    ocv_v: tuple[float, ...] = ()
    ecm: EcmParameters | None = None
    bol_resistance_ohm: float | None = None
    #: the current (in C, charging positive) the OCV table was measured at: a C/50
    #: discharge is -0.02, a table of rest points 0. The table then sits that current
    #: times the cell's resistance off the OCV, which the SOC filter corrects (see
    #: "Rated table" in :mod:`app.diagnostics.soc_ekf`). None: not known (a preset's
    #: table, or a user's of unstated rate).
    ocv_table_current_c: float | None = None
    #: the capacity is only known to be at least ``capacity_ah`` (a guess from a partial
    #: charge or discharge): the current limits, C-rates of it, are not judged
    capacity_lower_bound: bool = False
    name: str = ""
    sources: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        # each message names the field (as to_dict/from_dict name it) and its value: a
        # damaged "# spec:" line or stored recording is reported with it
        if not self.capacity_ah > 0:
            raise BatteryOSError(
                f"capacity must be positive, got capacity_ah = {self.capacity_ah:g} Ah"
            )
        if not MIN_CAPACITY_AH <= self.capacity_ah <= MAX_CAPACITY_AH:  # the filters overflow
            raise BatteryOSError(
                f"capacity_ah = {self.capacity_ah:g}: a capacity of {self.capacity_ah:g} Ah "
                f"is not a cell's or string's ({MIN_CAPACITY_AH:g} to {MAX_CAPACITY_AH:g} Ah)"
            )
        r_bol = self.bol_resistance_ohm
        if r_bol is not None and not MIN_RESISTANCE_OHM <= r_bol <= MAX_RESISTANCE_OHM:
            raise BatteryOSError(
                f"bol_resistance_ohm = {r_bol:g}: not a cell's resistance "
                f"({MIN_RESISTANCE_OHM:g} to {MAX_RESISTANCE_OHM:g} ohm)"
            )
        rate = self.ocv_table_current_c
        if rate is not None and not abs(rate) <= MAX_OCV_TABLE_CURRENT_C:
            raise BatteryOSError(
                f"ocv_table_current_c = {rate:g}: an OCV table is measured at rest or at a "
                f"small current (at most C/{1 / MAX_OCV_TABLE_CURRENT_C:g} either way)"
            )
        if rate is not None and not self.ocv_v:
            raise BatteryOSError(
                f"ocv_table_current_c = {rate:g}: the spec has no OCV table of its own"
            )
        for key in ("series_cells", "parallel_strings"):
            if getattr(self, key) < 1:
                raise BatteryOSError(
                    f"series cells and parallel strings must be at least 1, got "
                    f"{key} = {getattr(self, key)}"
                )
        for key in ("max_charge_current_c", "max_discharge_current_c"):
            if not 0 < getattr(self, key) < np.inf:
                raise BatteryOSError(
                    f"current limits must be positive C-rates, got {key} = {getattr(self, key):g}"
                )
        for kind in ("charge", "discharge"):
            lo, hi = getattr(self, f"{kind}_temp_min_c"), getattr(self, f"{kind}_temp_max_c")
            if not lo < hi:
                raise BatteryOSError(
                    f"{kind} temperature limits out of order: {kind}_temp_min_c = {lo:g} degC "
                    f"is not below {kind}_temp_max_c = {hi:g} degC"
                )
        if self.cell_v_max and not self.cell_v_min < self.cell_v_max:
            raise BatteryOSError(
                f"cell voltage limits out of order: cell_v_min = {self.cell_v_min:g} V "
                f"is not below cell_v_max = {self.cell_v_max:g} V"
            )
        if len(self.ocv_soc_pct) != len(self.ocv_v):
            raise BatteryOSError(
                f"OCV table: SOC and voltage columns differ in length (ocv_soc_pct has "
                f"{len(self.ocv_soc_pct)} values, ocv_v {len(self.ocv_v)})"
            )
        if self.ocv_v:
            soc = np.asarray(self.ocv_soc_pct, dtype=float)
            ocv = np.asarray(self.ocv_v, dtype=float)
            if len(soc) < 2:
                raise BatteryOSError("OCV table: needs at least two rows (SOC, OCV)")
            if not (np.all(np.isfinite(soc)) and np.all(np.isfinite(ocv))):
                raise BatteryOSError("OCV table: empty or non-numeric cells")
            if soc[0] < 0 or soc[-1] > 100:
                raise BatteryOSError(
                    f"OCV table: SOC must lie within 0-100 %, got {soc.min():g}-{soc.max():g}"
                )
            if np.any(ocv <= 0):
                raise BatteryOSError(
                    f"OCV table: voltages must be positive, got {ocv.min():g} V at "
                    f"{soc[np.argmin(ocv)]:g} % SOC"
                )
            if np.any(np.diff(soc) <= 0):
                k = int(np.argmax(np.diff(soc) <= 0))
                raise BatteryOSError(
                    f"OCV table: SOC must be strictly increasing, got {soc[k]:g} % then "
                    f"{soc[k + 1]:g} %"
                )
            if np.any(np.diff(ocv) < 0):
                k = int(np.argmax(np.diff(ocv) < 0))
                raise BatteryOSError(
                    f"OCV table: voltage must not fall as SOC rises, got {ocv[k]:g} V at "
                    f"{soc[k]:g} % and {ocv[k + 1]:g} V at {soc[k + 1]:g} %"
                )

    # --- derived values -------------------------------------------------
    @property
    def pack_capacity_ah(self) -> float:
        return self.capacity_ah * self.parallel_strings

    @property
    def pack_v_min(self) -> float:
        return self.cell_v_min * self.series_cells

    @property
    def pack_v_max(self) -> float:
        return self.cell_v_max * self.series_cells

    @property
    def current_limits_judged(self) -> bool:
        """False while the capacity is only a lower bound: a current over C-rates of it
        may be within a larger cell's limits."""
        return not self.capacity_lower_bound

    @property
    def max_charge_current_a(self) -> float:
        return self.max_charge_current_c * self.pack_capacity_ah

    @property
    def max_discharge_current_a(self) -> float:
        return self.max_discharge_current_c * self.pack_capacity_ah

    @property
    def plausible_cell_v(self) -> tuple[float, float]:
        """(low, high) V: a cell reading outside is no working cell's (see
        :data:`PLAUSIBLE_CELL_V`); unbounded when the spec has no cell limits."""
        if self.cell_v_min > 0 and self.cell_v_max > self.cell_v_min:
            lo, hi = PLAUSIBLE_CELL_V
            return lo * self.cell_v_min, hi * self.cell_v_max
        return -np.inf, np.inf

    @property
    def ocv_table(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The OCV table of one cell in use, ``(soc_pct, ocv_v)`` (SOC ascending): this
        battery's own (``ocv_soc_pct``/``ocv_v``), else its chemistry preset's. What
        :meth:`cell_ocv` and :meth:`cell_soc_from_ocv` interpolate; the one way to read
        the table whether or not the user gave one."""
        if self.ocv_v:
            return self.ocv_soc_pct, self.ocv_v
        base = PRESETS[self.chemistry]
        return base.ocv_soc_pct, base.ocv_v

    def equilibrium_ocv_table(self) -> tuple[np.ndarray, np.ndarray]:
        """One cell's OCV at equilibrium, ``(soc_pct, ocv_v)``: :attr:`ocv_table` less its
        polarisation at the current it was measured at (:attr:`ocv_table_current_c`, C,
        times the capacity times the cell's DC resistance, R0 + R1 + R2 of its ECM: a
        C/50 discharge's table sits that far below the OCV, see "Rated table" in
        :mod:`app.diagnostics.soc_ekf`); the table itself where the current is not stated.
        What the SOC filter's cell model reads and the simulated cells follow: the one
        place the correction is made."""
        spec = self.with_preset_defaults()
        soc, ocv = (np.asarray(x, dtype=float) for x in spec.ocv_table)
        if spec.ocv_table_current_c:
            p = spec.ecm.for_capacity(spec.capacity_ah)
            r_dc = float(p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"])
            ocv = ocv - spec.ocv_table_current_c * spec.capacity_ah * r_dc
        return soc, ocv

    def cell_ocv(self, soc_pct):
        """OCV of one cell at ``soc_pct`` (scalar or array), linear in the table
        (the chemistry preset's when the battery has none)."""
        return np.interp(soc_pct, *self.ocv_table)

    def cell_soc_from_ocv(self, ocv_v):
        """Inverse of :meth:`cell_ocv` (flat parts of the curve give their midpoint)."""
        soc_table, ocv_table = self.ocv_table
        v = np.asarray(ocv_table)
        s = np.asarray(soc_table)
        # collapse flat segments so the inverse is a function
        keep = np.concatenate(([True], np.diff(v) > 0))
        return np.interp(ocv_v, v[keep], s[keep])

    def with_overrides(self, **changes) -> BatterySpec:
        """A copy with the given fields replaced (user overrides of a preset).

        A new capacity takes its chemistry preset's current limits for a cell of that
        size (:func:`preset_current_limits`: a 280 Ah LFP cell is no 26650 power cell)
        when this spec's limits are its preset's for its own size (a limit given with
        it stands); limits of the user's or a file's own stay as they are."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "capacity_ah" in changes:  # a capacity given is known, not a lower bound
            changes.setdefault("capacity_lower_bound", False)
            limits = ("max_charge_current_c", "max_discharge_current_c")
            own = (self.max_charge_current_c, self.max_discharge_current_c)
            if "chemistry" not in changes and own == preset_current_limits(
                self.chemistry, self.capacity_ah
            ):
                new = preset_current_limits(self.chemistry, changes["capacity_ah"])
                for key, value in zip(limits, new, strict=True):
                    changes.setdefault(key, value)  # (a limit given with it stands)
        if "chemistry" in changes and not isinstance(changes["chemistry"], Chemistry):
            changes["chemistry"] = Chemistry.parse(changes["chemistry"])
        if "capacity_ah" in changes and "name" not in changes:
            changes["name"] = self._name_at(changes["capacity_ah"])
        return dataclasses.replace(self, **changes)

    def _name_at(self, capacity_ah: float) -> str:
        """This battery's name at ``capacity_ah``: a cell preset's names its cell (an A123
        26650 holds 2.5 Ah), so at another capacity it is the chemistry's with that
        capacity ("LFP 100 Ah cell", not "LFP (A123 26650-like)" at 100 Ah); any other
        name (a file's, the user's, the lead-acid preset's 12 V block) stays."""
        base = PRESETS.get(self.chemistry)
        if base is None or self.chemistry not in CELL_PRESET_LABELS or self.name != base.name:
            return self.name
        if float(capacity_ah) == base.capacity_ah:
            return self.name
        return f"{CELL_PRESET_LABELS[self.chemistry]} {float(capacity_ah):g} Ah cell"

    def with_preset_defaults(self) -> BatterySpec:
        """A copy with what it leaves open (ECM, OCV table, voltage limits) taken
        from its chemistry's preset; models need all three."""
        base = PRESETS[self.chemistry]
        changes: dict = {}
        if self.ecm is None:
            changes["ecm"] = base.ecm
        if not self.ocv_v:
            changes["ocv_soc_pct"] = base.ocv_soc_pct
            changes["ocv_v"] = base.ocv_v
        if self.cell_v_max <= 0 or self.cell_v_min <= 0:
            changes["cell_v_min"] = base.cell_v_min
            changes["cell_v_max"] = base.cell_v_max
        return dataclasses.replace(self, **changes) if changes else self

    def with_ocv_table(
        self, soc_pct, ocv_v, current_c: float | None = None, *, named: str = "OCV table"
    ) -> BatterySpec:
        """This battery with that OCV table of one of its cells; ``current_c``: the current
        (C, charging positive) it was measured at (a C/50 discharge: -0.02), None if not
        known.

        A table that cannot be one of this battery's cells (:func:`ocv_table_misfit`:
        another chemistry's, a pack's, one outside its cell voltage limits) is a
        :class:`BatteryOSError` saying so, ``named`` as the user gave it (``--ocv-table
        cell.csv``): every way a user gives a table (``--ocv-table``, a URL's
        ``ocv_table=``: the GUI's) puts it over the battery here."""
        spec = _with_table(self, soc_pct, ocv_v, current_c)
        if why := ocv_table_misfit(self, spec.ocv_soc_pct, spec.ocv_v):
            raise BatteryOSError(f"{named}: {why}")
        return spec

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["chemistry"] = self.chemistry.value
        d["ocv_soc_pct"] = list(self.ocv_soc_pct)
        d["ocv_v"] = list(self.ocv_v)
        d["sources"] = list(self.sources)
        return d

    @staticmethod
    def from_dict(d: dict) -> BatterySpec:
        """The spec ``to_dict`` gave. A damaged one (a file's metadata, a stored
        recording) is a BatteryOSError naming the key; keys this version does not
        know (a newer one wrote them) are left out."""
        if not isinstance(d, dict):
            raise BatteryOSError(f"battery spec: not a mapping of keys to values ({d!r:.60})")
        for key in ("chemistry", "capacity_ah"):
            if key not in d:
                raise BatteryOSError(f"battery spec: no {key}")
        values = {}
        for f in dataclasses.fields(BatterySpec):
            if f.name in d:
                values[f.name] = _spec_value(f.name, str(f.type), d[f.name])
        try:
            return BatterySpec(**values)
        except BatteryOSError as exc:  # its own checks name the field and value
            raise BatteryOSError(f"battery spec: {exc}") from None


def _spec_value(key: str, kind: str, value):
    """``value`` of the spec field ``key`` as its annotation ``kind`` says."""
    if kind == "Chemistry":
        try:
            return Chemistry.parse(str(value))
        except BatteryOSError as exc:
            raise BatteryOSError(f"battery spec: chemistry = {value!r:.60}: {exc}") from None
    if kind == "str":
        return str(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise BatteryOSError(f"battery spec: {key} = {value!r:.60} is not true or false")
        return value
    if kind in ("float", "int") or (kind == "float | None" and value is not None):
        return _spec_number(key, value, whole=kind == "int")
    if kind.startswith("tuple["):
        if not isinstance(value, list | tuple):
            raise BatteryOSError(f"battery spec: {key} is not a list ({value!r:.60})")
        if kind == "tuple[str, ...]":
            return tuple(str(v) for v in value)
        return tuple(_spec_number(key, v) for v in value)
    if kind == "EcmParameters | None" and value is not None:
        names = [f.name for f in dataclasses.fields(EcmParameters)]
        if not isinstance(value, dict) or set(value) != set(names):
            raise BatteryOSError(
                f"battery spec: ecm needs the keys {', '.join(names)}, got {value!r:.80}"
            )
        return EcmParameters(**{k: _spec_number(f"ecm.{k}", value[k]) for k in names})
    return value


def _spec_number(key: str, value, whole: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise BatteryOSError(f"battery spec: {key} = {value!r:.60} is not a number")
    if whole:
        if value != int(value):
            raise BatteryOSError(f"battery spec: {key} = {value!r} is not a whole number")
        return int(value)
    return float(value)


# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------
# NMC: LG INR21700-M50 (NMC811/graphite-SiOx, 5 Ah), the cell parameterised by
# Chen et al., "Development of experimental techniques for parameterization of
# multi-scale lithium-ion battery models", J. Electrochem. Soc. 167 (2020) 080534.
# OCV: the full-cell OCV of that paper (PyBaMM parameter set "Chen2020": positive
# minus negative electrode OCP over the cell's stoichiometry window, as a C/50
# discharge gives it), read at these SOC points, 1 mV resolution.
_NMC_OCV = (
    (0, 2.500),
    (2, 2.862),
    (5, 3.109),
    (10, 3.296),
    (15, 3.434),
    (20, 3.485),
    (30, 3.581),
    (40, 3.667),
    (50, 3.751),
    (60, 3.841),
    (70, 3.948),
    (80, 4.042),
    (90, 4.097),
    (95, 4.124),
    (100, 4.200),
)
NMC = BatterySpec(
    chemistry=Chemistry.NMC,
    name="NMC (LG M50-like)",
    capacity_ah=5.0,
    # LG INR21700-M50 datasheet: charge voltage 4.20 V, discharge cut-off 2.50 V,
    # nominal 3.63 V; standard charge 0.3C, max charge 0.7C, max discharge 1.5C
    # continuous (7.28 A); charge 0..45 degC, discharge -20..60 degC.
    cell_v_min=2.50,
    cell_v_max=4.20,
    cell_v_nominal=3.63,
    max_charge_current_c=0.7,
    max_discharge_current_c=1.5,
    charge_temp_min_c=0.0,
    charge_temp_max_c=45.0,
    discharge_temp_min_c=-20.0,
    discharge_temp_max_c=60.0,
    ocv_soc_pct=tuple(float(s) for s, _ in _NMC_OCV),
    ocv_v=tuple(v for _, v in _NMC_OCV),
    # ECM: R0 ~ 15 mOhm at 5 Ah (M50 datasheet AC impedance <= 25 mOhm; Chen2020
    # pulse data), RC time constants 10 s / 200 s as in typical 2-RC HPPC fits
    # (Hu, Li, Peng, J. Power Sources 198 (2012) 359).
    ecm=EcmParameters(
        r0_ohm_ah=0.075,
        r1_ohm_ah=0.030,
        tau1_s=10.0,
        r2_ohm_ah=0.040,
        tau2_s=200.0,
        # 21700 cell 68 g, cp ~ 1100 J/kg/K (Chen2020) -> 75 J/K for 5 Ah;
        # natural convection h ~ 10 W/m2/K over 53 cm2 -> 0.053 W/K.
        heat_capacity_j_per_k_ah=15.0,
        cooling_w_per_k_ah=0.0106,
    ),
    sources=(
        "LG INR21700-M50 product specification",
        "Chen et al., J. Electrochem. Soc. 167 (2020) 080534",
    ),
)

# LFP: A123 ANR26650M1-B (LFP/graphite, 2.5 Ah). OCV shape after Prada et al.,
# "A simplified electrochemical and thermal aging model of LiFePO4-graphite
# Li-ion batteries", J. Electrochem. Soc. 160 (2013) A616 (PyBaMM "Prada2013"):
# the full-cell OCV over its stoichiometry window read at these SOC points, 1 mV
# resolution (on the flat plateau 5 mV is worth ~10 % SOC).
_LFP_OCV = (
    (0, 2.000),
    (2, 2.460),
    (5, 2.785),
    (10, 2.978),
    (20, 3.168),
    (30, 3.206),
    (40, 3.252),
    (50, 3.266),
    (60, 3.269),
    (70, 3.274),
    (80, 3.310),
    (90, 3.314),
    (95, 3.316),
    (98, 3.350),
    (100, 3.600),
)
LFP = BatterySpec(
    chemistry=Chemistry.LFP,
    name="LFP (A123 26650-like)",
    capacity_ah=2.5,
    # A123 ANR26650M1-B datasheet: charge 3.6 V, discharge cut-off 2.0 V,
    # nominal 3.3 V; max continuous discharge 50 A (20C), fast charge 10 A (4C);
    # operating -30..55 degC; charging below 0 degC not recommended (all LFP).
    cell_v_min=2.00,
    cell_v_max=3.60,
    cell_v_nominal=3.30,
    max_charge_current_c=4.0,
    max_discharge_current_c=20.0,
    charge_temp_min_c=0.0,
    charge_temp_max_c=55.0,
    discharge_temp_min_c=-30.0,
    discharge_temp_max_c=55.0,
    ocv_soc_pct=tuple(float(s) for s, _ in _LFP_OCV),
    ocv_v=tuple(v for _, v in _LFP_OCV),
    # ECM: R0 ~ 10 mOhm at 2.5 Ah (A123 datasheet: 1 kHz AC impedance 6 mOhm,
    # 10 s DCIR ~ 10 mOhm), RC time constants as above.
    ecm=EcmParameters(
        r0_ohm_ah=0.020,
        r1_ohm_ah=0.008,
        tau1_s=10.0,
        r2_ohm_ah=0.010,
        tau2_s=300.0,
        # 26650 cell 76 g, cp ~ 1000 J/kg/K -> 76 J/K for 2.5 Ah (30 J/K/Ah);
        # h ~ 10 W/m2/K over 62 cm2 -> 0.062 W/K.
        heat_capacity_j_per_k_ah=30.0,
        cooling_w_per_k_ah=0.025,
    ),
    sources=(
        "A123 Systems ANR26650M1-B data sheet",
        "Prada et al., J. Electrochem. Soc. 160 (2013) A616",
    ),
)

# Lead-acid: a 12 V (6-cell) VRLA/flooded battery, values per cell.
# OCV at rest vs SOC: Battery University BU-903 table for lead acid
# (12.73 V = 100 %, 12.50 V = 75 %, 12.24 V = 50 %, 11.96 V = 25 %, 11.66 V = 0 %)
# divided by 6 cells.
_PB_OCV = ((0, 11.66 / 6), (25, 11.96 / 6), (50, 12.24 / 6), (75, 12.50 / 6), (100, 12.73 / 6))
LEAD_ACID = BatterySpec(
    chemistry=Chemistry.LEAD_ACID,
    name="Lead-acid 12 V (6 cells)",
    capacity_ah=100.0,
    series_cells=6,
    # Absorption charge 2.40-2.45 V/cell (BU-403 "Charging lead acid");
    # end-of-discharge 1.75 V/cell at C/20 (IEC 61056-1 / IEEE 1188 practice).
    cell_v_min=1.75,
    cell_v_max=2.45,
    cell_v_nominal=2.00,
    # Yuasa NP series data sheet: max charge current 0.25C, discharge up to 1C
    # continuous for this preset; charge -15..50 degC, discharge -20..60 degC.
    max_charge_current_c=0.25,
    max_discharge_current_c=1.0,
    charge_temp_min_c=-15.0,
    charge_temp_max_c=50.0,
    discharge_temp_min_c=-20.0,
    discharge_temp_max_c=60.0,
    ocv_soc_pct=tuple(float(s) for s, _ in _PB_OCV),
    ocv_v=tuple(round(v, 4) for _, v in _PB_OCV),
    # ECM: a 100 Ah 12 V block has ~ 4-5 mOhm internal resistance (Yuasa
    # NP/REC data sheets), i.e. ~0.75 mOhm per cell -> 0.075 ohm*Ah;
    # slow diffusion time constants (Jackey, SAE 2007-01-0778).
    ecm=EcmParameters(
        r0_ohm_ah=0.075,
        r1_ohm_ah=0.040,
        tau1_s=30.0,
        r2_ohm_ah=0.060,
        tau2_s=900.0,
        # ~5 kg of lead and electrolyte per cell of 100 Ah, cp ~ 700 J/kg/K.
        heat_capacity_j_per_k_ah=35.0,
        cooling_w_per_k_ah=0.004,
    ),
    sources=(
        "Battery University BU-903, BU-403",
        "Yuasa NP series data sheet",
        "Jackey, SAE 2007-01-0778",
    ),
)

#: the chemistry of each preset named after one cell (:meth:`BatterySpec._name_at`)
CELL_PRESET_LABELS: dict[Chemistry, str] = {Chemistry.NMC: "NMC", Chemistry.LFP: "LFP"}

PRESETS: dict[Chemistry, BatterySpec] = {
    Chemistry.NMC: NMC,
    Chemistry.LFP: LFP,
    Chemistry.LEAD_ACID: LEAD_ACID,
}

# --- current limits of large-format cells -------------------------------------
# The presets' C-rates are those of their data-sheet cells. A123's 4C charge / 20C
# discharge is a 2.5 Ah power cell's: scaled to a 280 Ah prismatic LFP cell it is
# 1120 A / 5600 A, which no such cell's data sheet allows, and the safety check could
# never trip. Large-format prismatic LFP cells (>= ~50 Ah: EVE LF105/LF280K, CATL
# 280 Ah, CALB CA100 and the like, for stationary storage and traction) are rated
# ~0.5C standard / 1C maximum continuous charge and 1C continuous (CALB's up to
# 2-3C) discharge, 2C as a short peak: 1C charge and 2C discharge, the top of that
# range, so a cell used within its data sheet raises no limit event.
# NMC: the M50's 0.7C charge / 1.5C discharge are an energy cell's and already within
# what large-format NMC pouch and prismatic cells are rated for (~1C charge, 2C+
# continuous discharge): unchanged. Lead-acid (0.25C / 1C): a 100 Ah block's already.
#: From this capacity (Ah, one cell) a cell is large-format.
LARGE_FORMAT_AH = 50.0
#: (charge, discharge) C-rates of a large-format cell, where they differ from the preset's.
LARGE_FORMAT_CURRENT_C: dict[Chemistry, tuple[float, float]] = {
    Chemistry.LFP: (1.0, 2.0),
}


def preset_current_limits(chemistry: Chemistry, capacity_ah: float) -> tuple[float, float]:
    """The (charge, discharge) C-rate limits of ``chemistry``'s preset for a cell of
    ``capacity_ah``: its data-sheet cell's, or a large-format cell's from
    :data:`LARGE_FORMAT_AH` (:data:`LARGE_FORMAT_CURRENT_C`)."""
    if capacity_ah >= LARGE_FORMAT_AH and chemistry in LARGE_FORMAT_CURRENT_C:
        return LARGE_FORMAT_CURRENT_C[chemistry]
    base = PRESETS[chemistry]
    return base.max_charge_current_c, base.max_discharge_current_c


# --- temperature dependence of a cell's resistance ----------------------------
# R(T) = R_ref * exp(Ea / R_gas * (1/T - 1/T_ref)), T in kelvin: the Arrhenius law
# the ohmic resistance of a cell follows over its operating range (ion transport in
# the electrolyte and through the SEI, both thermally activated).
GAS_CONSTANT_J_PER_MOL_K = 8.314462618
#: The temperature a beginning-of-life resistance is quoted at (data sheets, IEC
#: 61960-3 and IEC 62620 internal-resistance tests: 25 +- 5 degC).
RESISTANCE_REFERENCE_TEMP_C = 25.0
#: Activation energy (J/mol) of the ohmic resistance R0 (the pulse fit's) per chemistry.
#: - Li-ion (NMC, LFP): the LiPF6/carbonate electrolyte alone gives ~15 kJ/mol near
#:   room temperature (conductivity of 1 M LiPF6 in EC/DMC-type solvents ~10 mS/cm at
#:   25 degC, ~6 at 0 degC: Valoen & Reimers, J. Electrochem. Soc. 152 (2005) A882);
#:   the SEI, part of a cell's ohmic R0 too, is activated more strongly, so a whole
#:   cell's R0 rises faster (impedance of NMC cells against temperature: Waag, Kaebitz,
#:   Sauer, Appl. Energy 102 (2013) 885); values of ~15-35 kJ/mol are usual for it.
#:   20 kJ/mol: x2.1 from 25 to 0 degC, x1.5 from 25 to 10 degC, the rise cell data
#:   sheets' DCIR against temperature show; the NMC/LFP difference is smaller than
#:   that spread, so both take the one value.
#: - Lead-acid: the sulfuric acid's conductivity (1.28 g/cm3) rises ~1.5 %/K near
#:   25 degC (Linden's Handbook of Batteries, lead-acid chapters; Bode, Lead-Acid
#:   Batteries, 1977): Ea = 0.015 R_gas T^2 ~ 11 kJ/mol (x1.5 from 25 to 0 degC).
RESISTANCE_ACTIVATION_J_PER_MOL: dict[Chemistry, float] = {
    Chemistry.NMC: 20e3,
    Chemistry.LFP: 20e3,
    Chemistry.LEAD_ACID: 11e3,
}


#: The cell temperatures over which the law above is used to correct a resistance: the
#: operating window of Li-ion and lead-acid cells. Outside it the electrolyte freezes
#: or the SEI changes, and a reading there is more likely a wrong unit (degF) or a
#: broken sensor than a cell: a pulse read outside it is not corrected.
RESISTANCE_CORRECTION_RANGE_C = (-20.0, 60.0)


def resistance_temperature_factor(
    chemistry: Chemistry,
    temperature_c: float | np.ndarray,
    reference_c: float = RESISTANCE_REFERENCE_TEMP_C,
) -> float | np.ndarray:
    """R(temperature_c) / R(reference_c) of a cell of ``chemistry`` (Arrhenius, see
    :data:`RESISTANCE_ACTIVATION_J_PER_MOL`): above 1 colder than the reference.

    A float for a float; for an array of temperatures (the simulator's cells and
    steps) an array of factors of the same shape."""
    scalar = np.ndim(temperature_c) == 0  # (the simulator asks per cell and step: kept fast)
    t = (float(temperature_c) if scalar else np.asarray(temperature_c, dtype=float)) + 273.15
    if not ((t > 0.0 if scalar else np.all(t > 0.0)) and reference_c > -273.15):
        raise ValueError(
            f"a temperature must be above absolute zero, not {temperature_c} / {reference_c} degC"
        )
    ea = RESISTANCE_ACTIVATION_J_PER_MOL[Chemistry(chemistry)]
    factor = np.exp(ea / GAS_CONSTANT_J_PER_MOL_K * (1.0 / t - 1.0 / (reference_c + 273.15)))
    return float(factor) if scalar else factor


def preset(
    chemistry: Chemistry | str,
    *,
    capacity_ah: float | None = None,
    series_cells: int | None = None,
    parallel_strings: int | None = None,
) -> BatterySpec:
    """The preset of ``chemistry`` with optional user overrides."""
    chem = chemistry if isinstance(chemistry, Chemistry) else Chemistry.parse(chemistry)
    return PRESETS[chem].with_overrides(
        capacity_ah=capacity_ah, series_cells=series_cells, parallel_strings=parallel_strings
    )


def in_chemistry(spec: BatterySpec, chemistry: Chemistry | str) -> BatterySpec:
    """``spec`` (a file's own battery) in the ``chemistry`` a user names: ``spec`` itself
    when it is of that chemistry, else that chemistry's preset (limits, OCV table, ECM)
    with ``spec``'s cells, parallel strings, capacity and resistance. ``--chemistry`` of
    ``analyze`` over a file's battery, and ``chemistry=`` of a ``file://`` URL, mean this."""
    named = preset(chemistry)
    if spec.chemistry == named.chemistry:
        return spec
    return named.with_overrides(
        capacity_ah=spec.capacity_ah,
        series_cells=spec.series_cells,
        parallel_strings=spec.parallel_strings,
        bol_resistance_ohm=spec.bol_resistance_ohm,
    )


def load_ocv_table(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read an OCV table CSV with columns ``soc_percent,ocv_v``."""
    import pandas as pd

    try:
        df = pd.read_csv(path, skipinitialspace=True)
    except FileNotFoundError:
        raise BatteryOSError(f"{path}: no such file") from None
    except Exception as exc:  # pandas raises many kinds for bad text
        detail = " ".join(str(exc).split())  # one line: the C parser's messages span several
        raise BatteryOSError(f"{path}: cannot read OCV table ({detail})") from None
    df.columns = [str(c).strip() for c in df.columns]
    for col in ("soc_percent", "ocv_v"):
        if col not in df.columns:
            raise BatteryOSError(
                f"{path}: OCV table needs columns soc_percent,ocv_v (missing {col})"
            )
    try:
        soc = df["soc_percent"].astype(float).to_numpy()
        ocv = df["ocv_v"].astype(float).to_numpy()
    except ValueError as exc:
        raise BatteryOSError(f"{path}: OCV table has non-numeric values ({exc})") from None
    if len(soc) < 2:  # an empty table would leave the preset's in place
        raise BatteryOSError(
            f"{path}: OCV table: needs at least two rows (SOC, OCV), has {len(soc)}"
        )
    # the usual slips: SOC as a fraction, or the voltage of a pack or in millivolts
    if len(soc) >= 2 and np.nanmax(soc) <= 1.0:
        raise BatteryOSError(
            f"{path}: soc_percent goes only up to {np.nanmax(soc):g}: give percent (0-100), "
            "not a fraction"
        )
    if np.nanmax(ocv, initial=0.0) > MAX_CELL_OCV_V:
        raise BatteryOSError(
            f"{path}: ocv_v reaches {np.nanmax(ocv):g} V: give one cell's OCV in volts "
            "(not a pack's, not millivolts)"
        )
    try:
        check_ocv_table(soc, ocv)  # the checks of every spec
    except BatteryOSError as exc:
        raise BatteryOSError(f"{path}: {exc}") from None
    if np.ptp(ocv) < MIN_OCV_RISE_V:  # SOC cannot be read from it: the filter would stick
        raise BatteryOSError(
            f"{path}: OCV table: the voltage rises only {1000 * np.ptp(ocv):.3g} mV from "
            f"{soc.min():g} to {soc.max():g} % SOC; SOC cannot be read from it"
        )
    return soc, ocv


def _with_table(spec: BatterySpec, soc_pct, ocv_v, current_c: float | None) -> BatterySpec:
    order = np.argsort(np.asarray(soc_pct, dtype=float))
    return dataclasses.replace(
        spec,
        ocv_soc_pct=tuple(float(x) for x in np.asarray(soc_pct, float)[order]),
        ocv_v=tuple(float(x) for x in np.asarray(ocv_v, float)[order]),
        ocv_table_current_c=None if current_c is None else float(current_c),
    )


def check_ocv_table(soc_pct, ocv_v, current_c: float | None = None) -> None:
    """Raise :class:`BatteryOSError` where ``soc_pct``/``ocv_v`` (measured at ``current_c``)
    is no OCV table of any battery (the checks every spec makes: SOC within 0-100 %,
    rising, voltages positive, a current an OCV table is measured at), before it is
    known which battery it is for (:meth:`BatterySpec.with_ocv_table` checks that)."""
    _with_table(BatterySpec(chemistry=Chemistry.NMC, capacity_ah=1.0), soc_pct, ocv_v, current_c)


#: a chemistry in a sentence
_CHEMISTRY_WORDS = {Chemistry.NMC: "NMC", Chemistry.LFP: "LFP", Chemistry.LEAD_ACID: "lead-acid"}


def _a(word: str) -> str:
    """``word`` with its article: 'an NMC', 'an LFP', 'a lead-acid'."""
    return f"{'an' if word[0] in 'AEFHILMNORSX' else 'a'} {word}"


def _mid_soc(soc: np.ndarray) -> float | None:
    """The SOC a table is compared with its chemistry's at (:data:`OCV_TABLE_MID_SOC`)."""
    at = float(np.clip(50.0, soc[0], soc[-1]))
    lo, hi = OCV_TABLE_MID_SOC
    return at if lo <= at <= hi else None


def _off_chemistry(chemistry: Chemistry, soc: np.ndarray, ocv: np.ndarray) -> bool:
    """Whether the table's OCV at mid SOC is not a ``chemistry`` cell's."""
    at = _mid_soc(soc)
    if at is None:
        return False
    own = float(np.interp(at, *PRESETS[chemistry].ocv_table))
    return abs(float(np.interp(at, soc, ocv)) - own) > OCV_TABLE_MID_TOLERANCE_V


def _outside_window(spec: BatterySpec, ocv: np.ndarray) -> tuple[str, float] | None:
    """('above'|'below', the table's voltage) where it runs outside ``spec``'s cell
    voltage window by more than :data:`OCV_TABLE_WINDOW_MARGIN`; None inside it, or when
    the spec has no limits."""
    if not 0 < spec.cell_v_min < spec.cell_v_max:
        return None
    below, above = OCV_TABLE_WINDOW_MARGIN
    slack = 0.0005  # (a table's voltages to the mV: 1.9999999 V is 2.000 V)
    if ocv[-1] > spec.cell_v_max * (1.0 + above) + slack:
        return "above", float(ocv[-1])
    if ocv[0] < spec.cell_v_min * (1.0 - below) - slack:
        return "below", float(ocv[0])
    return None


def ocv_table_misfit(spec: BatterySpec, soc_pct, ocv_v) -> str | None:
    """Why ``soc_pct``/``ocv_v`` (SOC ascending, as the spec keeps a table) cannot be the
    OCV table of one of ``spec``'s cells, in words; None when it can be.

    It cannot be where at mid SOC it lies more than :data:`OCV_TABLE_MID_TOLERANCE_V`
    from the chemistry's (another chemistry's table: NMC's for LFP cells; not asked of
    cells given voltage limits of their own, which judge it alone), or where it
    runs outside the cell voltage limits by more than :data:`OCV_TABLE_WINDOW_MARGIN`
    (a cell resting on it would be in over- or under-voltage alarm at once). Where the
    table divided by the battery's series cells fits, it is named as the pack's."""
    soc = np.asarray(soc_pct, dtype=float)
    ocv = np.asarray(ocv_v, dtype=float)
    if len(soc) < 2:
        return None
    spec = spec.with_preset_defaults()  # (its limits: a spec of none takes its preset's)
    word = _CHEMISTRY_WORDS[spec.chemistry]
    # cells given their own voltage limits are judged by them alone: the chemistry named
    # is the nearest preset of a cell that is none of them (a 4.7 V high-voltage cell
    # under --cell-v-max 4.75 with its own table, the way the README gives)
    base = PRESETS[spec.chemistry]
    own_limits = (spec.cell_v_min, spec.cell_v_max) != (base.cell_v_min, base.cell_v_max)
    off = not own_limits and _off_chemistry(spec.chemistry, soc, ocv)
    window = _outside_window(spec, ocv)
    if not (off or window):
        return None
    n = spec.series_cells  # the pack's (or a module's) table, given as one cell's
    if n > 1 and not (
        (not own_limits and _off_chemistry(spec.chemistry, soc, ocv / n))
        or _outside_window(spec, ocv / n)
    ):
        return (
            f"it runs {ocv[0]:.3g}-{ocv[-1]:.3g} V, the battery's {n} cells' in series, not "
            f"one cell's: give one cell's OCV (the table divided by {n})"
        )
    fits = [c for c in PRESETS if c != spec.chemistry and not _off_chemistry(c, soc, ocv)]
    said = []
    if off:
        at = _mid_soc(soc)
        ours = float(np.interp(at, soc, ocv))
        own = float(np.interp(at, *PRESETS[spec.chemistry].ocv_table))
        said.append(
            f"it reads {ours:.3f} V at {at:g} % SOC, where {_a(word)} cell rests near {own:.2f} V"
        )
    if window:
        side, volts = window
        limit = (
            f"above the {spec.cell_v_max:g} V charge limit"
            if side == "above"
            else f"below the {spec.cell_v_min:g} V discharge cut-off"
        )
        margin = OCV_TABLE_WINDOW_MARGIN[side == "above"]
        said.append(
            f"it reaches {volts:.3f} V, {limit} of the battery's cells by more than "
            f"{100 * margin:g} % (its cells would be in "
            f"{'over' if side == 'above' else 'under'}-voltage alarm at rest)"
        )
    if off and fits:
        other = _CHEMISTRY_WORDS[fits[0]]
        hint = f"not {_a(word)} cell's table but {_a(other)} cell's (is the battery {other}?)"
    elif off:
        hint = (
            f"not {_a(word)} cell's table (a cell of none of the presets' chemistries: "
            "give its voltage limits, --cell-v-max, --cell-v-min)"
        )
    else:
        hint = (
            "give the table of this battery's cells, or their voltage limits "
            "(--cell-v-max, --cell-v-min)"
        )
    return f"{'; '.join(said)}: {hint}"
