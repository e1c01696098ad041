"""Packages (lots) over the HTTP API: expiry on top-ups, the consumption order, giving back
after expiry, pauses, the daily expiry job and its warnings, statements as of any day."""

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import clock, jobs
from tests.functional.helpers import build_world
from tests.support import ledger_sum_matches, table_items


class Clock:
    """`clock.now` pinned, moved by the test."""

    def __init__(self, at: datetime):
        self.at = at

    def to(self, at: datetime) -> None:
        self.at = at


@pytest.fixture
def pinned(monkeypatch):
    c = Clock(datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(clock, "now", lambda: c.at)
    return c


def utc(y, m, d, h=0) -> datetime:
    return datetime(y, m, d, h, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return clock.iso(moment)


@pytest.fixture
def piano(client, pinned):
    """A school in Berlin with a group (overdraft 2) and Stella enrolled with no sessions yet."""
    w = build_world(client)
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "Piano",
            "kind": "group",
            "capacity": 4,
            "teacher_id": w.ids["teacher_id"],
            "policy": {"cancelled": "credit", "no_show": "deduct", "late_cancel_hours": 24, "overdraft": 2},
        },
    ).body
    made = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 0, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert made.status == 201, made.body

    def session(starts: datetime) -> str:
        out = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": iso(starts)})
        assert out.status == 201, out.body
        return out.body["id"]

    return {"w": w, "schedule": schedule, "eid": made.body["id"], "sid": w.ids["student_id"], "session": session}


def lots_of(p) -> dict[str, tuple[int, str]]:
    body = p["w"].staff.get(f"/enrollments/{p['eid']}").body
    return {lot["id"]: (lot["remaining"], lot["state"]) for lot in body["lots"]}


def top_up(p, sessions, **more):
    out = p["w"].staff.post(f"/enrollments/{p['eid']}/top-ups", {"sessions": sessions, **more})
    assert out.status == 200, out.body
    return out.body


def attend(p, session_id):
    out = p["w"].staff.put(f"/sessions/{session_id}/attendance/{p['sid']}", {"status": "attended"})
    assert out.status == 200, out.body
    return out.body


def ledger(p):
    return p["w"].staff.get(f"/enrollments/{p['eid']}/ledger?limit=200").body["items"]


def test_four_february_marks_take_the_soonest_expiring_lot_and_a_clear_after_it_lapsed_does_not_revive_it(
    piano, pinned
):
    p = piano
    top_up(p, 3, expires_at="2027-03-01T00:00:00+01:00", note="A")
    top_up(p, 10, expires_at="2027-06-01T00:00:00+02:00", note="B")
    topped = top_up(p, 5, note="C")
    assert topped["balance"] == 18
    assert [(lot["id"], lot["expires_at"]) for lot in topped["lots"]] == [
        ("L1", "2027-02-28T23:00:00.000Z"),
        ("L2", "2027-05-31T22:00:00.000Z"),
        ("L3", None),
    ]
    pinned.to(utc(2027, 2, 20, 12))
    february = [p["session"](utc(2027, 2, day, 16)) for day in (1, 8, 15, 19)]
    for session_id in february:
        attend(p, session_id)
    assert lots_of(p) == {"L1": (0, "used_up"), "L2": (9, "active"), "L3": (5, "active")}
    charged = [e for e in ledger(p) if e["kind"] == "attendance"]
    assert [e["lot_id"] for e in charged] == ["L1", "L1", "L1", "L2"]

    pinned.to(utc(2027, 3, 5, 10))
    cleared = p["w"].staff.delete(f"/sessions/{february[0]}/attendance/{p['sid']}")
    assert cleared.status in (200, 204), cleared.body
    after = p["w"].staff.get(f"/enrollments/{p['eid']}").body
    assert after["balance"] == 14
    assert {lot["id"]: lot["remaining"] for lot in after["lots"]} == {"L1": 0, "L2": 9, "L3": 5}
    assert after["lots"][0]["state"] == "expired" and after["lots"][0]["expired"] == 1
    last = ledger(p)[-2:]
    assert [(e["kind"], e["delta"], e["lot_id"]) for e in last] == [("reversal", 1, "L1"), ("expiry", -1, "L1")]
    assert ledger_sum_matches(table_items()) == []


