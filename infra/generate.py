"""Writes what `chalice package` needs besides the code, from the one table definition in
`chalicelib/store/schema.py` and the stage's settings in `.chalice/config.json`:

- the CloudFormation merged into the generated SAM template (`--merge-template`): the table,
  the Cognito user pool and app client, the KMS key for booking-system secrets, the secret
  that signs list cursors, the functions' log groups, and overrides of what Chalice
  generates (the authorizer's pool, the functions' environment, reserved concurrency and
  roles, the API stage's throttling and gateway responses);
- each function's IAM policy file (`.chalice/policy-<stage>-<function>.json`), see
  `function_policy`.

    python -m infra.generate --stage prod --out build/merge-template.json [--write-policy]

Chalice merges this template into its own deeply: a dict's keys are merged one by one, any
other value (a list, a string) replaces Chalice's. So an override names only what it
changes (`Environment.Variables.OPTCLASS_JWT_ISSUER` keeps Chalice's other variables), and a
list it gives (a role's `Policies`, the authorizer's `providerARNs`) is the whole list.

The table name comes from the stage's `OPTCLASS_TABLE`, so the functions and the table agree.
"""

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import NotRequired, TypedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from chalicelib.store import schema  # noqa: E402


def _config() -> dict:
    with open(os.path.join(ROOT, ".chalice", "config.json")) as f:
        return json.load(f)


def stage_environment(stage: str) -> dict[str, str]:
    config = _config()
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


# --- the functions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    name: str  # Chalice's name: `stages.<stage>.lambda_functions.<name>` in .chalice/config.json
    logical_id: str  # the function in the template Chalice generates
    role: str  # its role there
    reserved_concurrency: int  # ReservedConcurrentExecutions
    needs: frozenset[str]  # besides the table and its own logs: "stream", "email", "key"


