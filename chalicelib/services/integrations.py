"""Booking-system connections: create, list, retire, rotate the secret, read deliveries."""

import secrets as random_secrets
from dataclasses import replace
from datetime import timedelta

from .. import clock, ids
from ..domain import records
from ..errors import InvalidInput, NotFound
from ..store import integrations as store
from ..store import reads, secrets
from ..store import unit_of_work as uow_
from ..store.pages import Page
from ..store.unit_of_work import UnitOfWork
from ..webhooks import standard
from .context import Actor
from .webhooks import get_integration_of, secrets_context

ROTATION_GRACE = timedelta(hours=24)


def _new_secret(provider: str) -> str:
    return standard.new_secret() if provider == "standard" else random_secrets.token_urlsafe(32)


def create(
    actor: Actor,
    *,
    provider: str,
    name: str,
    event_types: dict[str, str],
    default_schedule_id: str | None,
    secret: str | None,
    account_id: str | None,
) -> tuple[records.Integration, str]:
    """The integration and its secret, which is shown this once."""
    cid = actor.company_id
    given_secret = secret
    secret = secret or _new_secret(provider)
    integration_id = ids.new_id()

    def step(uow: UnitOfWork) -> tuple[records.Integration, str]:
        wanted = {sid for sid in [*event_types.values(), default_schedule_id] if sid and ids.is_id(sid)}
        found = reads.load(reads.schedule(cid, sid) for sid in wanted)
        known = {s.schedule_id for s in found.values()}
        bad = [
            {"field": f"event_types.{k}", "message": "no schedule with this id"}
            for k, v in event_types.items()
            if v not in known
        ]
        if default_schedule_id and default_schedule_id not in known:
            bad.append({"field": "default_schedule_id", "message": "no schedule with this id"})
        if provider == "acuity" and not account_id:
            bad.append({"field": "account_id", "message": "Acuity needs the account's user id for its API"})
        if provider == "acuity" and not given_secret:
            bad.append({"field": "secret", "message": "Acuity signs with the account's API key: give it"})
        if bad:
            raise InvalidInput("the integration refers to unknown data", bad)
        now = clock.now_iso()
        sealed = secrets.seal(secret, secrets_context(cid, integration_id))
        integration = records.Integration(
            integration_id=integration_id,
            company_id=cid,
            provider=provider,
            name=name,
            secret=sealed,
            event_types=dict(event_types),
            default_schedule_id=default_schedule_id,
            account_id=account_id,
            created_at=now,
            updated_at=now,
        )
        return store.add_integration(uow, integration), secret

    return uow_.run(step, company_id=cid)


def list_integrations(actor: Actor, limit: int, cursor: str | None) -> Page[records.Integration]:
    return store.list_integrations(actor.company_id, limit, cursor)


def retire(actor: Actor, integration_id: str) -> records.Integration:
    """Stop accepting deliveries; the record and its deliveries stay for the log."""

    def step(uow: UnitOfWork) -> records.Integration:
        integration = get_integration_of(actor, integration_id)
        if not integration.active:
            return integration
        return store.save_integration(uow, replace(integration, active=False, updated_at=clock.now_iso()))

    return uow_.run(step, company_id=actor.company_id)


def rotate_secret(actor: Actor, integration_id: str, secret: str | None) -> tuple[records.Integration, str]:
    """A new secret (shown once); the old one is still accepted for 24 hours."""
    new = secret

    def step(uow: UnitOfWork) -> tuple[records.Integration, str]:
        integration = get_integration_of(actor, integration_id)
        if not integration.active:
            raise NotFound("integration", integration_id)
        chosen = new or _new_secret(integration.provider)
        sealed = secrets.seal(chosen, secrets_context(integration.company_id, integration.integration_id))
        rotated = replace(
            integration,
            previous_secret=integration.secret,
            previous_secret_until=clock.iso(clock.now() + ROTATION_GRACE),
            secret=sealed,
            updated_at=clock.now_iso(),
        )
        return store.save_integration(uow, rotated), chosen

    return uow_.run(step, company_id=actor.company_id)


def deliveries(actor: Actor, integration_id: str, status: str | None, limit: int, cursor: str | None):
    integration = get_integration_of(actor, integration_id)
    return store.list_deliveries(actor.company_id, integration.integration_id, limit, cursor, status)