def test_a_top_up_takes_a_date_or_valid_days_or_the_schedules_default_and_refuses_what_cannot_be(piano, pinned):
    p, w = piano, piano["w"]
    dated = top_up(p, 2, expires_at="2027-01-31")  # usable through 31 January in Berlin
    assert dated["lots"][-1]["expires_at"] == "2027-01-31T23:00:00.000Z"
    days = top_up(p, 2, valid_days=30, unit_price="12.50", currency="EUR", source="sale")
    lot = days["lots"][-1]
    assert lot["expires_at"] == "2027-02-09T09:00:00.000Z"
    assert (lot["unit_price"], lot["currency"], lot["source"]) == ("12.50", "EUR", "sale")
    assert w.staff.patch(f"/schedules/{p['schedule']['id']}", {"lot_valid_days": 10}).status == 200
    assert top_up(p, 1)["lots"][-1]["expires_at"] == "2027-01-20T09:00:00.000Z"

    before = table_items()
    for body, field in (
        ({"sessions": 1, "expires_at": "2027-01-01"}, "expires_at"),
        ({"sessions": 1, "expires_at": "2027-02-01", "valid_days": 3}, None),
        ({"sessions": 1, "unit_price": "10"}, None),
        ({"sessions": 1, "valid_days": 0}, "valid_days"),
        ({"sessions": 1, "currency": "euro", "unit_price": "1"}, "currency"),
    ):
        refused = w.staff.post(f"/enrollments/{p['eid']}/top-ups", body)
        assert refused.status == 400, (body, refused.body)
        if field:
            assert field in {d.get("field") for d in refused.body["error"]["details"]}, refused.body
    assert table_items() == before


def test_a_charge_beyond_every_lot_is_owed_and_the_next_top_up_pays_it_first(piano, pinned):
    p = piano
    pinned.to(utc(2027, 1, 20, 12))
    for day in (11, 12):
        attend(p, p["session"](utc(2027, 1, day, 16)))
    owing = p["w"].staff.get(f"/enrollments/{p['eid']}").body
    assert (owing["balance"], owing["owed"]) == (-2, 2)
    refused = p["w"].staff.put(
        f"/sessions/{p['session'](utc(2027, 1, 13, 16))}/attendance/{p['sid']}", {"status": "attended"}
    )
    assert refused.status == 409 and refused.error_code == "insufficient_balance"
    paid = top_up(p, 5)
    assert (paid["balance"], paid["owed"]) == (3, 0)
    assert (paid["lots"][0]["remaining"], paid["lots"][0]["settled"]) == (3, 2)
    kinds = [(e["kind"], e["delta"], e["lot_id"]) for e in ledger(p)[-3:]]
    assert kinds == [("top_up", 5, "L1"), ("settlement", -2, "L1"), ("settlement", 2, None)]
    assert ledger_sum_matches(table_items()) == []


