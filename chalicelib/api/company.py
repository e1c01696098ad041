"""Company settings."""

from dataclasses import asdict

from chalice import Blueprint

from ..domain import records
from ..services import company, reports
from .routing import ADMIN_ONLY, STAFF_ROLES, current_state, route
from .schemas.common import Overlay
from .schemas.company import CompanyIn, CompanyOut

bp = Blueprint(__name__)


def company_out(c: records.Company) -> CompanyOut:
    """The company's settings, with the report thresholds in force: its own, else the defaults."""
    return CompanyOut.model_validate(Overlay(c, report_settings=asdict(reports.settings_of(c))))


@route(
    bp,
    "/company",
    "GET",
    roles=STAFF_ROLES,
    summary="The company's settings",
    response=CompanyOut,
    presenter=company_out,
)
def get_company(req):
    return company.get_company(req.actor)


@route(
    bp,
    "/company",
    "PUT",
    roles=ADMIN_ONLY,
    bootstrap=True,
    response=CompanyOut,
    presenter=company_out,
    body=CompanyIn,
    summary="Replace the company's settings; for a company with no records yet, set it up with the caller "
    "as its first admin",
)
def put_company(req):
    identity = current_state().identity
    return company.put_company(
        req.actor, **req.body.model_dump(), if_match=req.if_match, setup_email=identity.email, setup_name=identity.name
    )
