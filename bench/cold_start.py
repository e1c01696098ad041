"""Cold start from the built Lambda package: `import app` plus the first authenticated request,
against importing exactly the app's third-party dependencies, each in fresh processes.

    .venv/bin/python bench/cold_start.py [--runs 10]

`make package` (run first if its zips are missing) writes the function's zip and its layer
with their bytecode. Both are unpacked as Lambda lays them out (`/var/task`, `/opt/python`)
and each probe is a fresh interpreter that sees only them and the standard library
(`python -I -S -B`: no site-packages, no environment, no bytecode written, as on Lambda's
read-only code folders). The app probe runs as the prod stage: it verifies an RS256 token
against a JWKS served here, resolves the caller from their record and answers
`GET /schedules` from a DynamoDB (moto's server) that a set-up company is in. The baseline
probe imports the very third-party modules the app probe ended up loading (the list it
printed), in the same order, and nothing else, under the collector regime app.py sets (no
collection while importing, then `gc.freeze()`), so that the ratio is the app's own work;
the same import with the collector as it comes is printed beside it. CPU is the probe's own
process time; runs are interleaved and the medians reported.
"""

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from common import table

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "build" / "package"
LAMBDA_UNZIPPED_LIMIT_MB = 250
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BENCH"
AUDIENCE = "bench-app-client"
COMPANY, SUBJECT = "bench-cold", "bench-cold-admin"

APP_PROBE = r"""
import json, sys, time
t0, w0 = time.process_time(), time.perf_counter()
import app
t1 = time.process_time()

class Context:
    function_name, memory_limit_in_mb, aws_request_id = "api_handler", 1024, "cold-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api_handler"
    def get_remaining_time_in_millis(self): return 30000

event = json.loads(sys.argv[1])
answer = app.app(event, Context())
t2, w2 = time.process_time(), time.perf_counter()
roots = tuple(sys.argv[2:])
third_party = [name for name, module in list(sys.modules.items())
               if (getattr(module, "__file__", None) or "").startswith(roots)
               and not name.startswith(("app", "chalicelib"))]
print(json.dumps({"import_cpu": t1 - t0, "request_cpu": t2 - t1, "cpu": t2 - t0, "wall": w2 - w0,
                  "status": answer["statusCode"], "body": answer["body"][:200], "modules": third_party}))
"""

DEPS_PROBE = r"""
import gc, importlib, json, sys, time
t0, w0 = time.process_time(), time.perf_counter()
as_the_app = sys.argv[2] == "app"
if as_the_app:  # app.py's collector regime: none while importing, then frozen
    gc.disable()
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:  # a module loaded as a side effect under another name (e.g. six.moves)
        pass
if as_the_app:
    gc.freeze()
    gc.enable()
t1, w1 = time.process_time(), time.perf_counter()
print(json.dumps({"cpu": t1 - t0, "wall": w1 - w0}))
"""


def unpack(work: Path) -> tuple[Path, Path]:
    if not (PACKAGE / "deployment.zip").exists():
        subprocess.run(["make", "-s", "package"], cwd=ROOT, check=True)
    task, opt = work / "task", work / "opt"
    zipfile.ZipFile(PACKAGE / "deployment.zip").extractall(task)
    zipfile.ZipFile(PACKAGE / "layer-deployment.zip").extractall(opt)
    return task, opt


def site_packages(opt: Path) -> Path:
    return next((opt / "python" / "lib").glob("python3.*/site-packages"))


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def count(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.rglob(pattern))


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Keys:
    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private.public_key().public_numbers()
        self.jwks = json.dumps(
            {
                "keys": [
                    {
                        "kty": "RSA",
                        "kid": "bench",
                        "use": "sig",
                        "alg": "RS256",
                        "n": _b64(numbers.n),
                        "e": _b64(numbers.e),
                    }
                ]
            }
        ).encode()

    def token(self) -> str:
        import jwt

        now = int(time.time())
        return jwt.encode(
            {
                "sub": SUBJECT,
                "custom:company_id": COMPANY,
                "token_use": "access",
                "client_id": AUDIENCE,
                "iss": ISSUER,
                "iat": now,
                "exp": now + 3600,
            },
            self.private,
            algorithm="RS256",
            headers={"kid": "bench"},
        )


def serve_jwks(keys: Keys) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(keys.jwks)))
            self.end_headers()
            self.wfile.write(keys.jwks)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"


