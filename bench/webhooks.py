"""Webhook deliveries through the app, in-process on moto: DynamoDB requests per delivery
(counted at the botocore level) and deliveries per second.

    .venv/bin/python bench/webhooks.py [--deliveries 200]
"""

import argparse
import json
import time
from datetime import datetime, timedelta, timezone

import common  # noqa: F401  (sets the environment first)
from common import Http, counting, ops, table, token

from moto import mock_aws


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=200)
    args = parser.parse_args()
    with mock_aws():
        run(args.deliveries)


# Lessons that have taken place (a no-show is recorded once a session has started).
FIRST = (datetime.now(timezone.utc) - timedelta(days=30)).replace(minute=0, second=0, microsecond=0)


def run(n: int) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib.store import engine
    from chalicelib.webhooks import standard

    engine._bound["key"] = None
    engine.create_table()
    cid = "bench-hooks"
    with Client(app, stage_name="local") as client:
        admin = Http(client, token(cid, "admin", "b-admin"))
        admin.call("PUT", "/company", {"name": "Bench", "timezone": "UTC"})  # b-admin becomes its admin
        _, teacher = admin.call("POST", "/staff", {"name": "T", "email": "t@b.example", "role": "teacher"})
        _, member = admin.call("POST", "/staff", {"name": "S", "email": "s@b.example", "role": "staff"})
        _, schedule = admin.call(
            "POST", "/schedules", {"name": "1:1", "kind": "one_to_one", "capacity": 20, "teacher_id": teacher["id"]}
        )  # booked per student
        students = []
        for i in range(20):
            _, st = admin.call("POST", "/students", {"name": f"S{i}", "email": f"s{i}@students.example"})
            admin.call(
                "POST",
                f"/schedules/{schedule['id']}/enrollments",
                {"student_id": st["id"], "initial_balance": 1000, "responsible_staff_id": member["id"]},
            )
            students.append(st)
        _, integration = admin.call(
            "POST", "/integrations", {"provider": "standard", "name": "b", "event_types": {"lesson": schedule["id"]}}
        )

        def deliver(kind, booking_id, i, msg_id=None, start=None):
            st = students[i % len(students)]
            start = start or FIRST + timedelta(hours=i)
            body = json.dumps(
                {
                    "type": kind,
                    "timestamp": datetime.now(timezone.utc).isoformat(),
                    "data": {
                        "booking_id": booking_id,
                        "event_type": "lesson",
                        "student": {"name": st["name"], "email": st["email"]},
                        "teacher": {"name": "T", "email": "t@b.example"},
                        "start": start.isoformat(),
                        "end": (start + timedelta(minutes=45)).isoformat(),
                    },
                }
            ).encode()
            msg_id = msg_id or f"msg-{kind}-{booking_id}"
            ts = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(ts),
                "webhook-signature": standard.sign(integration["secret"], msg_id, ts, body),
            }
            answer = client.http.post(integration["webhook_path"], headers=headers, body=body)
            return answer.status_code, json.loads(answer.body)

        rows = []
        with counting() as counter:
            for label, kind, booking, extra in (
                ("booking.created (new session)", "booking.created", "p-1", {}),
                ("same delivery again (repeat)", "booking.created", "p-1", {}),
                ("booking.rescheduled", "booking.rescheduled", "p-1", {"start": FIRST - timedelta(days=1)}),
                ("booking.no_show (charge)", "booking.no_show", "p-1", {}),
                ("booking.no_show_reverted (reversal)", "booking.no_show_reverted", "p-1", {}),
                ("booking.cancelled (by the student)", "booking.cancelled", "p-1", {}),
                ("booking.created, unknown student (kept as failed)", "booking.created", "p-x", {}),
            ):
                counter.reset()
                if booking == "p-x":
                    students.append({"name": "Nobody", "email": "nobody@x.example"})
                    status, body = deliver(kind, booking, len(students) - 1)
                    students.pop()
                else:
                    status, body = deliver(kind, booking, 0, **extra)
                rows.append([label, status, body["status"], len(counter.calls), counter.items_read, ops(counter.calls)])
        print(table(rows, ["delivery", "HTTP", "outcome", "DynamoDB requests", "items read", "operations"]))
        print()
        started = time.perf_counter()
        for i in range(n):
            status, body = deliver("booking.created", f"t-{i}", i)
            assert status == 200 and body["status"] == "applied", body
        created = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(n):
            deliver("booking.no_show", f"t-{i}", i)
        marked = time.perf_counter() - started
        print(
            table(
                [["booking.created", n, f"{n / created:.0f}"], ["booking.no_show", n, f"{n / marked:.0f}"]],
                ["delivery kind", "deliveries", "deliveries per second (in-process, moto)"],
            )
        )


if __name__ == "__main__":
    main()
