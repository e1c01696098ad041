"""The stream handler's edge: a thin trigger over the counters service, with its log line."""
from . import config
from .observability import flush, log_event
from .services import counters
from .store import engine


def handle(event: dict) -> dict:
    """A batch of the table's stream records (Lambda's event, or the local pump's)."""
    config.require_deployable()
    engine.ensure_bound()
    metrics = engine.start_metrics()
    result = counters.apply_stream_records(event.get("Records", []))
    log_event("stream_batch", **result, dynamodb_calls=metrics.calls, items_read=metrics.items_read,
              items_written=metrics.items_written)
    flush()
    return result
