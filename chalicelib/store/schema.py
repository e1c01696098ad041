"""The one definition of the OptClass table: keys, indexes and TTL.

Used by the local bootstrap and the tests (`create_table`) and by `tools/gen_infra.py`,
which writes the CloudFormation resource merged by `chalice package`. Index names are
the constants below; the PynamoDB models refer to them.
"""

from typing import Any

TIMELINE = "Timeline"  # LSI1: sessions and their marks in time order, inside a schedule partition
OPEN_SESSIONS = "OpenSessions"  # LSI2 (sparse): sessions open to the whole roster, in time order
BY_PERSON = "ByPerson"  # GSI1: a student's enrollments, marks, seats
BY_TEACHER = "ByTeacher"  # GSI2: a teacher's schedules and sessions
BY_EMAIL = "ByEmail"  # GSI3: people by email within a company
ATTENTION = "Attention"  # GSI4: sparse, items that need attention

TTL_ATTRIBUTE = "expires_at"
STREAM_VIEW = "NEW_AND_OLD_IMAGES"

_GSIS = [
    (BY_PERSON, "GSI1PK", "GSI1SK"),
    (BY_TEACHER, "GSI2PK", "GSI2SK"),
    (BY_EMAIL, "GSI3PK", "GSI3SK"),
    (ATTENTION, "GSI4PK", "GSI4SK"),
]


def key_attributes() -> list[str]:
    names = ["PK", "SK", "LSI1SK", "LSI2SK"]
    for _, pk, sk in _GSIS:
        names += [pk, sk]
    return names


def table_definition(table_name: str) -> dict[str, Any]:
    """Keyword arguments for DynamoDB CreateTable (on-demand billing)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in key_attributes()],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        # The report counters are kept from the stream (services/counters.py).
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW},
        "LocalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, sk in ((TIMELINE, "LSI1SK"), (OPEN_SESSIONS, "LSI2SK"))
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, pk, sk in _GSIS
        ],
    }


def ttl_specification() -> dict[str, Any]:
    return {"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
