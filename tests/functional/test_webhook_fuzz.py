"""A webhook fuzzer that signs what it sends: each provider's documented deliveries
(tests/fixtures/webhooks) with values replaced, keys dropped or the whole body swapped for
arbitrary JSON or bytes, every one correctly signed so it reaches the parsing and the
effects. No answer may be a server error; every answer has the contract's shape; and after
the run the school's books still balance and no session exists that the HTTP API would refuse.
"""

import copy
import json
import os
import time
from datetime import datetime
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.webhooks import calcom, calendly
from tests.functional.test_webhooks_providers import ACUITY_TYPE, CAL_TYPE, CALENDLY_TYPE, FakeAcuity, fixture
from tests.functional.webhook_helpers import Sender
from tests.support import table_items

# The same examples on every run; OPTCLASS_FUZZ_EXAMPLES=2000 OPTCLASS_FUZZ_RANDOM=1 hunts further.
RUNS = settings(
    max_examples=int(os.environ.get("OPTCLASS_FUZZ_EXAMPLES", "150")),
    deadline=None,
    database=None,
    derandomize=not os.environ.get("OPTCLASS_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values that have broken parsers before: instants at and beyond the edges, ids too long,
# numbers too big for anything, text that is not text.
EDGES = st.sampled_from(
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-03-10T15:00:00",
        "2026-03-10T25:00:00Z",
        "2026-03-10T15:00:00+25:00",
        "",
        " ",
        "null",
        "x" * 2000,
        "é" * 300,
        "\u0000",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "March 10, 2026",
        "4:00pm",
        "-1",
        "1e400",
        "NaN",
        "zoe.mueller@example.com",
        "@",
        "a@" + "b" * 400 + ".example",
        "https://api.calendly.com/scheduled_events/x/invitees/y",
        10**40,
        -(10**40),
        2**63,
        0,
        -1,
        1.5e308,
        True,
        False,
        None,
        [],
        {},
        [None],
        {"": None},
    ]
)
SCALARS = st.one_of(EDGES, st.integers(), st.floats(allow_nan=False), st.text(max_size=40), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every place in a JSON tree a value sits."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _set(tree, path, value, drop=False):
    if not path:
        return value
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    elif drop and isinstance(parent, list):
        parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    return tree


@st.composite
def mutated(draw, templates):
    """A template with 1 to 4 values replaced or dropped, or now and then arbitrary JSON."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    tree = json.loads(json.dumps(draw(st.sampled_from(templates))))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(tree))
        path = draw(st.sampled_from(paths[1:] or paths))
        tree = _set(tree, path, copy.deepcopy(draw(VALUES)), drop=draw(st.booleans()))  # EDGES' lists are shared
    return tree


def _body(draw, templates):
    """The bytes to send: mostly mutated JSON, sometimes bytes that are not JSON at all."""
    choice = draw(st.integers(0, 19))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice == 1:
        return b"[" * 1000 + b"]" * 1000
    return json.dumps(draw(mutated(templates)), ensure_ascii=draw(st.booleans())).encode()


@pytest.fixture
def school(world):
    """The fixtures' people (Zoë Müller, Anna Schmidt) and one integration per provider."""
    w = world
    anna = w.admin.post(
        "/staff", {"name": "Anna Schmidt", "email": "anna.schmidt@optclass.example", "role": "teacher"}
    ).body
    zoe = w.staff.post("/students", {"name": "Zoë Müller", "email": "zoe.mueller@example.com"}).body
    schedule = w.staff.post(
        "/schedules",
        {
            "name": "German B1",
            "kind": "one_to_one",
            "teacher_id": anna["id"],
            "capacity": 5,
            "policy": {"late_cancel_hours": 24, "no_show": "deduct"},
        },
    )
    assert schedule.status == 201, schedule.body
    enrolled = w.staff.post(
        f"/schedules/{schedule.body['id']}/enrollments",
        {"student_id": zoe["id"], "initial_balance": 5, "responsible_staff_id": w.ids["staff_id"]},
    )
    assert enrolled.status == 201, enrolled.body
    return {"w": w, "schedule": schedule.body, "eid": enrolled.body["id"]}


def connect(school, provider, event_type, **extra):
    made = school["w"].admin.post(
        "/integrations",
        {"provider": provider, "name": provider, "event_types": {event_type: school["schedule"]["id"]}, **extra},
    )
    assert made.status == 201, made.body
    return Sender(school["w"].client, made.body)


def _answered_in_contract(answer, seen):
    seen.add(answer.status if answer.status >= 400 else answer.body.get("status"))
    assert answer.status < 500, (answer.status, answer.body)
    assert answer.status in (200, 202, 400, 413), (answer.status, answer.body)
    if answer.status >= 400:
        assert set(answer.body) == {"error"} and answer.body["error"]["code"], answer.body
    else:
        assert answer.body["status"] in ("applied", "duplicate", "ignored", "failed"), answer.body


def _reached_every_outcome(seen):
    """The run got past the signature and the parsing: some deliveries applied, some failed."""
    assert {"applied", "failed", 400} <= seen, seen


def _books_balance_and_sessions_are_sound(school):
    w = school["w"]
    enrollment = w.staff.get(f"/enrollments/{school['eid']}").body
    ledger = w.staff.get(f"/enrollments/{school['eid']}/ledger?limit=200").body["items"]
    assert enrollment["balance"] == sum(entry["delta"] for entry in ledger)
    for item in table_items():
        if item.get("type", {}).get("S") == "session" and item.get("company_id", {}).get("S") == w.company_id:
            starts, ends = (
                datetime.fromisoformat(item[f]["S"].replace("Z", "+00:00")) for f in ("starts_at", "ends_at")
            )
            assert 1970 <= starts.year <= 2200 and starts < ends, item


STANDARD = [
    {
        "type": kind,
        "timestamp": "2026-03-02T09:14:07Z",
        "data": {
            "booking_id": "bk-1",
            "event_type": "german-b1-lesson",
            "status": "booked",
            "student": {"name": "Zoë Müller", "email": "zoe.mueller@example.com"},
            "teacher": {"name": "Anna Schmidt", "email": "anna.schmidt@optclass.example"},
            "start": "2026-03-10T15:00:00Z",
            "end": "2026-03-10T15:50:00Z",
            "cancelled_at": "2026-03-09T10:00:00Z",
            "cancelled_by": "student",
        },
    }
    for kind in (
        "booking.created",
        "booking.rescheduled",
        "booking.cancelled",
        "booking.no_show",
        "booking.no_show_reverted",
    )
]
CALCOM = [
    fixture(f"calcom_{name}.json")
    for name in ("booking_created", "booking_rescheduled", "booking_cancelled", "meeting_ended", "no_show_updated")
]
CALENDLY = [
    fixture(f"calendly_{name}.json")
    for name in (
        "invitee_created",
        "invitee_created_rescheduled",
        "invitee_canceled",
        "invitee_canceled_rescheduled",
        "invitee_no_show_created",
        "invitee_no_show_deleted",
    )
]


def test_signed_standard_deliveries_never_make_a_server_error(school):
    send = connect(school, "standard", "german-b1-lesson")

    seen = set()

    @RUNS
    @given(st.data())
    def deliver(data):
        body = _body(data.draw, STANDARD)
        msg_id = data.draw(
            st.one_of(st.none(), st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=300))
        )
        _answered_in_contract(send.standard_body(body, msg_id=msg_id), seen)

    deliver()
    _reached_every_outcome(seen)
    _books_balance_and_sessions_are_sound(school)


def test_signed_calcom_deliveries_never_make_a_server_error(school):
    send = connect(school, "calcom", CAL_TYPE)

    seen = set()

    @RUNS
    @given(st.data())
    def deliver(data):
        body = _body(data.draw, CALCOM)
        _answered_in_contract(
            send.raw(body, {"Content-Type": "application/json", "X-Cal-Signature-256": calcom.sign(send.secret, body)}),
            seen,
        )

    deliver()
    _reached_every_outcome(seen)
    _books_balance_and_sessions_are_sound(school)


def test_signed_calendly_deliveries_never_make_a_server_error(school):
    send = connect(school, "calendly", CALENDLY_TYPE)

    seen = set()

    @RUNS
    @given(st.data())
    def deliver(data):
        body = _body(data.draw, CALENDLY)
        _answered_in_contract(
            send.raw(
                body,
                {
                    "Content-Type": "application/json",
                    "Calendly-Webhook-Signature": calendly.sign(send.secret, int(time.time()), body),
                },
            ),
            seen,
        )

    deliver()
    _reached_every_outcome(seen)
    _books_balance_and_sessions_are_sound(school)


def test_signed_acuity_deliveries_and_whatever_its_api_answers_never_make_a_server_error(school, monkeypatch):
    fake = FakeAcuity("18141694", "acuity-api-key-123")
    monkeypatch.setenv("OPTCLASS_ACUITY_API_BASE", fake.base)
    send = connect(school, "acuity", ACUITY_TYPE, account_id=fake.user, secret=fake.key)
    appointments = [fixture("acuity_appointment.json"), fixture("acuity_appointment_canceled_no_show.json")]
    field = st.one_of(
        st.sampled_from(
            [
                "1108423517",
                ACUITY_TYPE,
                "4887542",
                "scheduled",
                "rescheduled",
                "canceled",
                "changed",
                "order.completed",
                "",
                "x" * 2000,
                "-1",
                "1e400",
            ]
        ),
        st.text(max_size=30),
    )

    seen = set()

    @RUNS
    @given(st.data())
    def deliver(data):
        fake.appointments["1108423517"] = data.draw(mutated(appointments))
        form = data.draw(
            st.dictionaries(
                st.sampled_from(["action", "id", "calendarID", "appointmentTypeID", "x"]), field, max_size=5
            )
        )
        if data.draw(st.integers(0, 3)):  # mostly a well-formed notification, so that the fetch is fuzzed too
            form = {
                "action": data.draw(st.sampled_from(["scheduled", "rescheduled", "canceled", "changed"])),
                "id": "1108423517",
                "calendarID": "4887542",
                "appointmentTypeID": ACUITY_TYPE,
                **form,
            }
        _answered_in_contract(send.acuity(urlencode(form)), seen)

    try:
        deliver()
    finally:
        fake.server.shutdown()
    _reached_every_outcome(seen)
    _books_balance_and_sessions_are_sound(school)
