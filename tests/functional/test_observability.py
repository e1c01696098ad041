"""One JSON log line per request (and per job run) with what the request cost, never a
token or a secret; and CloudWatch embedded metrics for what happened."""

import json

from chalicelib import jobs, observability


def _lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_each_request_logs_one_json_line_without_its_token_or_secrets(world, capsys):
    capsys.readouterr()
    made = world.admin.post("/integrations", {"provider": "calcom", "name": "Cal", "secret": "super-secret-value-1"})
    answer = world.staff.get("/students", headers={"Idempotency-Key": "key-should-not-matter"})
    assert made.status == 201 and answer.status == 200
    output = capsys.readouterr().out
    requests = [line for line in _lines(output) if line.get("kind") == "request"]
    assert [r["route"] for r in requests] == ["/integrations", "/students"]
    last = requests[-1]
    assert last["company_id"] == world.company_id and last["status"] == 200 and last["role"] == "staff"
    assert last["request_id"] == answer.headers["x-request-id"]
    # The list's one Query: the caller's login (user ref) was read by their earlier request and
    # is remembered for a bound (store/logins.py); a login new to the container costs one GetItem.
    assert last["dynamodb_calls"] == 1 and last["items_read"] >= 1 and last["duration_ms"] >= 0
    from chalicelib.store import logins

    logins._memory.clear()
    world.staff.get("/students")
    again = [line for line in _lines(capsys.readouterr().out) if line.get("kind") == "request"][-1]
    assert again["dynamodb_calls"] == 2
    assert world.staff.tok not in output and world.admin.tok not in output
    assert "super-secret-value-1" not in output and "Bearer" not in output


def test_a_job_run_logs_its_store_work(world, capsys):
    capsys.readouterr()
    jobs.run("low-balance")
    runs = [line for line in _lines(capsys.readouterr().out) if line.get("kind") == "job_run"]
    assert len(runs) == 1 and runs[0]["job"] == "low-balance" and runs[0]["dynamodb_calls"] >= 8


def test_marks_and_balance_changes_become_embedded_metrics(world, capsys, monkeypatch):
    from chalicelib.services import attendance, enrollments, schedules, sessions
    from chalicelib.services.context import Actor

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    actor = Actor(world.company_id, "staff-metrics", "staff")
    schedule = schedules.create_schedule(
        actor,
        name="M",
        kind="one_to_one",
        teacher_id=world.ids["teacher_id"],
        capacity=None,
        timezone="UTC",
        recurrence=None,
        policy=None,
        low_balance_threshold=None,
    )
    enrollments.enroll(
        actor,
        schedule.schedule_id,
        student_id=world.ids["student_id"],
        initial_balance=3,
        responsible_staff_id=world.ids["staff_id"],
        low_balance_threshold=None,
    )
    from datetime import datetime, timedelta, timezone

    from chalicelib import ids

    # The session started an hour ago: attended is recorded once it has started (issue 12).
    started = datetime.now(timezone.utc) - timedelta(hours=1)
    made = sessions.create_one_off(
        actor,
        schedule.schedule_id,
        starts_at=started,
        ends_at=None,
        duration_minutes=30,
        teacher_id=None,
        student_id=None,
    )
    capsys.readouterr()
    attendance.record(
        actor,
        ids.session_id(made.schedule_id, made.session_key),
        world.ids["student_id"],
        attendance.MarkInput(status="attended"),
    )
    observability.flush()
    emf = [line for line in _lines(capsys.readouterr().out) if "_aws" in line]
    assert len(emf) == 1
    names = {m["Name"] for m in emf[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert names == {"MarksWritten", "BalanceChanges"} and emf[0]["MarksWritten"] in (1.0, [1.0])
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "OptClass"
