"""`make run`: the whole OptClass stack on one machine.

Starts the embedded DynamoDB (moto in server mode) unless OPTCLASS_DYNAMODB_ENDPOINT
names another engine, creates the table, loads the demo school (unless OPTCLASS_DEMO=0),
prints a token per demo role and a few curl lines, and serves the API in the `local`
stage on http://127.0.0.1:$PORT (default 8000). Ctrl-C stops everything it started.
"""

import os
import socket
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_DEV_SECRET = "optclass-local-development-secret-not-for-production"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["OPTCLASS_STAGE"] = "local"
    os.environ.setdefault("OPTCLASS_TABLE", "optclass-local")
    if not os.environ.get("OPTCLASS_DEV_JWT_SECRET"):
        os.environ["OPTCLASS_DEV_JWT_SECRET"] = DEFAULT_DEV_SECRET


def _start_embedded_dynamodb():
    import logging

    from moto.server import ThreadedMotoServer

    from tools.embedded_dynamodb import make_serializable

    make_serializable()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per DynamoDB call
    port = int(os.environ.get("OPTCLASS_DYNAMODB_PORT") or _free_port())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["OPTCLASS_DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{port}"
    return server


def _start_stream_pump(busy_seconds: float = 0.25, idle_seconds: float = 1.0) -> None:
    """Feed the table's stream to the same handler Lambda calls in AWS (`report-counters`),
    so the reports follow the marks here as they do there. It looks again soon after a
    batch, and less often (at most every `idle_seconds`) while nothing comes: an idle stack
    costs little CPU, and a change is handed on within about a second."""
    import threading
    import time

    from chalicelib import streams
    from chalicelib.observability import log_event
    from chalicelib.store import stream

    def pump() -> None:
        pause = busy_seconds
        while True:
            try:
                handed = stream.drain(lambda batch: streams.handle({"Records": batch}))
                pause = busy_seconds if handed else min(pause * 2, idle_seconds)
            except Exception as exc:  # noqa: BLE001 - a failed batch is handed on again next time
                log_event("error", message="stream batch failed; retried", error=type(exc).__name__)
                pause = busy_seconds
            time.sleep(pause)

    threading.Thread(target=pump, name="stream-pump", daemon=True).start()


def _banner(port: int, demo: dict | None) -> None:
    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        f"OptClass is serving {base} (stage local, DynamoDB at {os.environ['OPTCLASS_DYNAMODB_ENDPOINT']})",
        f"Attendance board and student portal: {base}/app",
    ]
    if demo is not None:
        # The same tokens the web pages' demo picker gets from GET /local/demo-tokens.
        from chalicelib.api.local import demo_tokens

        tokens = demo_tokens()
        lines.append("Demo tokens (valid 7 days):")
        for role, tok in tokens.items():
            lines.append(f"  export OPTCLASS_{role.upper()}_TOKEN={tok}")
        lines += [
            "Try:",
            f"  curl -s {base}/health",
            f'  curl -s -H "Authorization: Bearer $OPTCLASS_STAFF_TOKEN" {base}/schedules',
            f'  curl -s -H "Authorization: Bearer $OPTCLASS_STAFF_TOKEN" {base}/students',
        ]
        if demo.get("enrollment_ids"):
            eid = demo["enrollment_ids"][0]
            lines.append(
                f'  curl -s -X POST -H "Authorization: Bearer $OPTCLASS_STAFF_TOKEN" '
                f"-H 'Content-Type: application/json' -d '{{\"sessions\": 5}}' "
                f"{base}/enrollments/{eid}/top-ups"
            )
    lines.append("Ctrl-C stops it.")
    print("\n".join(lines), flush=True)


def _any_method(handler, name: str):
    if name.startswith("do_"):
        return handler._generic_handle
    raise AttributeError(name)


def main() -> int:
    _environment()
    port = int(os.environ.get("PORT") or 8000)
    moto_server = None if os.environ.get("OPTCLASS_DYNAMODB_ENDPOINT") else _start_embedded_dynamodb()
    try:
        from chalice.cli import create_local_server
        from chalice.cli.factory import CLIFactory
        from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

        # socketserver's default listen backlog is 5; clients opening more connections at
        # once than that get resets. API Gateway has no such limit, so neither should we.
        ThreadedHTTPServer.request_queue_size = 128
        # The local server knows only the methods Chalice routes; give any other method to
        # the app too, so it gets the contract's 405 instead of the HTTP server's bare 501 page.
        ChaliceRequestHandler.__getattr__ = _any_method

        from chalicelib.store import engine

        engine.create_table()
        demo = None
        if os.environ.get("OPTCLASS_DEMO", "1") != "0":
            from tools import demo as demo_data

            demo = demo_data.load()
        _start_stream_pump()
        server = create_local_server(CLIFactory(ROOT), "127.0.0.1", port, "local")
        _banner(port, demo)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    finally:
        if moto_server is not None:
            moto_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
