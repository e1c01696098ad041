"""Imports over the HTTP API: a dry run that sorts every row with its reason and changes
nothing, a commit in background steps that applies each ready row once, a re-upload that
changes nothing twice, and an undo that keeps what changed since."""

import pytest

from chalicelib.services import imports
from tests.functional.helpers import build_world
from tests.invariants import check_invariants
from tests.support import hours_from_now, table_items

CSV = "text/csv"


def upload(api, text: str, name: str = "from-the-old-system.csv"):
    return api.call("POST", f"/imports?name={name}", raw=text, headers={"Content-Type": CSV})


def settle(w, import_id: str) -> dict:
    """Let the background steps run (the local stream pump's part) until the import rests."""
    for _ in range(50):
        assert w.admin.post("/local/jobs/report-counters").status == 200
        got = w.admin.get(f"/imports/{import_id}").body
        if got["status"] not in ("validating", "committing", "undoing"):
            return got
    raise AssertionError(f"the import did not settle: {got}")


def rows_of(w, import_id: str) -> dict[int, dict]:
    items = w.admin.get(f"/imports/{import_id}/rows?limit=200").body["items"]
    return {r["row"]: r for r in items}


def kinds(items: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        kind = i.get("type", {}).get("S", "")
        out[kind] = out.get(kind, 0) + 1
    return out


@pytest.fixture
def school(client):
    w = build_world(client)
    piano = w.staff.post(
        "/schedules", {"name": "Piano", "kind": "group", "capacity": 10, "teacher_id": w.ids["teacher_id"]}
    ).body
    tiny = w.staff.post(
        "/schedules", {"name": "Tiny", "kind": "group", "capacity": 1, "teacher_id": w.ids["teacher_id"]}
    ).body
    # Stella is a student already, enrolled in Tiny (which is then full).
    made = w.staff.post(
        f"/schedules/{tiny['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 2, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert made.status == 201
    return {"w": w, "piano": piano, "tiny": tiny}


def test_a_dry_run_sorts_every_row_with_its_reason_and_changes_nothing_then_a_commit_applies_the_ready_ones(school):
    w, piano = school["w"], school["piano"]
    stella = f"stella@{w.company_id}.example"
    text = "\n".join(
        [
            "name,email,schedule,sessions,expires_on,responsible_staff_email,user_id",
            "Ana New,ana@x.example,Piano,10,2031-06-30,,ana-login",  # 2 ready: a new student, a dated lot
            f"Stella Student,{stella},piano,4,,staff@{w.company_id}.example,",  # 3 ready: existing student
            "Ana New,ANA@x.example,Piano,3,,,",  # 4 duplicate of line 2
            f"Stella Student,{stella},Tiny,1,,,",  # 5 duplicate: enrolled already
            "Bo,bo@x.example,Cello,5,,,",  # 6 needs information: no such schedule
            "Cy,cy@x.example,Piano,5,,nobody@x.example,",  # 7 needs information: no such staff member
            "Di,di@x.example,Piano,ten,,,",  # 8 error: not a number
            "Ed,ed@x.example,Piano,5,31/12/2031,,",  # 9 error: not a date
            "Fay,fay@x.example,Piano,5,2020-01-01,,",  # 10 needs information: expired already
            "Gus,gus@x.example,Tiny,5,,,",  # 11 needs information: the schedule is full
            ",hal@x.example,Piano,5,,,",  # 12 needs information: no name
            f"Ivy,ivy@x.example,{piano['id']},0,,,",  # 13 ready: by id, nothing left
        ]
    )
    before = kinds(table_items())
    started = upload(w.admin, text)
    assert started.status == 202, started.body
    assert started.body["status"] == "validating" and started.body["rows"] == 12
    done = settle(w, started.body["id"])
    assert done["status"] == "validated"
    assert (done["ready"], done["duplicate"], done["needs_information"], done["error"]) == (3, 2, 5, 2)
    rows = rows_of(w, started.body["id"])
    assert {n: r["status"] for n, r in rows.items()} == {
        2: "ready",
        3: "ready",
        4: "duplicate",
        5: "duplicate",
        6: "needs_information",
        7: "needs_information",
        8: "error",
        9: "error",
        10: "needs_information",
        11: "needs_information",
        12: "needs_information",
        13: "ready",
    }
    assert "line 2" in rows[4]["reason"] and "enrolled" in rows[5]["reason"]
    assert "Cello" in rows[6]["reason"] and "nobody@x.example" in rows[7]["reason"]
    assert "full" in rows[11]["reason"] and "expired" in rows[10]["reason"]
    assert rows[3]["student_id"] == w.ids["student_id"]
    after = kinds(table_items())
    school_kinds = ("student", "enrollment", "ledger", "user_ref", "schedule")
    assert {k: after.get(k) for k in school_kinds} == {k: before.get(k) for k in school_kinds}  # nothing changed

    committing = w.admin.post(f"/imports/{started.body['id']}/commit")
    assert committing.status == 202 and committing.body["status"] == "committing"
    again = w.admin.post(f"/imports/{started.body['id']}/commit")
    assert again.status == 409 and again.error_code == "import_not_ready"
    done = settle(w, started.body["id"])
    assert (done["status"], done["applied"], done["failed"]) == ("committed", 3, 0)
    assert done["undo_until"] > done["committed_at"]
    ana = w.staff.get("/students?q=ana@x.example").body["items"]
    assert len(ana) == 1 and ana[0]["user_id"] == "ana-login"
    (enrolled,) = w.staff.get(f"/students/{ana[0]['id']}/enrollments").body["items"]
    assert enrolled["balance"] == 10 and enrolled["lots"][0]["expires_at"] == "2031-06-30T22:00:00.000Z"
    ledger = w.staff.get(f"/enrollments/{enrolled['id']}/ledger").body["items"]
    assert [(e["kind"], e["delta"], e["lot_id"]) for e in ledger] == [("initial", 10, "L1")]
    stella_piano = [
        e
        for e in w.staff.get(f"/students/{w.ids['student_id']}/enrollments").body["items"]
        if e["schedule_id"] == piano["id"]
    ]
    assert stella_piano[0]["balance"] == 4
    assert w.staff.get(f"/schedules/{piano['id']}").body["capacity"] == 10
    check_invariants()

    # The same file again: every row is a duplicate now, or as it was; a commit adds nothing.
    second = upload(w.admin, text)
    redone = settle(w, second.body["id"])
    assert redone["ready"] == 0 and redone["duplicate"] == 5
    assert w.admin.post(f"/imports/{second.body['id']}/commit").status == 202
    assert settle(w, second.body["id"])["applied"] == 0
    assert len(w.staff.get("/students?q=ana@x.example").body["items"]) == 1


def test_an_undo_removes_what_the_import_made_and_keeps_what_changed_since(school):
    w = school["w"]
    text = "name,email,schedule,sessions\nAna,ana@x.example,Piano,5\nBo,bo@x.example,Piano,5\n"
    started = upload(w.admin, text)
    settle(w, started.body["id"])
    w.admin.post(f"/imports/{started.body['id']}/commit")
    settle(w, started.body["id"])
    bo = w.staff.get("/students?q=bo@x.example").body["items"][0]
    (bo_enrollment,) = w.staff.get(f"/students/{bo['id']}/enrollments").body["items"]
    session = w.staff.post(f"/schedules/{school['piano']['id']}/sessions", {"starts_at": hours_from_now(-1)}).body
    marked = w.staff.put(f"/sessions/{session['id']}/attendance/{bo['id']}", {"status": "attended"})
    assert marked.status == 200  # Bo came to a class since: his enrollment is the school's now

    undoing = w.admin.post(f"/imports/{started.body['id']}/undo")
    assert undoing.status == 202
    done = settle(w, started.body["id"])
    assert (done["status"], done["undone"], done["kept"]) == ("undone", 1, 1)
    assert w.staff.get("/students?q=ana@x.example").body["items"] == []
    assert w.staff.get(f"/enrollments/{bo_enrollment['id']}").body["balance"] == 4
    rows = rows_of(w, started.body["id"])
    assert rows[2]["status"] == "undone" and rows[3]["status"] == "kept" and "changed" in rows[3]["reason"]
    assert w.admin.post(f"/imports/{started.body['id']}/undo").status == 409
    check_invariants()


def test_a_large_file_is_committed_in_steps_each_row_once(school, monkeypatch):
    monkeypatch.setattr(imports, "ROWS_PER_STEP", 40)
    w = school["w"]
    big = w.staff.post(
        "/schedules", {"name": "Big", "kind": "group", "capacity": 500, "teacher_id": w.ids["teacher_id"]}
    ).body
    lines = ["name,email,schedule,sessions,expires_on"]
    lines += [f"Student {i},s{i}@x.example,Big,{1 + i % 5},2031-01-{1 + i % 28:02d}" for i in range(130)]
    started = upload(w.admin, "\n".join(lines))
    assert settle(w, started.body["id"])["ready"] == 130
    w.admin.post(f"/imports/{started.body['id']}/commit")
    done = settle(w, started.body["id"])
    assert (done["status"], done["applied"], done["progress"]) == ("committed", 130, 1.0)
    enrollments = w.staff.get(f"/schedules/{big['id']}/enrollments?limit=200").body["items"]
    assert len(enrollments) == 130 and sum(e["balance"] for e in enrollments) == sum(1 + i % 5 for i in range(130))
    assert w.staff.get(f"/schedules/{big['id']}").body["version"] >= 1
    check_invariants()


def test_bad_files_are_refused_with_what_is_wrong_and_only_admins_import(school):
    w = school["w"]
    before = kinds(table_items())
    for text, word in (
        ("name,email,sessions\nA,a@x.example,1\n", "schedule"),
        ("name,email,schedule,sessions,colour\nA,a@x.example,Piano,1,red\n", "colour"),
        ("name,email,schedule,sessions\n", "no rows"),
    ):
        refused = upload(w.admin, text)
        assert refused.status == 400 and word in refused.body["error"]["message"], refused.body
    latin = w.admin.call(
        "POST",
        "/imports",
        raw="name,email,schedule,sessions\nJos\xe9,j@x.example,Piano,1\n".encode("latin-1"),
        headers={"Content-Type": CSV},
    )
    assert latin.status == 400 and "UTF-8" in latin.body["error"]["message"]
    assert kinds(table_items()) == before
    assert upload(w.staff, "name,email,schedule,sessions\nA,a@x.example,Piano,1\n").status == 403
    assert w.admin.get("/imports/01ARZ3NDEKTSV4RRFFQ69G5FAV").status == 404
