"""Settings, read from the stage's environment variables on every call.

Nothing here is cached at import time: tests, the local runner and Lambda all set the
environment first and the code reads it when it needs it.
"""

import os
from typing import overload

LOCAL_STAGE = "local"


@overload
def _get(name: str) -> str | None: ...
@overload
def _get(name: str, default: str) -> str: ...
def _get(name: str, default: str | None = None) -> str | None:
    """The variable's value; `default` when it is unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def stage() -> str | None:
    """The stage's name; None when unset (and then nothing is local: only an explicit
    `local` stage accepts development tokens and serves the /local routes)."""
    return _get("OPTCLASS_STAGE")


def is_local() -> bool:
    return stage() == LOCAL_STAGE


LOCAL_CURSOR_SECRET = "optclass-local-cursor-secret-not-for-deployed-stages"


def cursor_secret() -> str:
    """The key list cursors are sealed with (a deployed stage must set its own)."""
    return _get("OPTCLASS_CURSOR_SECRET") or (LOCAL_CURSOR_SECRET if is_local() else "")


def deployment_problems() -> list[str]:
    """What a deployed (not local) stage lacks to run safely: it refuses to start without."""
    if is_local():
        return []
    problems = []
    if stage() is None:
        problems.append("OPTCLASS_STAGE is not set (only an explicit 'local' stage is local)")
    for name in (
        "OPTCLASS_JWT_ISSUER",
        "OPTCLASS_JWT_AUDIENCE",
        "OPTCLASS_USER_POOL_ARN",
        "OPTCLASS_CURSOR_SECRET",
        "OPTCLASS_KMS_KEY_ID",
    ):
        if not _get(name):
            problems.append(f"{name} is not set")
    cursor_key = _get("OPTCLASS_CURSOR_SECRET") or ""
    if cursor_key and len(cursor_key) < 32:
        problems.append("OPTCLASS_CURSOR_SECRET is shorter than 32 characters")
    return problems


def table_name() -> str:
    return _get("OPTCLASS_TABLE", "optclass-local")


def region() -> str:
    return _get("AWS_REGION") or _get("AWS_DEFAULT_REGION", "us-east-1")


def dynamodb_endpoint() -> str | None:
    """An explicit DynamoDB endpoint (moto server, DynamoDB Local); None means AWS."""
    return _get("OPTCLASS_DYNAMODB_ENDPOINT")


def dev_jwt_secret() -> str | None:
    """HS256 secret for the local stage only."""
    return _get("OPTCLASS_DEV_JWT_SECRET")


def jwt_issuer() -> str | None:
    return _get("OPTCLASS_JWT_ISSUER")


def jwt_audience() -> str | None:
    return _get("OPTCLASS_JWT_AUDIENCE")


def jwks_url() -> str | None:
    explicit = _get("OPTCLASS_JWKS_URL")
    if explicit:
        return explicit
    issuer = jwt_issuer()
    return f"{issuer.rstrip('/')}/.well-known/jwks.json" if issuer else None


def max_body_bytes() -> int:
    return int(_get("OPTCLASS_MAX_BODY_BYTES", "65536"))


def caller_cache_seconds() -> float:
    """How long a container trusts a login's user ref it read (a role changed or revoked in
    another container takes effect within this; in the same container at once). 0: never."""
    return float(_get("OPTCLASS_CALLER_CACHE_SECONDS", "60"))


def idempotency_ttl_seconds() -> int:
    return int(_get("OPTCLASS_IDEMPOTENCY_TTL_SECONDS", str(24 * 3600)))


def store_max_attempts() -> int:
    """Runs of one step of a use case (the first included) before the caller gets 503."""
    return int(_get("OPTCLASS_STORE_MAX_ATTEMPTS", "8"))


def store_transient_attempts() -> int:
    """Of those runs, how many may follow a throttled or failed request (the store is struggling)."""
    return int(_get("OPTCLASS_STORE_TRANSIENT_ATTEMPTS", "3"))


def store_backoff_base_seconds() -> float:
    """The first pause between runs of a step (full jitter, doubling each time)."""
    return float(_get("OPTCLASS_STORE_BACKOFF_SECONDS", "0.01"))


def store_backoff_cap_seconds() -> float:
    """The longest pause between runs of a step."""
    return float(_get("OPTCLASS_STORE_BACKOFF_CAP_SECONDS", "0.4"))


def kms_key_id() -> str | None:
    """The KMS key that encrypts booking-system secrets (deployed stages; locally one is made)."""
    return _get("OPTCLASS_KMS_KEY_ID")


def delivery_body_days() -> int:
    """How long a webhook delivery's raw body (names, emails) is kept; its outcome stays."""
    return int(_get("OPTCLASS_DELIVERY_BODY_DAYS", "30"))


def stream_arn() -> str:
    """The table's DynamoDB Stream, which feeds the report counters (deployed stages)."""
    return _get("OPTCLASS_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/optclass/stream/local")


def mailer() -> str:
    """Where emails go: `ses` (deployed stages) or `outbox` (the local stage's outbox)."""
    return _get("OPTCLASS_MAILER", "outbox" if is_local() else "ses")


def email_sender() -> str:
    return _get("OPTCLASS_EMAIL_FROM", "notifications@optclass.example")


def acuity_api_base() -> str:
    return _get("OPTCLASS_ACUITY_API_BASE", "https://acuityscheduling.com/api/v1")


def user_pool_arn() -> str | None:
    """The Cognito user pool whose tokens API Gateway checks before the app does (deployed stages)."""
    return _get("OPTCLASS_USER_POOL_ARN")


class Misconfigured(RuntimeError):
    """The stage lacks what it needs to run safely: it refuses to serve anything."""


def require_deployable() -> None:
    problems = deployment_problems()
    if problems:
        raise Misconfigured("OptClass refuses to start: " + "; ".join(problems))
