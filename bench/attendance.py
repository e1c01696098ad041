"""Attendance costs: DynamoDB requests per mark, per board page and per portal call
(counted at the botocore level), and the time of a mark through the app against a bare
BatchGetItem plus a bare TransactWriteItems of the same shape, both on one moto server,
interleaved (alternating which goes first).

    .venv/bin/python bench/attendance.py [--marks 200]
"""

import argparse
import copy
import os
import socket
import statistics
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import common  # noqa: F401  (sets the environment first)
from common import Http, counting, ops, table, token

import boto3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--marks", type=int, default=200)
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["OPTCLASS_DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{port}"
    try:
        run(args)
    finally:
        server.stop()


def run(args) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib import config
    from chalicelib.store import engine

    engine.create_table()
    cid = "bench-att"
    rows = []
    with Client(app, stage_name="local") as client:
        admin = Http(client, token(cid, "admin", "b-admin"))
        staff = Http(client, token(cid, "staff", "b-staff"))
        student_api = Http(client, token(cid, "student", "b-student"))
        admin.call("PUT", "/company", {"name": "Bench", "timezone": "UTC"})  # b-admin becomes its admin
        _, teacher = admin.call("POST", "/staff", {"name": "T", "email": "t@b.example", "role": "teacher"})
        _, member = admin.call(
            "POST", "/staff", {"name": "S", "email": "s@b.example", "role": "staff", "user_id": "b-staff"}
        )
        _, group = staff.call(
            "POST", "/schedules", {"name": "G", "kind": "group", "capacity": 12, "teacher_id": teacher["id"]}
        )
        students = []
        for i in range(10):
            _, st = staff.call(
                "POST",
                "/students",
                {"name": f"S{i}", "email": f"s{i}@b.example", "user_id": "b-student" if i == 0 else None},
            )
            staff.call(
                "POST",
                f"/schedules/{group['id']}/enrollments",
                {"student_id": st["id"], "initial_balance": 10_000, "responsible_staff_id": member["id"]},
            )
            students.append(st["id"])
        # 60 daily sessions that have taken place (attendance is taken once a session starts).
        start = (datetime.now(timezone.utc) - timedelta(days=65)).replace(hour=17, minute=0, second=0, microsecond=0)
        span = f"from={(start - timedelta(days=1)).date()}&to={(start + timedelta(days=61)).date()}"
        sessions = [
            staff.call(
                "POST", f"/schedules/{group['id']}/sessions", {"starts_at": (start + timedelta(days=i)).isoformat()}
            )[1]["id"]
            for i in range(60)
        ]
        for s in sessions[:30]:
            staff.call(
                "POST",
                f"/sessions/{s}/attendance",
                {"records": [{"student_id": x, "status": "attended"} for x in students]},
            )

        admin.call("POST", "/local/jobs/report-counters")  # the stream's function caught up (counters, seats)
        with counting() as counter:

            def measure(label, method, path, body=None, api=staff):
                counter.reset()
                status, _ = api.call(method, path, body)
                rows.append([label, status, len(counter.calls), counter.items_read, ops(counter.calls)])

            target = f"/sessions/{sessions[40]}/attendance/{students[0]}"
            measure("PUT mark (new, charged)", "PUT", target, {"status": "attended"})
            measure("PUT mark (same again: no change)", "PUT", target, {"status": "attended"})
            measure("PUT mark (change: credit back)", "PUT", target, {"status": "cancelled"})
            measure("DELETE mark", "DELETE", target)
            measure(
                "POST bulk mark (10 students)",
                "POST",
                f"/sessions/{sessions[41]}/attendance",
                {"records": [{"student_id": x, "status": "attended"} for x in students]},
            )
            measure("GET roster (10 students)", "GET", f"/sessions/{sessions[5]}/attendance")
            measure(
                "GET board page (10 sessions x 10 students)", "GET", f"/schedules/{group['id']}/board?{span}&limit=10"
            )
            first_page = staff.call("GET", f"/schedules/{group['id']}/board?{span}&limit=10")[1]
            measure(
                "GET board next page",
                "GET",
                f"/schedules/{group['id']}/board?{span}&limit=10&next=" + urllib.parse.quote(first_page["next"]),
            )
            measure("GET student board (1 schedule)", "GET", f"/students/{students[0]}/board?{span}&limit=20")
            measure("GET /me/enrollments", "GET", "/me/enrollments", api=student_api)
            measure("GET /me/sessions?when=upcoming", "GET", "/me/sessions?when=upcoming&limit=20", api=student_api)
            measure("GET /me/sessions?when=past", "GET", "/me/sessions?when=past&limit=20", api=student_api)
            measure("GET /attendance/held", "GET", "/attendance/held")

        print(table(rows, ["call", "status", "DynamoDB requests", "items read", "operations"]))
        print()
        ratio_rows = time_marks(staff, sessions[42:], students, args.marks, config.table_name())
        print(table(ratio_rows, ["measure", "value"]))


def time_marks(staff, sessions, students, n, table_name):
    """Interleave marks through the app with a bare BatchGetItem and a bare TransactWriteItems
    of the same shape (the same keys read, the same items written) on the same engine."""
    captured = {}
    from botocore.client import BaseClient

    real = BaseClient._make_api_call

    def spy(client, operation, params):
        if operation in ("TransactWriteItems", "BatchGetItem") and operation not in captured:
            captured[operation] = copy.deepcopy(params)
        return real(client, operation, params)

    BaseClient._make_api_call = spy
    try:
        staff.call("PUT", f"/sessions/{sessions[0]}/attendance/{students[1]}", {"status": "attended"})
    finally:
        BaseClient._make_api_call = real
    bare_client = boto3.client("dynamodb", endpoint_url=os.environ["OPTCLASS_DYNAMODB_ENDPOINT"])
    template = captured["TransactWriteItems"]["TransactItems"]
    read = captured["BatchGetItem"]

    def bare_items(i):
        """The same items; conditions that hold again and again, and puts under fresh keys."""
        items = copy.deepcopy(template)
        for item in items:
            ((kind, op),) = item.items()
            op.pop("ConditionExpression", None)
            op.pop("ExpressionAttributeNames", None) if kind == "Put" else None
            if kind == "Put":
                op["Item"]["SK"] = {"S": op["Item"]["SK"]["S"] + f"#bare{i}"}
                op.pop("ExpressionAttributeValues", None)
            if kind in ("Update", "ConditionCheck"):
                op["ConditionExpression"] = "attribute_exists(PK)"
            if kind == "ConditionCheck":
                op.pop("ExpressionAttributeValues", None)
                op.pop("ExpressionAttributeNames", None)
            if kind == "Update":
                values = op.get("ExpressionAttributeValues", {})
                op["ExpressionAttributeValues"] = {k: v for k, v in values.items() if k in op["UpdateExpression"]}
        return items

    app_times, bare_times = [], []
    # Each mark moves the balance (attended charges, then cancelled under `credit` gives it
    # back), so every one is the full transaction: session check, mark, enrollment, ledger entry.
    pairs = [(s, st) for s in sessions[1:] for st in students[2:]]
    for i in range(n):
        session, student = pairs[i % len(pairs)]
        status = "attended" if (i // len(pairs)) % 2 == 0 else "cancelled"

        def app_mark():
            t0 = time.perf_counter()
            code, _ = staff.call("PUT", f"/sessions/{session}/attendance/{student}", {"status": status})
            app_times.append(time.perf_counter() - t0)
            assert code == 200, code

        def bare_mark():
            t0 = time.perf_counter()
            bare_client.batch_get_item(**read)
            bare_client.transact_write_items(TransactItems=bare_items(i))
            bare_times.append(time.perf_counter() - t0)

        for measure in (app_mark, bare_mark) if i % 2 == 0 else (bare_mark, app_mark):
            measure()
    app_ms, bare_ms = statistics.median(app_times) * 1000, statistics.median(bare_times) * 1000
    return [
        ["marks timed (each interleaved with one bare read and transaction)", n],
        ["items in the mark's transaction", len(template)],
        ["keys in the mark's read", sum(len(t["Keys"]) for t in read["RequestItems"].values())],
        ["median mark through the app (ms)", f"{app_ms:.2f}"],
        ["median bare BatchGetItem + TransactWriteItems, same shape (ms)", f"{bare_ms:.2f}"],
        ["ratio app / bare (goal <= 1.1)", f"{app_ms / bare_ms:.2f}"],
    ]


if __name__ == "__main__":
    main()
