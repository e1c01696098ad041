"""The web pages in a real browser against the `make run` stack.

Debian's Chromium (tools/ensure_chromium.sh installs it) driven by Playwright: Playwright's
own browser download is not used, so the tests run wherever the distribution's package
installs. They use the demo school that `make run` loads: Sam Staff marks Mia Meyer on a
past session of the group class Tina Teacher teaches, Mia then sees it in her portal, and
Tina cannot open Theo Teacher's Piano 1:1 board. Screenshots go to build/screenshots/;
the pages of the README are taken by test_browser_staff.py.
"""

import os
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.browser import DESKTOP, GROUP, MIA, PHONE, PIANO, SCREENSHOTS, WAIT_MS, sign_in_as
from tests.support import bearer, new_company_id, token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _cell(page, session_id: str, student_id: str):
    return page.locator(f"button.cell[data-session-id='{session_id}'][data-student-id='{student_id}']")


def _badge(page, student_id: str):
    return page.locator(f"#board tr[data-student-id='{student_id}'] th.student .badge")


@pytest.fixture(scope="module")
def marked(browser, stack, demo):
    """Sam Staff opens the group board in the page and marks Mia attended on a past session."""
    from playwright.sync_api import expect

    board = demo.board(GROUP)
    mia = next(s for s in board["students"] if s["student_name"] == MIA)
    now = datetime.now(timezone.utc)
    past = [
        s
        for s in board["items"]
        if s["status"] != "cancelled"
        and datetime.fromisoformat(s["starts_at"]) < now
        and any(a["student_id"] == mia["student_id"] and a["status"] == "unmarked" for a in s["attendance"])
    ]
    assert past, "the demo group class has no past session with Mia unmarked in the board's default range"
    session = past[-1]

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    errors = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in_as(page, stack.base, "staff")
        page.wait_for_selector("#schedules li")
        page.click(f"#schedules a:text-is('{GROUP}')")
        page.wait_for_selector("#board")
        shown_before = _badge(page, mia["student_id"]).inner_text()
        cell = _cell(page, session["session_id"], mia["student_id"])
        status_before = cell.get_attribute("data-status")
        cell.click()
        page.click("#sheet button[data-status='attended']")
        page.wait_for_selector(
            f"button.cell[data-session-id='{session['session_id']}']"
            f"[data-student-id='{mia['student_id']}'][data-status='attended']"
        )
        expect(_badge(page, mia["student_id"])).to_have_text(str(mia["balance"] - 1))
        shown_after = _badge(page, mia["student_id"]).inner_text()
        page.mouse.move(0, 0)
        page.screenshot(path=os.path.join(SCREENSHOTS, "staff-board.png"))
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"
    return {
        "session": session,
        "mia": mia,
        "shown_before": shown_before,
        "status_before": status_before,
        "shown_after": shown_after,
    }


