"""Verifying bearer tokens and turning their claims into a principal.

The local stage accepts HS256 tokens signed with `OPTCLASS_DEV_JWT_SECRET`. Deployed
stages accept RS256 tokens from the user pool: the key is found in the pool's JWKS
(fetched once and cached), the issuer and audience come from stage config. Cognito
tokens carry the tenant as `custom:company_id` and the role as the first of
`cognito:groups`; our own tokens carry `company_id` and `role`.
"""
import re
import threading
from dataclasses import dataclass

from .. import config
from ..errors import Unauthenticated
from ..services.context import ROLES, Actor

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.@:+-]{1,128}$")
_jwks_clients: dict = {}
_jwks_lock = threading.Lock()
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Principal:
    subject: str
    company_id: str
    role: str

    def actor(self) -> Actor:
        return Actor(company_id=self.company_id, subject=self.subject, role=self.role)


def _jwks_client(url: str):
    import jwt

    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)
            _jwks_clients[url] = client
        return client


def _decode(token: str) -> dict:
    import jwt  # loaded with the first request that carries a token, not at import

    if config.is_local():
        secret = config.dev_jwt_secret()
        if not secret:
            raise Unauthenticated("this server has no development token secret configured")
        return jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS,
                          options={"require": ["exp", "sub"]})
    url, issuer, audience = config.jwks_url(), config.jwt_issuer(), config.jwt_audience()
    if not (url and issuer and audience):
        raise Unauthenticated("token verification is not configured for this stage")
    try:
        key = _jwks_client(url).get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientError as exc:
        raise Unauthenticated(f"the token's signing key is unknown: {exc}")
    claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, leeway=LEEWAY_SECONDS,
                        options={"require": ["exp", "sub", "iss"], "verify_aud": False})
    # ID tokens name the app client in `aud`, access tokens in `client_id`.
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences and claims.get("client_id") != audience:
        raise Unauthenticated("the token was issued for another audience")
    return claims


def principal_from_claims(claims: dict) -> Principal:
    company_id = claims.get("company_id") or claims.get("custom:company_id")
    role = claims.get("role")
    if not role:
        groups = claims.get("cognito:groups") or []
        role = groups[0] if isinstance(groups, list) and groups else None
    subject = claims.get("sub")
    if not (isinstance(company_id, str) and _SAFE_ID.match(company_id)):
        raise Unauthenticated("the token names no valid company")
    if role not in ROLES:
        raise Unauthenticated("the token names no valid role")
    if not (isinstance(subject, str) and _SAFE_ID.match(subject)):
        raise Unauthenticated("the token names no valid subject")
    return Principal(subject=subject, company_id=company_id, role=role)


def authenticate(authorization: str | None) -> Principal:
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer token is required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    import jwt

    try:
        claims = _decode(token.strip())
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired")
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"the token is not valid: {exc}")
    return principal_from_claims(claims)
