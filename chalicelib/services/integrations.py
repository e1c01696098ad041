"""Booking-system connections: create, list, retire, rotate the secret, read deliveries."""
import secrets as random_secrets
from datetime import timedelta

from .. import clock, ids
from ..errors import InvalidInput, NotFound
from ..store import batch
from ..store import integrations as store
from ..store import schedules as schedules_store
from ..store.models import Integration
from ..store.pages import Page
from ..webhooks import standard
from .context import Actor
from .webhooks import get_integration_of

ROTATION_GRACE = timedelta(hours=24)


def _new_secret(provider: str) -> str:
    return standard.new_secret() if provider == "standard" else random_secrets.token_urlsafe(32)


def create(actor: Actor, *, provider: str, name: str, event_types: dict[str, str],
           default_schedule_id: str | None, secret: str | None, account_id: str | None) -> tuple[Integration, str]:
    """The integration and its secret, which is shown this once."""
    cid = actor.company_id
    wanted = {sid for sid in [*event_types.values(), default_schedule_id] if sid}
    found = batch.load(schedules_store.schedule_key(cid, sid) for sid in wanted if ids.is_id(sid))
    known = {item.schedule_id for item in found.values()}
    bad = [{"field": f"event_types.{k}", "message": "no schedule with this id"} for k, v in event_types.items()
           if v not in known]
    if default_schedule_id and default_schedule_id not in known:
        bad.append({"field": "default_schedule_id", "message": "no schedule with this id"})
    if provider == "acuity" and not account_id:
        bad.append({"field": "account_id", "message": "Acuity needs the account's user id for its API"})
    if provider == "acuity" and not secret:
        bad.append({"field": "secret", "message": "Acuity signs with the account's API key: give it"})
    if bad:
        raise InvalidInput("the integration refers to unknown data", bad)
    now = clock.now_iso()
    secret = secret or _new_secret(provider)
    integration = store.new_integration(cid, ids.new_id(), provider=provider, name=name, event_types=event_types,
                                        default_schedule_id=default_schedule_id, account_id=account_id,
                                        secret=secret, created_at=now, updated_at=now)
    store.save_integration(integration)
    return integration, secret


def list_integrations(actor: Actor, limit: int, cursor: str | None) -> Page[Integration]:
    return store.list_integrations(actor.company_id, limit, cursor)


def retire(actor: Actor, integration_id: str) -> Integration:
    """Stop accepting deliveries; the record and its deliveries stay for the log."""
    integration = get_integration_of(actor, integration_id)
    if integration.active:
        integration.active = False
        integration.updated_at = clock.now_iso()
        store.save_integration(integration)
    return integration


def rotate_secret(actor: Actor, integration_id: str, secret: str | None) -> tuple[Integration, str]:
    """A new secret (shown once); the old one is still accepted for 24 hours."""
    integration = get_integration_of(actor, integration_id)
    if not integration.active:
        raise NotFound("integration", integration_id)
    new = secret or _new_secret(integration.provider)
    integration.previous_secret = integration.secret
    integration.previous_secret_until = clock.iso(clock.now() + ROTATION_GRACE)
    integration.secret = new
    integration.updated_at = clock.now_iso()
    store.save_integration(integration)
    return integration, new


def deliveries(actor: Actor, integration_id: str, status: str | None, limit: int, cursor: str | None):
    integration = get_integration_of(actor, integration_id)
    return store.list_deliveries(actor.company_id, integration.integration_id, limit, cursor, status)
