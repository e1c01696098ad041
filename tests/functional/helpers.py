"""A small JSON client over chalice's test client, and a company with one user per role."""

import json
from dataclasses import dataclass, field
from typing import Any

from tests.support import bearer, new_company_id, token


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict

    @property
    def error_code(self) -> str | None:
        return (self.body or {}).get("error", {}).get("code") if isinstance(self.body, dict) else None


class Api:
    """Calls the app as one user (or anonymously when `tok` is None)."""

    def __init__(self, client, tok: str | None):
        self.client = client
        self.tok = tok

    def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None, raw: bytes | str | None = None
    ) -> Answer:
        h = bearer(self.tok) if self.tok else {"Content-Type": "application/json"}
        h.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=h, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(response.status_code, parsed, {k.lower(): v for k, v in response.headers.items()})

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@dataclass
class World:
    """One company: an admin, a staff member, two teachers and a student with a login."""

    client: Any
    company_id: str
    admin: Api
    staff: Api
    teacher: Api
    other_teacher: Api
    student: Api
    ids: dict[str, str] = field(default_factory=dict)

    def as_role(self, role: str, sub: str | None = None) -> Api:
        return Api(self.client, token(self.company_id, role, sub))


def build_world(client, company_id: str | None = None) -> World:
    cid = company_id or new_company_id()
    subs = {r: f"{r}-{cid}" for r in ("admin", "staff", "teacher", "teacher2", "student")}
    admin = Api(client, token(cid, "admin", subs["admin"]))
    assert admin.put("/company", {"name": f"School {cid}", "timezone": "Europe/Berlin"}).status == 200
    ids = {}
    for key, role, name in (
        ("staff", "staff", "Sam Staff"),
        ("teacher", "teacher", "Tina Teacher"),
        ("teacher2", "teacher", "Theo Teacher"),
    ):
        made = admin.post("/staff", {"name": name, "email": f"{key}@{cid}.example", "role": role, "user_id": subs[key]})
        assert made.status == 201, made.body
        ids[f"{key}_id"] = made.body["id"]
    staff = Api(client, token(cid, "staff", subs["staff"]))
    made = staff.post(
        "/students", {"name": "Stella Student", "email": f"stella@{cid}.example", "user_id": subs["student"]}
    )
    assert made.status == 201, made.body
    ids["student_id"] = made.body["id"]
    return World(
        client=client,
        company_id=cid,
        admin=admin,
        staff=staff,
        teacher=Api(client, token(cid, "teacher", subs["teacher"])),
        other_teacher=Api(client, token(cid, "teacher", subs["teacher2"])),
        student=Api(client, token(cid, "student", subs["student"])),
        ids=ids,
    )
