from datetime import datetime, timedelta, timezone

from chalicelib.domain.policy import PolicyRules, charge_delta, decide

START = datetime(2027, 1, 10, 17, 0, tzinfo=timezone.utc)
CREDIT_24 = PolicyRules(cancelled="credit", no_show="hold", late_cancel_hours=24, overdraft=0)


def test_a_school_cancellation_is_never_charged_even_under_deduct():
    rules = PolicyRules(cancelled="deduct", no_show="deduct", late_cancel_hours=48, overdraft=0)
    d = decide("cancelled", rules, starts_at=START, cancelled_at=START, cancelled_by="school")
    assert (d.charged, d.held, d.late) == (False, False, False)


def test_the_late_window_edge_is_exclusive():
    exactly = decide("cancelled", CREDIT_24, starts_at=START, cancelled_at=START - timedelta(hours=24))
    just_inside = decide("cancelled", CREDIT_24, starts_at=START, cancelled_at=START - timedelta(hours=23, minutes=59))
    assert exactly.charged is False and just_inside.charged is True


def test_without_a_late_window_a_credit_cancellation_is_free_even_after_the_start():
    rules = PolicyRules(cancelled="credit", no_show="deduct", late_cancel_hours=None, overdraft=0)
    assert decide("cancelled", rules, starts_at=START, cancelled_at=START + timedelta(hours=1)).charged is False


def test_an_override_replaces_the_policy_and_settles_a_hold():
    d = decide("no_show", CREDIT_24, starts_at=START, override=True)
    assert (d.charged, d.held) == (True, False)
    assert decide("attended", CREDIT_24, starts_at=START, override=False).charged is False


def test_the_charge_delta_of_every_transition():
    assert [charge_delta(a, b) for a, b in ((False, True), (True, False), (True, True), (False, False))] == [-1, 1, 0, 0]
