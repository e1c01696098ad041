"""`make package`: the prod stage's CloudFormation (SAM) template, as `chalice package
--merge-template` builds it, linted clean by cfn-lint, with what it must hold: what Chalice
generates and what infra/generate.py merges into it (deep-merging dicts, replacing lists)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from chalicelib.store import schema
from infra.generate import FUNCTIONS, function_policy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("package")]


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
    events = {
        name: r["Properties"].get("Events", {})
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    schedules = {name: e for name, e in events.items() if any(x["Type"] == "Schedule" for x in e.values())}
    assert set(schedules) == {"SessionHorizon", "LotExpiry", "LowBalance"}


FUNCTION_NAMES = {fn.logical_id: fn.name for fn in FUNCTIONS}
SCOPED = re.compile(r"^arn:\$\{AWS::Partition\}:[a-z]+:\$\{AWS::Region\}:\$\{AWS::AccountId\}:.+$")


def _functions(template) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _role_of(template, function) -> str:
    ref = function["Properties"]["Role"]
    assert list(ref) == ["Fn::GetAtt"] and ref["Fn::GetAtt"][1] == "Arn"
    return ref["Fn::GetAtt"][0]


def test_every_function_has_its_own_role_whose_policy_names_only_its_own_needs(template):
    resources = template["Resources"]
    functions = _functions(template)
    assert set(functions) == set(FUNCTION_NAMES)  # a new function needs its own policy (infra/generate.py)
    roles = {name: _role_of(template, f) for name, f in functions.items()}
    assert len(set(roles.values())) == len(roles)
    assert {n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"} == set(roles.values())
    assert not [n for n, r in resources.items() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")]
    granted = {}
    for name, role_name in roles.items():
        role = resources[role_name]["Properties"]
        assert "ManagedPolicyArns" not in role
        [attached] = role["Policies"]
        document = attached["PolicyDocument"]
        assert document == function_policy("prod", FUNCTION_NAMES[name])
        actions = {a for s in document["Statement"] for a in s["Action"]}
        assert not any("*" in a for a in actions), name
        for statement in document["Statement"]:
            for resource in statement["Resource"]:
                assert resource != "*"
                if "Fn::Sub" in resource:  # the stack's own region and account
                    assert SCOPED.match(resource["Fn::Sub"]), resource
                else:
                    assert resource == {"Fn::GetAtt": ["OptClassKey", "Arn"]}
        granted[name] = actions
    assert [n for n, a in granted.items() if "ses:SendEmail" in a] == ["LowBalance"]
    assert [n for n, a in granted.items() if "dynamodb:GetRecords" in a] == ["ReportCounters"]
    assert [n for n, a in granted.items() if a & {"kms:Decrypt", "kms:GenerateDataKey"}] == ["APIHandler"]
    everyone = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]
    assert all(set(everyone) <= a for a in granted.values())
    # the stream's resources only in the counters' policy, the key only in the API's
    for name, role_name in roles.items():
        text = json.dumps(resources[role_name]["Properties"]["Policies"])
        assert ("/stream/*" in text) == (name == "ReportCounters")
        assert ("OptClassKey" in text) == (name == "APIHandler")
        assert (":ses:" in text) == (name == "LowBalance")


def test_each_function_writes_only_to_its_own_log_group(template):
    resources = template["Resources"]
    for name, function in _functions(template).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        props = resources[group]["Properties"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup" and props["RetentionInDays"] > 0
        [logs] = [
            s
            for s in resources[_role_of(template, function)]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            if s["Sid"] == "Logs"
        ]
        assert [r["Fn::Sub"].rsplit(":log-group:", 1)[1] for r in logs["Resource"]] == [f"{props['LogGroupName']}:*"]


def test_the_pool_refuses_self_sign_up_and_the_client_cannot_write_its_company(template):
    resources = template["Resources"]
    pool = resources["OptClassUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [company] = [a for a in pool["Schema"] if a["Name"] == "company_id"]
    assert company == {**company, "AttributeDataType": "String", "Mutable": False}
    [client_name] = [n for n, r in resources.items() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    client = resources[client_name]["Properties"]
    assert client["UserPoolId"] == {"Ref": "OptClassUserPool"} and client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert "custom:company_id" in client["ReadAttributes"] and "custom:company_id" not in client["WriteAttributes"]
    assert not any(a.startswith("custom:") for a in client["WriteAttributes"])


def test_the_authorizer_and_every_function_trust_the_stacks_own_pool_and_client(template):
    pool_arn = {"Fn::GetAtt": ["OptClassUserPool", "Arn"]}
    api = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = api["securityDefinitions"]["OptClassUserPool"]
    assert authorizer["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert authorizer["x-amazon-apigateway-authorizer"] == {"type": "cognito_user_pools", "providerARNs": [pool_arn]}
    for name, function in _functions(template).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["OPTCLASS_USER_POOL_ARN"] == pool_arn, name
        assert variables["OPTCLASS_JWT_ISSUER"] == {
            "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${OptClassUserPool}"
        }, name
        assert variables["OPTCLASS_JWT_AUDIENCE"] == {"Ref": "OptClassAppClient"}, name
        # the merge replaced only these: the stage's own settings are still there
        assert variables["OPTCLASS_STAGE"] == "prod" and variables["OPTCLASS_TABLE"] == "optclass-prod"
    # .chalice/config.json's placeholders (there only so the app imports) reach nothing deployed
    assert "SETBYSTACK" not in json.dumps(template["Resources"]) and "set-by-stack" not in json.dumps(template)


def test_the_secrets_key_and_the_cursor_secret_reach_the_api(template):
    resources = template["Resources"]
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    key = resources["OptClassKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    [root] = key["Properties"]["KeyPolicy"]["Statement"]  # the account, which leaves its use to IAM policies
    assert root["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    assert resources["OptClassKeyAlias"]["Properties"]["TargetKeyId"] == {"Ref": "OptClassKey"}
    assert variables["OPTCLASS_KMS_KEY_ID"] == {"Fn::GetAtt": ["OptClassKey", "Arn"]}
    secret = resources["OptClassCursorSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] and not generated["IncludeSpace"]
    assert variables["OPTCLASS_CURSOR_SECRET"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${OptClassCursorSecret}:SecretString}}"
    }


def test_the_stage_is_throttled_and_every_function_has_reserved_concurrency(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    [setting] = api["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert setting["ThrottlingRateLimit"] > 0 and setting["ThrottlingBurstLimit"] >= setting["ThrottlingRateLimit"]
    for name, function in _functions(template).items():
        assert 0 < function["Properties"]["ReservedConcurrentExecutions"] <= 100, name


def test_the_gateways_own_answers_are_in_the_contracts_shape_without_the_token(template):
    responses = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    for kind, status, code in [
        ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
        ("UNAUTHORIZED", "401", "unauthenticated"),
        ("ACCESS_DENIED", "403", "forbidden"),
        ("DEFAULT_4XX", None, "bad_request"),
        ("DEFAULT_5XX", None, "server_error"),
    ]:
        response = responses[kind]
        assert response.get("StatusCode") == status, kind  # the defaults keep the gateway's own status
        [(media, text)] = response["ResponseTemplates"].items()
        body = json.loads(text)
        assert media == "application/json" and isinstance(body["error"]["message"], str)
        assert body == {"error": {"code": code, "message": body["error"]["message"], "details": []}}
    text = json.dumps(responses)
    assert "$" not in text and "method.request" not in text and "Authorization" not in text


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
    assert (
        template["Resources"]["OptClassTable"]["Properties"]["StreamSpecification"]["StreamViewType"]
        == "NEW_AND_OLD_IMAGES"
    )
    assert template["Resources"]["ReportCountersLagAlarm"]["Properties"]["MetricName"] == "IteratorAge"


@pytest.mark.parametrize("name", ["deployment.zip", "layer-deployment.zip"])
def test_every_module_ships_with_bytecode_the_runtime_trusts_without_its_source_time(template, name):
    """Lambda's code folders are read-only: without `.pyc` every cold start compiles everything."""
    import importlib.util
    import marshal
    import sys
    import zipfile

    tag = sys.implementation.cache_tag
    assert (
        template["Resources"]["APIHandler"]["Properties"]["Runtime"] == f"python{sys.version_info[0]}."
        f"{sys.version_info[1]}"
    )
    with zipfile.ZipFile(ROOT / "build" / "package" / name) as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py")]
        assert sources
        for source in sources:
            folder, _, file = source.rpartition("/")
            compiled = f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/")
            assert compiled in names, compiled
        sample = sorted(n for n in names if n.endswith(".pyc"))[:50]
        runs_at = "/var/task/" if name == "deployment.zip" else "/opt/"
        for compiled in sample:
            data = archive.read(compiled)
            header = data[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, compiled
            assert int.from_bytes(header[4:8], "little") == 0b01, compiled  # hash-based, source never checked
            # Named where Lambda unpacks it (not the build's temporary folder): the same input, the same bytes.
            assert marshal.loads(data[16:]).co_filename.startswith(runs_at), compiled


def test_the_layer_keeps_the_models_of_exactly_the_services_the_code_calls(template):
    import zipfile

    from tools.compile_package import SERVICES

    called = set()
    for source in (ROOT / "chalicelib").rglob("*.py"):
        called |= set(re.findall(r"""client\(\s*["']([a-z0-9-]+)["']""", source.read_text()))
    assert called == SERVICES
    with zipfile.ZipFile(ROOT / "build" / "package" / "layer-deployment.zip") as archive:
        kept = {
            name.split("/botocore/data/")[1].split("/")[0]
            for name in archive.namelist()
            if "/botocore/data/" in name and name.count("/", name.index("/botocore/data/") + 15) >= 1
        }
    assert kept == SERVICES


def test_the_trimmed_service_data_resolves_every_kept_client_exactly_as_botocore_as_shipped(template, tmp_path):
    """The layer's endpoints.json names only the kept services and their models carry no
    documentation; a client made from them has the endpoint, signing and operations one made
    from botocore's full data has, in every partition."""
    import sys
    import zipfile

    with zipfile.ZipFile(ROOT / "build" / "package" / "layer-deployment.zip") as archive:
        archive.extractall(tmp_path)
    [site] = tmp_path.glob("python/lib/python3.*/site-packages")
    data = site / "botocore" / "data"
    endpoints = json.loads((data / "endpoints.json").read_text())
    assert {"aws", "aws-cn", "aws-us-gov"} <= {p["partition"] for p in endpoints["partitions"]}
    assert {name for p in endpoints["partitions"] for name in p["services"]} <= {
        "dynamodb",
        "streams.dynamodb",
        "kms",
        "email",
    }
    assert "dynamodb" in endpoints["partitions"][0]["services"]
    dynamodb = (data / "dynamodb" / "2012-08-10" / "service-2.json").read_text()
    assert '"documentation"' not in dynamodb and not list(data.glob("*/*/service-2.json.gz"))
    probe = r"""
import json, sys
import botocore.session
answer = {}
for service in ("dynamodb", "dynamodbstreams", "kms", "ses"):
    for region in ("eu-central-1", "us-east-1", "cn-north-1", "us-gov-west-1"):
        if service == "ses" and region.startswith("cn-"):
            continue
        client = botocore.session.get_session().create_client(
            service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
        model = client.meta.service_model
        answer[f"{service} {region}"] = [client.meta.endpoint_url, model.signing_name, model.signature_version,
                                         sorted(model.operation_names), model.protocol]
print(json.dumps(answer))
"""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def resolved(path: list[str]) -> dict:
        setup = f"import sys; sys.path[:0] = {path!r}\n"
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", setup + probe],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    import botocore

    shipped = resolved([str(Path(botocore.__file__).parents[1])])
    trimmed = resolved([str(site)])
    assert trimmed == shipped
    assert trimmed["dynamodb eu-central-1"][0] == "https://dynamodb.eu-central-1.amazonaws.com"
    assert trimmed["ses eu-central-1"][0] == "https://email.eu-central-1.amazonaws.com"
