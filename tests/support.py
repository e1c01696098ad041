"""Helpers shared by the test suites: tokens and small builders."""
import time
import uuid

import jwt

DEV_SECRET = "test-dev-secret-with-enough-length-0123456789"


def token(company_id: str, role: str, sub: str | None = None, *, secret: str = DEV_SECRET,
          expires_in: int = 3600, **extra) -> str:
    now = int(time.time())
    claims = {"sub": sub or f"user-{uuid.uuid4().hex[:12]}", "company_id": company_id, "role": role,
              "iat": now, "exp": now + expires_in, **extra}
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}


def new_company_id() -> str:
    return f"co{uuid.uuid4().hex[:16]}"
