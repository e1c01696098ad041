"""Writes what `chalice package` needs besides the code, from the one table definition in
`chalicelib/store/schema.py` and the stage's settings in `.chalice/config.json`:

- the CloudFormation merged into the generated SAM template (`--merge-template`): the table;
- the functions' IAM policy (`.chalice/policy-<stage>.json`): least privilege, written by
  hand here because Chalice's policy generator cannot see PynamoDB's calls.

    python -m infra.generate --stage prod --out build/merge-template.json [--write-policy]

The table name comes from the stage's `OPTCLASS_TABLE`, so the functions and the table agree.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from chalicelib.store import schema  # noqa: E402


def stage_environment(stage: str) -> dict[str, str]:
    with open(os.path.join(ROOT, ".chalice", "config.json")) as f:
        config = json.load(f)
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def table_resource(table_name: str) -> dict:
    props = schema.table_definition(table_name)
    props["TimeToLiveSpecification"] = schema.ttl_specification()
    props["StreamSpecification"] = {"StreamViewType": schema.STREAM_VIEW}  # CloudFormation takes only the view
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["SSESpecification"] = {"SSEEnabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": props}


# The DynamoDB actions the code performs. A transaction is authorised per item by the
# action it performs (PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
DYNAMODB_ACTIONS = sorted([
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
])


# What Lambda's event source mapping needs to read the table's stream for `report-counters`.
STREAM_ACTIONS = sorted(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                         "dynamodb:ListStreams"])


def policy(stage: str) -> dict:
    env = stage_environment(stage)
    table = f"arn:aws:dynamodb:*:*:table/{env['OPTCLASS_TABLE']}"
    sender = env.get("OPTCLASS_EMAIL_FROM", "notifications@optclass.example")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OptClassTable", "Effect": "Allow", "Action": DYNAMODB_ACTIONS,
             "Resource": [table, f"{table}/index/*"]},
            {"Sid": "ReportCountersStream", "Effect": "Allow", "Action": STREAM_ACTIONS,
             "Resource": f"{table}/stream/*"},
            {"Sid": "LowBalanceEmail", "Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": "*",
             "Condition": {"StringEquals": {"ses:FromAddress": sender}}},
            {"Sid": "Logs", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:*:*:*"},
        ],
    }


def policy_path(stage: str) -> str:
    with open(os.path.join(ROOT, ".chalice", "config.json")) as f:
        name = json.load(f)["stages"][stage]["iam_policy_file"]
    return os.path.join(ROOT, ".chalice", name)


COUNTED_TYPES = ("session", "mark", "ledger")  # chalicelib/store/stream.py: what the counters are made of


def report_counters_source() -> dict:
    """The `report-counters` function's stream: the table's own (Chalice knows only a literal
    ARN), filtered to the items the counters are made of, a failing batch split in two to
    find the record that fails, and retried until it is applied (records live 24 hours)."""
    types = json.dumps(list(COUNTED_TYPES))
    patterns = [f'{{"dynamodb": {{"{image}": {{"type": {{"S": {types}}}}}}}}}' for image in ("NewImage", "OldImage")]
    return {"Properties": {
        "Stream": {"Fn::GetAtt": ["OptClassTable", "StreamArn"]},
        "BisectBatchOnFunctionError": True,
        "FilterCriteria": {"Filters": [{"Pattern": p} for p in patterns]},
    }}


def counters_lag_alarm() -> dict:
    """The counters follow the stream; an iterator age over 5 minutes means reports are stale."""
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": "Report counters lag the table's stream by more than 5 minutes",
        "Namespace": "AWS/Lambda", "MetricName": "IteratorAge", "Statistic": "Maximum",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "ReportCounters"}}],
        "Period": 60, "EvaluationPeriods": 5, "Threshold": 300000, "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching"}}


def merge_template(stage: str) -> dict:
    env = stage_environment(stage)
    return {"Resources": {
        "OptClassTable": table_resource(env["OPTCLASS_TABLE"]),
        "ReportCounters": {"Properties": {"Events": {"ReportCountersDynamodbEventSource": report_counters_source()}}},
        "ReportCountersLagAlarm": counters_lag_alarm(),
    }}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "merge-template.json"))
    parser.add_argument("--write-policy", action="store_true", help="also write .chalice/policy-<stage>.json")
    args = parser.parse_args(argv)
    if args.write_policy:
        with open(policy_path(args.stage), "w") as f:
            json.dump(policy(args.stage), f, indent=2)
            f.write("\n")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(merge_template(args.stage), f, indent=2, sort_keys=True)
        f.write("\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
