"""Every route of the app against every kind of caller.

The table below must name every route the app registers: a new route without an entry
fails `test_every_route_has_an_entry`. Each route is called with no token, an expired
token, a token with a bad signature, an admin of another company, a student, the
schedule's teacher, another teacher, staff and an admin; and with forged role claims: the
teacher's own login claiming admin, the student's claiming staff, and a login with no
record in the company claiming each role. What a caller may do comes from their record:
the forged claims get exactly what the record allows, the unrecorded logins 403.
Refused calls change nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import pytest

from chalicelib import jobs
from chalicelib.services import attendance, enrollments, integrations, notifications, people, webhooks
from chalicelib.webhooks import calcom
from chalicelib.services.context import Actor
from tests.support import reading
from tests.functional.helpers import Api, build_world
from tests.support import DEV_SECRET, table_items, token

ADMIN, STAFF, TEACHER, STUDENT = "admin", "staff", "teacher", "student"
STAFFS = {ADMIN, STAFF}
TEACHING = {ADMIN, STAFF, TEACHER}


@dataclass
class Case:
    allowed: set[str]
    ok: int = 200
    body: Callable[["Ctx"], dict] | None = None
    # True when a teacher is allowed only on their own schedule (another teacher gets 403).
    own_schedule_only: bool = False
    public: bool = False
    path_ids: bool = True
    # What another company's admin gets when the body names our records (they are unknown there).
    foreign: int | None = None
    # Runs before each call (after which the state is snapshotted), e.g. to put back a mark.
    setup: Callable[["Ctx"], None] | None = None
    # Answers that differ by caller (e.g. someone else's notification is not found).
    expect: dict[str, int] = field(default_factory=dict)
    # Path values other than the defaults of _path() (e.g. the teacher's id as staff_id).
    path_values: Callable[["Ctx"], dict] | None = None
    # A body that is not JSON (an import's CSV), sent with its content type.
    raw: Callable[["Ctx"], str] | None = None
    content_type: str = "text/csv"


@dataclass
class Ctx:
    world: object
    schedule_id: str
    enrollment_id: str
    session_id: str = ""
    ids: dict = field(default_factory=dict)
    other: object = None  # another company, set up with its own records

    def ensure_notification(self) -> None:
        if self.ids.get("notification_id"):
            return
        actor = Actor(self.world.company_id, "fixture", STAFF)
        enrollments.adjust(actor, self.enrollment_id, delta=-9, reason="used")
        jobs.run("low-balance")
        me = Actor(self.world.company_id, f"staff-{self.world.company_id}", STAFF)
        mine = reading(lambda: notifications.my_notifications(me, 10, None, False)).items
        self.ids["notification_id"] = mine[0].notification_id

    def ensure_integration(self) -> None:
        if self.ids.get("integration_id"):
            return
        actor = Actor(self.world.company_id, "fixture", ADMIN)
        integration, _ = integrations.create(
            actor,
            provider="calcom",
            name="Cal",
            event_types={},
            default_schedule_id=None,
            secret="s3cret-s3cret",
            account_id=None,
        )
        self.ids["integration_id"] = integration.integration_id
        body = (
            b'{"triggerEvent": "BOOKING_CREATED", "createdAt": "2027-01-01T00:00:00Z", "payload": {"uid": "u1", '
            b'"startTime": "2027-01-05T10:00:00Z", "endTime": "2027-01-05T11:00:00Z", "attendees": []}}'
        )
        outcome = webhooks.receive(
            integration.integration_id,
            {"x-cal-signature-256": calcom.sign("s3cret-s3cret", body)},
            body,
            "application/json",
        )
        self.ids["delivery_id"] = outcome.delivery.delivery_id

    def replayable(self) -> None:
        self.ensure_integration()
        from dataclasses import replace

        from chalicelib.store import integrations as integration_store
        from chalicelib.store import unit_of_work

        cid = self.world.company_id

        def step(uow):
            delivery = integration_store.get_delivery(cid, self.ids["integration_id"], self.ids["delivery_id"])
            if delivery.status != "failed":
                uow.overwrite(replace(delivery, status="failed"))

        unit_of_work.run(step, company_id=cid)

    def ensure_mark(self) -> None:
        actor = Actor(self.world.company_id, "fixture", STAFF)
        attendance.record(actor, self.session_id, self.world.ids["student_id"], attendance.MarkInput("attended"))

    def no_pause(self) -> None:
        """The enrollment without pauses, so each allowed caller's pause is new."""
        from dataclasses import replace

        from chalicelib.store import enrollments as enrollment_store
        from chalicelib.store import unit_of_work

        cid = self.world.company_id
        schedule_id, student_id = self.enrollment_id.split(".")

        def step(uow):
            current = enrollment_store.get_enrollment(cid, schedule_id, student_id)
            if current.pauses:
                enrollment_store.save_enrollment(uow, replace(current, pauses=()))

        unit_of_work.run(step, company_id=cid)

    def running_pause(self) -> None:
        from chalicelib.services import lots

        self.no_pause()
        actor = Actor(self.world.company_id, "fixture", STAFF)
        lots.pause(actor, self.enrollment_id, starts_on=date(2031, 1, 1), ends_on=date(2031, 1, 10), reason="travel")

    def _import(self, until: str) -> None:
        """A new import of one row, worked through its background steps to `until`."""
        from chalicelib.services import imports

        actor = Actor(self.world.company_id, f"admin-{self.world.company_id}", ADMIN)
        made = imports.start(actor, "matrix", b"name,email,schedule,sessions\nA,a@example.com,Piano,1\n")
        self.ids["import_id"] = made.import_id
        for stage in ("validated", "committed"):
            for _ in range(10):
                current = reading(lambda: imports.get_import(actor, made.import_id))
                if current.status in ("validated", "committed", "failed"):
                    break
                imports.work(actor.company_id, made.import_id, current.step)
            if stage == until or current.status != "validated":
                return
            imports.commit(actor, made.import_id)

    def validated_import(self) -> None:
        self._import("validated")

    def committed_import(self) -> None:
        self._import("committed")

    def fresh_student(self) -> str:
        actor = Actor(self.world.company_id, "fixture", ADMIN)
        return people.create_student(actor, name="Fresh", email="fresh@example.com", user_id=None).student_id


