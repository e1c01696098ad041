"""Signature schemes against known values: the Standard Webhooks test vector, and the
exact-bytes property of every scheme."""

import json
from pathlib import Path

import pytest

from chalicelib.webhooks import acuity, calcom, calendly, standard
from chalicelib.webhooks.events import SignatureRefused

VECTOR = json.loads((Path(__file__).parent.parent / "fixtures" / "webhooks" / "standard_test_vector.json").read_text())


def test_the_standard_webhooks_test_vector_verifies_at_its_own_time():
    body = VECTOR["payload"].encode()
    assert standard.sign(VECTOR["secret"], VECTOR["msg_id"], VECTOR["timestamp"], body) == VECTOR["expected_signature"]
    key = standard.verify([VECTOR["secret"]], VECTOR["headers"], body, now=VECTOR["timestamp"] + 60)
    assert key == VECTOR["msg_id"]


def test_the_standard_vector_is_stale_at_any_other_time():
    with pytest.raises(SignatureRefused, match="5 minutes"):
        standard.verify(
            [VECTOR["secret"]], VECTOR["headers"], VECTOR["payload"].encode(), now=VECTOR["timestamp"] + 301
        )


def test_a_re_serialised_body_no_longer_verifies():
    body = "Zoë Müller".encode()
    respaced = json.dumps(json.loads(json.dumps({"n": "Zoë Müller"}))).encode()
    assert calcom.sign("k", body) != calcom.sign("k", respaced)
    with pytest.raises(SignatureRefused):
        calcom.verify(["k"], {"x-cal-signature-256": calcom.sign("k", b'{"n": "Zo\\u00eb"}')}, '{"n": "Zoë"}'.encode())


def test_schemes_produce_the_documented_shapes():
    assert len(calcom.sign("secret", b"{}")) == 64  # hex
    header = calendly.sign("secret", 1700000000, b"{}")
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    import base64

    assert len(base64.b64decode(acuity.sign("key", b"action=scheduled&id=1"))) == 32
