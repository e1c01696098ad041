"""The one table definition serves the models, the local bootstrap and the template; the
rest of the merge template (pool, key, secret, policies, abuse bounds) is what the stack
needs of it, for every deployed stage."""

import glob
import json
import os
import re

import pytest

from chalicelib.store import schema
from chalicelib.store.models import Item
from infra.generate import (
    FUNCTIONS,
    ROOT,
    function_policy,
    log_group_name,
    merge_template,
    policy_path,
    stage_environment,
)

STAGES = ("dev", "prod")
SCOPED = re.compile(
    r"^arn:\$\{AWS::Partition\}:(?P<service>[a-z]+):"
    r"\$\{AWS::Region\}:\$\{AWS::AccountId\}:(?P<rest>.+)$"
)


def test_models_declare_exactly_the_schema_indexes():
    definition = schema.table_definition("t")
    declared = {i.Meta.index_name for i in Item._indexes.values()}
    gsis = {g["IndexName"] for g in definition["GlobalSecondaryIndexes"]}
    lsis = {i["IndexName"] for i in definition["LocalSecondaryIndexes"]}
    assert declared == gsis | lsis


def test_merge_template_table_is_the_schema_with_the_stage_table_name():
    for stage in STAGES:
        table = merge_template(stage)["Resources"]["OptClassTable"]
        props = table["Properties"]
        assert props["TableName"] == stage_environment(stage)["OPTCLASS_TABLE"]
        definition = schema.table_definition(props["TableName"])
        for key in (
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "BillingMode",
        ):
            assert props[key] == definition[key]
        assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires_at"}


