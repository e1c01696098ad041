"""The table's DynamoDB Stream: its records as record changes, and the local pump.

In AWS, Lambda reads the stream and calls the `report-counters` handler (app.py) with
batches of records, at least once each. Locally (`make run`, the tests) `drain()` reads
the embedded engine's stream through the DynamoDB Streams API and calls the very same
handler with records of the same shape.
"""

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

import botocore.config

from .. import clock, config
from ..domain import records
from . import models as m
from . import reads

COUNTED_TYPES = ("session", "mark", "ledger")  # what the report counters are made of
SEAT_TYPES = ("session", "enrollment")  # what students' seats follow (services/seats.py)
IMPORT_TYPES = ("import",)  # what drives an import's background steps (services/imports.py)
STREAM_TYPES = (
    "session",
    "mark",
    "ledger",
    "enrollment",
    "import",
)  # what the handler is handed (the template's filter)


@dataclass(frozen=True)
class Change:
    """One stream record: which item changed from what to what, and when."""

    event_id: str
    before: Any | None  # the record before (None: it was made)
    after: Any | None  # the record after (None: it was deleted)
    at: str  # when the change was made (ISO instant)
    zone_unknown: bool = False  # a removed mark of the earlier layout: its session knows its zone


def _record_of(image: dict | None, types: tuple[str, ...] = COUNTED_TYPES) -> Any | None:
    if not image or image.get("type", {}).get("S") not in types:
        return None
    return m.Item.from_raw_data(image).record()


def seat_changes_of(stream_records: list[dict]) -> list[Change]:
    """The changes of sessions and enrollments in a batch, in order (seats follow them)."""
    out = []
    for r in stream_records:
        data = r.get("dynamodb", {})
        before = _record_of(data.get("OldImage"), SEAT_TYPES)
        after = _record_of(data.get("NewImage"), SEAT_TYPES)
        if before is not None or after is not None:
            out.append(Change(event_id=r["eventID"], before=before, after=after, at=""))
    return out


def changes_of(stream_records: list[dict]) -> list[Change]:
    """The changes of counted items in a batch of stream records (others are skipped)."""
    out = []
    for r in stream_records:
        data = r.get("dynamodb", {})
        before, after = _record_of(data.get("OldImage")), _record_of(data.get("NewImage"))
        if before is None and after is None:
            continue
        zone_unknown = isinstance(before, records.Mark) and "timezone" not in data.get("OldImage", {})
        if zone_unknown and isinstance(before, records.Mark) and isinstance(after, records.Mark):
            # A mark written before marks carried their session's zone (tools/upgrade_table.py
            # fills it in) was counted in that zone's day: so is its old image.
            before, zone_unknown = replace(before, timezone=after.timezone), False
        stamp = data.get("ApproximateCreationDateTime")
        if isinstance(stamp, datetime):
            at = clock.iso(stamp)
        elif stamp is not None:
            at = clock.iso(datetime.fromtimestamp(float(stamp), tz=clock.now().tzinfo))
        else:
            at = clock.now_iso()
        out.append(Change(event_id=r["eventID"], before=before, after=after, at=at, zone_unknown=zone_unknown))
    return out


# --- the local pump ---------------------------------------------------------------------------

_positions: dict[tuple[str, str], str] = {}  # (stream arn, shard id) -> last sequence number handed on
_draining = threading.Lock()  # the pump thread and a drain asked for over HTTP take turns


_clients: dict[tuple[str, str | None], Any] = {}  # (region, endpoint) -> client, made once


def _streams_client():
    """The DynamoDB Streams client, made once per region and endpoint (making one costs more
    than an idle pump's round of requests)."""
    where = (config.region(), config.dynamodb_endpoint())
    if where not in _clients:
        import boto3  # the local stack and tests only: Lambda reads the stream in AWS

        # moto serves DynamoDB Streams on the regional endpoint, not the account-based one.
        _clients[where] = boto3.client(
            "dynamodbstreams",
            region_name=where[0],
            endpoint_url=where[1],
            config=botocore.config.Config(
                account_id_endpoint_mode="disabled", retries={"mode": "standard", "max_attempts": 3}
            ),
        )
    return _clients[where]


def drain(handler: Callable[[list[dict]], Any], batch_size: int = 100) -> int:
    """Hand every stream record not handed on yet to `handler`, in order, in batches, as
    Lambda would (a batch whose handler raises is handed on again next time). Returns how
    many records were handed on."""
    with _draining:
        return _drain(handler, batch_size)


def _drain(handler: Callable[[list[dict]], Any], batch_size: int) -> int:
    client = _streams_client()
    streams = client.list_streams(TableName=config.table_name()).get("Streams", [])
    if not streams:
        return 0
    arn = max(streams, key=lambda s: s["StreamLabel"])["StreamArn"]  # the table's current stream
    handed = 0
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        position = _positions.get((arn, shard["ShardId"]))
        kwargs = {"StreamArn": arn, "ShardId": shard["ShardId"]}
        kwargs.update(
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            if position
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = client.get_shard_iterator(**kwargs)["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=batch_size)
            batch = page.get("Records", [])
            if not batch:
                break
            handler([{**r, "eventSourceARN": arn} for r in batch])
            _positions[(arn, shard["ShardId"])] = batch[-1]["dynamodb"]["SequenceNumber"]
            handed += len(batch)
            iterator = page.get("NextShardIterator")
    return handed


def forget_positions() -> None:
    """Start every stream from its beginning again (a new table in tests)."""
    _positions.clear()


def session_zones(changes: list[Change]) -> list[Change]:
    """The changes, with the zone of removed earlier-layout marks read from their sessions
    (inside a step: one BatchGetItem)."""
    wanted = {_session_of(c.before) for c in changes if c.zone_unknown and isinstance(c.before, records.Mark)}
    if not wanted:
        return changes
    found = reads.load(reads.session(*key) for key in wanted)
    zones = {(s.company_id, s.schedule_id, s.session_key): s.timezone for s in found.values()}
    return [
        replace(c, before=replace(c.before, timezone=zones.get(_session_of(c.before), "UTC")), zone_unknown=False)
        if c.zone_unknown and isinstance(c.before, records.Mark)
        else c
        for c in changes
    ]


def _session_of(mark: records.Mark) -> tuple[str, str, str]:
    """The (company, schedule, session key) of a mark's session."""
    return mark.company_id, mark.schedule_id, mark.session_key
