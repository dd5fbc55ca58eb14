"""Reports: PDF, HTML, XLSX and CSV from the analysis of a log or a recording.

:func:`write_report` picks the format from the output file's extension.
"""

from __future__ import annotations

import os

from app.core.errors import BatteryOSError
from app.reports.content import ReportContent

FORMATS = (".pdf", ".html", ".xlsx", ".csv")


def write_report(content: ReportContent, path: str) -> str:
    """Write ``content`` to ``path`` in the format its extension names; returns the format."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".htm":
        suffix = ".html"
    if suffix not in FORMATS:
        raise BatteryOSError(
            f"{path}: unknown report format {suffix or '(no extension)'} (use {', '.join(FORMATS)})"
        )
    # figures are drawn on matplotlib.figure.Figure directly (no pyplot), so no
    # GUI backend is involved, not even inside the Qt app
    try:
        if suffix == ".pdf":
            from app.reports.pdf import write_pdf

            write_pdf(content, path)
        elif suffix == ".html":
            from app.reports.html import write_html

            write_html(content, path)
        elif suffix == ".xlsx":
            from app.reports.tables import write_xlsx

            write_xlsx(content, path)
        else:
            from app.reports.tables import write_csv

            write_csv(content, path)
    except OSError as exc:
        raise BatteryOSError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return suffix[1:]


__all__ = ["FORMATS", "ReportContent", "write_report"]
