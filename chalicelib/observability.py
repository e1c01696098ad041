"""One JSON log line per request and per job run, and CloudWatch metrics.

The log line carries the request id, company, route, status, duration and what the
request asked of DynamoDB. Tokens, secrets and bodies are never logged.

Why not Powertools' Logger: the app writes one line per request or job run, whose keys are a
closed list (`tests/functional/test_logs_carry_no_personal_data.py` checks that no name or
email can reach one), written once at the end with the store's counts. Powertools' Logger is
made for many free-form lines with context merged in (cold start flags, function ARNs,
X-Ray ids, `extra` keys from any caller); it would widen what a line may carry and add its
import to the cold start, for no line this app writes.

Metrics (marks written, balance changes, notifications, emails, webhook outcomes) are
CloudWatch embedded-metric-format lines written by Powertools' Metrics at the end of each
request or job run; CloudWatch turns them into metrics with no API call. Set
`POWERTOOLS_METRICS_DISABLED=true` to keep them out of a local console.
"""

import json
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics import Metrics


class _Stdout(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (Lambda's log capture, a test's capture)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


_logger = logging.getLogger("optclass")
if not _logger.handlers:
    _handler = _Stdout()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(os.environ.get("OPTCLASS_LOG_LEVEL", "INFO"))
    _logger.propagate = False

NAMESPACE = "OptClass"


class _MetricsState(TypedDict):
    instance: "Metrics | None"  # made on first use (Powertools is imported only then)
    pending: int  # metrics added since the last flush


_metrics: _MetricsState = {"instance": None, "pending": 0}
_lock = threading.Lock()


def log_event(kind: str, **fields) -> None:
    _logger.info(json.dumps({"kind": kind, **fields}, default=str, separators=(",", ":")))


def _instance() -> "Metrics":
    instance = _metrics["instance"]
    if instance is None:
        from aws_lambda_powertools.metrics import Metrics

        instance = _metrics["instance"] = Metrics(namespace=NAMESPACE, service="optclass")
    return instance


def count(name: str, value: int = 1) -> None:
    """Add to a count metric, published at the end of the request or job run."""
    if value <= 0:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    with _lock:
        _instance().add_metric(name=name, unit=MetricUnit.Count, value=value)
        _metrics["pending"] += 1


def flush() -> None:
    with _lock:
        if _metrics["pending"]:
            _instance().flush_metrics()
            _instance().clear_metrics()  # also when publishing is disabled, so nothing piles up
            _metrics["pending"] = 0
