"""The embedded DynamoDB of the local stack and the tests: moto, made serializable and
quick.

DynamoDB runs each transaction in isolation. moto does not: it applies a transaction's
operations one by one and, when a condition fails, restores a copy of the whole table
taken before it started, which throws away anything another thread committed in the
meantime. Under concurrent requests (the threaded local server, the concurrency tests)
that loses writes that DynamoDB would keep. Two changes, for the embedded engine only:

- one lock around each data operation of moto's DynamoDB backend gives the isolation
  DynamoDB promises;
- a transaction journals just the items it touches and restores those on failure,
  instead of copying every table it touches (which made each transaction cost as much as
  the table is large).

Nothing here applies to DynamoDB itself or to an engine named by OPTCLASS_DYNAMODB_ENDPOINT.
"""
import contextlib
import copy
import functools
import threading
import types

_OPERATIONS = (
    "put_item", "get_item", "query", "scan", "update_item", "delete_item",
    "transact_get_items", "batch_get_item", "batch_write_item", "create_table", "delete_table",
)
_lock = threading.RLock()


def _locked(original):
    @functools.wraps(original)
    def locked(self, *args, **kwargs):
        with _lock:
            return original(self, *args, **kwargs)

    return locked


@contextlib.contextmanager
def _no_table_copies(models_module):
    """moto backs up whole tables with copy.deepcopy before a transaction; within our own
    journaled transaction the "backup" is the table itself, and our journal restores."""
    real = models_module.copy
    models_module.copy = types.SimpleNamespace(deepcopy=lambda value, *a, **k: value, copy=real.copy)
    try:
        yield
    finally:
        models_module.copy = real


def _journal(backend, transact_items):
    entries = []
    for item in transact_items:
        (op_type, op), = item.items()
        table_name = op["TableName"]
        table = backend.get_table(table_name)
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        current = backend.get_item(table_name, key)
        entries.append((table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
    return entries


def _restore(backend, entries):
    for table_name, key, old in reversed(entries):
        if old is None:
            with contextlib.suppress(Exception):
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, old)


def make_serializable() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_optclass_serialized", False):
        return
    for name in _OPERATIONS:
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self, transact_items):
        with _lock:
            try:
                entries = _journal(self, transact_items)
            except Exception:  # noqa: BLE001 - malformed request: let moto answer it as it would
                return original(self, transact_items)
            with _no_table_copies(models):
                try:
                    return original(self, transact_items)
                except Exception:
                    _restore(self, entries)
                    raise

    DynamoDBBackend.transact_write_items = transact_write_items
    DynamoDBBackend._optclass_serialized = True
