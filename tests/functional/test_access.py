"""Roles from records: how a company is set up, who gets in, what a role claim can and
cannot do, and stages that fail closed."""

import threading
from dataclasses import replace

import pytest

from chalicelib import config
from chalicelib.errors import Forbidden
from chalicelib.services import company
from chalicelib.services.context import Actor
from chalicelib.store import engine
from tests.functional.helpers import Api, build_world
from tests.support import new_company_id, table_items, token


def test_the_first_caller_of_a_new_company_becomes_its_admin_and_nobody_else_gets_in(client):
    cid = new_company_id()
    founder = Api(client, token(cid, "admin", "founder-sub"))
    assert founder.get("/company").status == 404  # nobody set it up yet
    made = founder.put("/company", {"name": "Riverside Music", "admin_name": "Rita", "admin_email": "rita@r.example"})
    assert made.status == 200 and made.body["name"] == "Riverside Music"
    [admin] = founder.get("/staff").body["items"]
    assert (admin["name"], admin["email"], admin["role"], admin["user_id"]) == (
        "Rita",
        "rita@r.example",
        "admin",
        "founder-sub",
    )
    stranger = Api(client, token(cid, "admin", "stranger-sub"))
    before = table_items()
    for method, path, body in (
        ("PUT", "/company", {"name": "Mine now"}),
        ("GET", "/company", None),
        ("GET", "/students", None),
        ("POST", "/staff", {"name": "X", "email": "x@x.example", "role": "admin"}),
    ):
        answer = stranger.call(method, path, body)
        assert (answer.status, answer.error_code) == (403, "forbidden"), (method, path, answer.body)
    assert table_items() == before
    assert founder.put("/company", {"name": "Riverside Music School"}).body["version"] == 2


