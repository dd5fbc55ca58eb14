"""The report as one self-contained HTML file (plots inline as SVG), light and printable."""

from __future__ import annotations

from html import escape

from app.reports.content import ReportContent
from app.reports.figures import all_figures, to_bytes
from app.reports.pdf import VERDICT_COLORS

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; font-size: 14px; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } .verdict { font-weight: bold; text-transform: uppercase; }
figure { margin: 1rem 0; } figcaption { font-size: 12px; color: #555; } svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; } figure, table { page-break-inside: avoid; } }
"""


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(content: ReportContent) -> str:
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(content.title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{escape(content.title)}</h1>",
        _table(["", ""], [[k, v] for k, v in content.cover_rows()]).replace(
            "<thead><tr><th></th><th></th></tr></thead>", ""
        ),
        "<h2>Summary</h2><table><thead><tr><th>Diagnostic</th><th>Verdict</th><th>Finding</th></tr></thead><tbody>",
    ]
    for f in content.findings:
        parts.append(
            f"<tr><td>{escape(f.title)}</td><td class='verdict' style='color:{VERDICT_COLORS[f.verdict]}'>"
            f"{escape(f.verdict.value)}</td><td>{escape(f.summary)}</td></tr>"
        )
    parts.append("</tbody></table><h2>Plots</h2>")
    for caption, fig in all_figures(content):
        svg = to_bytes(fig, "svg").decode("utf-8")
        svg = svg[svg.find("<svg") :]  # drop the XML prolog and DOCTYPE inside HTML
        parts.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    for title, (header, rows), empty in (
        ("Per-cycle table", content.cycle_rows(), "No cycles."),
        ("Alerts", content.alert_rows(), content.no_alerts_text()),
        ("Faults", content.fault_rows(words=True), content.no_faults_text()),
    ):
        parts.append(f"<h2>{title}</h2>" + (_table(header, rows) if rows else f"<p>{empty}</p>"))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(content: ReportContent, path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render_html(content))