# Reserved concurrency is an upper bound (what one function may take of the account's
# concurrency, so a flood on one cannot starve the others or run up the bill) and a
# guarantee (it is always there for it). Lambda keeps 100 of the account's concurrency
# unreserved, so the five together (113) need an account limit of at least 213 (the default
# is 1,000; a new account may start lower: ask for an increase first).
FUNCTIONS = (
    # The API: 100 at once is far above a school's traffic (the stage allows 50 requests a
    # second per method at ~0.1-0.3 s each, 5 to 15 busy functions) and bounds what slow
    # requests (30 s timeout) or a flood across many methods can cost the table and the bill.
    Function("api_handler", "APIHandler", "ApiHandlerRole", 100, frozenset({"key"})),
    # The three daily jobs: one run at a time. A run invoked by hand while the scheduled one is
    # running is throttled (and retried by Lambda's async retries) instead of running beside it.
    Function("session-horizon", "SessionHorizon", "SessionHorizonRole", 1, frozenset()),
    Function("lot-expiry", "LotExpiry", "LotExpiryRole", 1, frozenset()),
    Function("low-balance", "LowBalance", "LowBalanceRole", 1, frozenset({"email"})),
    # The stream: Lambda runs one batch per shard at a time, and an on-demand table has a few
    # shards; 10 covers them. Above that, batches wait (throttled, retried; the stream keeps
    # records 24 hours) and ReportCountersLagAlarm says so.
    Function("report-counters", "ReportCounters", "ReportCountersRole", 10, frozenset({"stream"})),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def log_group_name(stage: str, fn: Function) -> str:
    """The function's log group, named as `chalice deploy` names the function (the API
    handler is `<app>-<stage>`, the others `<app>-<stage>-<name>`); the stack creates it."""
    app = _config()["app_name"]
    return f"/aws/lambda/{app}-{stage}" if fn.name == "api_handler" else f"/aws/lambda/{app}-{stage}-{fn.name}"


# --- IAM ------------------------------------------------------------------------------------------

# The DynamoDB actions the code performs. A transaction (every write is a TransactWriteItems)
# is authorised per item by the action it performs (PutItem, UpdateItem, DeleteItem,
# ConditionCheckItem). PynamoDB 6 never calls DescribeTable (the models carry the schema).
DYNAMODB_ACTIONS = sorted(
    [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
    ]
)

# What Lambda's event source mapping needs to read the table's stream for `report-counters`.
STREAM_ACTIONS = sorted(
    ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
)

# Envelope encryption of booking-system secrets: a data key per secret, decrypted to read it.
KEY_ACTIONS = sorted(["kms:Decrypt", "kms:GenerateDataKey"])

KEY_ALIAS = "alias/optclass-{stage}-secrets"

# A statement's resource: an ARN, or CloudFormation's `Fn::Sub` (a string) or `Fn::GetAtt` (a list) of one.
PolicyResource = str | dict[str, str] | dict[str, list[str]]


class Statement(TypedDict):
    """One statement of an IAM policy document."""

    Sid: str
    Effect: str
    Action: list[str]
    Resource: list[PolicyResource]
    Condition: NotRequired[dict[str, dict[str, str]]]


def function_policy(stage: str, name: str, *, for_file: bool = False) -> dict:
    """The one IAM policy of function `name`: the table's items and indexes; its stream
    (report-counters); `ses:SendEmail` as the sender (low-balance); the secrets key (the API);
    its own log group.

    In the template (`for_file=False`) every resource is in the stack's own region and account
    (`Fn::Sub` with `${AWS::Region}` and `${AWS::AccountId}`), the key is the stack's key and
    the log group the one the stack creates. The policy file (`for_file=True`) is the same
    policy as a static file can say it, for `chalice deploy`, which has no stack: any region
    and account (`*`), the key found by its alias, and the log group Lambda creates. Chalice
    puts the file in the role it generates; the merge template replaces it with the former.
    """
    fn, env = function(name), stage_environment(stage)
    table = env["OPTCLASS_TABLE"]

    def arn(service: str, resource: str) -> str | dict[str, str]:
        if for_file:
            return f"arn:aws:{service}:*:*:{resource}"
        return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"}

    statements: list[Statement] = [
        {
            "Sid": "OptClassTable",
            "Effect": "Allow",
            "Action": DYNAMODB_ACTIONS,
            "Resource": [arn("dynamodb", f"table/{table}"), arn("dynamodb", f"table/{table}/index/*")],
        }
    ]
    if "stream" in fn.needs:
        statements.append(
            {
                "Sid": "OptClassTableStream",
                "Effect": "Allow",
                "Action": STREAM_ACTIONS,
                "Resource": [arn("dynamodb", f"table/{table}/stream/*")],
            }
        )
    if "email" in fn.needs:
        # SES authorises SendEmail on the identity that was verified: the address, or its domain.
        sender = env["OPTCLASS_EMAIL_FROM"]
        statements.append(
            {
                "Sid": "LowBalanceEmail",
                "Effect": "Allow",
                "Action": ["ses:SendEmail"],
                "Resource": [arn("ses", f"identity/{sender}"), arn("ses", f"identity/{sender.rpartition('@')[2]}")],
                "Condition": {"StringEquals": {"ses:FromAddress": sender}},
            }
        )
    if "key" in fn.needs:
        key: Statement
        if for_file:
            key = {
                "Sid": "SecretsKey",
                "Effect": "Allow",
                "Action": KEY_ACTIONS,
                "Resource": ["arn:aws:kms:*:*:key/*"],
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": KEY_ALIAS.format(stage=stage)}},
            }
        else:
            key = {
                "Sid": "SecretsKey",
                "Effect": "Allow",
                "Action": KEY_ACTIONS,
                "Resource": [{"Fn::GetAtt": ["OptClassKey", "Arn"]}],
            }
        statements.append(key)
    group = f"log-group:{log_group_name(stage, fn)}"
    if for_file:  # Lambda creates the group on the first write
        statements.append(
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [arn("logs", group), arn("logs", f"{group}:*")],
            }
        )
    else:  # the stack creates the group (with its retention); the function only writes to it
        statements.append(
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [arn("logs", f"{group}:*")],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def policy_path(stage: str, name: str) -> str:
    """The function's policy file, as `.chalice/config.json` names it."""
    file = _config()["stages"][stage]["lambda_functions"][name]["iam_policy_file"]
    return os.path.join(ROOT, ".chalice", file)


def role_override(stage: str, fn: Function) -> dict:
    return {
        "Properties": {
            "Policies": [{"PolicyName": f"{fn.role}Policy", "PolicyDocument": function_policy(stage, fn.name)}]
        }
    }


# --- the table ------------------------------------------------------------------------------------


def table_resource(table_name: str) -> dict:
    props = schema.table_definition(table_name)
    props["TimeToLiveSpecification"] = schema.ttl_specification()
    props["StreamSpecification"] = {"StreamViewType": schema.STREAM_VIEW}  # CloudFormation takes only the view
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["SSESpecification"] = {"SSEEnabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": props,
    }


# chalicelib/store/stream.py: what the counters are made of, and what students' seats follow
STREAM_TYPES = ("session", "mark", "ledger", "enrollment", "import")


def report_counters_source() -> dict:
    """The `report-counters` function's stream: the table's own (Chalice knows only a literal
    ARN), filtered to the items the counters are made of and seats follow, a failing batch split in two to
    find the record that fails, and retried until it is applied (records live 24 hours)."""
    types = json.dumps(list(STREAM_TYPES))
    patterns = [f'{{"dynamodb": {{"{image}": {{"type": {{"S": {types}}}}}}}}}' for image in ("NewImage", "OldImage")]
    return {
        "Properties": {
            "Stream": {"Fn::GetAtt": ["OptClassTable", "StreamArn"]},
            "BisectBatchOnFunctionError": True,
            "FilterCriteria": {"Filters": [{"Pattern": p} for p in patterns]},
        }
    }


def counters_lag_alarm() -> dict:
    """The counters follow the stream; an iterator age over 5 minutes means reports are stale."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "Report counters lag the table's stream by more than 5 minutes",
            "Namespace": "AWS/Lambda",
            "MetricName": "IteratorAge",
            "Statistic": "Maximum",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "ReportCounters"}}],
            "Period": 60,
            "EvaluationPeriods": 5,
            "Threshold": 300000,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        },
    }


# --- sign-in: the user pool -----------------------------------------------------------------------

COMPANY_ATTRIBUTE = "custom:company_id"


def user_pool(stage: str) -> dict:
    """The stage's users. Nobody signs themselves up (an administrator creates every user,
    with their company), and the company is set once, at creation, never changed
    (`Mutable: false`): the token's `custom:company_id` is what an administrator gave. Kept
    on stack deletion (the users are data) and protected from deletion."""
    return {
        "Type": "AWS::Cognito::UserPool",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "UserPoolName": f"{_config()['app_name']}-{stage}",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "Schema": [
                {
                    "Name": COMPANY_ATTRIBUTE.removeprefix("custom:"),
                    "AttributeDataType": "String",
                    "Mutable": False,
                    "Required": False,
                    # what chalicelib/api/auth.py accepts as a company id: 1 to 128 characters
                    "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "128"},
                }
            ],
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": False,
                    "TemporaryPasswordValidityDays": 7,
                }
            },
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "DeletionProtection": "ACTIVE",
        },
    }


def app_client(stage: str) -> dict:
    """The web app's client: public (no secret; it runs in a browser), SRP sign-in and refresh
    only, hour-long ID and access tokens. It reads the company but cannot write it, so no
    user can move themselves to another school."""
    return {
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {
            "UserPoolId": {"Ref": "OptClassUserPool"},
            "ClientName": f"{_config()['app_name']}-{stage}-web",
            "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "SupportedIdentityProviders": ["COGNITO"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AccessTokenValidity": 1,
            "IdTokenValidity": 1,
            "RefreshTokenValidity": 30,
            "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
            "ReadAttributes": sorted([COMPANY_ATTRIBUTE, "email", "email_verified", "name"]),
            "WriteAttributes": ["email", "name"],
        },
    }


# --- secrets --------------------------------------------------------------------------------------


def secrets_key(stage: str) -> dict:
    """The key that wraps the data keys of booking-system secrets (envelope encryption).
    Its key policy lets the account administer it and leaves its use to IAM policies (of the
    stack's roles, only ApiHandlerRole's grants it). It does not name ApiHandlerRole: the
    role's policy names the key, so each would wait for the other to exist (and a role made
    a moment ago may not yet be accepted as a key policy principal). Kept on stack deletion:
    without it the stored secrets are unreadable."""
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": f"OptClass {stage}: envelope encryption of booking-system secrets",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "EnableKeyRotation": True,
            "PendingWindowInDays": 30,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TheAccountAdministersTheKeyAndIAMPoliciesGrantItsUse",
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                ],
            },
        },
    }


def secrets_key_alias(stage: str) -> dict:
    return {
        "Type": "AWS::KMS::Alias",
        "Properties": {"AliasName": KEY_ALIAS.format(stage=stage), "TargetKeyId": {"Ref": "OptClassKey"}},
    }


def cursor_secret(stage: str) -> dict:
    """The key that signs list cursors: 64 letters and digits, made by Secrets Manager. The
    functions get its value when the stack deploys them (a dynamic reference), so they need
    no access to Secrets Manager at run time."""
    # Deleted with the stack (or replaced): a new secret only voids the cursors clients hold.
    return {
        "Type": "AWS::SecretsManager::Secret",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "Description": f"OptClass {stage}: the key that signs list cursors (changing it voids open cursors)",
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True, "IncludeSpace": False},
        },
    }


def stack_environment() -> dict:
    """What every function learns from the stack, replacing `.chalice/config.json`'s
    placeholders (which only let the app be imported and packaged)."""
    return {
        "OPTCLASS_USER_POOL_ARN": {"Fn::GetAtt": ["OptClassUserPool", "Arn"]},
        "OPTCLASS_JWT_ISSUER": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${OptClassUserPool}"},
        "OPTCLASS_JWT_AUDIENCE": {"Ref": "OptClassAppClient"},
        "OPTCLASS_KMS_KEY_ID": {"Fn::GetAtt": ["OptClassKey", "Arn"]},
        "OPTCLASS_CURSOR_SECRET": {"Fn::Sub": "{{resolve:secretsmanager:${OptClassCursorSecret}:SecretString}}"},
    }


# --- the API stage --------------------------------------------------------------------------------

# Per method (every route and verb has its own bucket): a steady rate and a burst. The total
# across methods is bounded by APIHandler's reserved concurrency.
THROTTLE_RATE, THROTTLE_BURST = 50, 100


def _error_response(status: int | None, code: str, message: str, headers: dict[str, str] | None = None) -> dict:
    """A gateway response in the contract's error shape. Static text only: no `$context` or
    request values, so nothing the caller sent (a token above all) is ever echoed back."""
    body = json.dumps({"error": {"code": code, "message": message, "details": []}})
    response: dict = {"ResponseTemplates": {"application/json": body}}
    if status is not None:
        response["StatusCode"] = str(status)
    if headers:
        response["ResponseParameters"] = {"Headers": {k: f"'{v}'" for k, v in headers.items()}}
    return response


def gateway_responses() -> dict:
    """What API Gateway answers itself, before the app runs. An unknown route is
    MISSING_AUTHENTICATION_TOKEN (403 by default, quoting a bearer token back): 404 here."""
    not_found = _error_response(404, "not_found", "the route was not found")
    return {
        "MISSING_AUTHENTICATION_TOKEN": not_found,
        "RESOURCE_NOT_FOUND": not_found,
        "UNAUTHORIZED": _error_response(
            401, "unauthenticated", "a valid bearer token is required", {"WWW-Authenticate": 'Bearer realm="optclass"'}
        ),
        "ACCESS_DENIED": _error_response(403, "forbidden", "the token does not allow this request"),
        "THROTTLED": _error_response(
            429, "too_many_requests", "too many requests; retry shortly", {"Retry-After": "1"}
        ),
        "REQUEST_TOO_LARGE": _error_response(413, "payload_too_large", "the request is too large"),
        "DEFAULT_4XX": _error_response(None, "bad_request", "the request was refused"),
        "DEFAULT_5XX": _error_response(None, "server_error", "the request could not be answered; retry shortly"),
    }


def rest_api() -> dict:
    return {
        "Properties": {
            # Chalice writes the authorizer with the pool named by OPTCLASS_USER_POOL_ARN when it
            # packages; the stack's own pool replaces it.
            "DefinitionBody": {
                "securityDefinitions": {
                    "OptClassUserPool": {
                        "x-amazon-apigateway-authorizer": {
                            "providerARNs": [{"Fn::GetAtt": ["OptClassUserPool", "Arn"]}]
                        }
                    }
                }
            },
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": THROTTLE_RATE,
                    "ThrottlingBurstLimit": THROTTLE_BURST,
                    "DataTraceEnabled": False,
                }
            ],
            "GatewayResponses": gateway_responses(),
        }
    }


# --- the template ---------------------------------------------------------------------------------

LOG_RETENTION_DAYS = 90


def function_override(fn: Function) -> dict:
    return {
        "Properties": {
            "Environment": {"Variables": stack_environment()},
            "ReservedConcurrentExecutions": fn.reserved_concurrency,
            "LoggingConfig": {"LogGroup": {"Ref": f"{fn.logical_id}LogGroup"}},
        }
    }


def log_group(stage: str, fn: Function) -> dict:
    """The function's logs, kept 90 days and deleted with the stack (the name is fixed, so a
    group left behind would stop the next stack of the stage from being created)."""
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {"LogGroupName": log_group_name(stage, fn), "RetentionInDays": LOG_RETENTION_DAYS},
    }


def merge_template(stage: str) -> dict:
    env = stage_environment(stage)
    resources = {
        "OptClassTable": table_resource(env["OPTCLASS_TABLE"]),
        "ReportCountersLagAlarm": counters_lag_alarm(),
        "OptClassUserPool": user_pool(stage),
        "OptClassAppClient": app_client(stage),
        "OptClassKey": secrets_key(stage),
        "OptClassKeyAlias": secrets_key_alias(stage),
        "OptClassCursorSecret": cursor_secret(stage),
        "RestAPI": rest_api(),
    }
    for fn in FUNCTIONS:
        resources[fn.logical_id] = function_override(fn)
        resources[fn.role] = role_override(stage, fn)
        resources[f"{fn.logical_id}LogGroup"] = log_group(stage, fn)
    counters = resources["ReportCounters"]["Properties"]
    counters["Events"] = {"ReportCountersDynamodbEventSource": report_counters_source()}
    outputs = {
        "UserPoolId": {"Value": {"Ref": "OptClassUserPool"}},
        "UserPoolArn": {"Value": {"Fn::GetAtt": ["OptClassUserPool", "Arn"]}},
        "AppClientId": {"Value": {"Ref": "OptClassAppClient"}},
        "SecretsKeyArn": {"Value": {"Fn::GetAtt": ["OptClassKey", "Arn"]}},
    }
    return {"Resources": resources, "Outputs": outputs}


def write_policies(stage: str) -> list[str]:
    written = []
    for fn in FUNCTIONS:
        path = policy_path(stage, fn.name)
        with open(path, "w") as f:
            json.dump(function_policy(stage, fn.name, for_file=True), f, indent=2)
            f.write("\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "merge-template.json"))
    parser.add_argument(
        "--write-policy", action="store_true", help="also write the functions' .chalice/policy-<stage>-<function>.json"
    )
    args = parser.parse_args(argv)
    if args.write_policy:
        for path in write_policies(args.stage):
            print(path)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(merge_template(args.stage), f, indent=2, sort_keys=True)
        f.write("\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
