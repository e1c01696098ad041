"""Marks under contention, over HTTP, on the embedded engine in its contention mode: a
transaction touching an item another in-flight transaction holds is cancelled with
TransactionConflict, as DynamoDB does (each transaction holds its items for --hold-ms).

Two runs, each with every client starting at the same moment:
- 50 clients (teachers), each marking the 4 students of their own session, in one company;
- 20 clients marking 20 students of one and the same session.
Each client marks each of its students --rounds times (attended, then cancelled under a
`credit` policy, and so on), so every mark moves a balance. Reported: marks, answers by
status, conflicts the engine raised, retries per mark (from the request log lines),
latency p50/p99, and whether every balance still equals its ledger with every charge
taken exactly once.

    .venv/bin/python bench/contention.py [--hold-ms 5] [--rounds 3]
"""

import argparse
import json
import logging
import os
import socket
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import common  # noqa: F401  (sets the environment first)
from common import table, token

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RequestLog(logging.StreamHandler):
    """The app's request log lines, by request id (the bench reads retries from them).
    A stdout StreamHandler in Chalice's eyes, so the app leaves the logger as it is."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.lines: dict[str, dict] = {}

    def emit(self, record):
        try:
            line = json.loads(record.getMessage())
        except ValueError:
            return
        if line.get("kind") == "request":
            self.lines[line["request_id"]] = line


class Api:
    def __init__(self, base: str, tok: str):
        self.base, self.http = base, requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})

    def call(self, method: str, path: str, body=None):
        r = self.http.request(method, self.base + path, data=json.dumps(body) if body is not None else None)
        return r.status_code, (r.json() if r.content else None), r.headers.get("X-Request-Id")


def start_stack(hold_ms: float) -> tuple[str, object]:
    from moto.server import ThreadedMotoServer

    from tools import embedded_dynamodb

    port = free_port()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto_server.start()
    os.environ["OPTCLASS_DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{port}"
    from chalice.cli import create_local_server
    from chalice.cli.factory import CLIFactory
    from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

    ChaliceRequestHandler.log_message = lambda *args: None  # no access log line per request

    from chalicelib.store import engine

    engine.create_table()
    ThreadedHTTPServer.request_queue_size = 128
    api_port = free_port()
    server = create_local_server(CLIFactory(common.ROOT), "127.0.0.1", api_port, "local")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    embedded_dynamodb.enable_contention(hold_ms / 1000)
    return f"http://127.0.0.1:{api_port}", embedded_dynamodb


STARTED = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()  # attendance once it starts


def build(base: str, cid: str, groups: int, per_group: int) -> list[tuple[str, str, list[str]]]:
    """`groups` teachers, each with a group schedule, one session and `per_group` students;
    returns (teacher token, session id, student ids) per group."""
    admin = Api(base, token(cid, "admin", f"{cid}-admin"))
    admin.call("PUT", "/company", {"name": f"Bench {cid}", "timezone": "UTC"})
    _, staff, _ = admin.call("POST", "/staff", {"name": "S", "email": f"s@{cid}.example", "role": "staff"})
    out = []
    for g in range(groups):
        _, teacher, _ = admin.call(
            "POST",
            "/staff",
            {"name": f"T{g}", "email": f"t{g}@{cid}.example", "role": "teacher", "user_id": f"{cid}-t{g}"},
        )
        _, schedule, _ = admin.call(
            "POST",
            "/schedules",
            {
                "name": f"G{g}",
                "kind": "group",
                "capacity": per_group,
                "teacher_id": teacher["id"],
                "policy": {"cancelled": "credit"},
            },
        )
        _, session, _ = admin.call("POST", f"/schedules/{schedule['id']}/sessions", {"starts_at": STARTED})
        students = []
        for i in range(per_group):
            _, student, _ = admin.call("POST", "/students", {"name": f"S{g}-{i}", "email": f"s{g}-{i}@{cid}.example"})
            admin.call(
                "POST",
                f"/schedules/{schedule['id']}/enrollments",
                {"student_id": student["id"], "initial_balance": 100, "responsible_staff_id": staff["id"]},
            )
            students.append(student["id"])
        out.append((token(cid, "teacher", f"{cid}-t{g}"), session["id"], students))
    return out


def run_clients(base: str, clients: list[tuple[str, str, list[str]]], rounds: int) -> list[tuple[int, float, str]]:
    """Every client marks its students `rounds` times, all starting together."""
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def client(tok: str, session_id: str, students: list[str]) -> None:
        api = Api(base, tok)
        barrier.wait()
        for r in range(rounds):
            for student in students:
                started = time.perf_counter()
                status, _, request_id = api.call(
                    "PUT",
                    f"/sessions/{session_id}/attendance/{student}",
                    {"status": "attended" if r % 2 == 0 else "cancelled"},
                )
                with lock:
                    results.append((status, time.perf_counter() - started, request_id))

    threads = [threading.Thread(target=client, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def check_store(cid: str) -> tuple[int, int]:
    """(problems with balances, ledgers and charges; enrollments checked) for one company."""
    from tests.invariants import charge_violations, drain_stream, ledger_violations
    from tests.support import table_items

    drain_stream()
    items = [i for i in table_items() if i["PK"]["S"].startswith(f"C#{cid}")]
    problems = ledger_violations(items) + charge_violations(items)
    return len(problems), sum(1 for i in items if i.get("type", {}).get("S") == "enrollment")


def measure(label: str, base: str, engine, log: RequestLog, cid: str, clients, rounds: int) -> list:
    engine.reset_contention_stats()
    results = run_clients(base, clients, rounds)
    conflicts = engine.contention_stats()["conflicts"]
    statuses: dict[int, int] = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    retries = sum(log.lines.get(rid, {}).get("store_retries", 0) for _, _, rid in results)
    written = [
        log.lines[rid]["items_written"] / log.lines[rid]["transactions"]
        for s, _, rid in results
        if s == 200 and log.lines.get(rid, {}).get("transactions")
    ]
    times = sorted(t * 1000 for _, t, _ in results)
    problems, checked = check_store(cid)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return [
        label,
        len(results),
        ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        statuses.get(503, 0),
        conflicts,
        f"{retries / len(results):.3f}",
        f"{statistics.median(times):.1f}",
        f"{p99:.1f}",
        f"{max(written):g}" if written else "-",
        f"{problems} in {checked} enrollments",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold-ms", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    log = RequestLog()
    logger = logging.getLogger("optclass")
    logger.handlers = [log]
    logger.setLevel(logging.INFO)
    base, engine = start_stack(args.hold_ms)
    many = build(base, "bench-many", groups=50, per_group=4)
    one = build(base, "bench-one", groups=1, per_group=20)
    teacher, session_id, students = one[0]
    rows = [
        measure("50 clients, own sessions, one company", base, engine, log, "bench-many", many, args.rounds),
        measure(
            "20 clients, one session",
            base,
            engine,
            log,
            "bench-one",
            [(teacher, session_id, [s]) for s in students],
            args.rounds,
        ),
    ]
    print(
        f"Contention mode: each transaction holds its items {args.hold_ms:g} ms; {args.rounds} rounds per "
        f"student; every mark moves a balance.\n"
    )
    print(
        table(
            rows,
            [
                "run",
                "marks",
                "answers",
                "503s",
                "conflicts",
                "retries per mark",
                "p50 ms",
                "p99 ms",
                "items per transaction (most)",
                "balance/ledger/charge problems",
            ],
        )
    )


if __name__ == "__main__":
    main()
