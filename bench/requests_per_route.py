"""DynamoDB requests (and items read) for one call of each route, counted at the botocore
level, on an in-process app over moto.

    .venv/bin/python bench/requests_per_route.py
"""

from datetime import datetime, timedelta, timezone
from typing import TypedDict

from common import Http, counting, ops, table, token  # noqa: I001

from moto import mock_aws

# A call's caller when not the default one ("as"), and its headers.
Extra = TypedDict("Extra", {"as": Http, "Idempotency-Key": str}, total=False)


def main() -> None:
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib.store import engine

        engine._bound["key"] = None
        engine.create_table()
        cid = "bench-co"
        with Client(app, stage_name="local") as client:
            admin = Http(client, token(cid, "admin", "bench-admin"))
            staff = Http(client, token(cid, "staff", "bench-staff"))
            admin.call("PUT", "/company", {"name": "Bench"})
            _, teacher = admin.call(
                "POST", "/staff", {"name": "T", "email": "t@b.example", "role": "teacher", "user_id": "bench-teacher"}
            )
            _, member = admin.call(
                "POST", "/staff", {"name": "S", "email": "s@b.example", "role": "staff", "user_id": "bench-staff"}
            )
            _, student = staff.call(
                "POST", "/students", {"name": "N", "email": "n@b.example", "user_id": "bench-student"}
            )
            portal = Http(client, token(cid, "student", "bench-student"))
            teaching = Http(client, token(cid, "teacher", "bench-teacher"))
            _, schedule = staff.call(
                "POST", "/schedules", {"name": "G", "kind": "group", "capacity": 5, "teacher_id": teacher["id"]}
            )
            _, other = staff.call("POST", "/students", {"name": "O", "email": "o@b.example"})
            _, enrollment = staff.call(
                "POST",
                f"/schedules/{schedule['id']}/enrollments",
                {"student_id": student["id"], "initial_balance": 10, "responsible_staff_id": member["id"]},
            )
            eid, sid, sch = enrollment["id"], student["id"], schedule["id"]
            started = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()  # attendance once it starts
            _, session = staff.call("POST", f"/schedules/{sch}/sessions", {"starts_at": started})
            mark = f"/sessions/{session['id']}/attendance/{sid}"
            scenario: list[tuple[str, str, dict[str, object] | None, Extra]] = [
                ("GET", "/health", None, {}),
                ("GET", "/company", None, {}),
                ("PUT", "/company", {"name": "Bench 2"}, {}),
                ("POST", "/staff", {"name": "X", "email": "x@b.example", "role": "staff"}, {}),
                ("GET", "/staff", None, {}),
                ("GET", f"/staff/{teacher['id']}", None, {}),
                ("POST", "/students", {"name": "Y", "email": "y@b.example"}, {}),
                ("GET", "/students", None, {}),
                ("GET", f"/students/{sid}", None, {}),
                ("GET", f"/students/{sid}/enrollments", None, {}),
                ("POST", "/schedules", {"name": "H", "kind": "one_to_one", "teacher_id": teacher["id"]}, {}),
                ("GET", "/schedules", None, {}),
                ("GET", f"/schedules/{sch}", None, {}),
                ("PATCH", f"/schedules/{sch}", {"name": "G2"}, {}),
                (
                    "POST",
                    f"/schedules/{sch}/enrollments",
                    {"student_id": other["id"], "initial_balance": 5, "responsible_staff_id": member["id"]},
                    {},
                ),
                ("GET", f"/schedules/{sch}/enrollments", None, {}),
                ("GET", f"/enrollments/{eid}", None, {}),
                ("PATCH", f"/enrollments/{eid}", {"low_balance_threshold": 3}, {}),
                ("POST", f"/enrollments/{eid}/top-ups", {"sessions": 2}, {}),
                ("POST", f"/enrollments/{eid}/top-ups", {"sessions": 2}, {"Idempotency-Key": "b-1"}),
                ("POST", f"/enrollments/{eid}/top-ups", {"sessions": 2}, {"Idempotency-Key": "b-1"}),
                ("POST", f"/enrollments/{eid}/adjustments", {"delta": -1, "reason": "r"}, {}),
                ("GET", f"/enrollments/{eid}/ledger", None, {}),
                ("PUT", mark, {"status": "attended"}, {}),
                ("PUT", mark, {"status": "cancelled"}, {"Idempotency-Key": "m-1"}),
                ("PUT", mark, {"status": "cancelled"}, {"Idempotency-Key": "m-1"}),
                ("DELETE", mark, None, {}),
                ("PUT", mark, {"status": "attended"}, {}),
                ("GET", f"/schedules/{sch}/board", None, {}),
                ("GET", f"/schedules/{sch}/board", None, {"as": teaching}),
                ("GET", f"/schedules/{sch}/sessions", None, {}),
                ("GET", f"/sessions/{session['id']}", None, {}),
                ("GET", f"/sessions/{session['id']}/attendance", None, {"as": teaching}),
                ("GET", f"/staff/{teacher['id']}/sessions", None, {"as": teaching}),
                ("GET", "/attendance/held", None, {}),
                ("GET", f"/students/{sid}/board", None, {}),
                ("GET", "/me", None, {"as": portal}),
                ("GET", "/me/enrollments", None, {"as": portal}),
                ("GET", "/me/sessions?when=upcoming", None, {"as": portal}),
                ("GET", "/me/sessions?when=past", None, {"as": portal}),
                ("GET", "/notifications", None, {"as": teaching}),
                ("GET", "/reports/students", None, {}),
            ]
            admin.call("POST", "/local/jobs/report-counters")  # the stream's function caught up
            for caller in (portal, teaching):  # each caller once first: a warm container knows their login
                caller.call("GET", "/me" if caller is portal else "/schedules")
            rows = []
            with counting() as counter:
                for method, path, body, extra in scenario:
                    counter.reset()
                    headers = {"Idempotency-Key": extra["Idempotency-Key"]} if "Idempotency-Key" in extra else {}
                    caller = extra.get("as") or (admin if path.startswith(("/staff", "/company")) else staff)
                    if method == "GET":  # read once first: a warm container (logins, the company's zone)
                        caller.call(method, path, body, headers)
                        counter.reset()
                    status, _ = caller.call(method, path, body, headers)
                    who = {id(portal): " (student)", id(teaching): " (teacher)"}.get(id(caller), "")
                    label = f"{method} {path.replace(eid, '{enrollment_id}').replace(session['id'], '{session_id}')}"
                    label = label.replace(sch, "{schedule_id}")
                    label = label.replace(sid, "{student_id}").replace(teacher["id"], "{staff_id}") + who
                    if headers:
                        label += " (Idempotency-Key" + (
                            ", replay)" if counter.calls and "TransactWriteItems" not in counter.calls else ")"
                        )
                    rows.append(
                        [
                            label,
                            status,
                            len(counter.calls),
                            counter.items_read,
                            "+".join(map(str, counter.transaction_items)) or "-",
                            ops(counter.calls),
                        ]
                    )
    print(table(rows, ["route", "status", "DynamoDB requests", "items read", "items per transaction", "operations"]))


if __name__ == "__main__":
    main()
