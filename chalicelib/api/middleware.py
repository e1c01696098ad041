"""The HTTP middleware every request passes through: the one place that authenticates the
caller (the route wrapper then resolves their record and checks the route's roles).

It also refuses oversized bodies, binds the store, counts DynamoDB work, gives the
framework's own errors the contract's shape, and writes the request's log line.
"""

import time
import uuid

from chalice import Response

from .. import config
from ..errors import NotConfigured, OptClassError, PayloadTooLarge
from ..observability import flush, log_event
from ..store import engine
from . import auth
from .errors import error_response, normalize_framework_error
from .routing import RequestState, set_state, spec_for


def _authenticate(request, spec) -> auth.Identity | None:
    """The verified identity of the caller (401 without one); what it may do is decided from
    its record once the route runs (chalicelib/api/routing.py)."""
    if spec is None or spec.public:
        return None
    return auth.authenticate(request.headers.get("authorization"))


def http_middleware(request, get_response) -> Response:
    started = time.perf_counter()
    metrics = engine.start_metrics()
    context = request.context or {}
    path, method = context.get("resourcePath", ""), (request.method or "").upper()
    request_id = context.get("requestId") or str(uuid.uuid4())
    spec = spec_for(path, method)
    identity = None
    state = None
    try:
        problems = config.deployment_problems()
        if problems:  # a deployed stage without its settings serves nothing, and says why in its log
            log_event("misconfigured", request_id=request_id, problems=problems)
            raise NotConfigured("this deployment is not configured; its log says what is missing")
        limit = (spec.max_body if spec is not None else None) or config.max_body_bytes()
        if len(request.raw_body or b"") > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        identity = _authenticate(request, spec)
        engine.ensure_bound()
        state = RequestState(request=request, spec=spec, identity=identity)
        set_state(state)
        response = normalize_framework_error(get_response(request))
    except OptClassError as exc:
        response = error_response(exc)
    finally:
        set_state(None)
    response.headers["X-Request-Id"] = request_id
    if method == "HEAD":  # an answer to HEAD is its status and headers only, whatever answered it
        response.body = ""
    log_event(
        "request",
        request_id=request_id,
        company_id=identity.company_id if identity else None,
        role=state.role if state else None,
        method=method,
        route=path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        dynamodb_calls=metrics.calls,
        items_read=metrics.items_read,
        items_written=metrics.items_written,
        transactions=metrics.by_operation.get("TransactWriteItems", 0),
        store_retries=metrics.retries,
        store_resends=metrics.resends,
    )
    flush()
    return response