def test_a_pause_refuses_charges_inside_it_moves_expiries_and_ending_it_early_gives_days_back(piano, pinned):
    p, w = piano, piano["w"]
    top_up(p, 4, expires_at="2027-02-28")
    paused = w.staff.post(
        f"/enrollments/{p['eid']}/pauses", {"starts_on": "2027-01-18", "ends_on": "2027-01-31", "reason": "travel"}
    )
    assert paused.status == 201, paused.body
    assert paused.body["lots"][0]["expires_at"] == "2027-03-14T23:00:00.000Z"  # 14 days later
    (pause,) = paused.body["pauses"]
    pinned.to(utc(2027, 1, 21, 18))
    inside = p["session"](utc(2027, 1, 21, 16))
    before = table_items()
    refused = w.staff.put(f"/sessions/{inside}/attendance/{p['sid']}", {"status": "attended"})
    assert refused.status == 409 and refused.error_code == "enrollment_paused"
    assert table_items() == before
    # A mark that costs nothing is fine in a pause.
    assert (
        w.staff.put(
            f"/sessions/{inside}/attendance/{p['sid']}", {"status": "cancelled", "cancelled_at": "2027-01-19T10:00:00Z"}
        ).status
        == 200
    )

    ended = w.staff.post(f"/enrollments/{p['eid']}/pauses/{pause['id']}/end", {"on": "2027-01-24"})
    assert ended.status == 200, ended.body
    assert ended.body["lots"][0]["expires_at"] == "2027-03-07T23:00:00.000Z"  # 7 unused days back
    assert ended.body["pauses"][0]["ended_early_at"] == "2027-01-24T23:00:00.000Z"
    pinned.to(utc(2027, 1, 26, 18))
    attend(p, p["session"](utc(2027, 1, 26, 16)))
    assert w.staff.post(f"/enrollments/{p['eid']}/pauses/{pause['id']}/end", {}).status == 400
    overlapping = {"starts_on": "2027-01-20", "ends_on": "2027-02-02", "reason": "again"}
    assert w.staff.post(f"/enrollments/{p['eid']}/pauses", overlapping).status == 400
    assert w.teacher.post(f"/enrollments/{p['eid']}/pauses", overlapping).status == 403


def test_the_expiry_job_expires_each_lapsed_lot_once_and_warns_once_ahead(piano, pinned):
    p, w = piano, piano["w"]
    top_up(p, 3, expires_at="2027-02-10")
    top_up(p, 2, expires_at="2027-05-10")
    pinned.to(utc(2027, 1, 30, 6))  # 11 days ahead of the first lapse: inside the 14-day warning
    first = jobs.run("lot-expiry", date(2027, 1, 30))["result"]
    assert (first["lots_warned"], first["notifications"], first["lots_expired"]) == (1, 1, 0)
    again = jobs.run("lot-expiry", date(2027, 1, 30))["result"]
    assert (again["lots_warned"], again["notifications"]) == (0, 0)
    notes = w.staff.get("/notifications").body["items"]
    warned = [n for n in notes if n["kind"] == "sessions_expiring"]
    assert len(warned) == 1 and warned[0]["expiring"] == 3

    pinned.to(utc(2027, 2, 12, 6))
    ran = jobs.run("lot-expiry", date(2027, 2, 12))["result"]
    assert (ran["lots_expired"], ran["sessions_expired"]) == (1, 3)
    rerun = jobs.run("lot-expiry", date(2027, 2, 12))["result"]
    assert (rerun["enrollments_due"], rerun["lots_expired"]) == (0, 0)
    body = w.staff.get(f"/enrollments/{p['eid']}").body
    assert body["balance"] == 2 and body["lots"][0]["state"] == "expired"
    assert [e["kind"] for e in ledger(p)].count("expiry") == 1
    assert ledger_sum_matches(table_items()) == []


