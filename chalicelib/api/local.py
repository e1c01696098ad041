"""Routes of the local stage only (registered by app.py when the stage is `local`):
run a scheduled job now, as of a date; read the emails the app has "sent"."""
from chalice import Blueprint

from .. import jobs
from ..errors import NotFound
from ..services import notifications
from .routing import ADMIN_ONLY, route
from .schemas import JobOut, JobQuery, OutboxOut

bp = Blueprint(__name__)


@route(bp, "/local/jobs/{job_name}", "POST", roles=ADMIN_ONLY, query=JobQuery,
       summary="Run a scheduled job now, as of a date (local stage only)", response=JobOut)
def run_job(req):
    name = req.params["job_name"]
    if name not in jobs.JOBS:
        raise NotFound("job", name)
    return jobs.run(name, req.query.on)


@route(bp, "/local/outbox", "GET", roles=ADMIN_ONLY, summary="Emails sent by the app, newest first (local stage only)",
       response=OutboxOut, many=True)
def outbox(req):
    return notifications.outbox(req.actor, req.query.limit, req.query.next)