def test_the_page_and_its_assets_are_served_with_their_types_and_nothing_else(stack):
    page = requests.get(f"{stack.base}/app", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        answer = requests.get(f"{stack.base}/app/{name}", timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(kind), name
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("index.html", "nothing.js", "..%2Fpages.py", "%2E%2E%2F%2E%2E%2Fapp.py", "app.js.bak", ".env"):
        answer = requests.get(f"{stack.base}/app/{name}", timeout=10)
        assert answer.status_code in (403, 404), name  # 403: the path names no route at all
        assert answer.headers["Content-Type"] == "application/json" and answer.json()["error"]["code"], name
    slash = requests.get(f"{stack.base}/app/", timeout=10, allow_redirects=False)
    assert slash.status_code == 308 and slash.headers["Location"] == "../app"


def test_demo_tokens_are_the_ones_make_run_prints_and_they_work(stack, demo):
    import jwt

    printed = dict(
        word.split("=", 1) for word in stack.output().split() if word.startswith("OPTCLASS_") and "_TOKEN=" in word
    )
    assert set(demo.tokens) == {"admin", "staff", "teacher", "student"}

    def who(tok):
        claims = jwt.decode(tok, options={"verify_signature": False})
        return claims["company_id"], claims["sub"], claims["role"]

    for role, tok in demo.tokens.items():
        assert who(tok) == who(printed[f"OPTCLASS_{role.upper()}_TOKEN"])
    for role, path in (("admin", "/company"), ("staff", "/schedules"), ("teacher", "/schedules"), ("student", "/me")):
        demo.get(role, path)


def test_staff_marks_a_past_session_attended_and_the_balance_drops_by_one(marked, demo):
    mia = marked["mia"]
    assert marked["status_before"] == "unmarked"
    assert marked["shown_before"] == str(mia["balance"])
    assert marked["shown_after"] == str(mia["balance"] - 1)
    now = next(s for s in demo.board(GROUP)["students"] if s["student_id"] == mia["student_id"])
    assert now["balance"] == mia["balance"] - 1


def test_the_student_sees_the_new_balance_and_the_session_in_the_past_list(marked, stack, open_page):
    page = open_page()
    sign_in_as(page, stack.base, "student")
    page.wait_for_selector("#enrollments")
    assert page.locator("main h1").inner_text() == f"Hello, {MIA}"
    group = page.locator("#enrollments > li", has_text=GROUP)
    assert group.locator("[data-remaining]").inner_text() == str(marked["mia"]["balance"] - 1)
    # Only her own: Piano 1:1 is Ivy's slot (a 1:1 series holds one student).
    assert page.locator("#enrollments > li").count() == 1
    assert page.locator("#enrollments > li", has_text=PIANO).count() == 0
    session_id = marked["session"]["session_id"]
    past = page.locator(f"#past li[data-session-id='{session_id}']")
    past.wait_for()
    assert past.get_attribute("data-status") == "attended"
    assert "Attended" in past.inner_text() and GROUP in past.inner_text()
    assert page.locator(f"#upcoming li[data-session-id='{session_id}']").count() == 0
    page.screenshot(path=os.path.join(SCREENSHOTS, "student-portal.png"), full_page=True)


def test_a_teacher_cannot_open_another_teachers_board_and_the_page_says_why(stack, demo, open_page):
    page = open_page()
    sign_in_as(page, stack.base, "teacher")
    page.wait_for_selector("#schedules li")
    assert page.locator("#schedules a").all_inner_texts() == [GROUP]
    piano_id = demo.schedules[PIANO]["id"]
    refused = requests.get(
        f"{stack.base}/schedules/{piano_id}/board", headers=bearer(demo.tokens["teacher"]), timeout=10
    )
    assert refused.status_code == 403
    page.evaluate("id => { location.hash = '#/board/' + encodeURIComponent(id); }", piano_id)
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert error.get_attribute("data-status") == "403"
    assert error.get_attribute("data-code") == refused.json()["error"]["code"]
    assert refused.json()["error"]["message"] in error.inner_text()
    assert page.locator("#board").count() == 0
    page.screenshot(path=os.path.join(SCREENSHOTS, "teacher-forbidden.png"))


def test_the_board_fits_a_phone_screen(stack, demo, open_page):
    page = open_page(PHONE)
    sign_in_as(page, stack.base, "staff")
    page.wait_for_selector("#schedules li")
    page.click(f"#schedules a:text-is('{GROUP}')")
    page.wait_for_selector("#board")
    # The board scrolls inside its frame; the page itself must not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    frame = page.locator(".board-wrap")
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")
    page.screenshot(path=os.path.join(SCREENSHOTS, "board-phone.png"))
    page.locator("button.cell").last.click()
    dialog = page.locator("#sheet .dialog")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    page.screenshot(path=os.path.join(SCREENSHOTS, "picker-phone.png"))


def test_a_pasted_token_signs_in_and_names_from_the_api_are_shown_as_text(stack, open_page):
    cid = new_company_id()
    admin = bearer(token(cid, "admin", f"admin-{cid}"))
    staff_token = token(cid, "staff", f"staff-{cid}")

    def post(path, body):
        answer = requests.post(stack.base + path, json=body, headers=admin, timeout=10)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    assert (
        requests.put(f"{stack.base}/company", json={"name": "Markup School"}, headers=admin, timeout=10).status_code
        == 200
    )
    teacher = post("/staff", {"name": "<b>Bold</b> Teacher", "email": "t@markup.example", "role": "teacher"})
    member = post("/staff", {"name": "Sue", "email": "s@markup.example", "role": "staff", "user_id": f"staff-{cid}"})
    hostile = '<img src=x onerror="window.__injected=1">Zoe'
    student = post("/students", {"name": hostile, "email": "z@markup.example"})
    schedule = post(
        "/schedules",
        {
            "name": "<script>window.__injected=2</script>Drums",
            "kind": "group",
            "capacity": 4,
            "teacher_id": teacher["id"],
        },
    )
    post(
        f"/schedules/{schedule['id']}/enrollments",
        {"student_id": student["id"], "initial_balance": 1, "responsible_staff_id": member["id"]},
    )
    post(
        f"/schedules/{schedule['id']}/sessions",
        {"starts_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()},
    )

    page = open_page()
    page.goto(f"{stack.base}/app")
    page.fill("#token-input", staff_token)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#schedules li")
    page.click("#schedules a")
    page.wait_for_selector("#board")
    assert page.locator("#board-title").inner_text() == schedule["name"]
    row = page.locator(f"#board tr[data-student-id='{student['id']}']")
    assert row.locator(".name").inner_text() == hostile
    assert "low" in row.get_attribute("class")
    assert page.locator("#board img, #board b, main script").count() == 0
    assert page.evaluate("window.__injected") is None
    # Marking the last session exhausts the balance: the row turns from low to exhausted.
    row.locator("button.cell").first.click()
    page.click("#sheet button[data-status='attended']")
    page.wait_for_selector(f"#board tr.exhausted[data-student-id='{student['id']}']")
    assert row.locator(".badge").inner_text() == "0"


def test_staff_see_held_no_shows_and_notifications_and_can_clear_a_mark(stack, demo, open_page):
    board = demo.board(PIANO)
    ivy = next(s for s in board["students"] if s["student_name"] == "Ivy Ito")
    now = datetime.now(timezone.utc)
    session = [
        s
        for s in board["items"]
        if s["status"] != "cancelled"
        and datetime.fromisoformat(s["starts_at"]) < now
        and any(a["student_id"] == ivy["student_id"] and a["status"] == "unmarked" for a in s["attendance"])
    ][-1]
    # Piano 1:1 holds no-shows instead of charging them; the daily job finds the low balances.
    held = requests.put(
        f"{stack.base}/sessions/{session['session_id']}/attendance/{ivy['student_id']}",
        json={"status": "no_show"},
        headers=bearer(demo.tokens["staff"]),
        timeout=10,
    )
    assert held.status_code == 200 and held.json()["held"] is True
    ran = requests.post(f"{stack.base}/local/jobs/low-balance", headers=bearer(demo.tokens["admin"]), timeout=30)
    assert ran.status_code == 200, ran.text

    page = open_page()
    sign_in_as(page, stack.base, "staff")
    page.wait_for_selector("#schedules li")
    page.click("#nav a:text-is('Notifications')")
    page.wait_for_selector("#notifications li")
    names = page.locator("#notifications li strong").all_inner_texts()
    assert {"Ana Alves", "Ben Becker"} <= set(names)
    first = page.locator("#notifications li").first
    first.locator("button:text-is('Mark read')").click()
    first.locator("text=/^read /").wait_for()
    page.screenshot(path=os.path.join(SCREENSHOTS, "notifications.png"), full_page=True)

    page.click("#nav a:text-is('Held no-shows')")
    row = page.locator(f"#held tr[data-session-id='{session['session_id']}'][data-student-id='{ivy['student_id']}']")
    row.wait_for()
    assert "Ivy Ito" in row.inner_text()
    page.screenshot(path=os.path.join(SCREENSHOTS, "held.png"))
    row.locator(f"a:text-is('{PIANO}')").click()
    cell = _cell(page, session["session_id"], ivy["student_id"])
    assert cell.get_attribute("data-status") == "no_show" and "held" in cell.inner_text()
    cell.click()
    page.click("#sheet button[data-status='unmarked']")
    page.wait_for_selector(
        f"button.cell[data-session-id='{session['session_id']}']"
        f"[data-student-id='{ivy['student_id']}'][data-status='unmarked']"
    )
    assert _badge(page, ivy["student_id"]).inner_text() == str(ivy["balance"])
    page.click("#nav a:text-is('Held no-shows')")
    page.wait_for_selector("main h1:text-is('Held no-shows')")
    page.locator("main[aria-busy='false']").wait_for()
    assert row.count() == 0
