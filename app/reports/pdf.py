"""The report as a print-ready A4 PDF (ReportLab), plots as vector graphics."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from app.reports.content import ReportContent
from app.reports.figures import all_figures
from app.reports.verdicts import Verdict

VERDICT_COLORS = {
    Verdict.PASS: "#2e7d32",
    Verdict.WARN: "#ef6c00",
    Verdict.FAIL: "#c62828",
    Verdict.NOT_APPLICABLE: "#757575",
}
MAX_TABLE_ROWS = 500


#: ReportLab's table cells' left and right padding (its default, kept), pt.
_CELL_PADDING_PT = 6


def _id_lines(text: str, font: str, size: float, room_pt: float) -> str:
    """``text`` as Paragraph markup: an identifier (no spaces, words joined by
    underscores, ``fault_thermal_runaway_onset``) wider than ``room_pt`` broken into
    lines after its underscores, so each line holds whole words of it; anything else
    escaped as it is (its words wrap at its spaces)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if " " in text or "_" not in text or stringWidth(text, font, size) <= room_pt:
        return escape(text)
    *heads, last = text.split("_")
    lines = [""]
    for part in [f"{head}_" for head in heads] + [last]:
        if lines[-1] and stringWidth(lines[-1] + part, font, size) > room_pt:
            lines.append("")
        lines[-1] += part
    return "<br/>".join(escape(line) for line in lines)


def _cover_label(label: str) -> str:
    color = VERDICT_COLORS[Verdict.WARN] if label == "Warning" else "#000000"
    return f'<font color="{color}"><b>{label}</b></font>'


def write_pdf(content: ReportContent, path: str) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    grid = TableStyle(
        [
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("REPEATROWS", (0, 0), (-1, 0)),
        ]
    )
    width = A4[0] - 36 * mm

    def heading(text):
        # on a new page unless room for a few rows is left below it: the CAN capture's
        # "Per-cycle table" closed page 2 and its one-row table opened page 3 (keeping a
        # heading with its whole table would move a long one to a page of its own)
        return [CondPageBreak(30 * mm), Paragraph(text, styles["Heading2"])]

    def table(header, rows, col_widths=None):
        shown = rows[:MAX_TABLE_ROWS]
        t = Table([header, *shown], colWidths=col_widths, repeatRows=1)
        t.setStyle(grid)
        parts = [t]
        if len(rows) > len(shown):
            parts.append(
                Paragraph(f"… {len(rows) - len(shown)} more rows in the XLSX/CSV export", small)
            )
        return parts

    story = [Paragraph(content.title, styles["Title"])]
    cover = Table(
        [
            [Paragraph(_cover_label(k), small), Paragraph(escape(v), small)]
            for k, v in content.cover_rows()
        ],
        colWidths=[30 * mm, width - 30 * mm],
    )
    cover.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [cover, Spacer(1, 6 * mm), *heading("Summary")]
    summary = [["Diagnostic", "Verdict", "Finding"]]
    for f in content.findings:
        color = VERDICT_COLORS[f.verdict]
        summary.append(
            [
                Paragraph(f.title, small),
                Paragraph(f'<font color="{color}"><b>{f.verdict.value.upper()}</b></font>', small),
                Paragraph(f.summary, small),
            ]
        )
    story += table(summary[0], summary[1:], [35 * mm, 18 * mm, width - 53 * mm])
    story.append(PageBreak())
    story += heading("Plots")
    for caption, fig in all_figures(content):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=200)
        buf.seek(0)
        w_in, h_in = fig.get_size_inches()
        img = Image(buf, width=width, height=width * h_in / w_in)
        story.append(KeepTogether([img, Paragraph(caption, small), Spacer(1, 4 * mm)]))
    header, rows = content.cycle_rows()
    if rows:
        story += [*heading("Per-cycle table"), *table(header, rows)]
    story += heading("Alerts")
    header, rows = content.alert_rows()
    # every cell wraps: a fault's figures (at raise, worst), a comment, the date above
    # the time
    cell = small.clone("cell", fontSize=7.5, leading=9)
    # metric: its label's words wrap ("Fault: thermal runaway onset"); a removed rule's
    # stored id ("fault_thermal_runaway_onset") after its underscores, whole (ReportLab
    # split it wherever the line ended: "fault_thermal_runawa" / "y_onset")
    # the two dates as date above time above the time in the samples: 23 mm holds
    # "(t = 99:59:59.9)" on one line (at 19 mm one of hours broke as "(t" / "= 4:25:05.0)");
    # at raise and worst take most of the rest ("self-discharge" whole: 21 mm)
    widths = [23 * mm, 16 * mm, 30 * mm, 0, 0, 23 * mm, 23 * mm, 0]
    metric = header.index("metric")
    metric_room = widths[metric] - 2 * _CELL_PADDING_PT
    rows = [
        [
            Paragraph(
                _id_lines(text, cell.fontName, cell.fontSize, metric_room)
                if i == metric
                else escape(text),
                cell,
            )
            for i, text in enumerate(r)
        ]
        for r in rows
    ]
    free = width - sum(widths)
    widths[3] = widths[4] = free * 0.37
    widths[7] = free * 0.26
    story += table(header, rows, widths) if rows else [Paragraph(content.no_alerts_text(), small)]
    story += heading("Faults")
    header, rows = content.fault_rows(words=True)
    # the detail wraps in the room the five short columns leave
    rows = [[*r[:-1], Paragraph(escape(r[-1]), small)] for r in rows]
    fixed = [34 * mm, 16 * mm, 24 * mm, 16 * mm, 16 * mm]
    story += (
        table(header, rows, [*fixed, width - sum(fixed)])
        if rows
        else [Paragraph(content.no_faults_text(), small)]
    )

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(18 * mm, 10 * mm, f"Battery OS — {content.report.get('source')}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        path,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=content.title,
        author=content.user or "Battery OS",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
