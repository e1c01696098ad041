"""`make bench`: every benchmark, one report (printed, and written to build/bench-report.md).

DynamoDB requests per route, marks under contention, items read per job and report as the
data grows, latency
ratios against a bare DynamoDB call on the same engine, cold-start import time and the
Lambda package size. Absolute times on shared machines are noisy: read the ratios.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNS = [
    ("DynamoDB requests per route (balances, people, schedules)", ["requests_per_route.py"]),
    (
        "Attendance: requests per mark, board page and portal call; mark time against a bare read and transaction",
        ["attendance.py", "--marks", "200"],
    ),
    ("Reads as the data grows: requests and items read per route at 1x, 10x and 100x", ["reads.py"]),
    ("Marks under contention: 50 clients on their own sessions, 20 on one session", ["contention.py"]),
    ("Low-balance job: items read as enrollments grow (1% low)", ["low_balance.py", "--sizes", "1000,10000,50000"]),
    (
        "Lot-expiry job: items read as enrollments grow (20 lapsing, 20 to announce)",
        ["expiry.py", "--sizes", "1000,50000"],
    ),
    ("Reports: items read by a 4-week teacher report as history grows", ["reports.py", "--marks", "1000,20000"]),
    ("Webhooks: requests per delivery and deliveries per second", ["webhooks.py", "--deliveries", "200"]),
    (
        "Cold start from the built package: import app and the first authenticated request "
        "against its dependencies; sizes",
        ["cold_start.py", "--runs", "10"],
    ),
]


def main() -> int:
    if not (ROOT / "build" / "package" / "deployment.zip").exists():
        subprocess.run(["make", "-s", "package"], cwd=ROOT, check=True)
    sections = [
        f"# OptClass benchmark report\n\nRun {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"on moto (the embedded engine); counts are exact, times are this machine's.\n"
    ]
    status = 0
    for title, args in RUNS:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=HERE, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        body = done.stdout.strip() if done.returncode == 0 else f"FAILED ({done.returncode}):\n{done.stderr[-3000:]}"
        status = status or done.returncode
        sections.append(f"## {title}\n\n`bench/{' '.join(args)}` ({elapsed:.0f} s)\n\n{body}\n")
    report = "\n".join(sections)
    out = ROOT / "build" / "bench-report.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print(report)
    print(f"\n(written to {out.relative_to(ROOT)})")
    return status


if __name__ == "__main__":
    sys.exit(main())
