"""The one table definition serves the models, the local bootstrap and the template."""
from chalicelib.store import schema
from chalicelib.store.models import Item
from infra.generate import merge_template, stage_environment


def test_models_declare_exactly_the_schema_indexes():
    definition = schema.table_definition("t")
    declared = {i.Meta.index_name for i in Item._indexes.values()}
    gsis = {g["IndexName"] for g in definition["GlobalSecondaryIndexes"]}
    lsis = {i["IndexName"] for i in definition["LocalSecondaryIndexes"]}
    assert declared == gsis | lsis


def test_merge_template_table_is_the_schema_with_the_stage_table_name():
    for stage in ("dev", "prod"):
        table = merge_template(stage)["Resources"]["OptClassTable"]
        props = table["Properties"]
        assert props["TableName"] == stage_environment(stage)["OPTCLASS_TABLE"]
        definition = schema.table_definition(props["TableName"])
        for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                    "BillingMode"):
            assert props[key] == definition[key]
        assert props["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires_at"}


def test_the_committed_iam_policies_are_the_generated_ones():
    import json

    from infra.generate import policy, policy_path

    for stage in ("dev", "prod"):
        with open(policy_path(stage)) as f:
            assert json.load(f) == policy(stage), f"run: python -m infra.generate --stage {stage} --write-policy"


def test_the_policy_allows_only_what_the_code_does_on_its_own_table():
    from infra.generate import policy, stage_environment

    statement = policy("prod")["Statement"][0]
    assert "dynamodb:Scan" not in statement["Action"] and "dynamodb:*" not in statement["Action"]
    table = stage_environment("prod")["OPTCLASS_TABLE"]
    assert statement["Resource"] == [f"arn:aws:dynamodb:*:*:table/{table}", f"arn:aws:dynamodb:*:*:table/{table}/index/*"]


def test_the_table_streams_old_and_new_images_to_the_counters_and_the_filter_matches_the_handler():
    from chalicelib.store import stream
    from infra.generate import COUNTED_TYPES

    template = merge_template("prod")["Resources"]
    assert template["OptClassTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert schema.table_definition("t")["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    source = template["ReportCounters"]["Properties"]["Events"]["ReportCountersDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["OptClassTable", "StreamArn"]}
    assert tuple(COUNTED_TYPES) == stream.COUNTED_TYPES  # Lambda's filter delivers what the handler counts
    assert all(str(list(COUNTED_TYPES)).replace("'", '"') in f["Pattern"] for f in source["FilterCriteria"]["Filters"])
