"""OptClass: the Chalice application. Wiring only: middleware, blueprints, schedules."""
from chalice import Chalice, Cron

from chalicelib import config, jobs
from chalicelib.api import (attendance, boards, company, enrollments, health, integrations, notifications, pages,
                            people, reports, schedules, sessions)
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="optclass")
app.register_middleware(http_middleware, "http")

for blueprint in (health.bp, company.bp, people.bp, schedules.bp, enrollments.bp, sessions.bp, attendance.bp,
                  boards.bp, notifications.bp, integrations.bp, reports.bp, pages.bp):
    app.register_blueprint(blueprint)

if config.is_local():
    from chalicelib.api import local

    app.register_blueprint(local.bp)


@app.schedule(Cron(15, 1, "*", "*", "?", "*"), name="session-horizon")
def session_horizon(event):
    """Daily: keep every recurring schedule's sessions made 8 weeks ahead."""
    return jobs.run("session-horizon")


@app.schedule(Cron(0, 6, "*", "*", "?", "*"), name="low-balance")
def low_balance(event):
    """Daily: tell the staff responsible about enrollments that crossed their threshold."""
    return jobs.run("low-balance")
