"""The embedded DynamoDB's emulation of DynamoDB behaviours moto lacks (tools/embedded_dynamodb):
ClientRequestToken idempotency, truthful streams after a cancelled transaction, and the
transaction contention model. Plain boto3 against `mock_aws()`, on a small table of our own.
"""

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from tools import embedded_dynamodb as engine

TABLE = "engine-test"
LONG_HOLD = 60.0  # seconds: far longer than any test takes, so holds never lapse by accident
# botocore sends DynamoDB Streams calls to an account-based host (ACCOUNT.streams-ddb...) that
# moto 5.2.5 does not route; the regional host it does route is one setting away.
STREAMS_CONFIG = Config(account_id_endpoint_mode="disabled")


@pytest.fixture
def ddb(monkeypatch):
    """A client on a fresh table with a stream; contention and the token window restored."""
    monkeypatch.delenv("OPTCLASS_CONTENTION_MS", raising=False)
    engine.make_serializable()
    engine.disable_contention()
    engine.reset_contention_stats()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        try:
            yield client
        finally:
            engine.disable_contention()
            engine.reset_contention_stats()
            engine.set_idempotency_window(600)


def key(pk, sk="A"):
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def put(pk, sk="A", **attrs):
    item = {**key(pk, sk), **{name: {"S": value} for name, value in attrs.items()}}
    return {"Put": {"TableName": TABLE, "Item": item}}


def add(pk, sk="A", by=1):
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(pk, sk),
            "UpdateExpression": "ADD n :by",
            "ExpressionAttributeValues": {":by": {"N": str(by)}},
        }
    }


def must_not_exist(pk, sk="A"):
    return {
        "ConditionCheck": {"TableName": TABLE, "Key": key(pk, sk), "ConditionExpression": "attribute_not_exists(PK)"}
    }


def counter(client, pk, sk="A"):
    item = client.get_item(TableName=TABLE, Key=key(pk, sk)).get("Item")
    return None if item is None else int(item["n"]["N"])


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def reasons(excinfo):
    return [reason["Code"] for reason in excinfo.value.response["CancellationReasons"]]


def streams_client():
    return boto3.client("dynamodbstreams", region_name="us-east-1", config=STREAMS_CONFIG)


def stream_records(client):
    streams = streams_client()
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return streams.get_records(ShardIterator=iterator)["Records"]


# --- ClientRequestToken idempotency --------------------------------------------------------


def test_resent_committed_transaction_is_answered_and_applied_once(ddb):
    items = [add("C"), put("D", note="x")]
    first = ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    again = ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")

    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert counter(ddb, "C") == 1
    assert len(stream_records(ddb)) == 2  # the resend recorded nothing either


def test_same_token_with_other_items_is_a_mismatch(ddb):
    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[add("C", by=5)], ClientRequestToken="tok-1")

    assert error_code(excinfo) == "IdempotentParameterMismatchException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert counter(ddb, "C") == 1


def test_without_a_token_boto_makes_one_per_call_so_each_call_applies(ddb):
    ddb.transact_write_items(TransactItems=[add("C")])
    ddb.transact_write_items(TransactItems=[add("C")])

    assert counter(ddb, "C") == 2


def test_cancelled_transaction_is_not_remembered(ddb):
    ddb.put_item(TableName=TABLE, Item=key("X"))
    items = [add("C"), must_not_exist("X")]
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    assert reasons(excinfo) == ["None", "ConditionalCheckFailed"]
    assert counter(ddb, "C") is None

    ddb.delete_item(TableName=TABLE, Key=key("X"))
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")

    assert counter(ddb, "C") == 1


def test_token_older_than_the_window_is_new(ddb):
    engine.set_idempotency_window(0.2)
    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")
    time.sleep(0.3)

    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")

    assert counter(ddb, "C") == 2  # the second call was new, the third its resend


def test_expired_tokens_are_dropped(ddb):
    engine.set_idempotency_window(0.2)
    for n in range(5):
        ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken=f"old-{n}")
    time.sleep(0.3)
    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="new")

    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends["123456789012"]["us-east-1"]
    assert list(backend._optclass_engine.tokens) == ["new"]


# --- streams -------------------------------------------------------------------------------


