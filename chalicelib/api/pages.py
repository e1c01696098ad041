"""The web pages: the staff attendance board and the student portal.

A single page of plain HTML, CSS and JavaScript under chalicelib/web/, served by the app
itself so it needs no hosting of its own and calls the API on the same origin. The pages
are public and hold nothing: every piece of data comes from the JSON API with the token
the user signs in with, so the API's own checks are the only ones there are.

Only the files that exist in chalicelib/web/ are served, by exact name: a requested name
is served only when the directory's own listing has it, so no name can reach outside.
"""

import os
import re

from chalice import Blueprint, Response
from pydantic import ConfigDict

from ..errors import NotFound
from .routing import PUBLIC, current_state, route
from .schemas.common import Query

bp = Blueprint(__name__)

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
PAGE = "index.html"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.[a-z0-9]+$")

# The page loads only its own script and style and talks only to its own origin; with
# no inline script allowed, text that slipped into the DOM as markup still could not run.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class PageQuery(Query):
    """Query strings are ignored (a link may carry one to defeat a cache)."""

    model_config = ConfigDict(extra="allow")


def _assets() -> dict[str, str]:
    """name -> content type of every servable file; the page itself only under /app."""
    found = {}
    for name in os.listdir(WEB_DIR):
        ext = os.path.splitext(name)[1]
        if (
            name != PAGE
            and _ASSET_NAME.match(name)
            and ext in CONTENT_TYPES
            and os.path.isfile(os.path.join(WEB_DIR, name))
        ):
            found[name] = CONTENT_TYPES[ext]
    return found


def _file(name: str, content_type: str) -> Response:
    with open(os.path.join(WEB_DIR, name), encoding="utf-8") as f:
        body = f.read()
    headers: dict[str, str | list[str]] = {
        "Content-Type": content_type,
        # Revalidate every time: a deploy must never leave an old script beside a new page.
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if content_type.startswith("text/html"):
        headers["Content-Security-Policy"] = _CSP
        headers["X-Frame-Options"] = "DENY"
    return Response(body=body, status_code=200, headers=headers)


@route(
    bp,
    "/app",
    "GET",
    roles=PUBLIC,
    query=PageQuery,
    summary="The web page: attendance board and student portal (data comes from the API with your token)",
)
def page(req):
    state = current_state()
    path = str(((state.request.context or {}) if state else {}).get("path") or "")
    if path.endswith("/"):
        # At .../app/ the page's relative asset links would miss; send the browser to .../app
        # (relative, so it holds under any stage prefix).
        return Response(body="", status_code=308, headers={"Location": "../app", "Cache-Control": "no-cache"})
    return _file(PAGE, CONTENT_TYPES[".html"])


@route(
    bp,
    "/app/{asset}",
    "GET",
    roles=PUBLIC,
    query=PageQuery,
    summary="A script or style sheet of the web page",
)
def asset(req):
    name = req.params["asset"]
    content_type = _assets().get(name)
    if content_type is None:
        raise NotFound("asset", name[:100])
    return _file(name, content_type)
