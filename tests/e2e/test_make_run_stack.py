"""Over HTTP against the `make run` stack: the balance story, concurrency and retries."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import bearer, new_company_id, token

pytestmark = pytest.mark.e2e


class Client:
    def __init__(self, base: str, tok: str):
        self.base, self.headers = base, bearer(tok)

    def call(self, method, path, body=None, headers=None):
        return requests.request(
            method, self.base + path, json=body, headers={**self.headers, **(headers or {})}, timeout=30
        )


def _school(stack):
    cid = new_company_id()
    admin = Client(stack.base, token(cid, "admin", f"admin-{cid}"))
    staff = Client(stack.base, token(cid, "staff", f"staff-{cid}"))
    assert admin.call("PUT", "/company", {"name": "E2E School"}).status_code == 200
    teacher = admin.call("POST", "/staff", {"name": "T", "email": "t@e2e.example", "role": "teacher"}).json()
    member = admin.call(
        "POST", "/staff", {"name": "S", "email": "s@e2e.example", "role": "staff", "user_id": f"staff-{cid}"}
    ).json()
    return admin, staff, teacher, member


def test_health_answers_ok(stack):
    answer = requests.get(f"{stack.base}/health", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_answers_to_head_carry_no_body_so_the_connection_stays_in_step(stack):
    """A body after a HEAD answer would be read as the next answer on a kept-alive connection."""
    import http.client
    from urllib.parse import urlparse

    url = urlparse(stack.base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        for path, content_type, status in (
            ("/health", "application/json", 200),
            ("/health", "multipart/form-data", 415),
            ("/schedules", None, 405),
        ):
            headers = {"Content-Type": content_type} if content_type else {}
            connection.request("HEAD", path, body=b"--x--" if content_type else None, headers=headers)
            head = connection.getresponse()
            assert (head.status, head.read()) == (status, b"")
        connection.request("GET", "/health")
        after = connection.getresponse()
        assert after.status == 200 and json.loads(after.read()) == {"status": "ok"}
    finally:
        connection.close()


def test_make_run_prints_tokens_that_work_for_the_demo_school(stack):
    printed = dict(re.findall(r"export OPTCLASS_(\w+)_TOKEN=(\S+)", stack.output()))
    assert set(printed) == {"ADMIN", "STAFF", "TEACHER", "STUDENT"}
    assert "curl" in stack.output()
    schedules = requests.get(f"{stack.base}/schedules", headers=bearer(printed["STAFF"]), timeout=5).json()
    kinds = sorted(s["kind"] for s in schedules["items"])
    assert kinds == ["group", "one_to_one", "one_to_one"]  # a 1:1 series per student
    students = requests.get(f"{stack.base}/students", headers=bearer(printed["STAFF"]), timeout=5).json()
    assert len(students["items"]) == 6
    refused = requests.get(f"{stack.base}/students", headers=bearer(printed["STUDENT"]), timeout=5)
    assert refused.status_code == 403


def test_student_schedule_enrollment_top_up_and_adjustment_end_at_13(stack):
    admin, staff, teacher, member = _school(stack)
    student = staff.call("POST", "/students", {"name": "Eve", "email": "eve@e2e.example"})
    assert student.status_code == 201
    schedule = staff.call("POST", "/schedules", {"name": "Violin", "kind": "one_to_one", "teacher_id": teacher["id"]})
    assert schedule.status_code == 201
    enrollment = staff.call(
        "POST",
        f"/schedules/{schedule.json()['id']}/enrollments",
        {"student_id": student.json()["id"], "initial_balance": 10, "responsible_staff_id": member["id"]},
    )
    assert enrollment.status_code == 201 and enrollment.json()["balance"] == 10
    eid = enrollment.json()["id"]
    topped = staff.call("POST", f"/enrollments/{eid}/top-ups", {"sessions": 5})
    assert topped.status_code == 200 and topped.json()["balance"] == 15
    adjusted = staff.call("POST", f"/enrollments/{eid}/adjustments", {"delta": -2, "reason": "miscount"})
    assert adjusted.status_code == 200 and adjusted.json()["balance"] == 13
    ledger = staff.call("GET", f"/enrollments/{eid}/ledger").json()["items"]
    assert len(ledger) == 3 and sum(e["delta"] for e in ledger) == 13


def test_twenty_concurrent_top_ups_add_exactly_twenty_with_twenty_entries(stack):
    admin, staff, teacher, member = _school(stack)
    student = staff.call("POST", "/students", {"name": "Cy", "email": "cy@e2e.example"}).json()
    schedule = staff.call(
        "POST", "/schedules", {"name": "Choir", "kind": "group", "capacity": 30, "teacher_id": teacher["id"]}
    ).json()
    eid = staff.call(
        "POST",
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": 4, "responsible_staff_id": member["id"]},
    ).json()["id"]

    def top_up(i):
        """As a client should: with an Idempotency-Key, and again after a 503's Retry-After
        (twenty writers on one enrollment can outlast the store's bounded retries)."""
        for _ in range(5):
            answer = staff.call(
                "POST", f"/enrollments/{eid}/top-ups", {"sessions": 1}, headers={"Idempotency-Key": f"top-up-{eid}-{i}"}
            )
            if answer.status_code != 503:
                return answer
            assert answer.headers["Retry-After"] == "1"
            time.sleep(float(answer.headers["Retry-After"]))
        return answer

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(top_up, range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    assert staff.call("GET", f"/enrollments/{eid}").json()["balance"] == 24
    ledger = staff.call("GET", f"/enrollments/{eid}/ledger?limit=200").json()["items"]
    top_ups = [e for e in ledger if e["kind"] == "top_up"]
    assert len(top_ups) == 20
    assert sorted(e["balance_after"] for e in top_ups) == list(range(5, 25))
    assert sum(e["delta"] for e in ledger) == 24


def test_a_retried_request_with_the_same_idempotency_key_has_one_effect(stack):
    admin, staff, teacher, member = _school(stack)
    student = staff.call("POST", "/students", {"name": "Di", "email": "di@e2e.example"}).json()
    schedule = staff.call(
        "POST", "/schedules", {"name": "Drums", "kind": "one_to_one", "teacher_id": teacher["id"]}
    ).json()
    eid = staff.call(
        "POST",
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": 1, "responsible_staff_id": member["id"]},
    ).json()["id"]
    headers = {"Idempotency-Key": "e2e-retry-1"}
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(
            pool.map(
                lambda i: staff.call("POST", f"/enrollments/{eid}/top-ups", {"sessions": 10}, headers=headers), range(5)
            )
        )
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["balance"] for a in answers} == {11}
    assert staff.call("GET", f"/enrollments/{eid}").json()["balance"] == 11
    assert len(staff.call("GET", f"/enrollments/{eid}/ledger").json()["items"]) == 2
