"""The HTTP middleware every request passes through: the one place that authenticates
the caller and checks their role against the route's declared roles.

It also refuses oversized bodies, binds the store, counts DynamoDB work, gives the
framework's own errors the contract's shape, and writes the request's log line.
"""
import time
import uuid

from chalice import Response

from .. import config
from ..errors import Forbidden, OptClassError, PayloadTooLarge
from ..observability import flush, log_event
from ..store import engine
from . import auth
from .errors import error_response, normalize_framework_error
from .routing import RequestState, set_state, spec_for


def _authorize(request, spec) -> auth.Principal | None:
    if spec is None or spec.public:
        return None
    principal = auth.authenticate(request.headers.get("authorization"))
    if principal.role not in spec.roles:
        raise Forbidden(f"the {principal.role} role may not {spec.method} {spec.path}")
    return principal


def http_middleware(request, get_response) -> Response:
    started = time.perf_counter()
    metrics = engine.start_metrics()
    context = request.context or {}
    path, method = context.get("resourcePath", ""), (request.method or "").upper()
    request_id = context.get("requestId") or str(uuid.uuid4())
    spec = spec_for(path, method)
    principal = None
    try:
        if len(request.raw_body or b"") > config.max_body_bytes():
            raise PayloadTooLarge(f"the body is larger than {config.max_body_bytes()} bytes")
        principal = _authorize(request, spec)
        engine.ensure_bound()
        set_state(RequestState(request=request, spec=spec, actor=principal.actor() if principal else None))
        response = normalize_framework_error(get_response(request))
    except OptClassError as exc:
        response = error_response(exc)
    finally:
        set_state(None)
    response.headers["X-Request-Id"] = request_id
    log_event(
        "request", request_id=request_id, company_id=principal.company_id if principal else None,
        role=principal.role if principal else None, method=method, route=path, status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1), dynamodb_calls=metrics.calls,
        items_read=metrics.items_read, items_written=metrics.items_written,
        transactions=metrics.by_operation.get("TransactWriteItems", 0), store_retries=metrics.retries,
        store_resends=metrics.resends,
    )
    flush()
    return response
