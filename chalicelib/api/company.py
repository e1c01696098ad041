"""Company settings."""
from chalice import Blueprint

from ..services import company
from .routing import ADMIN_ONLY, STAFF_ROLES, route
from .schemas import CompanyIn, CompanyOut

bp = Blueprint(__name__)


@route(bp, "/company", "GET", roles=STAFF_ROLES, summary="The company's settings", response=CompanyOut)
def get_company(req):
    return company.get_company(req.actor)


@route(bp, "/company", "PUT", roles=ADMIN_ONLY, summary="Replace the company's settings",
       body=CompanyIn, response=CompanyOut)
def put_company(req):
    return company.put_company(req.actor, **req.body.model_dump(), if_match=req.if_match)
