"""Token verification: HS256 in the local stage, RS256 against a JWKS in deployed stages."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.api import auth
from chalicelib.errors import Unauthenticated
from tests.support import DEV_SECRET, token

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
AUDIENCE = "test-app-client"


def test_a_local_token_gives_who_the_caller_is_and_only_the_role_they_wish_for():
    p = auth.authenticate(f"Bearer {token('acme', 'staff', 'u-1')}")
    assert (p.subject, p.company_id, p.claimed_role) == ("u-1", "acme", "staff")
    assert not hasattr(p, "role")  # what they may do comes from their record, not from here


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["9999999999", "soon", True, None, [1]])
def test_time_claims_that_are_not_numbers_are_refused(claim, value):
    claims = {"sub": "u-1", "company_id": "acme", "exp": int(time.time()) + 60, claim: value}
    raw = jwt.encode(claims, DEV_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {raw}")


@pytest.mark.parametrize(
    "header,message",
    [
        (None, "required"),
        ("Basic abc", "Bearer"),
        ("Bearer ", "Bearer"),
        ("Bearer not.a.jwt", "not valid"),
    ],
)
def test_malformed_authorization_is_refused(header, message):
    with pytest.raises(Unauthenticated, match=message):
        auth.authenticate(header)


def test_expired_token_is_refused():
    with pytest.raises(Unauthenticated, match="expired"):
        auth.authenticate(f"Bearer {token('acme', 'staff', expires_in=-120)}")


def test_token_signed_with_another_secret_is_refused():
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.authenticate(f"Bearer {token('acme', 'staff', secret=DEV_SECRET + 'nope')}")


def test_token_without_expiry_is_refused():
    raw = jwt.encode({"sub": "u", "company_id": "acme", "role": "staff"}, DEV_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {raw}")


def test_alg_none_is_refused():
    raw = jwt.encode(
        {"sub": "u", "company_id": "acme", "role": "admin", "exp": time.time() + 60}, None, algorithm="none"
    )
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {raw}")


@pytest.mark.parametrize(
    "claims,message",
    [
        ({"company_id": "acme", "role": "owner"}, "role"),
        ({"role": "staff"}, "company"),
        ({"company_id": "acme#S#x", "role": "staff"}, "company"),
    ],
)
def test_tokens_with_unusable_claims_are_refused(claims, message):
    raw = jwt.encode({"sub": "u-1", "exp": time.time() + 60, **claims}, DEV_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated, match=message):
        auth.authenticate(f"Bearer {raw}")


def test_no_dev_secret_means_no_local_token_is_accepted(monkeypatch):
    monkeypatch.delenv("OPTCLASS_DEV_JWT_SECRET")
    with pytest.raises(Unauthenticated, match="secret"):
        auth.authenticate(f"Bearer {token('acme', 'staff')}")


# --- RS256 against a JWKS served by the test -------------------------------------------


@pytest.fixture(scope="module")
def keys():
    return {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("k1", "k2")}


@pytest.fixture(scope="module")
def jwks_server(keys):
    served = {"keys": []}
    for kid, key in keys.items():
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        served["keys"].append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    hits = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits["count"] += 1
            body = json.dumps(served).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", "hits": hits}
    server.shutdown()


@pytest.fixture
def deployed(monkeypatch, jwks_server):
    monkeypatch.setenv("OPTCLASS_STAGE", "prod")
    monkeypatch.setenv("OPTCLASS_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("OPTCLASS_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("OPTCLASS_JWKS_URL", jwks_server["url"])
    auth._jwks_clients.clear()
    return jwks_server


def _rs256(keys, kid="k1", **claims):
    base = {
        "sub": "4f1c-uuid",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 600,
        "token_use": "id",
        "custom:company_id": "acme",
        "cognito:groups": ["teacher", "staff"],
    }
    base.update(claims)
    base = {k: v for k, v in base.items() if v is not None}
    return jwt.encode(base, keys[kid], algorithm="RS256", headers={"kid": kid})


def test_cognito_id_token_is_verified_against_the_jwks(deployed, keys):
    p = auth.authenticate(f"Bearer {_rs256(keys)}")
    assert (p.subject, p.company_id, p.claimed_role) == ("4f1c-uuid", "acme", "teacher")


def test_a_cognito_token_must_say_what_it_is_and_be_for_this_client(deployed, keys):
    for claims, message in (
        ({"token_use": None}, "token_use"),
        ({"token_use": "refresh"}, "token_use"),
        ({"token_use": "access", "aud": None, "client_id": "other-client"}, "app client"),
        ({"token_use": "access", "aud": AUDIENCE, "client_id": None}, "app client"),
    ):
        with pytest.raises(Unauthenticated, match=message):
            auth.authenticate(f"Bearer {_rs256(keys, **claims)}")


def test_a_deployed_stage_takes_the_company_only_from_the_attribute_users_cannot_write(deployed, keys):
    raw = _rs256(keys, **{"custom:company_id": None, "company_id": "acme"})
    with pytest.raises(Unauthenticated, match="company"):
        auth.authenticate(f"Bearer {raw}")


def test_keys_are_fetched_once_and_cached(deployed, keys):
    before = deployed["hits"]["count"]
    for kid in ("k1", "k2", "k1"):
        auth.authenticate(f"Bearer {_rs256(keys, kid=kid)}")
    assert deployed["hits"]["count"] - before == 1


def test_access_token_names_the_client_in_client_id(deployed, keys):
    p = auth.authenticate(f"Bearer {_rs256(keys, aud=None, client_id=AUDIENCE, token_use='access')}")
    assert p.company_id == "acme"


@pytest.mark.parametrize(
    "claims,message",
    [
        ({"iss": "https://evil.example"}, "not valid"),
        ({"aud": "someone-else"}, "audience"),
        ({"exp": int(time.time()) - 600}, "expired"),
    ],
)
def test_rs256_tokens_with_wrong_issuer_audience_or_expiry_are_refused(deployed, keys, claims, message):
    with pytest.raises(Unauthenticated, match=message):
        auth.authenticate(f"Bearer {_rs256(keys, **claims)}")


def test_rs256_token_with_unknown_key_id_is_refused(deployed, keys):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raw = jwt.encode(
        {"sub": "u", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        other,
        algorithm="RS256",
        headers={"kid": "k9"},
    )
    with pytest.raises(Unauthenticated, match="unknown"):
        auth.authenticate(f"Bearer {raw}")


def test_hs256_token_is_refused_in_a_deployed_stage(deployed):
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {token('acme', 'admin')}")


def test_rs256_token_signed_by_another_key_with_a_known_kid_is_refused(deployed, keys):
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raw = jwt.encode(
        {
            "sub": "u",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": int(time.time()) + 60,
            "custom:company_id": "acme",
            "cognito:groups": ["admin"],
        },
        forged,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.authenticate(f"Bearer {raw}")
