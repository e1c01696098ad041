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
