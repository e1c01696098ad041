"""The OpenAPI 3.1 document, generated from the routes' declarations and the same
pydantic models that validate requests and shape responses: it cannot drift from the code.
"""

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel

from .routing import ROUTES, RouteSpec
from .schemas.common import ErrorOut

TITLE = "OptClass API"
VERSION = "1.0.0"
ERROR_STATUSES = {
    "400": "Malformed or invalid input; every bad field is named in details",
    "401": "No token, or a bad one (webhooks: a missing, forged or stale signature)",
    "403": "The caller's role may not do this",
    "404": "Unknown id, or an id of another company",
    "405": "Method not allowed on this path",
    "409": "Conflict with the current state",
    "412": "If-Match names another version",
    "413": "Body too large",
    "415": "Unsupported content type",
    "503": "The store is busy; retry after Retry-After seconds",
}
# Routes that answer other content than JSON, by (method, path): content type -> schema.
RAW_CONTENT = {
    "text/csv": {"type": "string"},
    "text/html": {"type": "string"},
    "text/javascript": {"type": "string"},
    "text/css": {"type": "string"},
    "image/svg+xml": {"type": "string"},
}


Mode = Literal["validation", "serialization"]  # pydantic.json_schema.JsonSchemaMode (imported late, below)


def _models() -> list[tuple[type[BaseModel], Mode]]:
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(ErrorOut, "serialization"): None}
    for spec in ROUTES.values():
        if spec.body is not None:
            wanted[(spec.body, "validation")] = None
        if spec.response is not None:
            wanted[(spec.response, "serialization")] = None
        for _, model in spec.alternate:
            wanted[(model, "serialization")] = None
    return list(wanted)


def _query_parameters(spec: RouteSpec) -> list[dict]:
    if spec.query is None:
        return []
    schema = spec.query.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        params.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
                **({"description": prop["description"]} if "description" in prop else {}),
            }
        )
    return params


def _responses(spec: RouteSpec, refs: dict) -> dict:
    responses: dict[str, Any] = {}
    content: dict[str, Any] = {}
    if spec.response is not None:
        ref = {"$ref": refs[(spec.response, "serialization")]["$ref"]}
        if spec.many:
            ref = {
                "type": "object",
                "required": ["items", "next"],
                "properties": {
                    "items": {"type": "array", "items": ref},
                    "next": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
            }
        content["application/json"] = {"schema": ref}
    for media in spec.extra_media:
        content[media] = {"schema": RAW_CONTENT[media]}
    responses[str(spec.status)] = {"description": spec.summary, **({"content": content} if content else {})}
    for status, model in spec.alternate:
        responses[str(status)] = {
            "description": spec.summary,
            "content": {"application/json": {"schema": {"$ref": refs[(model, "serialization")]["$ref"]}}},
        }
    error = {"content": {"application/json": {"schema": {"$ref": refs[(ErrorOut, "serialization")]["$ref"]}}}}
    for code, text in ERROR_STATUSES.items():
        if code == "401" and spec.public and not spec.path.startswith("/webhooks"):
            continue
        if code not in responses:
            responses[code] = {"description": text, **error}
    return responses


def _operation(spec: RouteSpec, refs: dict) -> dict:
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for n in re.findall(r"\{(\w+)\}", spec.path)
    ]
    params += _query_parameters(spec)
    if spec.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry with the same key and body within 24 h answers the first result",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
            }
        )
    if spec.method in ("PUT", "PATCH", "DELETE"):
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The version the change is based on",
                "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
            }
        )
    op: dict[str, Any] = {
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', spec.path).strip('_')}",
        "summary": spec.summary,
        "tags": [spec.path.strip("/").split("/")[0] or "root"],
        "parameters": params,
        "responses": _responses(spec, refs),
        "x-roles": sorted(spec.roles) if not spec.public else [],
    }
    if not spec.public:
        op["security"] = [{"bearer": []}]
    else:
        op["security"] = []
    if spec.body is not None:
        schema = {"$ref": refs[(spec.body, "validation")]["$ref"]}
        body_content = {media: {"schema": schema} for media in spec.content_types}
        op["requestBody"] = {"required": not spec.optional_body, "content": body_content}
    elif spec.path.startswith("/webhooks"):
        op["requestBody"] = {"required": True, "content": {media: {"schema": {}} for media in spec.content_types}}
    return op


@lru_cache(maxsize=1)
def document() -> dict:
    from pydantic.json_schema import models_json_schema  # only this route needs it

    refs, top = models_json_schema(_models(), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for (path, method), spec in sorted(ROUTES.items()):
        paths.setdefault(path, {})[method.lower()] = _operation(spec, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Session balances and attendance. Every route but the public ones takes "
            "`Authorization: Bearer <JWT>`; errors answer "
            '`{"error": {"code", "message", "details"}}`.',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
