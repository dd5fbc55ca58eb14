"""The battery simulator: an equivalent-circuit pack model (Qt-free, numpy only).

- :func:`simulate` -- one call, one :class:`~app.core.samples.SampleBlock` (CLI, tests).
- :class:`PackSimulator` -- step by step, with the true per-cell state exposed.
- :class:`~app.hardware.simulator.source.SimulatorSource` -- the ``sim://`` source
  (imported from :mod:`app.hardware.simulator.source`; see its docstring for the URL).

Modules: ``cells`` (parameters and spread), ``model`` (the ECM and thermal
integration), ``profiles`` and ``drive`` (load profiles), ``faults``, ``noise``,
``pack`` (the simulator), ``source``.
"""

from app.hardware.simulator.faults import Fault, FaultKind
from app.hardware.simulator.noise import NoiseSpec
from app.hardware.simulator.pack import PackSimulator, simulate
from app.hardware.simulator.profiles import PROFILES, Profile, make_profile

__all__ = [
    "PROFILES",
    "Fault",
    "FaultKind",
    "NoiseSpec",
    "PackSimulator",
    "Profile",
    "make_profile",
    "simulate",
]
