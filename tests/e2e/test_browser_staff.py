"""The school's day in the browser, end to end against the `make run` stack (issue 15).

Each test drives one flow as a school administrator, a staff member or a student would,
with whatever it needs beforehand made over the API (its own schedule, students and names,
so the tests do not depend on each other). Every view visited passes axe-core with no
serious or critical violation. The screenshots the README shows are taken here, at desktop
and at phone width, into docs/screens/.
"""

import csv
import io
import json
import os
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.browser import DESKTOP, DOCS_SCREENS, PHONE, SCREENSHOTS, check_accessibility, sign_in_as
from tests.support import bearer, new_company_id, token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

BERLIN = "Europe/Berlin"


class School:
    """A school of its own for this module's tests (the demo school stays as `make run`
    loads it, for the tests that count on it): its admin, a staff member and a teacher, over
    the API, for what a test needs before it starts and for what it checks afterwards."""

    def __init__(self, base: str):
        self.base = base
        self.company_id = cid = new_company_id()
        self.tokens = {"admin": token(cid, "admin", f"admin-{cid}")}
        self.call("PUT", "/company", {"name": "Harbour Music School", "timezone": BERLIN})
        for role, name in (("staff", "Sam Staff"), ("teacher", "Tina Teacher")):
            sub = f"{role}-{cid}"
            self.call("POST", "/staff", {"name": name, "email": f"{role}@{cid}.example", "role": role, "user_id": sub})
            self.tokens[role] = token(cid, role, sub)
        self.staff = {s["name"]: s for s in self.get("/staff?limit=200")["items"]}

    def sign_in(self, page, role: str) -> None:
        """Paste the role's token into the sign-in form, as a school's user would."""
        page.goto(f"{self.base}/app")
        page.fill("#token-input", self.tokens[role])
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("main[aria-busy='false'] h1")

    def call(self, method: str, path: str, body=None, role: str = "admin", expect=(200, 201)):
        answer = requests.request(method, self.base + path, json=body, headers=bearer(self.tokens[role]), timeout=20)
        assert answer.status_code in expect, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.text else None

    def get(self, path: str, role: str = "admin"):
        return self.call("GET", path, role=role, expect=(200,))

    def schedule(self, name: str, days_back: int, policy: dict | None = None, kind: str = "group") -> dict:
        """A schedule whose sessions are daily at 09:00 Berlin time for the last `days_back` days."""
        today = date.today()
        body = {
            "name": name,
            "kind": kind,
            "teacher_id": self.staff["Tina Teacher"]["id"],
            "timezone": BERLIN,
            "policy": policy or {},
        }
        if kind == "group":
            body["capacity"] = 8
        if days_back:
            body["recurrence"] = {
                "weekdays": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                "start_time": "09:00",
                "duration_minutes": 45,
                "start_date": (today - timedelta(days=days_back)).isoformat(),
                "end_date": (today - timedelta(days=1)).isoformat(),
            }
        return self.call("POST", "/schedules", body)

    def student(self, name: str, user_id: str | None = None) -> dict:
        body = {"name": name, "email": f"{uuid.uuid4().hex[:10]}@students.example"}
        if user_id:
            body["user_id"] = user_id
        return self.call("POST", "/students", body)

    def enrol(self, schedule: dict, student: dict, balance: int) -> dict:
        return self.call(
            "POST",
            f"/schedules/{schedule['id']}/enrollments",
            {
                "student_id": student["id"],
                "initial_balance": balance,
                "responsible_staff_id": self.staff["Sam Staff"]["id"],
            },
        )

    def sessions(self, schedule: dict) -> list[dict]:
        today = date.today()
        window = f"from={today - timedelta(days=40)}&to={today + timedelta(days=2)}"
        return self.get(f"/schedules/{schedule['id']}/sessions?{window}&limit=100")["items"]

    def mark(self, session: dict, student: dict, status: str) -> dict:
        return self.call("PUT", f"/sessions/{session['id']}/attendance/{student['id']}", {"status": status})

    def enrollment(self, enrollment_id: str) -> dict:
        return self.get(f"/enrollments/{enrollment_id}")

    def ledger(self, enrollment_id: str) -> list[dict]:
        return self.get(f"/enrollments/{enrollment_id}/ledger?limit=200")["items"]


@pytest.fixture(scope="module")
def school(stack):
    return School(stack.base)


