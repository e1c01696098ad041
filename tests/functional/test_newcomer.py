"""What the README promises a newcomer: a token for your own school from tools/make_token.py
makes you its admin, and `HEAD /health` answers like `GET /health` without a body."""

import json

from tests.support import bearer
from tools import make_token


def _token(capsys, *args: str) -> str:
    capsys.readouterr()  # the request log lines so far
    assert make_token.main(list(args)) == 0
    return capsys.readouterr().out.strip()


def test_a_token_from_the_tool_sets_up_your_own_school_and_then_names_its_people(client, capsys):
    mine = _token(capsys, "--company", "my-school", "--sub", "me")
    made = client.http.put(
        "/company", headers=bearer(mine), body=json.dumps({"name": "My school", "timezone": "Europe/Berlin"})
    )
    assert made.status_code in (200, 201), made.body
    company = client.http.get("/company", headers=bearer(mine))
    assert company.status_code == 200 and json.loads(company.body)["name"] == "My school"
    staff = json.loads(client.http.get("/staff", headers=bearer(mine)).body)["items"]
    assert [(s["user_id"], s["role"]) for s in staff] == [("me", "admin")]

    added = client.http.post(
        "/students",
        headers=bearer(mine),
        body=json.dumps({"name": "Mia", "email": "mia@x.example", "user_id": "mia"}),
    )
    assert added.status_code == 201, added.body
    mia = _token(capsys, "--company", "my-school", "--sub", "mia")
    assert client.http.get("/me", headers=bearer(mia)).status_code == 200
    assert client.http.get("/staff", headers=bearer(mia)).status_code == 403
    # A role claim only narrows: the admin acting as a teacher cannot add staff.
    narrowed = _token(capsys, "--company", "my-school", "--sub", "me", "--role", "teacher")
    refused = client.http.post(
        "/staff", headers=bearer(narrowed), body=json.dumps({"name": "X", "email": "x@x.example", "role": "staff"})
    )
    assert refused.status_code == 403
    # Another school's token sees nothing of this one.
    other = _token(capsys, "--company", "other-school", "--sub", "me")
    assert client.http.get("/company", headers=bearer(other)).status_code == 404


def test_head_health_answers_the_status_of_get_without_a_body(client):
    got = client.http.get("/health")
    head = client.http.head("/health")
    assert got.status_code == head.status_code == 200
    assert json.loads(got.body) == {"status": "ok"}
    assert head.body in (b"", "")


def test_head_never_answers_a_body_even_when_it_is_refused(client):
    odd = client.http.request("HEAD", "/health", headers={"Content-Type": "multipart/form-data"}, body=b"--x--")
    assert odd.status_code == 415 and odd.body in (b"", "")
    unknown = client.http.head("/schedules")
    assert unknown.status_code == 405 and unknown.body in (b"", "")