def test_two_first_callers_at_once_make_one_admin(store):
    cid = new_company_id()
    results: list = []

    def set_up(sub):
        try:
            results.append(
                company.put_company(
                    Actor(cid, sub, None), name=f"By {sub}", timezone="UTC", low_balance_threshold=2
                ).name
            )
        except Forbidden:
            results.append("refused")

    threads = [threading.Thread(target=set_up, args=(f"founder-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r == "refused" for r in results) == [False, True]
    staff = [i for i in table_items() if i.get("type", {}).get("S") == "staff"]
    assert len(staff) == 1 and staff[0]["role"]["S"] == "admin"


def test_a_role_claim_narrows_but_never_widens(client):
    w = build_world(client)
    admin_as_teacher = Api(client, token(w.company_id, "teacher", f"admin-{w.company_id}"))
    assert admin_as_teacher.get("/schedules").status == 200  # a teacher's route
    assert admin_as_teacher.post("/students", {"name": "N", "email": "n@x.example"}).status == 403
    teacher_as_admin = Api(client, token(w.company_id, "admin", f"teacher-{w.company_id}"))
    assert teacher_as_admin.put("/company", {"name": "Renamed"}).status == 403
    assert teacher_as_admin.get("/students").status == 403
    student_as_admin = Api(client, token(w.company_id, "admin", f"student-{w.company_id}"))
    assert student_as_admin.get("/me").status == 200  # still the student, with the student's portal
    assert student_as_admin.get("/staff").status == 403
    no_claim = Api(client, token(w.company_id, None, f"staff-{w.company_id}"))
    assert no_claim.get("/students").status == 200  # no role claim needed: the record says staff
    assert w.admin.get("/company").body["name"] == f"School {w.company_id}"


def test_a_login_made_before_logins_kept_their_role_still_resolves(client, monkeypatch):
    monkeypatch.setattr(config, "caller_cache_seconds", lambda: 0)  # every call reads the ref
    w = build_world(client)
    items = [
        i
        for i in table_items()
        if i.get("type", {}).get("S") == "user_ref" and i["user_id"]["S"] == f"staff-{w.company_id}"
    ]
    for item in items:  # as the earlier layout wrote it
        engine.boto_client().update_item(
            TableName=config.table_name(),
            Key={"PK": item["PK"], "SK": item["SK"]},
            UpdateExpression="REMOVE #r",
            ExpressionAttributeNames={"#r": "role"},
        )
    assert w.staff.get("/students").status == 200


def test_a_stage_that_is_not_named_local_is_not_local_and_refuses_to_run_without_its_settings(monkeypatch):
    monkeypatch.delenv("OPTCLASS_STAGE")
    assert not config.is_local()
    problems = config.deployment_problems()
    assert any("OPTCLASS_STAGE" in p for p in problems) and any("OPTCLASS_JWT_ISSUER" in p for p in problems)
    with pytest.raises(config.Misconfigured, match="refuses to start"):
        config.require_deployable()
    monkeypatch.setenv("OPTCLASS_STAGE", "staging")
    for name, value in (
        ("OPTCLASS_JWT_ISSUER", "https://cognito-idp.eu-west-1.amazonaws.com/pool"),
        ("OPTCLASS_JWT_AUDIENCE", "client"),
        ("OPTCLASS_USER_POOL_ARN", "arn:aws:cognito-idp:x"),
        ("OPTCLASS_CURSOR_SECRET", "c" * 40),
        ("OPTCLASS_KMS_KEY_ID", "arn:aws:kms:x:1:key/k"),
    ):
        monkeypatch.setenv(name, value)
    assert config.deployment_problems() == []
    monkeypatch.setenv("OPTCLASS_CURSOR_SECRET", "short")
    assert config.deployment_problems() == ["OPTCLASS_CURSOR_SECRET is shorter than 32 characters"]


def test_a_stage_without_its_settings_answers_every_request_503_and_logs_what_is_missing(
    client, world, monkeypatch, caplog
):
    # Deployed, with none of a deployed stage's settings (chalice's test client sets the local stage's
    # environment around each request, so the stage's name is given here).
    monkeypatch.setattr(config, "stage", lambda: "staging")
    before = len(table_items())
    for answer in (
        world.admin.get("/company"),
        world.staff.post("/students", {"name": "N", "email": "n@x.example"}),
        client.http.get("/health"),
    ):
        status = answer.status if hasattr(answer, "status") else answer.status_code
        assert status == 503
    body = world.admin.get("/students").body
    assert body["error"]["code"] == "misconfigured" and "OPTCLASS" not in body["error"]["message"]
    assert len(table_items()) == before
    logged = [r.getMessage() for r in caplog.records if '"misconfigured"' in r.getMessage()]
    assert logged and "OPTCLASS_JWT_ISSUER is not set" in logged[-1]


def test_a_container_reads_a_login_once_per_bound_and_a_change_reaches_it_within_the_bound(client, monkeypatch):
    from chalicelib.domain import records
    from chalicelib.store import logins
    from chalicelib.store import unit_of_work as uow_
    from tests.support import count_dynamodb

    w = build_world(client)
    teacher = Api(client, token(w.company_id, None, f"teacher-{w.company_id}"))
    logins._memory.clear()
    with count_dynamodb() as first:
        assert teacher.get("/schedules").status == 200
    with count_dynamodb() as again:
        assert teacher.get("/schedules").status == 200
    assert first.calls == ["GetItem", "Query"] and again.calls == ["Query"]  # the login was read once

    # Another container takes the login away: this one follows within the bound, not before.
    ref = next(
        i
        for i in table_items()
        if i.get("type", {}).get("S") == "user_ref" and i["user_id"]["S"] == f"teacher-{w.company_id}"
    )
    engine.boto_client().delete_item(TableName=config.table_name(), Key={"PK": ref["PK"], "SK": ref["SK"]})
    assert teacher.get("/schedules").status == 200
    later = logins.time.monotonic() + config.caller_cache_seconds() + 1
    monkeypatch.setattr(logins.time, "monotonic", lambda: later)
    assert (teacher.get("/schedules").status, teacher.get("/schedules").error_code) == (403, "forbidden")

    # A change committed through this container applies at once: the teacher becomes staff.
    assert teacher.get("/students").status == 403
    promoted = records.UserRef(
        company_id=w.company_id,
        user_id=f"teacher-{w.company_id}",
        person_kind="staff",
        person_id=ref["person_id"]["S"],
        role="staff",
    )
    assert teacher.get("/schedules").status == 403  # refused logins are not remembered
    uow_.run(lambda uow: uow.overwrite(promoted), company_id=w.company_id)
    assert teacher.get("/students").status == 200
    uow_.run(lambda uow: uow.overwrite(replace(promoted, role="teacher")), company_id=w.company_id)
    assert teacher.get("/students").status == 403