def test_cancelled_transaction_leaves_no_stream_records(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("E"), "v": {"S": "before"}})
    ddb.put_item(TableName=TABLE, Item=key("X"))
    ddb.put_item(TableName=TABLE, Item=key("Y"))
    before = stream_records(ddb)

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(
            TransactItems=[
                put("E", v="after"),
                put("NEW"),
                add("C"),
                {"Delete": {"TableName": TABLE, "Key": key("Y")}},
                must_not_exist("X"),
            ]
        )

    assert error_code(excinfo) == "TransactionCanceledException"
    assert stream_records(ddb) == before
    assert ddb.get_item(TableName=TABLE, Key=key("E"))["Item"]["v"] == {"S": "before"}
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("NEW"))
    assert "Item" in ddb.get_item(TableName=TABLE, Key=key("Y"))


def test_committed_transaction_leaves_one_record_per_item_numbered_on(ddb):
    ddb.put_item(TableName=TABLE, Item=key("X"))
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[put("A"), must_not_exist("X")])

    ddb.transact_write_items(TransactItems=[put("A"), add("C"), must_not_exist("Y")])

    records = stream_records(ddb)
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "INSERT"]
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in records] == ["X", "A", "C"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # no gap where the cancelled was


def test_update_item_that_creates_its_item_leaves_one_record(ddb):
    ddb.update_item(
        TableName=TABLE, Key=key("C"), UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    ddb.put_item(TableName=TABLE, Item=key("D"))

    records = stream_records(ddb)
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT"]
    assert records[0]["dynamodb"]["NewImage"] == {**key("C"), "n": {"N": "1"}}
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers[1] == numbers[0] + 1


def test_records_after_a_cancelled_transaction_are_read_by_a_later_iterator(ddb):
    streams = streams_client()
    arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    ddb.put_item(TableName=TABLE, Item=key("X"))
    first = streams.get_records(
        ShardIterator=streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
    )
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[put("A"), must_not_exist("X")])
    ddb.put_item(TableName=TABLE, Item=key("B"))

    later = streams.get_records(ShardIterator=first["NextShardIterator"])["Records"]

    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in later] == ["B"]


# --- the contention model ------------------------------------------------------------------


def test_contention_is_off_by_default(ddb):
    ddb.transact_write_items(TransactItems=[add("C")])
    ddb.transact_write_items(TransactItems=[add("C")])
    ddb.put_item(TableName=TABLE, Item=key("C"))

    stats = engine.contention_stats()
    assert (stats["enabled"], stats["conflicts"], stats["transactions"]) == (False, 0, 0)


def test_second_transaction_on_a_held_item_conflicts_until_the_hold_ends(ddb):
    engine.enable_contention(1.0)
    ddb.transact_write_items(TransactItems=[add("C")])

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put("D"), add("C", by=10), put("E")])

    assert error_code(excinfo) == "TransactionCanceledException"
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
        {"Code": "None"},
    ]
    assert counter(ddb, "C") == 1
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("D"))

    time.sleep(1.1)
    ddb.transact_write_items(TransactItems=[put("D"), add("C", by=10), put("E")])
    assert counter(ddb, "C") == 11


def test_refused_transaction_takes_no_holds(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")])
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[add("C"), put("D")])

    ddb.transact_write_items(TransactItems=[put("D")])  # D was never held

    assert "Item" in ddb.get_item(TableName=TABLE, Key=key("D"))


def test_condition_check_items_are_held_and_conflict(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[must_not_exist("G"), put("A")])

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put("G")])
    assert reasons(excinfo) == ["TransactionConflict"]

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put("B"), must_not_exist("A")])
    assert reasons(excinfo) == ["None", "TransactionConflict"]


def test_transaction_cancelled_by_a_condition_holds_its_items(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.put_item(TableName=TABLE, Item=key("X"))
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[add("C"), must_not_exist("X")])
    assert reasons(excinfo) == ["None", "ConditionalCheckFailed"]

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[add("C")])
    assert reasons(excinfo) == ["TransactionConflict"]


def test_disjoint_items_never_conflict(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C", "1")])
    ddb.transact_write_items(TransactItems=[add("C", "2")])  # same PK, other SK
    ddb.transact_write_items(TransactItems=[add("D", "1"), must_not_exist("E")])
    ddb.put_item(TableName=TABLE, Item=key("F"))

    assert (counter(ddb, "C", "1"), counter(ddb, "C", "2"), counter(ddb, "D", "1")) == (1, 1, 1)
    assert engine.contention_stats()["conflicts"] == 0


def test_single_writes_on_a_held_item_conflict_and_change_nothing(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")])
    writes = [
        lambda: ddb.put_item(TableName=TABLE, Item={**key("C"), "n": {"N": "99"}}),
        lambda: ddb.update_item(
            TableName=TABLE, Key=key("C"), UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
        ),
        lambda: ddb.delete_item(TableName=TABLE, Key=key("C")),
    ]
    for write in writes:
        with pytest.raises(ClientError) as excinfo:
            write()
        assert error_code(excinfo) == "TransactionConflictException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    assert counter(ddb, "C") == 1
    ddb.put_item(TableName=TABLE, Item=key("OTHER"))  # an item nobody holds is written


def test_reads_other_than_transact_get_items_are_never_refused(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")])

    assert counter(ddb, "C") == 1
    assert (
        ddb.query(TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "C"}})[
            "Count"
        ]
        == 1
    )
    assert ddb.scan(TableName=TABLE)["Count"] == 1
    got = ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key("C")]}})
    assert len(got["Responses"][TABLE]) == 1