def uid() -> str:
    return uuid.uuid4().hex[:6]


def shot(page, name: str, docs: bool = False) -> None:
    page.mouse.move(0, 0)
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)
    if docs:
        os.makedirs(DOCS_SCREENS, exist_ok=True)
        page.screenshot(path=os.path.join(DOCS_SCREENS, name), full_page=True)


def settled(page) -> None:
    page.locator("main[aria-busy='false']").wait_for()


def go(page, hash_: str) -> None:
    """Open a view (drawn afresh, also when it is the one shown)."""
    if page.evaluate("() => location.hash") == hash_:
        page.reload()
    else:
        page.evaluate("h => { location.hash = h; }", hash_)
    page.wait_for_function("h => location.hash === h", arg=hash_)
    settled(page)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def fill_form(page, form: str, values: dict) -> None:
    for name, value in values.items():
        target = page.locator(f"{form} [name='{name}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(str(value))


# --- add a student, enrol, mark, and the balance they see -------------------------------


def test_a_new_student_is_added_enrolled_marked_and_sees_the_same_balance_in_the_portal(stack, school, open_page):
    from playwright.sync_api import expect

    name, sub = "Nora Nowak", f"nora-{uid()}"
    schedule_name = "Cello circle"
    page = open_page()
    school.sign_in(page, "admin")

    # A new schedule with its recurrence and policy, from the schedules page.
    page.click("details.add > summary:text-is('New schedule')")
    first = (date.today() - timedelta(days=6)).isoformat()
    fill_form(
        page,
        "#new-schedule",
        {
            "name": schedule_name,
            "teacher_id": school.staff["Tina Teacher"]["id"],
            "capacity": 6,
            "timezone": BERLIN,
            "recurrence.start_time": "09:00",
            "recurrence.duration_minutes": 45,
            "recurrence.start_date": first,
            "recurrence.end_date": (date.today() - timedelta(days=1)).isoformat(),
            "policy.no_show": "hold",
        },
    )
    for day in ("TU", "WE", "TH", "FR", "SA", "SU"):
        page.check(f"#new-schedule input[name='recurrence.weekdays'][value='{day}']")
    page.click("#new-schedule button[type=submit]")
    page.wait_for_selector("#schedule-summary")
    settled(page)
    expect(page.locator("main h1")).to_have_text(schedule_name)
    check_accessibility(page, "schedule page")
    [schedule] = [s for s in school.get("/schedules?limit=200")["items"] if s["name"] == schedule_name]
    assert schedule["policy"]["no_show"] == "hold" and schedule["recurrence"]["start_date"] == first
    assert len(school.sessions(schedule)) == 6

    # Add the student; the page opens their own page.
    go(page, "#/students")
    check_accessibility(page, "students page")
    page.click("details.add > summary:text-is('Add a student')")
    fill_form(page, "#add-student", {"name": name, "email": f"{sub}@students.example", "user_id": sub})
    page.click("#add-student button[type=submit]")
    page.wait_for_selector("#student-enrollments")
    settled(page)
    expect(page.locator("main h1")).to_have_text(name)
    [student] = school.get("/students?q=" + requests.utils.quote(name))["items"]
    assert student["user_id"] == sub

    # Enrol with an opening balance of 10 and the staff member who hears when it runs low.
    page.click("details.add > summary:text-is('Enrol in a schedule')")
    fill_form(
        page,
        "#enrol-form",
        {"schedule_id": schedule["id"], "initial_balance": 10, "responsible_staff_id": school.staff["Sam Staff"]["id"]},
    )
    page.click("#enrol-form button[type=submit]")
    panel = page.locator(f"section.enrollment[data-enrollment-id='{schedule['id']}.{student['id']}']")
    expect(panel.locator(".balance .badge")).to_have_text("10")
    check_accessibility(page, "student page")

    # Mark two sessions attended on the board, and two more in bulk on their rosters.
    sessions = sorted(school.sessions(schedule), key=lambda s: s["starts_at"])
    go(page, f"#/board/{schedule['id']}")
    page.wait_for_selector("#board")
    check_accessibility(page, "board")
    for s in sessions[:2]:
        page.click(f"button.cell[data-session-id='{s['id']}'][data-student-id='{student['id']}']")
        page.click("#sheet button[data-status='attended']")
        page.wait_for_selector(
            f"button.cell[data-session-id='{s['id']}'][data-student-id='{student['id']}'][data-status='attended']"
        )
    expect(page.locator(f"#board tr[data-student-id='{student['id']}'] .badge")).to_have_text("8")
    for s in sessions[2:4]:
        go(page, f"#/session/{s['id']}")
        page.wait_for_selector("#roster-form")
        page.select_option(f"#roster select[data-student-id='{student['id']}']", "attended")
        page.click("#roster-form button[type=submit]")
        row = page.locator(f"#roster tr[data-student-id='{student['id']}']")
        expect(row).to_have_attribute("data-status", "attended")
        expect(row.locator(".outcome")).to_have_text("charged")
    check_accessibility(page, "session roster")

    enrollment_id = f"{schedule['id']}.{student['id']}"
    assert school.enrollment(enrollment_id)["balance"] == 6
    assert [e["kind"] for e in school.ledger(enrollment_id)] == ["initial"] + ["attendance"] * 4

    go(page, f"#/student/{student['id']}")
    expect(panel.locator(".balance .badge")).to_have_text("6")
    assert fits(page)

    # The student signs in with their own token and sees 6 left.
    portal = open_page()
    portal.goto(f"{stack.base}/app")
    portal.fill("#token-input", token(school.company_id, "student", sub))
    portal.click("#signin-form button[type=submit]")
    card = portal.locator(f"#enrollments li[data-enrollment-id='{enrollment_id}']")
    expect(card.locator("[data-remaining]")).to_have_text("6")
    expect(portal.locator("#past li[data-status='attended']")).to_have_count(4)
    # Times in the portal are the schedule's (09:00 in Berlin), and say so.
    assert "09:00" in portal.locator("#past li").first.inner_text()
    assert portal.locator("#past li").first.locator("strong").inner_text().endswith(("CET", "GMT+1", "CEST", "GMT+2"))
    check_accessibility(portal, "portal")

    # Classmates, for the README's pictures: one running low, one with nothing left, a held no-show.
    for other, balance, marks in (("Liam Lang", 3, ["attended", "no_show"]), ("Emma Engel", 2, ["attended"] * 2)):
        mate = school.student(other)
        school.enrol(schedule, mate, balance)
        for s, status in zip(sessions, marks):
            school.mark(s, mate, status)
    # The README's pictures of the board and of the student's page, at desktop and phone width.
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        look = open_page(viewport)
        school.sign_in(look, "staff")
        go(look, f"#/board/{schedule['id']}")
        look.wait_for_selector("#board")
        assert fits(look)
        shot(look, f"board-{suffix}.png", docs=True)
        go(look, f"#/student/{student['id']}")
        look.locator("button.ledger-toggle").click()
        look.wait_for_selector("table.ledger tbody tr")
        assert fits(look)
        shot(look, f"student-{suffix}.png", docs=True)


# --- top-ups and adjustments that count once ----------------------------------------------


def test_a_double_clicked_or_resent_top_up_counts_once_and_an_adjustment_needs_its_reason(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Flute", 0)
    student = school.student("Olga Orlova")
    enrollment = school.enrol(schedule, student, 10)
    eid = enrollment["id"]
    page = open_page()
    school.sign_in(page, "staff")
    go(page, f"#/student/{student['id']}")
    panel = page.locator(f"section.enrollment[data-enrollment-id='{eid}']")
    top_up = panel.locator("form[data-form='top-up']")

    # A double click: one write.
    top_up.locator("[name='sessions']").fill("5")
    top_up.locator("button[type=submit]").dblclick()
    expect(panel.locator(".balance .badge")).to_have_text("15")
    assert school.enrollment(eid)["balance"] == 15
    assert [e["delta"] for e in school.ledger(eid) if e["kind"] == "top_up"] == [5]

    # The answer is lost after the server applied the top-up; the user clicks again: the
    # form sent the same Idempotency-Key, so the server answers the first answer.
    lost, keys = [], []

    def lose_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if not lost:
            route.fetch()  # reaches the server, which applies it
            lost.append(True)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/top-ups", lose_first_answer)
    top_up = page.locator(f"section.enrollment[data-enrollment-id='{eid}'] form[data-form='top-up']")
    top_up.locator("[name='sessions']").fill("3")
    top_up.locator("button[type=submit]").click()
    expect(top_up.locator(".form-status")).to_contain_text("network_error")
    assert school.enrollment(eid)["balance"] == 18  # applied, though the page never heard
    top_up.locator("button[type=submit]").click()
    expect(panel.locator(".balance .badge")).to_have_text("18")
    page.unroute("**/top-ups")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert school.enrollment(eid)["balance"] == 18
    assert [e["delta"] for e in school.ledger(eid) if e["kind"] == "top_up"] == [5, 3]

    # An adjustment without its reason: the API's error is shown next to the reason field.
    adjust = page.locator(f"section.enrollment[data-enrollment-id='{eid}'] form[data-form='adjust']")
    adjust.locator("[name='delta']").fill("-2")
    adjust.locator("button[type=submit]").click()
    reason_error = adjust.locator(".field[data-field='reason'] .field-error")
    expect(reason_error).to_be_visible()
    assert adjust.locator("[name='reason']").get_attribute("aria-invalid") == "true"
    assert school.enrollment(eid)["balance"] == 18
    adjust.locator("[name='reason']").fill("Counted a lesson twice")
    adjust.locator("button[type=submit]").click()
    expect(panel.locator(".balance .badge")).to_have_text("16")
    assert school.ledger(eid)[-1]["kind"] == "adjustment" and school.ledger(eid)[-1]["note"] == "Counted a lesson twice"

    # The ledger, read in the page: every change, oldest first, ending at the balance.
    panel = page.locator(f"section.enrollment[data-enrollment-id='{eid}']")
    panel.locator("button.ledger-toggle").click()
    rows = panel.locator("table.ledger tbody tr")
    expect(rows).to_have_count(4)
    assert [r.get_attribute("data-kind") for r in rows.all()] == ["initial", "top_up", "top_up", "adjustment"]
    assert rows.last.locator("td").nth(3).inner_text() == "16"
    assert "Counted a lesson twice" in rows.last.inner_text()
    assert school.enrollment(eid)["balance"] == sum(e["delta"] for e in school.ledger(eid)) == 16


# --- held no-shows, charged or waived -----------------------------------------------------


def test_held_no_shows_are_charged_or_waived_with_a_reason(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Harp", 2, policy={"no_show": "hold"})
    [session, _] = sorted(school.sessions(schedule), key=lambda s: s["starts_at"])
    charged, waived = school.student("Paul Peters"), school.student("Quinn Quast")
    for who in (charged, waived):
        school.enrol(schedule, who, 5)
        assert school.mark(session, who, "no_show")["held"] is True

    page = open_page()
    school.sign_in(page, "staff")
    go(page, "#/held")
    rows = {
        who["id"]: page.locator(f"#held tr[data-session-id='{session['id']}'][data-student-id='{who['id']}']")
        for who in (charged, waived)
    }
    rows[charged["id"]].wait_for()
    check_accessibility(page, "held no-shows")
    rows[charged["id"]].locator("button[data-settle='charge']").click()
    page.click("#settle-form button[type=submit]")
    expect(rows[charged["id"]]).to_have_attribute("data-settled", "charged")
    rows[waived["id"]].locator("button[data-settle='waive']").click()
    page.click("#settle-form button[type=submit]")  # no reason: the API names the field
    expect(page.locator("#settle-form .field[data-field='reason'] .field-error")).to_be_visible()
    page.fill("#settle-form [name='reason']", "Was ill, told us the day before")
    page.click("#settle-form button[type=submit]")
    expect(rows[waived["id"]]).to_have_attribute("data-settled", "waived")

    assert school.enrollment(f"{schedule['id']}.{charged['id']}")["balance"] == 4
    assert school.enrollment(f"{schedule['id']}.{waived['id']}")["balance"] == 5
    held = school.get("/attendance/held?limit=200")["items"]
    assert not [h for h in held if h["session_id"] == session["id"]]
    page.reload()
    settled(page)
    assert page.locator(f"#held tr[data-session-id='{session['id']}']").count() == 0


# --- a failed booking delivery, replayed ----------------------------------------------------


def _send_booking(base: str, integration: dict, secret: str, email: str, start: datetime) -> requests.Response:
    from chalicelib.webhooks import standard

    event = {
        "type": "booking.created",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "data": {
            "booking_id": f"bk-{uid()}",
            "student": {"name": "Rita Roth", "email": email},
            "teacher": {"name": "Tina Teacher", "email": "tina@school.example"},
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
            "status": "booked",
        },
    }
    body = json.dumps(event).encode()
    msg_id, ts = f"msg_{uid()}", int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard.sign(secret, msg_id, ts, body),
    }
    return requests.post(base + integration["webhook_path"], data=body, headers=headers, timeout=20)


def test_an_admin_connects_a_booking_system_and_replays_a_delivery_that_failed(stack, school, open_page):
    from playwright.sync_api import expect

    booked = school.schedule("Drums (booked)", 0, kind="one_to_one")
    name = "Calendar"
    page = open_page()
    school.sign_in(page, "admin")
    go(page, "#/integrations")
    page.click("details.add > summary:text-is('Connect a booking system')")
    fill_form(page, "#add-integration", {"provider": "standard", "name": name, "default_schedule_id": booked["id"]})
    page.click("#add-integration button[type=submit]")
    status = page.locator("#add-integration .form-status")
    expect(status).to_contain_text("shown this once")
    secret = next(word for word in status.inner_text().split() if word.startswith("whsec_"))
    [integration] = [i for i in school.get("/integrations?limit=200")["items"] if i["name"] == name]

    email = f"rita-{uid()}@students.example"
    sent = _send_booking(stack.base, integration, secret, email, datetime.now(timezone.utc) + timedelta(days=3))
    assert sent.status_code in (200, 202), sent.text
    failed = school.get(f"/integrations/{integration['id']}/deliveries?status=failed")["items"]
    assert len(failed) == 1 and email in failed[0]["reason"]

    go(page, "#/integrations")
    row = page.locator(f"tr[data-delivery-id='{failed[0]['id']}']")
    expect(row.locator(".reason")).to_contain_text(email)
    check_accessibility(page, "integrations")
    # The data is fixed (the student now exists and is enrolled); the delivery is replayed.
    rita = school.call("POST", "/students", {"name": "Rita Roth", "email": email})
    school.enrol(booked, rita, 4)
    row.locator("button.replay").click()
    expect(row).to_have_attribute("data-status", "applied")
    assert row.locator("button.replay").count() == 0
    [delivery] = [
        d for d in school.get(f"/integrations/{integration['id']}/deliveries")["items"] if d["id"] == failed[0]["id"]
    ]
    assert delivery["status"] == "applied" and delivery["replays"] == 1
    upcoming = school.get(
        f"/schedules/{booked['id']}/sessions?from={date.today()}&to={date.today() + timedelta(days=5)}"
    )["items"]
    assert len(upcoming) == 1


# --- reports with charts and their CSVs -----------------------------------------------------


def _wait_until(check, seconds: float = 20.0):
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.3)


def test_reports_show_who_is_at_risk_teachers_against_the_threshold_utilization_and_each_csv(
    stack, school, open_page, browser
):
    from playwright.sync_api import expect

    schedule = school.schedule("Oboe", 10)
    sessions = sorted(school.sessions(schedule), key=lambda s: s["starts_at"])
    drifting = school.student("Sven Stein")
    school.enrol(schedule, drifting, 20)
    for s, status in zip(sessions[:6], ["attended", "attended", "attended", "no_show", "no_show", "no_show"]):
        school.mark(s, drifting, status)
    for s in sessions[6:8]:
        school.call("POST", f"/sessions/{s['id']}/cancel", {"reason": "teacher ill"})

    def flagged():
        rows = school.get("/reports/students")["items"]
        return next((r for r in rows if r["student_id"] == drifting["id"] and r["at_risk"]), None)

    row = _wait_until(flagged)
    assert row and "no_show_streak" in row["reasons"], row

    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = open_page(viewport)
        school.sign_in(page, "staff")
        go(page, "#/reports")
        page.wait_for_selector("#at-risk")
        at_risk = page.locator(f"#at-risk tr[data-student-id='{drifting['id']}']")
        expect(at_risk.locator(".reasons")).to_contain_text("missed several sessions in a row")
        assert at_risk.locator("svg.spark path.line").get_attribute("d").startswith("M")
        assert "Attendance rate of" in at_risk.locator("svg.spark").get_attribute("aria-label")
        teachers = page.locator("#teachers svg.bars")
        assert teachers.locator("line.threshold").count() == 1
        tina = school.get("/reports/teachers")["items"]
        assert teachers.locator("rect.bar").count() == len(tina)
        assert "threshold 15%" in teachers.text_content()
        assert page.locator("#utilization svg.columns rect.bar").count() == 8
        check_accessibility(page, f"reports ({suffix})")
        assert fits(page)
        shot(page, f"reports-{suffix}.png", docs=True)

    # Each CSV downloads as a file, and it is the API's own CSV.
    page = open_page()
    school.sign_in(page, "staff")
    go(page, "#/reports")
    page.wait_for_selector("#at-risk")
    frm, to = page.input_value("#report-from"), page.input_value("#report-to")
    for kind in ("students", "teachers", "schedules", "overview"):
        with page.expect_download() as info:
            page.click(f"button.csv[data-csv='{kind}']")
        download = info.value
        assert download.suggested_filename == f"{kind}-{frm}-{to}.csv"
        with open(download.path(), encoding="utf-8") as f:
            text = f.read()
        api = requests.get(
            f"{stack.base}/reports/{kind}?from={frm}&to={to}&format=csv",
            headers=bearer(school.tokens["staff"]),
            timeout=20,
        )
        assert list(csv.reader(io.StringIO(text)))[0] == list(csv.reader(io.StringIO(api.text)))[0]
        assert len(text.splitlines()) >= 2, kind


# --- the pages of the README, and every view at phone width ----------------------------------


def test_every_view_fits_a_phone_and_passes_the_accessibility_check(stack, school, demo, open_page):
    from tests.e2e.browser import GROUP, MIA

    group = demo.schedules[GROUP]
    mia = next(s for s in demo.board(GROUP)["students"] if s["student_name"] == MIA)
    session = next(s for s in demo.board(GROUP)["items"])
    views = {
        "#/schedules": "schedules",
        f"#/schedule/{group['id']}": "schedule",
        f"#/board/{group['id']}": "board",
        f"#/session/{session['session_id']}": "session",
        "#/students": "students",
        f"#/student/{mia['student_id']}": "student",
        "#/held": "held",
        "#/reports": "reports",
        "#/notifications": "notifications",
        "#/integrations": "integrations",
        "#/settings": "settings",
    }
    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = open_page(viewport)
        page.goto(f"{stack.base}/app")
        page.wait_for_selector("#demo-users button")
        check_accessibility(page, f"sign-in ({suffix})")
        page.click("#demo-users button[data-demo='admin']")
        page.wait_for_selector("#schedules li")
        for hash_, name in views.items():
            go(page, hash_)
            assert page.locator("#error").is_hidden(), (name, page.locator("#error").inner_text())
            check_accessibility(page, f"{name} ({suffix})")
            assert fits(page), f"{name} scrolls sideways at {viewport['width']} px"
            shot(page, f"demo-{name}-{suffix}.png")
        student = open_page(viewport)
        sign_in_as(student, stack.base, "student")
        student.wait_for_selector("#enrollments")
        settled(student)
        check_accessibility(student, f"portal ({suffix})")
        assert fits(student)


# --- a school cancellation, and the company's settings ---------------------------------------


def test_staff_cancel_a_session_from_its_roster_and_nobody_is_charged(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Lute", 2, policy={"cancelled": "deduct"})
    session = sorted(school.sessions(schedule), key=lambda s: s["starts_at"])[0]
    pupils = [school.student("Uma Ulm"), school.student("Vic Vogt")]
    for who in pupils:
        school.enrol(schedule, who, 3)
    school.mark(session, pupils[0], "attended")  # charged; the school's cancellation gives it back

    page = open_page(PHONE)
    school.sign_in(page, "staff")
    go(page, f"#/session/{session['id']}")
    page.wait_for_selector("#roster-form")
    page.click("#cancel-session")
    page.fill("#cancel-form [name='reason']", "Hall flooded")
    page.click("#cancel-form button[type=submit]")
    expect(page.locator("p.notice")).to_contain_text("Hall flooded")
    for who in pupils:
        expect(page.locator(f"#roster tr[data-student-id='{who['id']}']")).to_have_attribute("data-status", "cancelled")
        assert page.locator(f"#roster select[data-student-id='{who['id']}']").is_disabled()
    assert page.locator("#cancel-session").count() == 0
    check_accessibility(page, "cancelled session")
    assert school.get(f"/sessions/{session['id']}")["status"] == "cancelled"
    for who in pupils:
        assert school.enrollment(f"{schedule['id']}.{who['id']}")["balance"] == 3


def test_an_admin_changes_the_company_settings_and_a_stale_page_is_told_so(stack, school, open_page):
    from playwright.sync_api import expect

    before = school.get("/company")
    page = open_page()
    school.sign_in(page, "admin")
    go(page, "#/settings")
    page.fill("#settings-form [name='teacher_cancellation_threshold']", "20")
    page.fill("#settings-form [name='low_balance_threshold']", "-1")
    page.click("#settings-form button[type=submit]")  # refused, and the field is named
    expect(page.locator("#settings-form .field[data-field='low_balance_threshold'] .field-error")).to_be_visible()
    assert school.get("/company")["version"] == before["version"]
    page.fill("#settings-form [name='low_balance_threshold']", str(before["low_balance_threshold"]))
    page.click("#settings-form button[type=submit]")
    expect(page.locator("#settings-form .form-status")).to_contain_text(f"version {before['version'] + 1}")
    after = school.get("/company")
    assert after["report_settings"]["teacher_cancellation_threshold"] == 20
    assert after["version"] == before["version"] + 1 and after["name"] == before["name"]
    # Another admin saves meanwhile: this page's next save carries the version it read.
    body = {k: after[k] for k in ("name", "timezone", "low_balance_threshold")}
    school.call("PUT", "/company", dict(body, teacher_cancellation_threshold=15))
    page.fill("#settings-form [name='teacher_cancellation_threshold']", "25")
    page.click("#settings-form button[type=submit]")
    expect(page.locator("#settings-form .form-status")).to_contain_text("412")
    assert school.get("/company")["report_settings"]["teacher_cancellation_threshold"] == 15


def test_a_teacher_marks_their_class_in_bulk_on_a_phone_and_cannot_reach_staff_pages(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Viola", 1)
    [session] = school.sessions(schedule)
    pupils = [school.student("Wim Weber"), school.student("Xena Xu")]
    for who in pupils:
        school.enrol(schedule, who, 4)

    page = open_page(PHONE)
    school.sign_in(page, "teacher")
    nav = page.locator("#nav a").all_inner_texts()
    assert nav == ["Schedules", "Notifications"]  # no students, reports, settings
    go(page, f"#/session/{session['id']}")
    page.wait_for_selector("#roster-form")
    assert page.locator("#cancel-session").count() == 0  # a school cancellation is for staff
    page.click("#roster-form button:text-is('Mark everyone attended')")
    page.select_option(f"#roster select[data-student-id='{pupils[1]['id']}']", "no_show")
    page.click("#roster-form button[type=submit]")
    expect(page.locator("#roster-form .form-status")).to_have_text("2 of 2 saved.")
    assert fits(page)
    check_accessibility(page, "teacher's roster")
    balances = [school.enrollment(f"{schedule['id']}.{who['id']}")["balance"] for who in pupils]
    assert balances == [3, 3]  # attended and a charged no-show (the default policy)
    # A staff page the teacher opens anyway answers with the API's refusal, not data.
    go(page, "#/students")
    expect(page.locator("#error")).to_have_attribute("data-status", "403")
    assert page.locator("#students li").count() == 0


def test_adding_a_student_with_a_login_someone_has_names_the_field(stack, school, open_page):
    from playwright.sync_api import expect

    page = open_page()
    school.sign_in(page, "staff")
    go(page, "#/students?add=1")
    taken = f"staff-{school.company_id}"  # Sam Staff's login
    fill_form(page, "#add-student", {"name": "Yara Yilmaz", "email": "yara@students.example", "user_id": taken})
    page.click("#add-student button[type=submit]")
    error = page.locator("#add-student .field[data-field='user_id'] .field-error")
    expect(error).to_have_text("already in use")
    assert page.locator("#add-student [name='user_id']").get_attribute("aria-invalid") == "true"
    assert school.get("/students?q=yara")["items"] == []
    fill_form(page, "#add-student", {"email": "not an email", "user_id": ""})
    page.click("#add-student button[type=submit]")
    expect(page.locator("#add-student .field[data-field='email'] .field-error")).to_be_visible()
    assert school.get("/students?q=yara")["items"] == []


def test_staff_edit_a_schedules_charge_policy_and_its_threshold(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Banjo", 0)
    page = open_page(PHONE)
    school.sign_in(page, "staff")
    go(page, f"#/schedule/{schedule['id']}")
    page.click("details.add > summary:text-is('Edit the charge policy')")
    fill_form(
        page,
        "#policy-form",
        {
            "policy.cancelled": "deduct",
            "policy.late_cancel_hours": 24,
            "policy.no_show": "hold",
            "low_balance_threshold": 3,
        },
    )
    page.click("#policy-form button[type=submit]")
    expect(page.locator("#policy-text")).to_contain_text("charged when under 24 h before")
    expect(page.locator("#policy-text")).to_contain_text("No-show: held for staff")
    saved = school.get(f"/schedules/{schedule['id']}")
    assert saved["policy"] == {"cancelled": "deduct", "no_show": "hold", "late_cancel_hours": 24, "overdraft": 0}
    assert saved["low_balance_threshold"] == 3 and saved["version"] == schedule["version"] + 1
    # Emptying the late-cancellation hours removes the rule; a negative overdraft is refused by name.
    page.fill("#policy-form [name='policy.late_cancel_hours']", "")
    page.fill("#policy-form [name='policy.overdraft']", "-1")
    page.click("#policy-form button[type=submit]")
    expect(page.locator("#policy-form .field[data-field='policy.overdraft'] .field-error")).to_be_visible()
    assert school.get(f"/schedules/{schedule['id']}")["policy"]["late_cancel_hours"] == 24
    page.fill("#policy-form [name='policy.overdraft']", "0")
    page.click("#policy-form button[type=submit]")
    expect(page.locator("#policy-text")).not_to_contain_text("charged when under")
    assert school.get(f"/schedules/{schedule['id']}")["policy"]["late_cancel_hours"] is None
    check_accessibility(page, "schedule policy")


def test_packages_with_their_expiry_and_the_statement_on_the_student_page_and_in_the_portal(stack, school, open_page):
    from playwright.sync_api import expect

    schedule = school.schedule("Cello", 2)
    sub = f"student-{uid()}"
    student = school.student("Piet Pauls", user_id=sub)
    enrollment = school.enrol(schedule, student, 2)
    eid = enrollment["id"]
    first = school.sessions(schedule)[0]
    school.mark(first, student, "attended")  # from the opening package: L1 holds 1 now
    expires = (date.today() + timedelta(days=30)).isoformat()

    page = open_page()
    school.sign_in(page, "staff")
    go(page, f"#/student/{student['id']}")
    panel = page.locator(f"section.enrollment[data-enrollment-id='{eid}']")
    expect(panel.locator(".lots li[data-lot-id='L1']")).to_contain_text("1 left")
    top_up = panel.locator("form[data-form='top-up']")
    top_up.locator("[name='sessions']").fill("5")
    top_up.locator("[name='expires_at']").fill(expires)
    top_up.locator("button[type=submit]").click()
    panel = page.locator(f"section.enrollment[data-enrollment-id='{eid}']")
    expect(panel.locator(".balance .badge")).to_have_text("6")
    lot = panel.locator(".lots li[data-lot-id='L2']")
    expect(lot).to_contain_text("5 × top-up · 5 left · usable until")
    day = date.fromisoformat(expires)
    shown = lot.inner_text()  # the last usable day, in the browser's own way of writing dates
    assert day.strftime("%b") in shown and str(day.day) in shown and str(day.year) in shown
    stored = school.enrollment(eid)
    assert [(x["id"], x["remaining"]) for x in stored["lots"]] == [("L1", 1), ("L2", 5)]
    assert stored["lots"][1]["expires_at"].startswith((expires, (day - timedelta(days=1)).isoformat()))

    panel.get_by_role("button", name="Show statement").click()
    statement = panel.locator(".statement")
    expect(statement.locator(".statement-lot")).to_have_count(2)
    expect(statement).to_contain_text("balance 6")
    expect(statement.locator(".statement-lot[data-lot-id='L1'] tbody tr")).to_have_count(2)  # opening, the class
    check_accessibility(page, "student page with packages and the statement")

    portal = open_page()
    portal.goto(f"{stack.base}/app")
    portal.fill("#token-input", token(school.company_id, "student", sub))
    portal.click("#signin-form button[type=submit]")
    card = portal.locator(f"#enrollments li[data-enrollment-id='{eid}']")
    expect(card.locator("[data-remaining]")).to_have_text("6")
    expect(card.locator(".lots li[data-lot-id='L2']")).to_contain_text("usable until")
    card.get_by_role("button", name="Show statement").click()
    expect(card.locator(".statement .statement-lot")).to_have_count(2)
    check_accessibility(portal, "portal with packages and the statement")
