"""Writes the CloudFormation that `chalice package --merge-template` merges into the
generated SAM template, from the one table definition in `chalicelib/store/schema.py`.

    python -m infra.generate --stage prod --out build/merge-template.json

The table name comes from the stage's `OPTCLASS_TABLE` in `.chalice/config.json`, so the
functions and the table always agree.
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
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["SSESpecification"] = {"SSEEnabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": props}


def merge_template(stage: str) -> dict:
    env = stage_environment(stage)
    return {"Resources": {"OptClassTable": table_resource(env["OPTCLASS_TABLE"])}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "merge-template.json"))
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(merge_template(args.stage), f, indent=2, sort_keys=True)
        f.write("\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
