"""The stream handler's edge: a thin trigger over what the stream keeps (the report
counters, students' seats), with its log line."""

from . import config
from .observability import flush, log_event
from .services import counters, imports, runs, seats
from .store import engine


def handle(event: dict) -> dict:
    """A batch of the table's stream records (Lambda's event, or the local pump's)."""
    config.require_deployable()
    engine.ensure_bound()
    metrics = engine.start_metrics()
    result = apply(event.get("Records", []))
    log_event(
        "stream_batch",
        **result,
        dynamodb_calls=metrics.calls,
        items_read=metrics.items_read,
        items_written=metrics.items_written,
    )
    flush()
    return result


def apply(stream_records: list[dict]) -> dict:
    """Counters first, then seats: a batch handed on again skips counted records and writes
    the same seats again."""
    result = counters.apply_stream_records(stream_records)
    result.update(seats.apply_stream_records(stream_records))
    result.update(runs.apply_stream_records(stream_records))
    result.update(imports.apply_stream_records(stream_records))
    return result
