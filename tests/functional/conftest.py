import pytest

from tests.functional.helpers import build_world


@pytest.fixture
def world(client):
    return build_world(client)
