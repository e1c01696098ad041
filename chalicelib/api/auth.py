"""Verifying bearer tokens and turning their claims into an identity.

The local stage accepts HS256 tokens signed with `OPTCLASS_DEV_JWT_SECRET`. Deployed
stages accept RS256 tokens from the user pool: the key is found in the pool's JWKS
(fetched once and cached), the issuer and audience come from stage config, and Cognito's
`token_use` must say what the token is (an ID token names the app client in `aud`, an
access token in `client_id`). A token proves who the caller is (`sub`) and which company
(`custom:company_id`, which the app client may not write; `company_id` in local tokens).
A role claim (`role`, or the first of `cognito:groups`) is only a wish to act in a
narrower role: what the caller may do comes from our records (domain/access.py).
"""

import re
import threading
import time
from dataclasses import dataclass

from .. import config
from ..errors import Unauthenticated
from ..services.context import ROLES, Caller

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.@:+-]{1,128}$")
_jwks_clients: dict = {}
_jwks_lock = threading.Lock()
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is. `claimed_role` only ever narrows."""

    subject: str
    company_id: str
    claimed_role: str | None = None
    email: str | None = None
    name: str | None = None

    def caller(self, allowed: frozenset[str] = frozenset()) -> Caller:
        return Caller(self.company_id, self.subject, self.claimed_role, allowed)


def _jwks_client(url: str):
    import jwt

    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)
            _jwks_clients[url] = client
        return client


def local_token(
    company_id: str, sub: str, role: str | None = None, *, secret: str, expires_in: int = 3600, **extra
) -> str:
    """A token the local stage accepts (HS256 over `secret`): the one way the demo tokens,
    `tools/make_token.py` and the tests make theirs. Never accepted by a deployed stage."""
    import jwt

    issued = int(time.time())
    claims = {"sub": sub, "company_id": company_id, "iat": issued, "exp": issued + expires_in, **extra}
    if role is not None:
        claims["role"] = role
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode(token: str) -> dict:
    import jwt  # loaded with the first request that carries a token, not at import

    if config.is_local():
        secret = config.dev_jwt_secret()
        if not secret:
            raise Unauthenticated("this server has no development token secret configured")
        return _times_are_numbers(
            jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS, options={"require": ["exp", "sub"]})
        )
    url, issuer, audience = config.jwks_url(), config.jwt_issuer(), config.jwt_audience()
    if not (url and issuer and audience):
        raise Unauthenticated("token verification is not configured for this stage")
    try:
        key = _jwks_client(url).get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientError as exc:
        raise Unauthenticated(f"the token's signing key is unknown: {exc}")
    claims = _times_are_numbers(
        jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "iss"], "verify_aud": False},
        )
    )
    use = claims.get("token_use")
    if use == "id":
        aud = claims.get("aud")
        if audience not in (aud if isinstance(aud, list) else [aud]):
            raise Unauthenticated("the token was issued for another audience")
    elif use == "access":
        if claims.get("client_id") != audience:
            raise Unauthenticated("the token was issued for another app client")
    else:
        raise Unauthenticated("the token says neither that it is an ID token nor an access token (token_use)")
    return claims


def _times_are_numbers(claims: dict) -> dict:
    """`exp`, `nbf` and `iat` are NumericDates: anything else is refused, not coerced."""
    for name in ("exp", "nbf", "iat"):
        if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], (int, float))):
            raise Unauthenticated(f"the token's {name} is not a number")
    return claims


def identity_from_claims(claims: dict) -> Identity:
    company_id = claims.get("company_id") if config.is_local() else claims.get("custom:company_id")
    role = claims.get("role")
    if role is None:
        groups = claims.get("cognito:groups") or []
        role = groups[0] if isinstance(groups, list) and groups else None
    subject = claims.get("sub")
    if not (isinstance(company_id, str) and _SAFE_ID.match(company_id)):
        raise Unauthenticated("the token names no valid company")
    if role is not None and role not in ROLES:
        raise Unauthenticated("the token names no valid role")
    if not (isinstance(subject, str) and _SAFE_ID.match(subject)):
        raise Unauthenticated("the token names no valid subject")
    email, name = claims.get("email"), claims.get("name")
    return Identity(
        subject=subject,
        company_id=company_id,
        claimed_role=role,
        email=email if isinstance(email, str) and len(email) <= 254 else None,
        name=name if isinstance(name, str) and len(name) <= 200 else None,
    )


def authenticate(authorization: str | None) -> Identity:
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
    return identity_from_claims(claims)
