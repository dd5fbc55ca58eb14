"""Alert rules: thresholds on measured or derived metrics, their evaluation on
blocks of samples (live or from a log) and the lifecycle of the alerts raised.

Qt-free and database-free. :mod:`.thresholds` holds the rule type, its JSON
form and the defaults from a battery's limits; :mod:`.metrics` computes the
metrics from blocks; :mod:`.evaluator` turns them into alert episodes;
:mod:`.lifecycle` is the model of raised alerts (acknowledge, shelve, clear)
with its audit trail; :mod:`.notify` sends webhooks and e-mail off the
acquisition path.
"""

from app.diagnostics.alerts.evaluator import AlertEvaluator, AlertEvent, EventKind
from app.diagnostics.alerts.thresholds import (
    Comparison,
    Threshold,
    default_thresholds,
    profile_name,
    thresholds_from_json,
    thresholds_to_json,
)

__all__ = [
    "AlertEvaluator",
    "AlertEvent",
    "Comparison",
    "EventKind",
    "Threshold",
    "default_thresholds",
    "profile_name",
    "thresholds_from_json",
    "thresholds_to_json",
]