def test_the_table_streams_old_and_new_images_to_the_counters_and_the_filter_matches_the_handler():
    from chalicelib.store import stream
    from infra.generate import STREAM_TYPES

    template = merge_template("prod")["Resources"]
    assert template["OptClassTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert schema.table_definition("t")["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    source = template["ReportCounters"]["Properties"]["Events"]["ReportCountersDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["OptClassTable", "StreamArn"]}
    assert tuple(STREAM_TYPES) == stream.STREAM_TYPES  # Lambda's filter delivers what the handler uses
    assert set(stream.COUNTED_TYPES) | set(stream.SEAT_TYPES) | set(stream.IMPORT_TYPES) == set(STREAM_TYPES)
    assert all(str(list(STREAM_TYPES)).replace("'", '"') in f["Pattern"] for f in source["FilterCriteria"]["Filters"])


# --- IAM: one policy per function ----------------------------------------------------------------


def _actions(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def _services(policy: dict) -> set[str]:
    return {a.split(":")[0] for a in _actions(policy)}


def test_the_committed_policy_files_are_the_generated_ones_and_every_function_has_its_own():
    for stage in STAGES:
        stage_config = json.load(open(os.path.join(ROOT, ".chalice", "config.json")))["stages"][stage]
        # No stage-wide file: a function nobody gave a policy fails to package (Chalice looks
        # for the missing policy-<stage>.json) instead of borrowing another function's.
        assert "iam_policy_file" not in stage_config
        assert not os.path.exists(os.path.join(ROOT, ".chalice", f"policy-{stage}.json"))
        assert set(stage_config["lambda_functions"]) == {fn.name for fn in FUNCTIONS}
        files = {policy_path(stage, fn.name) for fn in FUNCTIONS}
        assert len(files) == len(FUNCTIONS)
        assert set(glob.glob(os.path.join(ROOT, ".chalice", f"policy-{stage}-*.json"))) == files
        for fn in FUNCTIONS:
            with open(policy_path(stage, fn.name)) as f:
                assert json.load(f) == function_policy(stage, fn.name, for_file=True), (
                    f"run: python -m infra.generate --stage {stage} --write-policy"
                )


@pytest.mark.parametrize("stage", STAGES)
def test_each_function_policy_names_only_what_that_function_needs(stage):
    env = stage_environment(stage)
    table, sender = env["OPTCLASS_TABLE"], env["OPTCLASS_EMAIL_FROM"]
    services = {}
    for fn in FUNCTIONS:
        policy = function_policy(stage, fn.name)
        services[fn.name] = _services(policy)
        assert not any("*" in a for a in _actions(policy)), fn.name
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow" and isinstance(statement["Resource"], list)
            for resource in statement["Resource"]:
                if resource == {"Fn::GetAtt": ["OptClassKey", "Arn"]}:
                    continue
                # the stack's own region and account, never `*`, and only the named things
                match = SCOPED.match(resource["Fn::Sub"])
                assert match, resource
                service, rest = match["service"], match["rest"]
                assert all(a.startswith(f"{service}:") for a in statement["Action"])
                if service == "dynamodb":
                    allowed = {f"table/{table}", f"table/{table}/index/*"} | (
                        {f"table/{table}/stream/*"} if "stream" in fn.needs else set()
                    )
                    assert rest in allowed
                elif service == "ses":
                    assert rest in (f"identity/{sender}", f"identity/{sender.split('@')[1]}")
                else:
                    assert service == "logs" and rest == f"log-group:{log_group_name(stage, fn)}:*"
        table_statement = policy["Statement"][0]
        assert table_statement["Action"] == sorted(
            [
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:ConditionCheckItem",
            ]
        )
        stream = {
            a
            for a in _actions(policy)
            if a
            in ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams")
        }
        assert bool(stream) == (fn.name == "report-counters")
        assert ("ses:SendEmail" in _actions(policy)) == (fn.name == "low-balance")
        assert (
            _actions(policy) & {"kms:Decrypt", "kms:GenerateDataKey"} == {"kms:Decrypt", "kms:GenerateDataKey"}
        ) == (fn.name == "api_handler")
    assert services == {
        "api_handler": {"dynamodb", "kms", "logs"},
        "session-horizon": {"dynamodb", "logs"},
        "lot-expiry": {"dynamodb", "logs"},
        "low-balance": {"dynamodb", "ses", "logs"},
        "report-counters": {"dynamodb", "logs"},
    }


def test_the_policy_files_say_the_same_as_the_template_where_a_file_can():
    for stage in STAGES:
        for fn in FUNCTIONS:
            in_stack, in_file = function_policy(stage, fn.name), function_policy(stage, fn.name, for_file=True)
            assert [s["Sid"] for s in in_stack["Statement"]] == [s["Sid"] for s in in_file["Statement"]]
            # the file's role also creates its log group, which in the stack the stack does
            assert _actions(in_file) - _actions(in_stack) == {"logs:CreateLogGroup"}
            for statement in in_file["Statement"]:  # any region and account, but only the named things
                service = statement["Action"][0].split(":")[0]
                assert all(
                    r.startswith(f"arn:aws:{service}:*:*:") and r != f"arn:aws:{service}:*:*:*"
                    for r in statement["Resource"]
                ), statement


def test_the_policies_never_scan_or_use_wildcard_actions_on_the_table():
    for fn in FUNCTIONS:
        actions = _actions(function_policy("prod", fn.name))
        assert not actions & {"dynamodb:Scan", "dynamodb:*", "dynamodb:DescribeTable", "dynamodb:DeleteTable"}


# --- sign-in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_the_pool_refuses_self_sign_up_and_the_client_cannot_write_the_company(stage):
    resources = merge_template(stage)["Resources"]
    pool = resources["OptClassUserPool"]
    assert pool["Type"] == "AWS::Cognito::UserPool"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [company] = [a for a in pool["Properties"]["Schema"] if a["Name"] == "company_id"]
    assert company["AttributeDataType"] == "String" and company["Mutable"] is False
    client = resources["OptClassAppClient"]["Properties"]
    assert client["UserPoolId"] == {"Ref": "OptClassUserPool"}
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert "custom:company_id" in client["ReadAttributes"]
    assert not any(a.startswith("custom:") for a in client["WriteAttributes"])
    assert (client["IdTokenValidity"], client["AccessTokenValidity"]) == (1, 1)
    assert client["TokenValidityUnits"]["IdToken"] == client["TokenValidityUnits"]["AccessToken"] == "hours"


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_learns_the_pool_client_key_and_cursor_secret_from_the_stack(stage):
    resources = merge_template(stage)["Resources"]
    for fn in FUNCTIONS:
        variables = resources[fn.logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["OPTCLASS_USER_POOL_ARN"] == {"Fn::GetAtt": ["OptClassUserPool", "Arn"]}
        assert variables["OPTCLASS_JWT_ISSUER"] == {
            "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${OptClassUserPool}"
        }
        assert variables["OPTCLASS_JWT_AUDIENCE"] == {"Ref": "OptClassAppClient"}
        assert variables["OPTCLASS_KMS_KEY_ID"] == {"Fn::GetAtt": ["OptClassKey", "Arn"]}
        assert variables["OPTCLASS_CURSOR_SECRET"] == {
            "Fn::Sub": "{{resolve:secretsmanager:${OptClassCursorSecret}:SecretString}}"
        }
    authorizer = resources["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"]["OptClassUserPool"]
    assert authorizer["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Fn::GetAtt": ["OptClassUserPool", "Arn"]}]


def test_the_key_rotates_and_the_cursor_secret_is_long_and_plain():
    resources = merge_template("prod")["Resources"]
    key = resources["OptClassKey"]
    assert key["Properties"]["EnableKeyRotation"] is True and key["Properties"]["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["DeletionPolicy"] == "Retain"
    assert resources["OptClassKeyAlias"]["Properties"]["TargetKeyId"] == {"Ref": "OptClassKey"}
    generated = resources["OptClassCursorSecret"]["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    assert generated["IncludeSpace"] is False


# --- abuse bounds and the gateway's own answers ------------------------------------------------------


def test_the_stage_is_throttled_and_every_function_has_reserved_concurrency():
    resources = merge_template("prod")["Resources"]
    [setting] = resources["RestAPI"]["Properties"]["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert 0 < setting["ThrottlingRateLimit"] <= setting["ThrottlingBurstLimit"] <= 1000
    reserved = {
        fn.logical_id: resources[fn.logical_id]["Properties"]["ReservedConcurrentExecutions"] for fn in FUNCTIONS
    }
    assert all(0 < n <= 100 for n in reserved.values())
    assert reserved["SessionHorizon"] == reserved["LotExpiry"] == reserved["LowBalance"] == 1  # one daily run at a time
    assert sum(reserved.values()) + 100 <= 1000  # Lambda keeps 100 unreserved; 1,000 is the default limit


def test_the_gateway_answers_in_the_contracts_error_shape_and_never_echoes_the_request():
    responses = merge_template("prod")["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
        "RESOURCE_NOT_FOUND": ("404", "not_found"),
        "UNAUTHORIZED": ("401", "unauthenticated"),
        "ACCESS_DENIED": ("403", "forbidden"),
        "DEFAULT_4XX": (None, "bad_request"),
        "DEFAULT_5XX": (None, "server_error"),
    }
    for kind, (status, code) in expected.items():
        response = responses[kind]
        assert response.get("StatusCode") == status, kind
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert body["error"]["code"] == code and body["error"]["details"] == [] and body["error"]["message"]
    for kind, response in responses.items():
        text = json.dumps(response)
        assert "$" not in text and "method.request" not in text and "Authorization" not in text, kind


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.logical_id)
def test_what_the_stack_gives_each_function_is_what_a_deployed_stage_needs_to_start(fn, monkeypatch):
    from chalicelib import config

    resolved = {  # what CloudFormation makes of the stack's values
        "OPTCLASS_USER_POOL_ARN": "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEf123",
        "OPTCLASS_JWT_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
        "OPTCLASS_JWT_AUDIENCE": "1example23456789abcdefghij",
        "OPTCLASS_KMS_KEY_ID": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "OPTCLASS_CURSOR_SECRET": "x"
        * merge_template("prod")["Resources"]["OptClassCursorSecret"]["Properties"]["GenerateSecretString"][
            "PasswordLength"
        ],
    }
    variables = merge_template("prod")["Resources"][fn.logical_id]["Properties"]["Environment"]["Variables"]
    assert set(variables) == set(resolved)
    for name in list(os.environ):
        if name.startswith("OPTCLASS_"):
            monkeypatch.delenv(name)
    for name, value in {**stage_environment("prod"), **resolved}.items():
        monkeypatch.setenv(name, value)
    assert config.deployment_problems() == []
