"""Where the real instrument files are (read-only fixtures; see their SOURCES.md).

``BATTERYOS_REAL_DATA`` names the folder; otherwise the ``shared/data/real``
folder beside the checkout, or the workplace's ``/work/shared/data/real``.
Tests that need it skip when none exists.
"""

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("BATTERYOS_REAL_DATA"),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "real",
    "/work/shared/data/real",
]

REAL_DATA: Path | None = next(
    (Path(c) for c in _CANDIDATES if c and (Path(c) / "SOURCES.md").is_file()), None
)
