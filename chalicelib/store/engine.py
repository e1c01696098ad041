"""Binds the models to the stage's table and endpoint, lazily, and counts what each
request asks of DynamoDB.

The binding is made on first use and again only when the configuration changes (tests
switch tables). Every botocore client the store uses is instrumented once: the counters
feed the request log line and the benchmarks.
"""

import contextvars
import threading
from dataclasses import dataclass, field

import botocore.config
from pynamodb.connection import Connection

from .. import config
from . import schema
from .models import Item

_lock = threading.Lock()
_bound: dict = {"key": None, "boto": None, "instrumented": set()}


@dataclass
class StoreMetrics:
    """DynamoDB requests made and items read/written, for one request or job run."""

    calls: int = 0
    items_read: int = 0
    items_written: int = 0
    retries: int = 0  # runs of a step after the first (unit of work)
    resends: int = 0  # sends of a transaction whose first answer was lost
    by_operation: dict[str, int] = field(default_factory=dict)


_metrics: contextvars.ContextVar[StoreMetrics | None] = contextvars.ContextVar("optclass_store_metrics", default=None)


def start_metrics() -> StoreMetrics:
    metrics = StoreMetrics()
    _metrics.set(metrics)
    return metrics


def note_retry() -> None:
    metrics = _metrics.get()
    if metrics is not None:
        metrics.retries += 1


def note_send(resend: bool) -> None:
    metrics = _metrics.get()
    if metrics is not None and resend:
        metrics.resends += 1


def items_read(operation: str, parsed: dict) -> int:
    """Items a DynamoDB answer read: what the request log, the benchmarks and the tests count."""
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    if operation == "BatchGetItem":
        return sum(len(v) for v in parsed.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return sum(1 for r in parsed.get("Responses", []) if r.get("Item"))
    return 0


def items_written(operation: str, params: dict) -> int:
    """Items a DynamoDB request writes (a transaction's actions, each count)."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    if operation == "BatchWriteItem":
        return sum(len(v) for v in params.get("RequestItems", {}).values())
    return 0


def _before_parameter_build(model, params, **kwargs):
    metrics = _metrics.get()
    if metrics is not None:
        metrics.calls += 1
        metrics.by_operation[model.name] = metrics.by_operation.get(model.name, 0) + 1
        metrics.items_written += items_written(model.name, params)


def _after_call(model, parsed, **kwargs):
    metrics = _metrics.get()
    if metrics is not None and isinstance(parsed, dict):
        metrics.items_read += items_read(model.name, parsed)


def instrument(client) -> None:
    if id(client) in _bound["instrumented"]:
        return
    client.meta.events.register("before-parameter-build.dynamodb", _before_parameter_build)
    client.meta.events.register("after-call.dynamodb", _after_call)
    _bound["instrumented"].add(id(client))


def _all_models():
    stack, seen = [Item], []
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


def ensure_bound() -> None:
    """Point the models at the configured table and endpoint (cheap when unchanged)."""
    key = (config.table_name(), config.dynamodb_endpoint(), config.region())
    if _bound["key"] == key:
        return
    with _lock:
        if _bound["key"] == key:
            return
        table, endpoint, region = key
        Item.Meta.table_name = table
        Item.Meta.host = endpoint
        Item.Meta.region = region
        for cls in _all_models():
            cls._connection = None
        shared = Item._get_connection()
        for cls in _all_models():
            cls._connection = shared
        instrument(shared.connection.client)
        _bound["boto"] = None
        _bound["generation"] = _bound.get("generation", 0) + 1
        _bound["key"] = key


def generation() -> int:
    """Which binding the models have (caches of what was read are only good for theirs)."""
    return _bound.get("generation", 0)


def connection() -> Connection:
    """The low-level connection the transactions use (same client as the models)."""
    ensure_bound()
    conn = Item._get_connection().connection
    instrument(conn.client)
    return conn


def boto_client():
    """A boto3 DynamoDB client for table management, bound like the models."""
    ensure_bound()
    if _bound["boto"] is None:
        import boto3  # table management only (local stack, tests): not on the request path

        client = boto3.client(
            "dynamodb",
            region_name=config.region(),
            endpoint_url=config.dynamodb_endpoint(),
            config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        instrument(client)
        _bound["boto"] = client
    return _bound["boto"]


def create_table(table_name: str | None = None) -> bool:
    """Create the table (and its TTL) if it does not exist; True if it was created."""
    client = boto_client()
    name = table_name or config.table_name()
    try:
        client.create_table(**schema.table_definition(name))
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    try:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=schema.ttl_specification())
    except client.exceptions.ClientError:
        pass  # some local engines do not implement TTL; expiry is also checked on read
    return True


def delete_table(table_name: str | None = None) -> None:
    client = boto_client()
    name = table_name or config.table_name()
    try:
        client.delete_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        return
