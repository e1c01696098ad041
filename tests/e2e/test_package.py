"""`make package`: the prod stage's CloudFormation (SAM) template, as `chalice package
--merge-template` builds it, linted clean by cfn-lint, with what it must hold."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from chalicelib.store import schema
from infra.generate import policy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def template():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTCLASS_")}
    done = subprocess.run(["make", "-s", "package"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr  # includes cfn-lint: any error fails it
    return json.loads((ROOT / "build" / "package" / "sam.json").read_text())


def test_the_table_and_its_indexes_are_the_schema(template):
    table = template["Resources"]["OptClassTable"]["Properties"]
    definition = schema.table_definition("optclass-prod")
    assert table["TableName"] == "optclass-prod"
    assert table["GlobalSecondaryIndexes"] == definition["GlobalSecondaryIndexes"]
    assert table["LocalSecondaryIndexes"] == definition["LocalSecondaryIndexes"]
    assert table["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_the_daily_jobs_are_scheduled_functions(template):
    events = {name: r["Properties"].get("Events", {}) for name, r in template["Resources"].items()
              if r["Type"] == "AWS::Serverless::Function"}
    schedules = {name: e for name, e in events.items() if any(x["Type"] == "Schedule" for x in e.values())}
    assert set(schedules) == {"SessionHorizon", "LowBalance"}


def test_every_function_gets_only_the_least_privilege_policy(template):
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        [attached] = role["Properties"]["Policies"]
        assert attached["PolicyDocument"] == policy("prod")
        for statement in attached["PolicyDocument"]["Statement"]:
            assert not any(a.endswith(":*") or a == "*" for a in statement["Action"])


def test_api_gateway_checks_the_user_pool_on_every_route_but_the_public_ones(template):
    api = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert api["securityDefinitions"]["OptClassUserPool"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    public = {"/health", "/openapi.json", "/webhooks/{integration_id}", "/app", "/app/{asset}"}
    for path, operations in api["paths"].items():
        for method, operation in operations.items():
            if method == "options":
                continue
            secured = bool(operation.get("security"))
            assert secured == (path not in public), (method, path)
    assert not any(path.startswith("/local") for path in api["paths"])  # local stage only


def test_the_function_package_is_small(template):
    function_zip = ROOT / "build" / "package" / "deployment.zip"
    assert function_zip.stat().st_size < 1_000_000  # the code; dependencies are in the layer


def test_the_report_counters_read_the_tables_own_stream(template):
    function = template["Resources"]["ReportCounters"]
    [event] = function["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["OptClassTable", "StreamArn"]}
    assert template["Resources"]["OptClassTable"]["Properties"]["StreamSpecification"]["StreamViewType"] == \
        "NEW_AND_OLD_IMAGES"
    assert template["Resources"]["ReportCountersLagAlarm"]["Properties"]["MetricName"] == "IteratorAge"
