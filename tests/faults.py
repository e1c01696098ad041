"""Fault injection at the botocore level: fail chosen DynamoDB calls the way AWS would.

moto never throttles, never reports a transaction conflict and never loses an answer, so
tests that need those patch `BaseClient._make_api_call`, the one door every DynamoDB call
goes through. A fault either stops the call before it reaches the engine (throttling, a
conflict, a timeout before sending), or lets the call run and then loses its answer
(`lost_answer`: the request took effect, the caller sees a read timeout), which is what a
real client meets when a connection drops after DynamoDB committed.
"""

import contextlib
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError, ReadTimeoutError

_real_call = BaseClient._make_api_call


def throttling(operation):
    return ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, operation)


def conflict(operation):
    if operation == "TransactWriteItems":
        return ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"}],
            },
            operation,
        )
    return ClientError({"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}, operation)


def timeout(operation):
    return ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


def lost_answer(operation):
    """Marker: make the call, then lose its answer (see Injector)."""
    return timeout(operation)


class Injector:
    """Fails the calls whose 1-based index (over the calls matching `operations`) is in
    `fail_at`; with `lost_answer`, those calls are made first and their answer is lost."""

    def __init__(self, make_error, fail_at, operations=None):
        self.make_error = make_error
        self.fail_at = set(fail_at)
        self.operations = set(operations) if operations else None
        self.seen = 0
        self.failed = 0
        self.calls: list[str] = []  # the calls that matched `operations`
        self.all_calls: list[str] = []  # every DynamoDB call, matched or not

    def __call__(self, client, operation, params):
        if client.meta.service_model.service_name != "dynamodb":
            return _real_call(client, operation, params)
        self.all_calls.append(operation)
        if self.operations is None or operation in self.operations:
            self.seen += 1
            self.calls.append(operation)
            if self.seen in self.fail_at:
                self.failed += 1
                if self.make_error is lost_answer:
                    _real_call(client, operation, params)  # it happened; the caller never hears so
                raise self.make_error(operation)
        return _real_call(client, operation, params)


@contextlib.contextmanager
def inject(make_error, fail_at, operations=None):
    injector = Injector(make_error, fail_at, operations)

    def patched(client, operation, params):
        return injector(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", patched):
        yield injector
