"""Resolving a login to its user ref (access pattern 5) without a request on every call.

A container keeps each user ref it read for `OPTCLASS_CALLER_CACHE_SECONDS` (60 s by
default): a person's role and existence come from our records, and a change made in another
container reaches this one within that bound; a change committed through this container
(`forget`, called by the unit of work when a transaction writes a user ref) at once. Only
refs that exist are kept: a login given a record a moment after it was refused gets in on
its next call. The memory belongs to one binding of the store (a new table or endpoint
starts empty) and is bounded in size.

A company's settings are remembered the same way, for reads that only need its time zone
(which days a student board covers); writes read the company themselves.
"""

import threading
import time
from typing import TypeVar

from .. import config
from ..domain import records
from . import engine, reads
from . import models as m

MAX_ENTRIES = 10_000
Kept = TypeVar("Kept", records.UserRef, records.Company)
# (binding generation, PK, SK) -> (good until, on the monotonic clock; the user ref or company)
_memory: dict[tuple[int, str, str], tuple[float, records.UserRef | records.Company]] = {}
_lock = threading.Lock()


def user_ref(cid: str, user_id: str) -> records.UserRef | None:
    """The login's user ref: remembered if read within the bound, else one GetItem."""
    max_age = config.caller_cache_seconds()
    if max_age <= 0:
        return reads.get(reads.user(cid, user_id))
    pk, sk = m.UserRef.key(cid, user_id)
    kept = _kept(pk, sk, records.UserRef)
    if kept is not None:
        return kept
    ref = reads.get(reads.user(cid, user_id))
    remember(ref)
    return ref


def company(cid: str) -> records.Company | None:
    """The company's settings: remembered if read within the bound, else one GetItem."""
    max_age = config.caller_cache_seconds()
    pk, sk = m.Company.key(cid)
    kept = _kept(pk, sk, records.Company) if max_age > 0 else None
    if kept is not None:
        return kept
    found = reads.get(reads.company(cid))
    if found is not None and max_age > 0:
        _keep(pk, sk, found, max_age)
    return found


def _kept(pk: str, sk: str, kind: type[Kept]) -> Kept | None:
    """What is remembered under this key, while it is within the bound (a key names one kind)."""
    kept = _memory.get((engine.generation(), pk, sk))
    if kept is not None and kept[0] > time.monotonic() and isinstance(kept[1], kind):
        return kept[1]
    return None


def _keep(pk: str, sk: str, value: records.UserRef | records.Company, max_age: float) -> None:
    with _lock:
        if len(_memory) >= MAX_ENTRIES:
            _memory.clear()
        _memory[(engine.generation(), pk, sk)] = (time.monotonic() + max_age, value)


def remembered(sk: str) -> bool:
    """Whether items with this sort key are remembered (a transaction writing one forgets it)."""
    return sk.startswith(_USER_REF_PREFIX) or sk == _COMPANY_SK


_USER_REF_PREFIX = m.UserRef.key("", "")[1]
_COMPANY_SK = m.Company.key("")[1]


def remember(ref: records.UserRef | None) -> None:
    """A user ref a use case read itself (strongly consistent, with its other reads)."""
    max_age = config.caller_cache_seconds()
    if ref is None or max_age <= 0:
        return
    pk, sk = m.UserRef.key(ref.company_id, ref.user_id)
    _keep(pk, sk, ref, max_age)


def forget(pk: str, sk: str) -> None:
    """A transaction wrote this user ref: the next call reads it again."""
    with _lock:
        for slot in [s for s in _memory if s[1:] == (pk, sk)]:
            del _memory[slot]
