"""One cell's OCV table as a user gives it (``--ocv-table``, a URL's ``ocv_table=``): a
``soc_percent,ocv_v`` CSV, for the tests that need one on disk."""

from __future__ import annotations

from pathlib import Path


def write_ocv_table(path: Path, soc, ocv, fmt: str = ".4f") -> str:
    """Write ``soc``/``ocv`` (V) to ``path`` as a ``soc_percent,ocv_v`` CSV, the voltages
    in ``fmt`` ('' as Python writes a float); its path as text."""
    rows = "".join(f"{s:g},{v:{fmt}}\n" for s, v in zip(soc, ocv, strict=True))
    Path(path).write_text("soc_percent,ocv_v\n" + rows)
    return str(path)
