"""The contract, fuzzed: schemathesis generates requests for every operation of the
OpenAPI document the app serves (its coverage, fuzzing and stateful phases), as each role,
against a `make run` stack of its own, and checks that no answer is a server error, that
every answer's status is documented and that every answer matches its documented schema.
Zero failures is the bar; no operation is excluded.

The coverage phase (each parameter's boundary and invalid values, deterministic) runs as an
admin, who reaches every operation but the student's own, and as a student over the `/me`
operations, which only students reach. A request is validated before its caller's role is
weighed, so the phase would send anyone else's requests to the same code and learn nothing
more. Every role is fuzzed (random valid and invalid requests) over every operation, and
runs the stateful phase.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("contract-fuzz")]
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
RANDOM_PHASES = "examples,fuzzing,stateful"
SPLIT = "^/(sessions|enrollments|schedules)"  # the admin's coverage in two runs side by side
# (role, examples per operation, phases, operations): admin and staff reach every staff
# operation; teachers and students are refused most of them early, so fewer examples cover
# them as well.
RUNS = [
    ("admin", 10, "coverage", ["--include-path-regex", SPLIT]),
    ("admin", 10, "coverage", ["--exclude-path-regex", SPLIT]),
    ("admin", 10, RANDOM_PHASES, []),
    ("staff", 10, RANDOM_PHASES, []),
    ("teacher", 4, RANDOM_PHASES, []),
    ("student", 4, RANDOM_PHASES, []),
    ("student", 4, "coverage", ["--include-path-regex", "^/me"]),
]
SEED = 20261129


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fuzz")) as running:
        running.tokens = requests.get(f"{running.base}/local/demo-tokens", timeout=10).json()["tokens"]
        yield running


def test_every_operation_keeps_its_contract_for_every_role(fuzz_stack, tmp_path):
    schemathesis = Path(sys.executable).parent / "schemathesis"
    runs = {}
    for role, examples, phases, operations in RUNS:
        name = f"{role}-{phases.replace(',', '-')}-{len(runs)}"
        log = open(tmp_path / f"schemathesis-{name}.txt", "w")
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
            "--phases",
            phases,
            *operations,
            "--workers",
            "1",
            "--header",
            f"Authorization: Bearer {fuzz_stack.tokens[role]}",
            "--output-truncate",
            "true",
        ]
        runs[name] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path), log)
    failed = {}
    for name, (process, log) in runs.items():
        code = process.wait(timeout=1200)
        log.close()
        output = (tmp_path / f"schemathesis-{name}.txt").read_text()
        generated = [line for line in output.splitlines() if " generated, " in line]
        # schemathesis exits non-zero on any failure; and it must really have run cases.
        if code != 0 or not generated:
            failed[name] = output[-6000:]
    assert not failed, "\n\n".join(f"--- {name} ---\n{text}" for name, text in failed.items())
