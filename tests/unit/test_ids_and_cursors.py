import base64
import json

import pytest

from chalicelib import ids
from chalicelib.errors import InvalidInput
from chalicelib.store.pages import decode_cursor, encode_cursor


def test_enrollment_ids_round_trip_and_refuse_malformed_values():
    a, b = ids.new_id(), ids.new_id()
    assert ids.parse_enrollment_id(ids.enrollment_id(a, b)) == (a, b)
    for bad in ("", "x", f"{a}", f"{a}.{b}.{a}", f"{a}.../{b}", f"{a.lower()}.{b}"):
        assert ids.parse_enrollment_id(bad) is None


def test_new_ids_sort_by_creation_time():
    made = [ids.new_id() for _ in range(5)]
    assert all(ids.is_id(i) for i in made)
    assert made[0][:10] <= made[-1][:10]


def test_cursor_round_trips_for_its_own_partition():
    key = {"PK": {"S": "C#a#S#1"}, "SK": {"S": "LEDGER#x#0000000002"}}
    assert decode_cursor(encode_cursor(key), "PK", "C#a#S#1") == key


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"PK": "C#b#S#1", "SK": "x"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"PK": "C#a#S#1", "SK": "x", "Evil": "y"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"PK": "C#a#S#1", "SK": 5}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"PK": "C#a#S#1"}).encode()).decode(),
    ],
)
def test_tampered_or_foreign_cursors_are_refused(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, "PK", "C#a#S#1")
