"""Which OCV table the live SOC reads, in a few words for the dashboard's read-outs."""

from __future__ import annotations

import os

from app.core.spec import PRESETS, BatterySpec
from app.hardware.registry import url_ocv_table_path
from app.views.spec_dialog import CHEMISTRY_NAMES


def ocv_table_text(spec: BatterySpec | None, url: str | None) -> tuple[str, str]:
    """(a line or two of text, its tooltip) for the battery ``spec`` of the source at
    ``url``: the table file the URL names (``ocv_table=``, as ``--ocv-table``), else the
    battery's own (a log's ``# spec:`` line), else its chemistry preset's; with the
    current it was measured at when stated. ('', '') while the battery is not known."""
    if spec is None:
        return "", ""
    path = url_ocv_table_path(url) if url else None
    preset = PRESETS[spec.chemistry]
    if path:
        name, where = os.path.basename(path), f"the OCV table {path}"
    elif spec.ocv_table != preset.ocv_table:
        name = "the battery's own"
        where = "the battery's own OCV table, as its source names it (a log's '# spec:' line)"
    else:
        name = f"{CHEMISTRY_NAMES[spec.chemistry].split(' (')[0]} preset"  # 'LFP preset'
        where = f"the {preset.name} preset's OCV table"
    rate = spec.ocv_table_current_c
    at = "" if rate is None else f"\nmeasured at {rate:+g} C".replace("-", "\u2212")
    tip = (
        f"The SOC reads {where}"
        + ("" if rate is None else f", measured at {rate:+g} C (its polarisation corrected)")
        + ". Choose one on the Logs page, in File \u203a Open's battery dialog or in the"
        + " connection dialog (OCV table)."
    )
    return f"{name}{at}", tip