def test_a_statement_as_of_any_day_equals_that_days_balance_in_json_csv_and_html(piano, pinned):
    p, w = piano, piano["w"]
    top_up(p, 3, expires_at="2027-02-05")
    pinned.to(utc(2027, 1, 15, 18))
    attend(p, p["session"](utc(2027, 1, 15, 16)))
    pinned.to(utc(2027, 1, 20, 18))
    top_up(p, 4)
    attend(p, p["session"](utc(2027, 1, 20, 16)))
    pinned.to(utc(2027, 2, 10, 9))
    jobs.run("lot-expiry", date(2027, 2, 10))
    entries = ledger(p)
    for day in (date(2027, 1, 9), date(2027, 1, 10), date(2027, 1, 16), date(2027, 1, 20), date(2027, 2, 10)):
        end = iso(
            datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1, hours=-1)
        )  # Berlin midnight
        expected = next((e["balance_after"] for e in reversed(entries) if e["at"] < end), 0)
        got = w.staff.get(f"/enrollments/{p['eid']}/statement?as_of={day.isoformat()}")
        assert got.status == 200, got.body
        assert got.body["balance"] == expected, day
        assert sum(lot["remaining"] for lot in got.body["lots"]) - got.body["owed"] == expected, day
    final = w.staff.get(f"/enrollments/{p['eid']}/statement").body
    first = final["lots"][0]
    assert (first["used"], first["expired"], first["remaining"]) == (2, 1, 0)
    assert [line["kind"] for line in first["lines"]] == ["top_up", "attendance", "attendance", "expiry"]
    assert first["lines"][1]["reference"].startswith("session:")

    as_csv = w.staff.get(f"/enrollments/{p['eid']}/statement?format=csv")
    assert as_csv.status == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.body)))
    assert len(rows) == len(entries) - 1  # every entry but the opening `initial` of 0 sessions
    assert sum(int(r["delta"]) for r in rows) == final["balance"]
    page = w.staff.get(f"/enrollments/{p['eid']}/statement?format=html")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "Stella Student" in page.body and "Package L1" in page.body

    mine = w.student.get(f"/me/enrollments/{p['eid']}/statement")
    assert mine.status == 200 and mine.body["balance"] == final["balance"]
    assert w.student.get("/me/enrollments").body["items"][0]["lots"][1]["remaining"] == 4
    assert w.teacher.get(f"/enrollments/{p['eid']}/statement").status == 403
    other = build_world(p["w"].client)
    assert other.student.get(f"/me/enrollments/{p['eid']}/statement").status == 404
    assert other.staff.get(f"/enrollments/{p['eid']}/statement").status == 404
    assert w.staff.get(f"/enrollments/{p['eid']}/statement?as_of=yesterday").status == 400


def test_forfeited_sessions_are_reported_per_schedule_and_counted_against_what_was_sold(piano, pinned):
    p, w = piano, piano["w"]
    top_up(p, 4, expires_at="2027-01-31")
    top_up(p, 2)
    pinned.to(utc(2027, 1, 20, 18))
    attend(p, p["session"](utc(2027, 1, 20, 16)))
    pinned.to(utc(2027, 2, 2, 6))
    assert jobs.run("lot-expiry", date(2027, 2, 2))["result"]["sessions_expired"] == 3
    assert w.admin.post("/local/jobs/report-counters").status == 200
    report = w.staff.get("/reports/schedules?from=2027-01-01&to=2027-02-28").body["items"]
    (row,) = [r for r in report if r["schedule_id"] == p["schedule"]["id"]]
    assert (row["sessions_sold"], row["sessions_used"], row["sessions_forfeited"]) == (6, 1, 3)
    assert row["used_or_forfeited_to_sold"] == round(4 / 6, 4) and row["used_to_sold"] == round(1 / 6, 4)
    overview = w.staff.get("/reports/overview?from=2027-01-01&to=2027-02-28").body["items"][0]
    assert overview["sessions_forfeited"] == 3
    # January alone: the sale; February: the forfeit.
    january = w.staff.get("/reports/schedules?from=2027-01-01&to=2027-01-31").body["items"]
    assert [r["sessions_forfeited"] for r in january if r["schedule_id"] == p["schedule"]["id"]] == [0]


def test_the_low_balance_notice_says_when_the_balance_runs_out_at_the_recent_pace_and_what_is_booked_after(
    piano, pinned
):
    p, w = piano, piano["w"]
    top_up(p, 3)
    for day in (11, 18):
        pinned.to(utc(2027, 1, day, 18))
        attend(p, p["session"](utc(2027, 1, day, 16)))
    for day in (utc(2027, 2, 10, 16), utc(2027, 2, 22, 16), utc(2027, 3, 1, 16), utc(2027, 3, 8, 16)):
        p["session"](day)
    pinned.to(utc(2027, 1, 20, 6))
    assert jobs.run("low-balance", date(2027, 1, 20))["result"]["notifications"] == 1
    (note,) = [n for n in w.staff.get("/notifications").body["items"] if n["kind"] == "low_balance"]
    # 2 sessions in the last 8 weeks, 1 left: 28 days; 3 sessions scheduled after that day.
    assert (note["balance"], note["runs_out_on"], note["booked_after"]) == (1, "2027-02-17", 3)
    outbox = w.admin.get("/local/outbox").body["items"]
    assert any("runs out around 2027-02-17, with 3 session(s) scheduled after that" in m["body"] for m in outbox)
