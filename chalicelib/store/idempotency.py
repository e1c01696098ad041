"""Repository of idempotency records.

Access pattern 15 (docs/architecture.md). A record is written in the same transaction as
the effect it remembers, put-if-absent (or if the old one has expired).
"""
import time

from pynamodb.exceptions import DoesNotExist

from . import keys
from .models import IdempotencyRecord
from .tx import Transaction, translate


def record_key(cid: str, subject: str, key: str) -> tuple[str, str]:
    return keys.idempotency_pk(cid, subject, key), keys.IDEMPOTENCY_SK


@translate
def get_record(cid: str, subject: str, key: str, now: float | None = None) -> IdempotencyRecord | None:
    pk, sk = record_key(cid, subject, key)
    try:
        record = IdempotencyRecord.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        return None
    if record.expires_at <= (now or time.time()):
        return None  # TTL deletion is lazy; an expired record no longer counts
    return record


def add_record(tx: Transaction, record: IdempotencyRecord, now: float | None = None) -> None:
    tx.put(record, condition=IdempotencyRecord.PK.does_not_exist()
           | (IdempotencyRecord.expires_at <= int(now or time.time())))


def new_record(cid: str, subject: str, key: str, **fields) -> IdempotencyRecord:
    pk, sk = record_key(cid, subject, key)
    return IdempotencyRecord(pk, sk, **fields)


@translate
def put_record(record: IdempotencyRecord, now: float | None = None) -> None:
    """Remember an answer that needed no other write (the request changed nothing)."""
    tx = Transaction()
    add_record(tx, record, now)
    tx.commit()
