"""The logs of a whole school day carry ids, never an email address or a person's name."""

import logging
import re

from chalicelib import jobs
from tests.functional.helpers import build_world
from tests.functional.webhook_helpers import Sender
from tests.support import hours_from_now

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def test_a_full_run_logs_no_email_and_no_name(client, caplog, capsys):
    caplog.set_level(logging.INFO, logger="optclass")
    w = build_world(client)
    schedule = w.staff.post(
        "/schedules", {"name": "Harp", "kind": "group", "capacity": 4, "teacher_id": w.ids["teacher_id"]}
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 2, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    session = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": hours_from_now(-1)}).body
    assert (
        w.teacher.put(f"/sessions/{session['id']}/attendance/{w.ids['student_id']}", {"status": "attended"}).status
        == 200
    )
    assert jobs.run("low-balance")["result"]["emails"] == 1  # an email to Sam Staff, about Stella
    hook = w.admin.post(
        "/integrations", {"provider": "standard", "name": "Page", "event_types": {"harp": schedule["id"]}}
    ).body
    stranger = {
        "type": "booking.created",
        "timestamp": hours_from_now(0),
        "data": {
            "booking_id": "bk-9",
            "event_type": "harp",
            "start": hours_from_now(24),
            "end": hours_from_now(25),
            "student": {"name": "Zelda Zander", "email": "zelda@unknown.example"},
        },
    }
    assert Sender(client, hook).standard(stranger).body["status"] == "failed"  # its reason names her email
    assert w.staff.get(f"/enrollments/{enrollment['id']}/ledger").status == 200
    logged = "\n".join(r.getMessage() for r in caplog.records) + capsys.readouterr().out
    assert '"kind":"request"' in logged and '"kind":"webhook"' in logged and '"job":"low-balance"' in logged
    assert EMAIL.findall(logged) == []
    for name in ("Stella", "Sam Staff", "Tina", "Zelda", "Harp"):
        assert name not in logged, name
