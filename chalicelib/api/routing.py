"""Declaring routes: who may call them, what they take, what they answer.

`route(...)` registers a view with Chalice and records its spec in `ROUTES`. The spec is
what the middleware checks roles against, what the OpenAPI document is built from, and
what the authorization matrix test enumerates. The wrapper around every view parses the
query and body against their models, hands a write route's Idempotency-Key to its use case
(the unit of work records the answer with the effect), runs a read route under the unit of
work's retry policy, presents the result with the response model, and turns business
exceptions into the contract's errors.

A view returns what its use case answered: a record or a result, which the route's
response model validates from its attributes, or, for a `many` route, a page or a list of
them. Where the answer follows a rule of presentation, the route names a `presenter`
beside the view, which turns each result into the response model (or into what it
validates from); it runs on the answer an Idempotency-Key records too, so a replay shows
exactly what the first answer did.
"""

import contextvars
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response
from pydantic import BaseModel, ValidationError

from .. import config, limits
from ..errors import Forbidden, InvalidInput, NotFound, OptClassError
from ..services import company, people
from ..services.context import ADMIN, STAFF, STUDENT, TEACHER, Actor, Caller
from ..store import pages, unit_of_work
from ..store.pages import Page
from ..store.unit_of_work import Idempotency, Replayed
from .auth import Identity
from .errors import error_response
from .schemas.common import ListQuery

PUBLIC: frozenset[str] = frozenset()
ADMIN_ONLY = frozenset({ADMIN})
STAFF_ROLES = frozenset({ADMIN, STAFF})
TEACHING_ROLES = frozenset({ADMIN, STAFF, TEACHER})
STUDENT_ONLY = frozenset({STUDENT})

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_VERSION = re.compile(r"^[0-9]{1,10}$", re.ASCII)


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    roles: frozenset[str]
    public: bool
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    many: bool
    status: int
    idempotent: bool
    content_types: tuple[str, ...]
    optional_body: bool = False
    folds_caller: bool = False  # the use case resolves the caller in its own first read
    bootstrap: bool = False  # a login with no record may call it (setting up a new company)
    extra_media: tuple[str, ...] = ()  # other answers than JSON (CSV, HTML...), for the OpenAPI document
    alternate: tuple[tuple[int, Any], ...] = ()  # other statuses answered with a model of their own
    presenter: Callable[[Any], Any] | None = None  # a result -> the response model, or what it validates from
    max_body: int | None = None  # a larger body than the stage's limit (an import's file)


ROUTES: dict[tuple[str, str], RouteSpec] = {}


@dataclass
class RequestState:
    """What the middleware learned about the request, for the view wrapper (and, once the
    caller is resolved, the role they acted in, for the request's log line)."""

    request: Any
    spec: RouteSpec | None
    identity: Identity | None  # None on a public route
    role: str | None = None


_state: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar("optclass_request", default=None)


def set_state(state: RequestState | None) -> None:
    _state.set(state)


def current_state() -> RequestState | None:
    return _state.get()


@dataclass
class Req:
    """What a view gets: the caller (resolved from their record, or, on routes that fold
    the resolution into their own read, still to resolve), the parsed input, and the
    idempotency claim if any."""

    actor: Actor | Caller | None  # None on a public route
    params: dict[str, str]
    body: Any
    query: Any
    headers: Any
    claim: Idempotency | None
    raw_body: bytes

    @property
    def if_match(self) -> int | None:
        value = self.headers.get("if-match")
        if value is None:
            return None
        text = value.strip().removeprefix("W/").strip('"')
        if not _VERSION.match(text):
            raise InvalidInput(
                "If-Match must be a version number (ASCII digits, at most 10)",
                [{"field": "If-Match", "message": "not a version"}],
            )
        return int(text)


def spec_for(path: str, method: str) -> RouteSpec | None:
    return ROUTES.get((path, method.upper()))


def _validation_details(exc: ValidationError, prefix: str) -> list[dict[str, str]]:
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        message = err.get("msg", "invalid").removeprefix("Value error, ")
        details.append({"field": loc or prefix, "message": message})
    return details


