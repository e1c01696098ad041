"""Attendance over HTTP against the `make run` stack: the product page's example, and
concurrent marking."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.test_make_run_stack import Client, _school
from tests.support import token

pytestmark = pytest.mark.e2e


def _class(stack, past, upcoming, initial=10):
    admin, staff, teacher, member = _school(stack)
    student_sub = f"student-{teacher['id']}"
    student = staff.call(
        "POST", "/students", {"name": "Pia", "email": "pia@e2e.example", "user_id": student_sub}
    ).json()
    schedule = staff.call(
        "POST", "/schedules", {"name": "Cello", "kind": "one_to_one", "teacher_id": teacher["id"]}
    ).json()
    enrollment = staff.call(
        "POST",
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": initial, "responsible_staff_id": member["id"]},
    ).json()
    now = datetime.now(timezone.utc)
    days = [-7 * (past - i) for i in range(past)] + [7 * (i + 1) for i in range(upcoming)]
    sessions = [
        staff.call(
            "POST", f"/schedules/{schedule['id']}/sessions", {"starts_at": (now + timedelta(days=d)).isoformat()}
        ).json()
        for d in days
    ]
    return admin, staff, teacher, student, student_sub, enrollment, sessions


def test_product_example_enroll_10_attend_4_leaves_6_and_the_portal_shows_it(stack):
    admin, staff, teacher, student, sub, enrollment, sessions = _class(stack, past=4, upcoming=3)
    company = _company_of(staff)
    for s in sessions[:4]:
        answer = staff.call("PUT", f"/sessions/{s['id']}/attendance/{student['id']}", {"status": "attended"})
        assert answer.status_code == 200
    assert staff.call("GET", f"/enrollments/{enrollment['id']}").json()["balance"] == 6
    portal = Client(stack.base, token(company, "student", sub))
    assert [e["remaining_sessions"] for e in portal.call("GET", "/me/enrollments").json()["items"]] == [6]
    # The portal's sessions are the student's seats, kept from the stream: let it catch up now.
    assert admin.call("POST", "/local/jobs/report-counters").status_code == 200
    past = portal.call("GET", "/me/sessions?when=past").json()["items"]
    assert [p["status"] for p in past] == ["attended"] * 4
    upcoming = portal.call("GET", "/me/sessions?when=upcoming").json()["items"]
    assert [u["teacher_name"] for u in upcoming] == ["T"] * 3
    assert all(u["starts_at"] > datetime.now(timezone.utc).isoformat()[:19] for u in upcoming)


def test_concurrent_marks_count_every_charge_once(stack):
    admin, staff, teacher, student, sub, enrollment, sessions = _class(stack, past=9, upcoming=0, initial=20)
    contested, others = sessions[0], sessions[1:]
    statuses = ["attended", "cancelled", "no_show", "attended", "cancelled", "no_show", "attended", "no_show"]
    jobs = [(contested["id"], status) for status in statuses] + [(s["id"], "attended") for s in others]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(
            pool.map(
                lambda job: staff.call("PUT", f"/sessions/{job[0]}/attendance/{student['id']}", {"status": job[1]}),
                jobs,
            )
        )
    assert {a.status_code for a in answers} == {200}
    ledger = staff.call("GET", f"/enrollments/{enrollment['id']}/ledger?limit=200").json()["items"]
    balance = staff.call("GET", f"/enrollments/{enrollment['id']}").json()["balance"]
    assert sum(e["delta"] for e in ledger) == balance
    running = 0
    for entry in ledger:
        running += entry["delta"]
        assert entry["balance_after"] == running
    for s in sessions:
        mark = staff.call("GET", f"/sessions/{s['id']}/attendance").json()["items"][0]
        moved = sum(e["delta"] for e in ledger if e["reference"] == f"session:{s['id']}")
        assert moved == (-1 if mark["charged"] else 0), (s["id"], mark, moved)
    assert balance == 20 - 8 - (
        1 if staff.call("GET", f"/sessions/{contested['id']}/attendance").json()["items"][0]["charged"] else 0
    )


def _company_of(client: Client) -> str:
    import jwt

    return jwt.decode(client.headers["Authorization"].split()[1], options={"verify_signature": False})["company_id"]
