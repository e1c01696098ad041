"""How store failures are sorted: conditions, transient errors, and bugs."""
from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import TransactWriteError, VerboseClientError
from pynamodb.exceptions import CancellationReason

from chalicelib.store.tx import ConditionFailed, TransientStoreError, classify


def _client_error(code, reasons=None):
    response = {"Error": {"Code": code, "Message": code}}
    if reasons:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")


def test_throttling_and_conflicts_are_transient():
    for code in ("ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"):
        assert isinstance(classify(_client_error(code)), TransientStoreError)
    conflict = _client_error("TransactionCanceledException", ["None", "TransactionConflict"])
    assert isinstance(classify(conflict), TransientStoreError)
    assert isinstance(classify(ReadTimeoutError(endpoint_url="http://x")), TransientStoreError)


def test_a_failed_condition_keeps_its_position():
    failed = classify(_client_error("TransactionCanceledException", ["None", "ConditionalCheckFailed"]))
    assert isinstance(failed, ConditionFailed)
    assert failed.failed_at(1) and not failed.failed_at(0)


def test_pynamodb_wrapped_reasons_are_read():
    inner = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"}},
                               "TransactWriteItems", {},
                               cancellation_reasons=[None, CancellationReason(code="ConditionalCheckFailed")])
    failed = classify(TransactWriteError("failed", inner))
    assert isinstance(failed, ConditionFailed) and failed.failed_at(1)


def test_validation_errors_are_not_swallowed():
    assert classify(_client_error("ValidationException")) is None
