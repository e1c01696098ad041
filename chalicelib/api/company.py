"""Company settings."""

from chalice import Blueprint

from ..services import company
from .routing import ADMIN_ONLY, STAFF_ROLES, current_state, route
from .schemas import CompanyIn, CompanyOut

bp = Blueprint(__name__)


@route(bp, "/company", "GET", roles=STAFF_ROLES, summary="The company's settings", response=CompanyOut)
def get_company(req):
    return company.get_company(req.actor)


@route(
    bp,
    "/company",
    "PUT",
    roles=ADMIN_ONLY,
    bootstrap=True,
    response=CompanyOut,
    body=CompanyIn,
    summary="Replace the company's settings; for a company with no records yet, set it up with the caller "
    "as its first admin",
)
def put_company(req):
    identity = current_state().identity
    return company.put_company(
        req.actor, **req.body.model_dump(), if_match=req.if_match, setup_email=identity.email, setup_name=identity.name
    )
