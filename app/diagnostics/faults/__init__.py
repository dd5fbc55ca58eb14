"""Fault detection: limit, battery and sensor faults as debounced, merged episodes.

``detect_faults(df, spec)`` runs the incremental :class:`FaultDetector` on a
whole log; the live engine feeds the same class block by block, so live and
offline give the same faults. One module per detector family:
:mod:`.limits`, :mod:`.sensors`, :mod:`.circuit`, :mod:`.thermal`, :mod:`.short`.
"""

from app.diagnostics.faults.detector import FaultDetector, detect_faults
from app.diagnostics.faults.types import DetectedFault, FaultKind, FaultsResult

__all__ = ["DetectedFault", "FaultDetector", "FaultKind", "FaultsResult", "detect_faults"]