def test_transact_get_items_on_a_held_item_is_cancelled(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.put_item(TableName=TABLE, Item=key("FREE"))
    ddb.transact_write_items(TransactItems=[add("C")])

    with pytest.raises(ClientError) as excinfo:
        ddb.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": TABLE, "Key": key("FREE")}},
                {"Get": {"TableName": TABLE, "Key": key("C")}},
            ]
        )
    assert error_code(excinfo) == "TransactionCanceledException"
    assert reasons(excinfo) == ["None", "TransactionConflict"]

    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key("FREE")}}])
    assert got["Responses"][0]["Item"] == key("FREE")


def test_resend_of_a_committed_token_is_answered_before_contention(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")

    again = ddb.transact_write_items(TransactItems=[add("C")], ClientRequestToken="tok-1")

    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert counter(ddb, "C") == 1
    assert engine.contention_stats()["conflicts"] == 0


def test_contention_stats_count_and_reset(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C"), put("D", "x")])
    for _ in range(2):
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=[add("C")])
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[add("C"), put("D", "x")])
    with pytest.raises(ClientError):
        ddb.put_item(TableName=TABLE, Item=key("D", "x"))
    ddb.transact_write_items(TransactItems=[put("E")])

    stats = engine.contention_stats()
    assert stats["transactions"] == 5
    assert stats["conflicts"] == 4
    assert dict(stats["conflicts_by_item"]) == {"C|A": 3, "D|x": 2}

    engine.reset_contention_stats()
    stats = engine.contention_stats()
    counts = (stats["transactions"], stats["conflicts"], dict(stats["conflicts_by_item"]))
    assert counts == (0, 0, {})


