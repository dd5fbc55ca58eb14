"""The report as data: XLSX workbook (one sheet a subject) and a flat CSV summary."""

from __future__ import annotations

import csv
import json

from app.reports.content import ReportContent


def summary_rows(content: ReportContent) -> list[list]:
    """(section, item, value) rows: the cover, the verdicts and every scalar result."""
    rows: list[list] = [["cover", k, v] for k, v in content.cover_rows()]
    rows += [["verdict", f.diagnostic, f.verdict.value] for f in content.findings]
    rows += [["finding", f.diagnostic, f.summary] for f in content.findings]
    # each fault: kind and channel, when, and its detail as the window words it
    _, faults = content.fault_rows()
    for kind, severity, channel, start, end, detail in faults:
        when = f"{start}–{end} s" if end else f"from {start} s"
        text = f"{severity}, {when}" + (f": {detail}" if detail else "")
        rows.append(["fault", f"{kind} {channel}".strip(), text])
    for key, result in content.report["results"].items():
        if isinstance(result, dict):
            for name, value in result.items():
                if value is None or isinstance(value, (int, float, str, bool)):
                    rows.append([key, name, value])
    return rows


def write_csv(content: ReportContent, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["section", "item", "value"])
        writer.writerows(summary_rows(content))


def write_xlsx(content: ReportContent, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    bold = Font(bold=True)
    fills = {"pass": "C8E6C9", "warn": "FFE0B2", "fail": "FFCDD2"}

    def sheet(title: str, header: list[str], rows: list[list]):
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col[:200])
            ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 80)
        return ws

    ws = wb.active
    ws.title = "Summary"
    ws.append([content.title])
    ws["A1"].font = Font(bold=True, size=14)
    for k, v in content.cover_rows():
        ws.append([k, v])
    ws.append([])
    ws.append(["Diagnostic", "Verdict", "Finding"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for f in content.findings:
        ws.append([f.title, f.verdict.value, f.summary])
        if f.verdict.value in fills:
            ws.cell(ws.max_row, 2).fill = PatternFill("solid", fgColor=fills[f.verdict.value])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 90

    cycles = content.report.get("cycles") or []
    if cycles:
        keys = list(cycles[0])
        sheet("Cycles", keys, [[c.get(k) for k in keys] for c in cycles])
    ir = content.report["results"].get("internal_resistance") or {}
    pulses = ir.get("pulses") or []
    if pulses:
        keys = [k for k in pulses[0] if not isinstance(pulses[0][k], (dict, list))]
        sheet("Pulses", keys, [[p.get(k) for k in keys] for p in pulses])
    sheet("Faults", *content.fault_rows())
    sheet("Alerts", *content.alert_rows())
    sheet("Results", ["section", "item", "value"], summary_rows(content))
    wb.save(path)


def _cell(value):
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return json.dumps(value)
