"""The `make run` stack, started once for the e2e tests on free ports.

It is the real command: `make run` in a process group of its own, with the embedded
DynamoDB (or the engine named by OPTCLASS_DYNAMODB_ENDPOINT when pytest started).
"""

import contextlib
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from tests import conftest as root
from tests.e2e.browser import DESKTOP, WAIT_MS, Demo, launch_browser
from tests.support import DEV_SECRET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, base: str, output_path: str):
        self.base = base
        self.output_path = output_path

    def output(self) -> str:
        with open(self.output_path) as f:
            return f.read()


@contextlib.contextmanager
def running_stack(log_dir):
    """`make run` on free ports, in a process group of its own; stopped with Ctrl-C (SIGINT)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTCLASS_")}
    env.update({"PORT": str(port), "OPTCLASS_DYNAMODB_PORT": str(free_port()), "OPTCLASS_DEV_JWT_SECRET": DEV_SECRET})
    if root.EXTERNAL_ENDPOINT:
        env["OPTCLASS_DYNAMODB_ENDPOINT"] = root.EXTERNAL_ENDPOINT
        env["OPTCLASS_TABLE"] = f"optclass-e2e-{port}"
    log_path = str(log_dir / "make-run.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        ["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"make run exited early:\n{open(log_path).read()}")
            try:
                if requests.get(f"{base}/health", timeout=2).status_code == 200 and "Ctrl-C" in open(log_path).read():
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"make run did not come up:\n{open(log_path).read()}")
            time.sleep(0.3)
        yield Stack(base, log_path)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


@pytest.fixture
def open_page(browser):
    """A page in a fresh context (no token kept from another test); fails on script errors."""
    contexts, errors = [], []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="module")
def demo(stack):
    return Demo(stack.base)
