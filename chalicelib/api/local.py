"""Routes of the local stage only (registered by app.py when the stage is `local`):
run a scheduled job now, as of a date; read the emails the app has "sent"; hand out the
demo school's tokens so the web pages can offer a picker of demo users.

The demo tokens are made here rather than in tools/ because the app must not import
tools/, and `make run` prints the very same tokens (tools/run_local.py calls
`demo_tokens`).
"""

import json
from datetime import date

from chalice import Blueprint
from pydantic import BaseModel

from .. import config, jobs
from ..errors import NotFound, Unauthenticated
from ..services import counters, notifications
from .auth import local_token
from .routing import ADMIN_ONLY, PUBLIC, route
from .schemas.local import JobOut, JobQuery, OutboxOut

bp = Blueprint(__name__)


def _answer_unknown_routes_like_the_deployed_gateway() -> None:
    """Chalice's local gateway answers a path no route has with API Gateway's default 403,
    echoing the bearer token back. The deployed API answers 404 in the contract's shape (its
    gateway responses, infra/generate.py); the local one is made to say the same."""
    from chalice import local as chalice_local

    if getattr(chalice_local.LocalGateway, "_optclass_not_found", False):
        return
    original = chalice_local.LocalGateway.handle_request

    class RouteNotFound(chalice_local.LocalGatewayException):
        CODE = 404

    def handle_request(self, method, path, headers, body):
        try:
            return original(self, method, path, headers, body)
        except chalice_local.ForbiddenError as exc:
            if b"Missing Authentication Token" not in (exc.body or b"") and b"Authorization header requires" not in (
                exc.body or b""
            ):
                raise
            raise RouteNotFound(
                {"Content-Type": "application/json"},
                json.dumps({"error": {"code": "not_found", "message": "no such route", "details": []}}).encode(),
            )

    # Patched in place at run time (setattr: the class declares neither as assignable).
    setattr(chalice_local.LocalGateway, "handle_request", handle_request)
    setattr(chalice_local.LocalGateway, "_optclass_not_found", True)


_answer_unknown_routes_like_the_deployed_gateway()

# The demo school of tools/demo.py: its company and the login of one user per role.
DEMO_COMPANY_ID = "demo-school"
DEMO_USERS = {
    "admin": "demo-admin",
    "staff": "demo-staff-1",
    "teacher": "demo-teacher-1",
    "student": "demo-student-1",
}
DEMO_TOKEN_SECONDS = 7 * 24 * 3600


def demo_tokens() -> dict[str, str]:
    """A token per demo role, signed with the local stage's development secret."""
    secret = config.dev_jwt_secret()
    if not secret:
        raise Unauthenticated("this server has no development token secret configured")
    return {
        role: local_token(DEMO_COMPANY_ID, sub, role, secret=secret, expires_in=DEMO_TOKEN_SECONDS)
        for role, sub in DEMO_USERS.items()
    }


class DemoTokensOut(BaseModel):
    company_id: str
    tokens: dict[str, str]


@route(
    bp,
    "/local/demo-tokens",
    "GET",
    roles=PUBLIC,
    response=DemoTokensOut,
    summary="A token per demo role, for the web pages' demo sign-in (local stage only)",
)
def demo_tokens_route(req):
    # Public on purpose: the local stage is a development server that prints these tokens
    # anyway, and deployed stages never register this blueprint (see app.py).
    return DemoTokensOut(company_id=DEMO_COMPANY_ID, tokens=demo_tokens())


@route(
    bp,
    "/local/jobs/{job_name}",
    "POST",
    roles=ADMIN_ONLY,
    query=JobQuery,
    summary="Run a scheduled job now, as of a date (local stage only)",
    response=JobOut,
)
def run_job(req):
    name = req.params["job_name"]
    if name == "report-counters":  # in AWS, Lambda reads the stream; locally, this drains it now
        return {
            "job": name,
            "date": (req.query.on or date.today()).isoformat(),
            "result": {"records": counters.drain_local()},
        }
    if name not in jobs.JOBS:
        raise NotFound("job", name)
    return jobs.run(name, req.query.on)


@route(
    bp,
    "/local/outbox",
    "GET",
    roles=ADMIN_ONLY,
    summary="Emails sent by the app, newest first (local stage only)",
    response=OutboxOut,
    many=True,
)
def outbox(req):
    return notifications.outbox(req.actor, req.query.limit, req.query.next)