def start_dynamodb() -> tuple["ThreadedMotoServer", str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def seed(endpoint: str, table_name: str) -> None:
    """The company and its admin, through the app's own services (a parent process)."""
    os.environ.update({"OPTCLASS_DYNAMODB_ENDPOINT": endpoint, "OPTCLASS_TABLE": table_name})
    from chalicelib.services import company
    from chalicelib.services.context import Actor
    from chalicelib.store import engine

    engine.create_table()
    company.put_company(Actor(COMPANY, SUBJECT, None), name="Cold", timezone="UTC", low_balance_threshold=2)


def prod_environment(endpoint: str, table_name: str, jwks_url: str) -> dict[str, str]:
    from infra.generate import stage_environment

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **stage_environment("prod")}
    env.update(
        {
            "OPTCLASS_DYNAMODB_ENDPOINT": endpoint,
            "OPTCLASS_TABLE": table_name,
            "OPTCLASS_JWT_ISSUER": ISSUER,
            "OPTCLASS_JWT_AUDIENCE": AUDIENCE,
            "OPTCLASS_JWKS_URL": jwks_url,
            "OPTCLASS_CURSOR_SECRET": "bench-cursor-secret-bench-cursor-secret",
            "OPTCLASS_KMS_KEY_ID": "alias/bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_LAMBDA_FUNCTION_NAME": "api",
            "OPTCLASS_LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def probe(code: str, args: list[str], env: dict, task: Path, opt: Path, cwd: Path) -> dict:
    # -I: no user site or PYTHON* variables; -S: no site-packages; -B: no bytecode written.
    path_setup = f"import sys; sys.path[:0] = [{str(task)!r}, {str(opt / 'python')!r}, {str(site_packages(opt))!r}]\n"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", path_setup + code, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def event(token: str) -> dict:
    return {
        "resource": "/schedules",
        "path": "/schedules",
        "httpMethod": "GET",
        "headers": {"Authorization": f"Bearer {token}", "Accept": "application/json", "Host": "api.example"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/schedules",
            "httpMethod": "GET",
            "requestId": "cold-1",
            "stage": "api",
            "path": "/api/schedules",
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="optclass-cold-"))
    try:
        task, opt = unpack(work)
        keys = Keys()
        jwks, jwks_url = serve_jwks(keys)
        dynamodb, endpoint = start_dynamodb()
        table_name = "optclass-cold"
        seed(endpoint, table_name)
        env = prod_environment(endpoint, table_name, jwks_url)
        roots = [str(task), str(opt)]
        first = probe(APP_PROBE, [json.dumps(event(keys.token())), *roots], env, task, opt, work)
        if first["status"] != 200:
            raise SystemExit(f"the first request answered {first['status']}: {first['body']}")
        modules = json.dumps(first["modules"])
        apps, deps, plain = [], [], []
        for _ in range(args.runs):  # interleaved, so the machine's load falls on all alike
            deps.append(probe(DEPS_PROBE, [modules, "app"], env, task, opt, work))
            plain.append(probe(DEPS_PROBE, [modules, "plain"], env, task, opt, work))
            apps.append(probe(APP_PROBE, [json.dumps(event(keys.token())), *roots], env, task, opt, work))
        jwks.shutdown()
        dynamodb.stop()

        def median(runs: list[dict], name: str) -> float:
            return statistics.median(r[name] for r in runs) * 1000

        app_cpu, deps_cpu = median(apps, "cpu"), median(deps, "cpu")
        rows = [
            ["runs (interleaved, fresh processes, from the built package)", args.runs],
            ["third-party modules the app loads", len(first["modules"])],
            ["median CPU: import those modules alone, app.py's collector regime (ms)", f"{deps_cpu:.0f}"],
            ["median CPU: import those modules alone, collector as it comes (ms)", f"{median(plain, 'cpu'):.0f}"],
            ["median CPU: import app (ms)", f"{median(apps, 'import_cpu'):.0f}"],
            ["median CPU: first authenticated request, GET /schedules (ms)", f"{median(apps, 'request_cpu'):.0f}"],
            ["median CPU: import app + first request (ms, goal <= 800)", f"{app_cpu:.0f}"],
            ["ratio app + first request / dependencies (goal <= 1.2)", f"{app_cpu / deps_cpu:.2f}"],
            ["median wall: import app + first request (ms)", f"{median(apps, 'wall'):.0f}"],
            ["median wall: dependencies alone (ms)", f"{median(deps, 'wall'):.0f}"],
        ]
        for name, folder in (("function", task), ("layer", opt)):
            rows.append(
                [
                    f"{name}: unzipped MB / .py / .pyc",
                    f"{size_mb(folder):.1f} / {count(folder, '*.py')} / {count(folder, '*.pyc')}",
                ]
            )
        total = size_mb(task) + size_mb(opt)
        rows.append([f"function + layer unzipped (MB, Lambda's limit {LAMBDA_UNZIPPED_LIMIT_MB})", f"{total:.1f}"])
        for name in ("deployment.zip", "layer-deployment.zip"):
            rows.append([f"{name} (MB)", f"{(PACKAGE / name).stat().st_size / 1e6:.2f}"])
        print(table(rows, ["cold start", "value"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
