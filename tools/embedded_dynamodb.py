"""The embedded DynamoDB of the local stack and the tests: moto, made serializable.

DynamoDB runs each transaction in isolation. moto does not: it applies a transaction's
operations one by one and, when a condition fails, restores a copy of the whole table
taken before it started, which throws away anything another thread committed in the
meantime. Under concurrent requests (the threaded local server, the concurrency tests)
that loses writes that DynamoDB would keep. Holding one lock around each data operation
of moto's DynamoDB backend gives the isolation DynamoDB promises. It changes nothing for
DynamoDB itself or for any other engine named by OPTCLASS_DYNAMODB_ENDPOINT.
"""
import functools
import threading

_OPERATIONS = (
    "put_item", "get_item", "query", "scan", "update_item", "delete_item", "transact_write_items",
    "transact_get_items", "batch_get_item", "batch_write_item", "create_table", "delete_table",
)
_lock = threading.RLock()


def make_serializable() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_optclass_serialized", False):
        return
    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self, *args, _original=original, **kwargs):
            with _lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend._optclass_serialized = True
