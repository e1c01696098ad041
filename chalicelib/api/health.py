"""Health: answers ok when the store answers."""
from chalice import Blueprint, Response

from ..services import health
from .routing import PUBLIC, route
from .schemas import HealthOut

bp = Blueprint(__name__)


@route(bp, "/health", "GET", roles=PUBLIC, summary="Health of the service and its store", response=HealthOut)
def get_health(req):
    ok = health.store_answers()
    return Response(body={"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503,
                    headers={} if ok else {"Retry-After": "5"})