def _summary(details: list[dict[str, str]]) -> str:
    return "invalid input: " + "; ".join(f"{d['field']}: {d['message']}" for d in details)


def parse_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    if not raw or not raw.strip():
        raise InvalidInput("a JSON body is required", [{"field": "body", "message": "missing"}])
    if limits.json_too_deep(raw):
        raise InvalidInput(
            f"the body nests deeper than {limits.MAX_JSON_DEPTH} levels",
            [{"field": "body", "message": "nested too deep"}],
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}", [{"field": "body", "message": "malformed JSON"}])
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", [{"field": "body", "message": "not an object"}])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        details = _validation_details(exc, "body")
        raise InvalidInput(_summary(details), details)


def parse_query(model: type[BaseModel] | None, params: Any) -> BaseModel | None:
    given = dict(params or {})
    if model is None:
        if given:
            names = ", ".join(sorted(given))
            raise InvalidInput(
                f"unknown query parameters: {names}",
                [{"field": n, "message": "unknown parameter"} for n in sorted(given)],
            )
        return None
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        details = _validation_details(exc, "query")
        raise InvalidInput(_summary(details), details)


def respond(spec: RouteSpec, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(body=present(spec, result), status_code=spec.status)


def replayed(answer: Replayed) -> Response:
    """The answer first given to a request's Idempotency-Key, sent again as it was."""
    return Response(body=answer.body, status_code=answer.status, headers={"Idempotent-Replayed": "true"})


def _body(spec: RouteSpec, raw: bytes) -> BaseModel | None:
    if spec.body is None or (spec.optional_body and not raw.strip()):
        return None
    return parse_body(spec.body, raw)


def present(spec: RouteSpec, result: Any) -> Any:
    """The JSON of a view's result: each item of a page or list, or the one result, as the
    route's response model."""
    model = spec.response
    if model is None:
        return result

    def shown(item: Any) -> dict[str, Any]:
        if not isinstance(item, BaseModel) and spec.presenter is not None:
            item = spec.presenter(item)
        if not isinstance(item, BaseModel):
            item = model.model_validate(item)  # from the attributes of a record or a result
        if not isinstance(item, model):
            raise TypeError(f"{spec.method} {spec.path} declares {model.__name__}, not {type(item).__name__}")
        return item.model_dump(mode="json", by_alias=True)

    if isinstance(result, Page):
        return {"items": [shown(i) for i in result.items], "next": result.next}
    if isinstance(result, list):
        return {"items": [shown(i) for i in result], "next": None}
    return shown(result)


def _caller_of(spec: RouteSpec, state: RequestState) -> Actor | Caller:
    """The caller, by their record: one GetItem of their login's user ref (or none, where the
    use case folds it into its own read); 403 without a record or with a role the route does
    not take."""
    identity = state.identity
    if identity is None:
        raise RuntimeError("the request did not pass the authentication middleware")
    caller = identity.caller(spec.roles)
    if spec.folds_caller:
        return caller
    actor = unit_of_work.reading(lambda: people.resolve(caller), company_id=identity.company_id)
    if actor is None and spec.bootstrap:
        return Actor(identity.company_id, identity.subject, None)  # no record yet: may set one up
    if actor is None:
        if not unit_of_work.reading(lambda: company.is_set_up(identity.company_id), company_id=identity.company_id):
            raise NotFound("company", identity.company_id)  # nobody set it up: PUT /company does
        raise Forbidden("this login has no record in the company; ask its admin for access")
    if actor.role not in spec.roles:
        raise Forbidden(f"the {actor.role} role may not {spec.method} {spec.path}")
    state.role = actor.role
    return actor


def _run(spec: RouteSpec, fn: Callable[[Req], Any], req: Req, path: str) -> Response:
    actor = req.actor
    key = req.headers.get("idempotency-key") if spec.idempotent else None
    if key is not None:
        if actor is None:
            raise RuntimeError("an Idempotency-Key is kept per caller; route() refuses it on a public route")
        if not _IDEMPOTENCY_KEY.match(key):
            raise InvalidInput(
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                [{"field": "Idempotency-Key", "message": "invalid"}],
            )
        req.claim = Idempotency(
            actor.company_id,
            actor.subject,
            key,
            unit_of_work.fingerprint(spec.method, path, req.raw_body),
            render=lambda r: (spec.status, json.dumps(present(spec, r))),
        )
    if spec.method in ("GET", "HEAD"):
        result = unit_of_work.reading(lambda: fn(req), company_id=actor.company_id if actor else None)
    else:
        try:
            result = fn(req)  # a write use case runs its own steps under the unit of work
        except Replayed as answer:
            return replayed(answer)
    if req.claim is not None and not req.claim.recorded and not isinstance(result, Response):
        raise RuntimeError(f"{spec.method} {spec.path} takes an Idempotency-Key but did not record its answer")
    return respond(spec, result)


def _gateway_authorizer():
    """In deployed stages API Gateway also checks the user pool's tokens before the app does
    (defence in depth; the middleware's own check is the one that runs everywhere)."""
    arn = config.user_pool_arn()
    if not arn:
        return None
    return CognitoUserPoolAuthorizer("OptClassUserPool", provider_arns=[arn])


def route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    roles: frozenset[str],
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    idempotent: bool = False,
    content_types: tuple[str, ...] = ("application/json",),
    optional_body: bool = False,
    extra_media: tuple[str, ...] = (),
    alternate: dict[int, type[BaseModel]] | None = None,
    folds_caller: bool = False,
    bootstrap: bool = False,
    presenter: Callable[[Any], Any] | None = None,
    max_body: int | None = None,
) -> Callable:
    """Register `fn(req) -> result` as `method path` on the blueprint; `response` is the
    model the result is answered as (`presenter`, if given, turns the result into it)."""
    method = method.upper()
    if idempotent and roles is PUBLIC:
        raise ValueError(f"{method} {path}: an Idempotency-Key is kept per caller; a public route has none")
    if many and query is None:
        query = ListQuery

    def decorator(fn: Callable[[Req], Any]) -> Callable:
        spec = RouteSpec(
            path=path,
            method=method,
            roles=roles,
            public=roles is PUBLIC,
            summary=summary,
            body=body,
            query=query,
            response=response,
            many=many,
            status=status,
            idempotent=idempotent,
            content_types=content_types,
            optional_body=optional_body,
            extra_media=extra_media,
            alternate=tuple((alternate or {}).items()),
            folds_caller=folds_caller,
            bootstrap=bootstrap,
            presenter=presenter,
            max_body=max_body,
        )
        if (path, method) in ROUTES:
            raise ValueError(f"route {method} {path} declared twice")
        ROUTES[(path, method)] = spec

        def view(**params: str) -> Response:
            state = current_state()
            try:
                if state is None or (not spec.public and state.identity is None):
                    raise RuntimeError("the request did not pass the authentication middleware")
                request = state.request
                raw = request.raw_body or b""
                query, body = parse_query(spec.query, request.query_params), _body(spec, raw)
                actor = None if spec.public else _caller_of(spec, state)
                req = Req(
                    actor=actor,
                    params=params,
                    query=query,
                    body=body,
                    headers=request.headers,
                    claim=None,
                    raw_body=raw,
                )
                concrete = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), ""), path)
                # Cursors made and taken here are bound to this company and this list.
                scope = pages.set_scope(f"{state.identity.company_id}|{method} {path}" if state.identity else "")
                try:
                    return _run(spec, fn, req, concrete)
                finally:
                    pages.reset_scope(scope)
            except OptClassError as exc:
                return error_response(exc)

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
        authorizer = None if spec.public else _gateway_authorizer()
        options = {"authorizer": authorizer} if authorizer is not None else {}
        bp.route(path, methods=[method], content_types=list(content_types), **options)(view)
        return fn

    return decorator