def _schedule_body(ctx):
    return {"name": "Another", "kind": "group", "capacity": 5, "teacher_id": ctx.world.ids["teacher_id"]}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/health"): Case(allowed=set(), public=True, path_ids=False),
    ("HEAD", "/health"): Case(allowed=set(), public=True, path_ids=False),
    ("GET", "/openapi.json"): Case(allowed=set(), public=True, path_ids=False),
    ("GET", "/company"): Case(allowed=STAFFS, path_ids=False),
    ("PUT", "/company"): Case(allowed={ADMIN}, path_ids=False, body=lambda c: {"name": "Renamed School"}),
    ("POST", "/staff"): Case(
        allowed={ADMIN},
        ok=201,
        path_ids=False,
        body=lambda c: {"name": "New", "email": "new@example.com", "role": "staff"},
    ),
    ("GET", "/staff"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/staff/{staff_id}"): Case(allowed=STAFFS),
    # The path names the schedule's own teacher: a teacher reaches only their own agenda.
    ("GET", "/staff/{staff_id}/sessions"): Case(
        allowed=TEACHING, own_schedule_only=True, path_values=lambda c: {"staff_id": c.world.ids["teacher_id"]}
    ),
    ("POST", "/students"): Case(
        allowed=STAFFS, ok=201, path_ids=False, body=lambda c: {"name": "Newt", "email": "newt@example.com"}
    ),
    ("GET", "/students"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/students/{student_id}"): Case(allowed=STAFFS),
    ("GET", "/students/{student_id}/enrollments"): Case(allowed=STAFFS),
    ("POST", "/schedules"): Case(allowed=STAFFS, ok=201, path_ids=False, body=_schedule_body, foreign=400),
    ("GET", "/schedules"): Case(allowed=TEACHING, path_ids=False),
    ("GET", "/schedules/{schedule_id}"): Case(allowed=TEACHING, own_schedule_only=True),
    ("PATCH", "/schedules/{schedule_id}"): Case(allowed=STAFFS, body=lambda c: {"name": "Renamed"}),
    ("POST", "/schedules/{schedule_id}/enrollments"): Case(
        allowed=STAFFS,
        ok=201,
        body=lambda c: {
            "student_id": c.fresh_student(),
            "initial_balance": 4,
            "responsible_staff_id": c.world.ids["staff_id"],
        },
    ),
    ("GET", "/schedules/{schedule_id}/enrollments"): Case(allowed=TEACHING, own_schedule_only=True),
    ("GET", "/enrollments/{enrollment_id}"): Case(allowed=STAFFS),
    ("PATCH", "/enrollments/{enrollment_id}"): Case(allowed=STAFFS, body=lambda c: {"low_balance_threshold": 3}),
    ("POST", "/enrollments/{enrollment_id}/top-ups"): Case(allowed=STAFFS, body=lambda c: {"sessions": 1}),
    ("POST", "/enrollments/{enrollment_id}/adjustments"): Case(
        allowed=STAFFS, body=lambda c: {"delta": -1, "reason": "correction"}
    ),
    ("GET", "/enrollments/{enrollment_id}/ledger"): Case(allowed=STAFFS),
    ("GET", "/enrollments/{enrollment_id}/statement"): Case(allowed=STAFFS),
    ("GET", "/me/enrollments/{enrollment_id}/statement"): Case(allowed={STUDENT}),
    ("POST", "/enrollments/{enrollment_id}/pauses"): Case(
        allowed=STAFFS,
        ok=201,
        setup=Ctx.no_pause,
        body=lambda c: {"starts_on": "2030-01-01", "ends_on": "2030-01-14", "reason": "travel"},
    ),
    ("POST", "/enrollments/{enrollment_id}/pauses/{pause_id}/end"): Case(
        allowed=STAFFS, setup=Ctx.running_pause, body=lambda c: {}
    ),
    ("POST", "/schedules/{schedule_id}/sessions"): Case(
        allowed=STAFFS, ok=201, body=lambda c: {"starts_at": "2027-01-05T17:00:00+01:00", "duration_minutes": 45}
    ),
    ("GET", "/schedules/{schedule_id}/sessions"): Case(allowed=TEACHING, own_schedule_only=True),
    ("GET", "/sessions/{session_id}"): Case(allowed=TEACHING, own_schedule_only=True),
    ("PATCH", "/sessions/{session_id}"): Case(allowed=STAFFS, body=lambda c: {"starts_at": "2027-01-06T18:00:00Z"}),
    ("POST", "/sessions/{session_id}/cancel"): Case(allowed=STAFFS, body=lambda c: {"reason": "storm"}),
    ("PUT", "/sessions/{session_id}/attendance/{student_id}"): Case(
        allowed=TEACHING, own_schedule_only=True, body=lambda c: {"status": "attended"}
    ),
    ("DELETE", "/sessions/{session_id}/attendance/{student_id}"): Case(allowed=STAFFS, setup=Ctx.ensure_mark),
    ("POST", "/sessions/{session_id}/attendance"): Case(
        allowed=TEACHING,
        own_schedule_only=True,
        body=lambda c: {"records": [{"student_id": c.world.ids["student_id"], "status": "no_show"}]},
    ),
    ("GET", "/sessions/{session_id}/attendance"): Case(allowed=TEACHING, own_schedule_only=True),
    ("GET", "/attendance/held"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/schedules/{schedule_id}/board"): Case(allowed=TEACHING, own_schedule_only=True),
    ("GET", "/students/{student_id}/board"): Case(allowed=STAFFS),
    ("GET", "/me"): Case(allowed={STUDENT}, path_ids=False),
    ("GET", "/me/enrollments"): Case(allowed={STUDENT}, path_ids=False),
    ("GET", "/me/sessions"): Case(allowed={STUDENT}, path_ids=False),
    ("POST", "/imports"): Case(
        allowed={ADMIN},
        ok=202,
        path_ids=False,
        raw=lambda c: "name,email,schedule,sessions\nNia,nia@example.com,Piano,3\n",
    ),
    ("GET", "/imports"): Case(allowed={ADMIN}, path_ids=False),
    ("GET", "/imports/{import_id}"): Case(allowed={ADMIN}, setup=Ctx.validated_import),
    ("GET", "/imports/{import_id}/rows"): Case(allowed={ADMIN}, setup=Ctx.validated_import),
    ("POST", "/imports/{import_id}/commit"): Case(allowed={ADMIN}, ok=202, setup=Ctx.validated_import),
    ("POST", "/imports/{import_id}/undo"): Case(allowed={ADMIN}, ok=202, setup=Ctx.committed_import),
    ("GET", "/reports/students"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/reports/teachers"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/reports/schedules"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/reports/overview"): Case(allowed=STAFFS, path_ids=False),
    ("GET", "/notifications"): Case(allowed=TEACHING, path_ids=False),
    ("POST", "/notifications/{notification_id}/read"): Case(
        allowed=TEACHING, setup=Ctx.ensure_notification, expect={ADMIN: 404, "own_teacher": 404, "other_teacher": 404}
    ),
    ("POST", "/integrations"): Case(
        allowed={ADMIN}, ok=201, path_ids=False, body=lambda c: {"provider": "calcom", "name": "Cal"}
    ),
    ("GET", "/integrations"): Case(allowed={ADMIN}, path_ids=False),
    ("DELETE", "/integrations/{integration_id}"): Case(allowed={ADMIN}, setup=Ctx.ensure_integration),
    ("POST", "/integrations/{integration_id}/secret"): Case(allowed={ADMIN}, setup=Ctx.ensure_integration),
    ("GET", "/integrations/{integration_id}/deliveries"): Case(allowed={ADMIN}, setup=Ctx.ensure_integration),
    ("POST", "/integrations/{integration_id}/deliveries/{delivery_id}/replay"): Case(
        allowed={ADMIN}, setup=Ctx.replayable
    ),
    # Booking systems authenticate by signature: a token stands in for none, so every caller
    # without a valid signature is refused alike.
    ("POST", "/webhooks/{integration_id}"): Case(
        allowed=set(),
        public=True,
        ok=401,
        setup=Ctx.ensure_integration,
        body=lambda c: {"triggerEvent": "BOOKING_CREATED"},
    ),
    # Local stage only; jobs are not one company's, so any admin may run them there.
    ("POST", "/local/jobs/{job_name}"): Case(allowed={ADMIN}, path_ids=False),
    ("GET", "/local/outbox"): Case(allowed={ADMIN}, path_ids=False),
    # Local stage only, and public there: the web pages' demo sign-in needs it before any token.
    ("GET", "/local/demo-tokens"): Case(allowed=set(), public=True, path_ids=False),
    # The web pages are public; their data comes from the routes above with the user's token.
    ("GET", "/app"): Case(allowed=set(), public=True, path_ids=False),
    ("GET", "/app/{asset}"): Case(allowed=set(), public=True, path_ids=False),
}

UNRECORDED = [f"unrecorded_{role}" for role in (ADMIN, STAFF, TEACHER, STUDENT)]
CALLERS = [
    "none",
    "expired",
    "bad_signature",
    "other_company",
    STUDENT,
    "own_teacher",
    "other_teacher",
    STAFF,
    ADMIN,
    "teacher_claiming_admin",
    "student_claiming_staff",
    *UNRECORDED,
]
AS_RECORDED = {"teacher_claiming_admin": "own_teacher", "student_claiming_staff": STUDENT}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_route_has_an_entry(app):
    missing = app_routes(app) - set(CASES)
    extra = set(CASES) - app_routes(app)
    assert not missing, f"routes without an authorization entry: {sorted(missing)}"
    assert not extra, f"entries for routes that do not exist: {sorted(extra)}"


@pytest.fixture
def ctx(client):
    w = build_world(client)
    schedule = w.staff.post(
        "/schedules", {"name": "Guitar", "kind": "group", "capacity": 6, "teacher_id": w.ids["teacher_id"]}
    ).body
    enrollment = w.staff.post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": w.ids["student_id"], "initial_balance": 10, "responsible_staff_id": w.ids["staff_id"]},
    ).body
    started = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()  # marks need a started session
    session = w.staff.post(f"/schedules/{schedule['id']}/sessions", {"starts_at": started}).body
    return Ctx(
        world=w,
        schedule_id=schedule["id"],
        enrollment_id=enrollment["id"],
        session_id=session["id"],
        other=build_world(client),
    )


def _path(template: str, ctx: Ctx, overrides: dict | None = None) -> str:
    values = {
        "staff_id": ctx.world.ids["staff_id"],
        "student_id": ctx.world.ids["student_id"],
        "schedule_id": ctx.schedule_id,
        "enrollment_id": ctx.enrollment_id,
        "session_id": ctx.session_id,
        "job_name": "session-horizon",
        "notification_id": ctx.ids.get("notification_id", "none"),
        "integration_id": ctx.ids.get("integration_id", "none"),
        "delivery_id": ctx.ids.get("delivery_id", "none"),
        "asset": "app.js",
        "pause_id": "P1",
        "import_id": ctx.ids.get("import_id", "none"),
    }
    return template.format(**{**values, **(overrides or {})})


def _caller(kind: str, ctx: Ctx) -> Api:
    w, cid = ctx.world, ctx.world.company_id
    if kind.startswith("unrecorded_"):  # a valid token of this company, for a login nobody registered
        return Api(w.client, token(cid, kind.removeprefix("unrecorded_"), f"stranger-{kind}"))
    return {
        "none": Api(w.client, None),
        "expired": Api(w.client, token(cid, ADMIN, f"admin-{cid}", expires_in=-3600)),
        "bad_signature": Api(w.client, token(cid, ADMIN, f"admin-{cid}", secret=DEV_SECRET + "x")),
        "other_company": ctx.other.admin,
        STUDENT: w.student,
        "own_teacher": w.teacher,
        "other_teacher": w.other_teacher,
        STAFF: w.staff,
        ADMIN: w.admin,
        "teacher_claiming_admin": Api(w.client, token(cid, ADMIN, f"teacher-{cid}")),
        "student_claiming_staff": Api(w.client, token(cid, STAFF, f"student-{cid}")),
    }[kind]


def expected_status(case: Case, caller: str) -> int:
    if case.public:
        return case.ok
    if caller in ("none", "expired", "bad_signature"):
        return 401
    if caller in UNRECORDED:
        return 403  # even PUT /company: this company is set up, and only its first caller sets one up
    caller = AS_RECORDED.get(caller, caller)
    if caller == "other_company":
        if ADMIN not in case.allowed:
            return 403
        if case.path_ids:
            return 404
        return case.foreign or case.ok
    if caller in case.expect:
        return case.expect[caller]
    role = TEACHER if caller in ("own_teacher", "other_teacher") else caller
    if role not in case.allowed:
        return 403
    if caller == "other_teacher" and case.own_schedule_only:
        return 403
    return case.ok


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_caller_as_expected(app, ctx, route):
    method, template = route
    case = CASES[route]
    for caller in CALLERS:
        api = _caller(caller, ctx)
        if case.setup:
            case.setup(ctx)
        body = case.body(ctx) if case.body else None
        before = table_items() if method != "GET" else None
        path = _path(template, ctx, case.path_values(ctx) if case.path_values else None)
        if case.raw is not None:
            answer = api.call(method, path, raw=case.raw(ctx), headers={"Content-Type": case.content_type})
        else:
            answer = api.call(method, path, body)
        want = expected_status(case, caller)
        assert answer.status == want, f"{caller}: {method} {template} answered {answer.status} {answer.body}"
        if want >= 400:
            assert answer.body["error"]["code"], answer.body
            if before is not None and caller != "other_company":
                assert table_items() == before, f"{caller}: refused {method} {template} changed state"
            if before is not None and caller == "other_company":
                # Anything the other company did happened in its own partitions, never in ours.
                ours = [i for i in table_items() if ctx.world.company_id in i["PK"]["S"]]
                assert ours == [i for i in before if ctx.world.company_id in i["PK"]["S"]]


def test_another_companys_ids_are_not_found_and_lists_show_nothing_of_ours(client, ctx):
    other = build_world(client)
    assert other.admin.get(f"/schedules/{ctx.schedule_id}").status == 404
    assert other.admin.get(f"/enrollments/{ctx.enrollment_id}").status == 404
    assert other.staff.get(f"/students/{ctx.world.ids['student_id']}").status == 404
    assert other.staff.post(f"/enrollments/{ctx.enrollment_id}/top-ups", {"sessions": 9}).status == 404
    listed = other.staff.get("/students").body["items"]
    assert [s["name"] for s in listed] == ["Stella Student"] and listed[0]["id"] == other.ids["student_id"]
    assert ctx.world.staff.get(f"/enrollments/{ctx.enrollment_id}").body["balance"] == 10


def test_a_cursor_from_another_company_is_refused(client, ctx):
    for _ in range(3):
        ctx.world.staff.post("/students", {"name": "Page", "email": "p@example.com"})
    page = ctx.world.staff.get("/students?limit=2").body
    assert page["next"]
    other = build_world(client)
    stolen = other.staff.get(f"/students?limit=2&next={page['next']}")
    assert stolen.status == 400 and stolen.body["error"]["details"][0]["field"] == "next"
