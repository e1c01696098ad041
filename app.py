"""OptClass: the Chalice application. Wiring only: middleware, blueprints, schedules."""

import gc

# A cold start: what importing makes (modules, classes, routes) lives as long as the
# container, so no collection runs while importing, and once imported it is frozen out of
# every later collection (docs/architecture.md, "Cold start").
gc.disable()

from chalice import Chalice, Cron

from chalicelib import config, jobs, streams
from chalicelib.api import (
    attendance,
    boards,
    company,
    enrollments,
    health,
    imports,
    integrations,
    notifications,
    pages,
    people,
    reports,
    schedules,
    sessions,
)
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="optclass")
app.register_middleware(http_middleware, "http")

for blueprint in (
    health.bp,
    company.bp,
    people.bp,
    schedules.bp,
    enrollments.bp,
    sessions.bp,
    attendance.bp,
    boards.bp,
    notifications.bp,
    integrations.bp,
    imports.bp,
    reports.bp,
    pages.bp,
):
    app.register_blueprint(blueprint)

if config.is_local():
    from chalicelib.api import local

    app.register_blueprint(local.bp)


@app.schedule(Cron(15, 1, "*", "*", "?", "*"), name="session-horizon")
def session_horizon(event):
    """Daily: keep every recurring schedule's sessions made 8 weeks ahead."""
    return jobs.run("session-horizon")


@app.schedule(Cron(30, 5, "*", "*", "?", "*"), name="lot-expiry")
def lot_expiry(event):
    """Daily, before the low-balance check: expire lapsed packages, announce those lapsing soon."""
    return jobs.run("lot-expiry")


@app.schedule(Cron(0, 6, "*", "*", "?", "*"), name="low-balance")
def low_balance(event):
    """Daily: tell the staff responsible about enrollments that crossed their threshold."""
    return jobs.run("low-balance")


@app.on_dynamodb_record(
    stream_arn=config.stream_arn(),
    batch_size=100,
    starting_position="TRIM_HORIZON",
    name="report-counters",
    maximum_batching_window_in_seconds=1,
)
def report_counters(event):
    """The table's stream: keep the report counters, each change exactly once."""
    return streams.handle(event.to_dict())


gc.freeze()
gc.enable()
