"""``batteryos alerts``: alert thresholds (list, export, import), history,
acknowledgement, and evaluation of a log against thresholds."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.battery_options import add_battery_options, spec_from_args
from app.core.errors import BatteryOSError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "alerts",
        help="alert thresholds, history, and alerts of a log",
        description="Alert thresholds per battery profile (in the database), the alert "
        "history, and the alerts a log file raises against thresholds.",
    )
    asub = p.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    ls = asub.add_parser("list", help="list the stored thresholds", description="List thresholds.")
    ls.add_argument("--profile", help="only this battery profile")
    ls.add_argument("--json", action="store_true", help="print the thresholds as JSON")
    ls.set_defaults(run=run_list)

    ex = asub.add_parser(
        "export",
        help="write thresholds as JSON",
        description="Write the thresholds of a profile (or all) as JSON; with --defaults, the "
        "defaults from the battery's limits (--chemistry, --cells, ...) instead.",
    )
    ex.add_argument("--profile", help="only this battery profile")
    ex.add_argument("--defaults", action="store_true", help="the defaults of the battery options")
    ex.add_argument("-o", "--output", metavar="JSON", help="output file (default: stdout)")
    add_battery_options(ex)
    ex.set_defaults(run=run_export)

    im = asub.add_parser(
        "import",
        help="replace the thresholds of profiles from JSON",
        description="Read a thresholds JSON file; each profile in it (or --profile for all) "
        "gets exactly those thresholds.",
    )
    im.add_argument("file", metavar="JSON")
    im.add_argument("--profile", help="import every threshold into this profile")
    im.set_defaults(run=run_import)

    hi = asub.add_parser("history", help="recent alerts", description="The newest alerts.")
    hi.add_argument("--limit", type=int, default=50)
    hi.add_argument("--recording", type=int, metavar="ID", help="only alerts of this recording")
    hi.add_argument("--json", action="store_true")
    hi.set_defaults(run=run_history)

    ack = asub.add_parser(
        "ack", help="acknowledge an alert", description="Acknowledge alert ID (as the operator)."
    )
    ack.add_argument("alert_id", type=int, metavar="ID")
    ack.add_argument("--comment", default=None)
    ack.add_argument("--user", help="who acknowledges (default: the operator in the settings)")
    ack.set_defaults(run=run_ack)

    ev = asub.add_parser(
        "evaluate",
        help="run thresholds over a log file",
        description="Replay FILE through the live engine and print the alert episodes "
        "(start, end, value). Thresholds: --thresholds JSON, else --profile from the "
        "database, else the defaults of the battery's limits.",
    )
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("--thresholds", metavar="JSON", help="thresholds file (as from export)")
    ev.add_argument("--profile", help="use this profile's thresholds from the database")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    add_battery_options(ev)
    ev.set_defaults(run=run_evaluate)


def _db(args):
    from app.storage.database import Database, default_url

    db = Database(args.db or default_url())
    db.ensure_schema()
    return db


def _read_thresholds(path: str):
    from app.diagnostics.alerts import thresholds_from_json

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise BatteryOSError(f"{path}: {exc.strerror or exc}") from None
    return thresholds_from_json(text, origin=path)


def run_list(args: argparse.Namespace) -> int:
    from app.diagnostics.alerts import thresholds_to_json
    from app.storage.alert_repository import load_thresholds

    db = _db(args)
    try:
        rules = load_thresholds(db, args.profile)
    finally:
        db.close()
    if args.json:
        sys.stdout.write(thresholds_to_json(rules))
        return 0
    if not rules:
        print("no thresholds" + (f" for profile {args.profile!r}" if args.profile else ""))
        return 0
    for rule in rules:
        state = "" if rule.enabled else "  (disabled)"
        print(f"{rule.id:>5}  {rule.profile:<24} {rule.severity:<8} {rule.describe()}{state}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from app.diagnostics.alerts import default_thresholds, thresholds_to_json

    if args.defaults:
        rules = default_thresholds(spec_from_args(args), args.profile)
    else:
        from app.storage.alert_repository import load_thresholds

        db = _db(args)
        try:
            rules = load_thresholds(db, args.profile)
        finally:
            db.close()
        if not rules:
            raise BatteryOSError(
                "no thresholds to export"
                + (f" for profile {args.profile!r}" if args.profile else "")
                + " (use --defaults for those of a chemistry)"
            )
    text = thresholds_to_json(rules)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise BatteryOSError(f"{args.output}: {exc.strerror or exc}") from None
        print(f"wrote {len(rules)} thresholds to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from app.storage.alert_repository import replace_thresholds

    rules = _read_thresholds(args.file)
    by_profile: dict[str, list] = {}
    for rule in rules:
        profile = args.profile or rule.profile
        if not profile:
            raise BatteryOSError(f"{args.file}: a threshold has no profile: give --profile")
        by_profile.setdefault(profile, []).append(rule)
    db = _db(args)
    try:
        for profile, group in by_profile.items():
            replace_thresholds(db, profile, group)
            print(f"profile {profile!r}: {len(group)} thresholds")
    finally:
        db.close()
    return 0


def _g(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def run_history(args: argparse.Namespace) -> int:
    from app.diagnostics.alerts.lifecycle import state_text
    from app.diagnostics.alerts.metrics import FAULT_PREFIX
    from app.storage.alert_repository import list_alert_history

    db = _db(args)
    try:
        rows = list_alert_history(db, args.limit, recording_id=args.recording)
    finally:
        db.close()
    items = [
        {
            "id": r.id,
            "state": r.state.value,
            # in the words of the window's pages: one cleared when its source ended
            # (no time in the samples) was up then, not seen to clear
            "state_text": state_text(
                r.state.value,
                acknowledged=r.acknowledged_at is not None,
                critical=r.severity.value == "critical",
                withdrawn=r.withdrawn,
                source_ended=r.cleared_at is not None and r.cleared_time_s is None,
            ),
            "severity": r.severity.value,
            "metric": r.metric,
            "value": r.value,
            "worst_value": r.worst_value,
            "detail": r.detail,
            "worst_detail": r.worst_detail,
            "withdrawn": r.withdrawn,
            "threshold_value": r.threshold_value,
            "raised_at": r.raised_at.isoformat(),
            "cleared_at": r.cleared_at.isoformat() if r.cleared_at else None,
            "cleared_time_s": r.cleared_time_s,
            "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None,
            "recording_id": r.recording_id,
            "comment": r.comment,
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for a in items:
        head = f"{a['id']:>6}  {a['raised_at'][:19]}  {a['severity']:<8} {a['state_text']:<12} "
        if a["metric"].startswith(FAULT_PREFIX):  # "1 (limit 0.5)" only says detected
            # as `alerts evaluate` words a fault alert of a log
            raised = a["detail"] or "detected"
            worst = a["worst_detail"] or raised
            why = f" (withdrawn: {a['withdrawn']})" if a["withdrawn"] else ""
            print(f"{head}{a['metric']}: at raise {raised}; worst {worst}{why}")
        else:
            print(f"{head}{a['metric']} = {_g(a['value'])} (limit {_g(a['threshold_value'])})")
    return 0


def run_ack(args: argparse.Namespace) -> int:
    from app.core.settings import current_operator
    from app.storage.alert_repository import acknowledge_alert

    who = args.user or current_operator()
    db = _db(args)
    try:
        acknowledge_alert(db, args.alert_id, actor=who, comment=args.comment)
    finally:
        db.close()
    print(f"alert {args.alert_id} acknowledged by {who}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from app.core import schema
    from app.diagnostics.alerts import default_thresholds, profile_name
    from app.diagnostics.alerts.offline import evaluate_frame
    from app.hardware.logs.formats import open_log

    log = open_log(args.file)
    fallback = log.spec
    cells = schema.series_cells_in(log.frame)
    spec = spec_from_args(
        args,
        fallback=fallback,
        cells_in_data=cells,
        spec_problem=log.spec_problem,
        frame=log.frame,
    )
    if args.thresholds:
        rules, origin = _read_thresholds(args.thresholds), args.thresholds
    elif args.profile:
        from app.storage.alert_repository import load_thresholds

        db = _db(args)
        try:
            rules = load_thresholds(db, args.profile)
        finally:
            db.close()
        if not rules:
            raise BatteryOSError(f"no thresholds stored for profile {args.profile!r}")
        origin = f"profile {args.profile}"
    else:
        rules, origin = default_thresholds(spec), f"defaults of {profile_name(spec)}"
    episodes = evaluate_frame(log.frame, spec, rules)
    if args.json:
        doc = {
            "source": args.file,
            "spec": spec.to_dict(),
            "thresholds": [r.to_dict() for r in rules],
            "episodes": [e.to_dict() for e in episodes],
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{args.file}: {len(episodes)} alert episode(s), thresholds: {origin}")
    for e in episodes:
        end = "end of log" if e.end_time_s is None else f"{e.end_time_s:.1f} s"
        print(
            f"  {e.start_time_s:>9.1f} s .. {end:<12} {e.severity:<8} {e.threshold}: "
            + _episode_values(e)
        )
    if any(e.metric == "cell_spread_mv" for e in episodes):
        print(f"  ({SPREAD_NOTE})")
    return 0


#: What the spread rule measures, beside what ``analyze``'s cell balance judges (a
#: simulated cycle's 287 mV at 5 % SOC under load warned here; analyze said balanced).
SPREAD_NOTE = (
    "cell_spread_mv is the spread at every sample, under load and at any SOC; analyze's "
    "cell balance judges it within 20-95 % SOC, at rest where the log rests: the end of "
    "a discharge spreads healthy cells apart"
)


def _episode_values(e) -> str:
    """``value 4.31, worst 4.35``; a detected fault's figures when raised and as last
    known (its episode's worst), in the words of the Alerts page and the alert history
    (:func:`~app.diagnostics.faults.text.fault_summary`), not its 0/1 indicator."""
    from app.diagnostics.alerts.metrics import metric_value_text
    from app.diagnostics.faults.text import fault_summary

    if e.fault is None and e.latest_fault is None:
        value = metric_value_text(e.metric, e.value, with_unit=False)
        return f"value {value}, worst {metric_value_text(e.metric, e.worst_value, with_unit=False)}"
    raised = fault_summary(e.fault) or "detected"
    worst = fault_summary(e.latest_fault or e.fault) or "detected"
    return f"at raise {raised}; worst {worst}"
