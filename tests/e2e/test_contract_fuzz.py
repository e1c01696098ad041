"""The contract, fuzzed: schemathesis generates requests for every operation of the
OpenAPI document the app serves (its coverage, fuzzing and stateful phases), as each role,
against a `make run` stack of its own, and checks that no answer is a server error, that
every answer's status is documented and that every answer matches its documented schema.
Zero failures is the bar; nothing is excluded.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("contract-fuzz")]
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Admin and staff reach every operation; teachers and students are refused most of them
# early, so fewer examples cover them as well.
EXAMPLES = {"admin": 10, "staff": 10, "teacher": 4, "student": 4}
SEED = 20261129


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fuzz")) as running:
        running.tokens = requests.get(f"{running.base}/local/demo-tokens", timeout=10).json()["tokens"]
        yield running


def test_every_operation_keeps_its_contract_for_every_role(fuzz_stack, tmp_path):
    schemathesis = Path(sys.executable).parent / "schemathesis"
    runs = {}
    for role, examples in EXAMPLES.items():
        log = open(tmp_path / f"schemathesis-{role}.txt", "w")
        command = [
            str(schemathesis),
            "run",
            f"{fuzz_stack.base}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(examples),
            "--seed",
            str(SEED),
            "--no-shrink",
            "--workers",
            "1",
            "--header",
            f"Authorization: Bearer {fuzz_stack.tokens[role]}",
            "--output-truncate",
            "true",
        ]
        runs[role] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path), log)
    failed = {}
    for role, (process, log) in runs.items():
        code = process.wait(timeout=1200)
        log.close()
        output = (tmp_path / f"schemathesis-{role}.txt").read_text()
        generated = [line for line in output.splitlines() if " generated, " in line]
        # schemathesis exits non-zero on any failure; and it must really have run cases.
        if code != 0 or not generated:
            failed[role] = output[-6000:]
    assert not failed, "\n\n".join(f"--- {role} ---\n{text}" for role, text in failed.items())
