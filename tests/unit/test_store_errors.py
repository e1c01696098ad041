"""How store failures are sorted: retried reads, resent transactions, re-run steps, and bugs."""

from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.store.failures import ConditionFailed, Contended, TransientStoreError, classify


def _client_error(code, reasons=None):
    response = {"Error": {"Code": code, "Message": code}}
    if reasons:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")


def test_throttling_server_errors_and_timeouts_are_transient():
    for code in ("ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"):
        assert isinstance(classify(_client_error(code)), TransientStoreError)
    assert isinstance(classify(ReadTimeoutError(endpoint_url="http://x")), TransientStoreError)


def test_a_transaction_conflict_is_contention_not_a_failed_condition():
    conflict = _client_error("TransactionCanceledException", ["None", "TransactionConflict"])
    assert isinstance(classify(conflict), Contended)
    assert isinstance(classify(_client_error("TransactionConflictException")), Contended)


def test_a_failed_condition_keeps_its_position():
    failed = ConditionFailed([None, "ConditionalCheckFailed"])
    assert failed.failed_at(1) and not failed.failed_at(0) and not failed.failed_at(5)
    assert isinstance(classify(_client_error("ConditionalCheckFailedException")), ConditionFailed)


def test_validation_errors_are_not_swallowed():
    assert classify(_client_error("ValidationException")) is None
    assert classify(_client_error("IdempotentParameterMismatchException")) is None
