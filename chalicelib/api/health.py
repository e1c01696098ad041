"""Health, and the API's own OpenAPI document."""

from chalice import Blueprint, Response

from ..services import health
from . import openapi
from .routing import PUBLIC, route
from .schemas.health import HealthOut, OpenApiQuery

bp = Blueprint(__name__)


@route(
    bp,
    "/health",
    "GET",
    roles=PUBLIC,
    summary="Health of the service and its store",
    response=HealthOut,
    alternate={503: HealthOut},
)
def get_health(req):
    ok = health.store_answers()
    return Response(
        body={"status": "ok" if ok else "unavailable"},
        status_code=200 if ok else 503,
        headers={} if ok else {"Retry-After": "5"},
    )


@route(
    bp,
    "/health",
    "HEAD",
    roles=PUBLIC,
    summary="Health of the service and its store, without a body (load balancers, uptime checks)",
    alternate={503: HealthOut},
)
def head_health(req):
    return get_health(req)  # the middleware answers HEAD without the body


@route(bp, "/openapi.json", "GET", roles=PUBLIC, summary="This API's OpenAPI 3.1 document", query=OpenApiQuery)
def get_openapi(req):
    return Response(body=openapi.document(), status_code=200, headers={"Content-Type": "application/json"})
