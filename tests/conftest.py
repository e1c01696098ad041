"""Test configuration. The environment is set before anything imports the app or boto.

By default every test gets its own in-process moto (`mock_aws`), so no test can reach a
server left running on localhost. With `OPTCLASS_DYNAMODB_ENDPOINT` set when pytest
starts, the store tests run against that engine instead (DynamoDB Local, say), each test
on a fresh table of its own.
"""

import os
import uuid

EXTERNAL_ENDPOINT = os.environ.pop("OPTCLASS_DYNAMODB_ENDPOINT", None) or None
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "OPTCLASS_STAGE": "local",
        "OPTCLASS_TABLE": "optclass-test",
        "OPTCLASS_STORE_BACKOFF_SECONDS": "0.001",
    }
)
from tests.support import DEV_SECRET  # noqa: E402

os.environ["OPTCLASS_DEV_JWT_SECRET"] = DEV_SECRET

import moto  # noqa: E402,F401  (import before any botocore client exists, so moto can intercept it)
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.store import engine  # noqa: E402
from tools.embedded_dynamodb import make_serializable  # noqa: E402

make_serializable()


def _rebind():
    engine._bound["key"] = None
    engine.ensure_bound()


@pytest.fixture
def store(monkeypatch):
    """A fresh, empty OptClass table for one test."""
    if EXTERNAL_ENDPOINT:
        name = f"optclass-test-{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv("OPTCLASS_DYNAMODB_ENDPOINT", EXTERNAL_ENDPOINT)
        monkeypatch.setenv("OPTCLASS_TABLE", name)
        _rebind()
        engine.create_table(name)
        try:
            yield name
        finally:
            engine.delete_table(name)
    else:
        with mock_aws():
            _rebind()
            engine.create_table()
            yield os.environ["OPTCLASS_TABLE"]
        engine._bound["key"] = None


@pytest.fixture
def app(store):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app):
    from chalice.test import Client

    with Client(app, stage_name="local") as test_client:
        yield test_client