def test_holds_are_cleared_when_the_table_is_recreated(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")])
    description = ddb.describe_table(TableName=TABLE)["Table"]
    ddb.delete_table(TableName=TABLE)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=description["KeySchema"],
        AttributeDefinitions=description["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )

    ddb.transact_write_items(TransactItems=[add("C")])

    assert counter(ddb, "C") == 1


def test_disabling_contention_forgets_holds(ddb):
    engine.enable_contention(LONG_HOLD)
    ddb.transact_write_items(TransactItems=[add("C")])
    engine.disable_contention()
    engine.enable_contention(LONG_HOLD)

    ddb.transact_write_items(TransactItems=[add("C")])

    assert counter(ddb, "C") == 2


def test_make_serializable_reads_the_contention_environment(ddb, monkeypatch):
    monkeypatch.setenv("OPTCLASS_CONTENTION_MS", "250")
    engine.make_serializable()
    assert engine.contention_stats()["enabled"] is True
    assert engine.contention_stats()["hold_seconds"] == 0.25

    monkeypatch.setenv("OPTCLASS_CONTENTION_MS", "soon")
    with pytest.raises(ValueError):
        engine.make_serializable()


def test_enable_contention_rejects_a_bad_hold():
    engine.disable_contention()
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            engine.enable_contention(bad)
    assert engine.contention_stats()["enabled"] is False


# --- plain update expressions, applied without moto's expression machinery ----------------

PLAIN_STEPS = [
    # (update expression, names, values, condition) applied in turn to one item and another
    (
        "SET #t = :t, #c = :c ADD #n :one",
        {"#t": "type", "#c": "company_id", "#n": "n"},
        {":t": {"S": "stats"}, ":c": {"S": "c1"}, ":one": {"N": "1"}},
        None,
    ),
    ("ADD #n :by, #m :half", {"#n": "n", "#m": "m"}, {":by": {"N": "-3"}, ":half": {"N": "0.5"}}, None),
    (
        "SET #l = :l, #map = :map REMOVE #c",
        {"#l": "l", "#map": "map", "#c": "company_id"},
        {":l": {"L": [{"S": "a"}, {"N": "2"}]}, ":map": {"M": {"k": {"BOOL": True}}}},
        None,
    ),
    (
        "SET #v = :two",
        {"#v": "version"},
        {":two": {"N": "2"}, ":one": {"N": "1"}},
        "attribute_not_exists(#v) OR #v = :one",
    ),
    ("SET #v = :three", {"#v": "version"}, {":three": {"N": "3"}, ":one": {"N": "1"}}, "#v = :one"),  # fails
    ("REMOVE #gone, #l", {"#gone": "never_there", "#l": "l"}, {}, None),
    ("SET #g = :g ADD #n :one", {"#g": "GSI1PK", "#n": "n"}, {":g": {"S": "P#1"}, ":one": {"N": "1"}}, None),
]


def _apply_plain_steps(client, pk):
    outcomes = []
    for expression, names, values, condition in PLAIN_STEPS:
        kwargs = {"TableName": TABLE, "Key": key(pk), "UpdateExpression": expression, "ExpressionAttributeNames": names}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            client.update_item(**kwargs, ReturnValues="ALL_NEW")
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(error_code_of(exc))
    return outcomes


def error_code_of(exc):
    return exc.response["Error"]["Code"]


def test_plain_updates_leave_the_items_records_and_refusals_moto_would(ddb, monkeypatch):
    monkeypatch.setattr(engine, "PLAIN_UPDATES", False)
    by_moto = _apply_plain_steps(ddb, "MOTO")
    monkeypatch.setattr(engine, "PLAIN_UPDATES", True)
    planned = []
    real_plan = engine._plain_update
    monkeypatch.setattr(engine, "_plain_update", lambda *a: planned.append(real_plan(*a)) or planned[-1])
    plain = _apply_plain_steps(ddb, "PLAIN")
    assert len(planned) == len(PLAIN_STEPS) and all(planned)  # every step took the plain path
    assert plain == by_moto == ["ok", "ok", "ok", "ok", "ConditionalCheckFailedException", "ok", "ok"]
    items = {pk: ddb.get_item(TableName=TABLE, Key=key(pk))["Item"] for pk in ("MOTO", "PLAIN")}
    assert {k: v for k, v in items["PLAIN"].items() if k != "PK"} == {
        k: v for k, v in items["MOTO"].items() if k != "PK"
    }
    assert items["PLAIN"]["n"] == {"N": "-1"} and items["PLAIN"]["m"] == {"N": "0.5"}

    def images(pk):
        found = []
        for r in stream_records(ddb):
            if r["dynamodb"]["Keys"]["PK"]["S"] == pk:
                old, new = r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")
                strip = lambda image: image and {k: v for k, v in image.items() if k != "PK"}  # noqa: E731
                found.append((r["eventName"], strip(old), strip(new)))
        return found

    assert images("PLAIN") == images("MOTO") and len(images("PLAIN")) == 6  # one INSERT, then MODIFYs


def test_updates_that_are_not_plain_still_go_to_moto_and_are_refused_as_it_refuses(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("S"), "word": {"S": "x"}})
    cases = [
        ("ADD #w :one", {"#w": "word"}, {":one": {"N": "1"}}),  # a number added to a string
        ("SET #pk = :v", {"#pk": "PK"}, {":v": {"S": "other"}}),  # a key attribute
        ("SET #a = :v, #a = :w", {"#a": "a"}, {":v": {"S": "1"}, ":w": {"S": "2"}}),  # one path twice
        ("SET #a = :missing", {"#a": "a"}, {":v": {"S": "1"}}),  # an undefined value
    ]
    for expression, names, values in cases:
        with pytest.raises(ClientError) as raised:
            ddb.update_item(
                TableName=TABLE,
                Key=key("S"),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        assert error_code(raised) == "ValidationException", expression
    assert ddb.get_item(TableName=TABLE, Key=key("S"))["Item"] == {**key("S"), "word": {"S": "x"}}
    # if_not_exists and arithmetic are moto's to do: the outcome is DynamoDB's.
    ddb.update_item(
        TableName=TABLE,
        Key=key("S"),
        UpdateExpression="SET #n = if_not_exists(#n, :zero) + :one",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
    )
    assert counter(ddb, "S") == 1


def test_plain_updates_in_a_transaction_roll_back_with_it(ddb):
    ddb.put_item(TableName=TABLE, Item={**key("T"), "n": {"N": "5"}})
    ddb.put_item(TableName=TABLE, Item=key("U"))
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("T"),
                        "UpdateExpression": "ADD #n :one",
                        "ExpressionAttributeNames": {"#n": "n"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                must_not_exist("U"),
            ]
        )
    assert reasons(raised) == ["None", "ConditionalCheckFailed"]
    assert counter(ddb, "T") == 5
