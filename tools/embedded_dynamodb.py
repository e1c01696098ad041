"""The embedded DynamoDB of the local stack and the tests: moto, made serializable and
quick, and closer to DynamoDB where the application depends on the difference.

DynamoDB runs each transaction in isolation. moto does not: it applies a transaction's
operations one by one and, when a condition fails, restores a copy of the whole table
taken before it started, which throws away anything another thread committed in the
meantime. Under concurrent requests (the threaded local server, the concurrency tests)
that loses writes that DynamoDB would keep. So, for the embedded engine only:

- one lock around each data operation of moto's DynamoDB backend (and the stream reads of
  its DynamoDB Streams backend) gives the isolation DynamoDB promises;
- a transaction journals just the items it touches and restores those on failure,
  instead of copying every table it touches (which made each transaction cost as much as
  the table is large);
- a failed transaction leaves no stream records: moto records each operation it applied
  before the failure, and the journal's restore records more, where DynamoDB records
  nothing; the touched streams are cut back to their length before the transaction. And an
  UpdateItem that creates its item leaves one INSERT record, not moto's two.
- every Query and Scan starts from moto's `Table.all_items()`, which sorts the whole table
  comparing DynamoType objects (each comparison re-derives both values); the engine sorts
  by the keys' plain values instead, the same order (a key attribute has one type, and
  numbers compare as numbers), so a query costs a pass over the table, not a sort of it;
- the answers of reads (Query, Scan, GetItem, BatchGetItem, TransactGetItems) are written
  as JSON directly: moto's serializer walks the service model's output shape for every
  value, and for a large Query that is most of its time. `OPTCLASS_ENGINE_CHECK_ANSWERS=1`
  writes each such answer both ways and fails on any difference;
- an UpdateItem of plain actions (what PynamoDB writes: SET a name to a value, ADD a
  number, REMOVE a name, each name once) is applied to the item directly, with moto's own
  condition check and the same stream record; moto parses and validates the expression
  through several walks of its syntax tree, which made every counter update cost more than
  the rest of its request. Anything else (functions, arithmetic, sets, paths, a key
  attribute, a type mismatch) goes to moto. `tests/unit/test_embedded_engine.py` compares
  the two on the same steps, records and refusals included.

Three behaviours of DynamoDB that moto lacks, which the application must be tested against:

- ClientRequestToken idempotency (always on): a TransactWriteItems resent with the token
  of one that committed less than `IDEMPOTENCY_WINDOW_SECONDS` ago is answered with
  success and applies nothing; with the same token but a different request it is refused
  with IdempotentParameterMismatchException. moto ignores the token and applies it again.
- Transaction conflicts (off by default; `enable_contention`, or OPTCLASS_CONTENTION_MS):
  DynamoDB cancels a transaction, or refuses a PutItem/UpdateItem/DeleteItem, that names an
  item another transaction is working on. Under moto's lock nothing is ever in flight at
  the same time, so the model holds each item a TransactWriteItems named for
  `hold_seconds` after it finished, and refuses what touches a held item the way DynamoDB
  does (TransactionCanceledException with TransactionConflict reasons,
  TransactionConflictException). Reads other than TransactGetItems are never refused.

Nothing here applies to DynamoDB itself or to an engine named by OPTCLASS_DYNAMODB_ENDPOINT.
"""

import collections
import calendar
import contextlib
import copy
import datetime
import functools
import hashlib
import json
import math
import os
import re
import threading
import time
import types
from typing import TypedDict

_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_get_items",
    "batch_get_item",
    "batch_write_item",
    "create_table",
    "delete_table",
)
_STREAM_OPERATIONS = ("describe_stream", "get_shard_iterator", "get_records")
_lock = threading.RLock()
_clock = time.monotonic  # holds and tokens age by this; it never jumps with the wall clock

# DynamoDB remembers a committed transaction's ClientRequestToken for 10 minutes.
IDEMPOTENCY_WINDOW_SECONDS = 600.0
CONFLICT_MESSAGE = "Transaction is ongoing for the item"


class _Contention(TypedDict):
    enabled: bool
    hold_seconds: float
    epoch: int


class _Stats(TypedDict):
    transactions: int
    conflicts: int
    conflicts_by_item: collections.Counter[str]  # "PK|SK" of a held item -> refusals naming it


# The contention model's switch. `epoch` moves on every switch, so that holds taken under an
# earlier setting (with another hold time) are ignored rather than tracked down.
_contention: _Contention = {"enabled": False, "hold_seconds": 0.0, "epoch": 0}
_stats: _Stats = {"transactions": 0, "conflicts": 0, "conflicts_by_item": collections.Counter()}


def _locked(original):
    @functools.wraps(original)
    def locked(self, *args, **kwargs):
        with _lock:
            return original(self, *args, **kwargs)

    return locked


# --- the journaled transaction -------------------------------------------------------------


@contextlib.contextmanager
def _no_table_copies(models_module):
    """moto backs up whole tables with copy.deepcopy before a transaction; within our own
    journaled transaction the "backup" is the table itself, and our journal restores."""
    real = models_module.copy
    models_module.copy = types.SimpleNamespace(deepcopy=lambda value, *a, **k: value, copy=real.copy)
    try:
        yield
    finally:
        models_module.copy = real


def _journal(backend, transact_items):
    entries = []
    for item in transact_items:
        ((op_type, op),) = item.items()
        table_name = op["TableName"]
        table = backend.get_table(table_name)
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        current = backend.get_item(table_name, key)
        old = copy.deepcopy(current.to_json()["Attributes"]) if current else None
        entries.append((table_name, key, old))
    return entries


def _restore(backend, entries):
    for table_name, key, old in reversed(entries):
        if old is None:
            with contextlib.suppress(Exception):
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, old)


def _stream_marks(backend, entries):
    """Each touched stream and its length now, so a failure can cut off what it recorded."""
    marks = {}
    for table_name, _, _ in entries:
        shard = backend.get_table(table_name).stream_shard
        if shard is not None:
            marks[id(shard)] = (shard, len(shard.items))
    return marks.values()


def _cut_streams(marks):
    """Drop the records of a failed transaction and of its restore. moto numbers a record by
    its place in the shard (seq = index + starting_sequence_number, see StreamShard.get), so
    the next record takes the number the first dropped one had, and readers see no gap."""
    for shard, length in marks:
        del shard.items[length:]


def _one_insert_record(original):
    """moto's UpdateItem on a missing item records two INSERTs, one for the bare key it
    creates first and one for the item; DynamoDB records one. The bare key's is dropped and
    the item's takes its sequence number, so numbers still follow places in the shard."""

    @functools.wraps(original)
    def update_item(self, table_name, *args, **kwargs):
        try:
            shard = self.get_table(table_name).stream_shard
        except Exception:  # noqa: BLE001 - no such table: moto answers that
            shard = None
        length = len(shard.items) if shard is not None else None
        item = original(self, table_name, *args, **kwargs)
        if shard is not None and len(shard.items) == length + 2:
            bare_key, record = shard.items[length:]
            record.record["dynamodb"]["SequenceNumber"] = bare_key.record["dynamodb"]["SequenceNumber"]
            del shard.items[length]
        return item

    return update_item


# --- UpdateItem without moto's expression machinery, for the plain expressions ------------

# What PynamoDB writes for its actions: `SET #0 = :0, #1 = :1 ADD #2 :2 REMOVE #3`, every
# path a top-level name placeholder, every operand a value placeholder.
_CLAUSE = re.compile(r"\s*(SET|ADD|REMOVE)\s+", re.IGNORECASE)
_SET_ACTION = re.compile(r"^(#\w+)\s*=\s*(:\w+)$")
_ADD_ACTION = re.compile(r"^(#\w+)\s+(:\w+)$")
_REMOVE_ACTION = re.compile(r"^(#\w+)$")


# Off: every UpdateItem goes through moto's machinery (tests compare the two).
PLAIN_UPDATES = True


def _plain_update(expression, names, values):
    """[(action, attribute, value dict or None)] for an update expression of plain actions
    whose outcome needs no validation beyond what is checked here, else None (moto then
    does it its own way). Plain: SET a name to a value, ADD a number, REMOVE a name; each
    name once; no empty string or binary set."""
    if not expression or not isinstance(names, dict) or not isinstance(values, dict):
        return None
    parts = _CLAUSE.split(expression)
    if parts[0].strip() or len(parts) < 3:
        return None
    plan, seen = [], set()
    for keyword, body in zip(parts[1::2], parts[2::2]):
        keyword = keyword.upper()
        pattern = {"SET": _SET_ACTION, "ADD": _ADD_ACTION, "REMOVE": _REMOVE_ACTION}[keyword]
        for action in body.split(","):
            m = pattern.match(action.strip())
            if m is None or m.group(1) not in names:
                return None
            name = names[m.group(1)]
            if not isinstance(name, str) or not name or name in seen:
                return None
            seen.add(name)
            value = None
            if keyword != "REMOVE":
                value = values.get(m.group(2))
                if not isinstance(value, dict) or len(value) != 1:
                    return None
                ((kind, raw),) = value.items()
                if keyword == "ADD" and kind != "N":
                    return None
                if kind in ("S", "B") and raw == "":
                    return None
            plan.append((keyword, name, value))
    return plan


def _plain_updates(original):
    """Applies a plain update expression (`_plain_update`) directly to the item, as moto's
    parser, validator and executor would, and leaves the same stream record; anything else
    goes to moto. The condition is moto's own."""
    from moto.dynamodb.comparisons import create_condition_expression_parser
    from moto.dynamodb.exceptions import ConditionalCheckFailed, ItemSizeToUpdateTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    @functools.wraps(original)
    def update_item(
        self,
        table_name,
        key,
        update_expression=None,
        expression_attribute_names=None,
        expression_attribute_values=None,
        **options,
    ):
        def by_moto():
            return original(
                self,
                table_name,
                key,
                update_expression,
                expression_attribute_names,
                expression_attribute_values,
                **options,
            )

        if options.get("attribute_updates") or options.get("expected") or not PLAIN_UPDATES:
            return by_moto()
        plan = _plain_update(update_expression, expression_attribute_names, expression_attribute_values)
        table = self.get_table(table_name) if plan is not None else None
        if (
            plan is None
            or any(name in (table.hash_key_attr, table.range_key_attr) for _, name, _ in plan)
            or table.hash_key_attr not in key
            or (table.range_key_attr is not None and table.range_key_attr not in key)
        ):
            return by_moto()
        condition_expression = options.get("condition_expression")
        on_failure = options.get("return_values_on_condition_check_failure")
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
        if item is not None and any(
            keyword == "ADD" and name in item.attrs and item.attrs[name].type != "N" for keyword, name, _ in plan
        ):
            return by_moto()  # moto names the type mismatch
        condition = create_condition_expression_parser(
            condition_expression, expression_attribute_names, expression_attribute_values
        ).parse()
        if not condition.expr(item):
            if on_failure == "ALL_OLD" and item is not None:
                raise ConditionalCheckFailed(item=item.to_json()["Attributes"])
            raise ConditionalCheckFailed
        table._validate_item_types({name: value for keyword, name, value in plan if keyword == "SET"})
        orig_item = copy.deepcopy(item)
        attrs = (
            dict(item.attrs)
            if item is not None
            else {
                table.hash_key_attr: hash_value,
                **({table.range_key_attr: range_value} if range_value is not None else {}),
            }
        )
        for keyword, name, value in plan:
            if keyword == "SET":
                attrs[name] = DynamoType(copy.deepcopy(value))
            elif keyword == "ADD":
                attrs[name] = attrs.get(name, DynamoType({"N": "0"})) + DynamoType(value)
            else:
                attrs.pop(name, None)
        updated = Item(hash_value, range_value, attrs={})
        updated.attrs = attrs
        if updated.size() > 400 * 1024:
            raise ItemSizeToUpdateTooLarge()
        if range_value is not None:
            table.items[hash_value][range_value] = updated
        else:
            table.items[hash_value] = updated
        if table.stream_shard is not None:
            table.stream_shard.add(orig_item, updated)
        return updated

    return update_item


# --- item keys -----------------------------------------------------------------------------


def _typed(value):
    """A key attribute value ({"S": "x"}) as a hashable (type, text) pair."""
    ((kind, raw),) = value.items()
    return kind, raw if isinstance(raw, str) else repr(raw)


def _item_key(backend, table_name, attrs):
    """(table, hash value, range value): the item DynamoDB would lock for `attrs` (a key or a
    whole item)."""
    table = backend.get_table(table_name)
    range_value = _typed(attrs[table.range_key_attr]) if table.range_key_attr else None
    return table.name, _typed(attrs[table.hash_key_attr]), range_value


def _label(key):
    """The "PK|SK" of a key, as the statistics report it."""
    return "|".join(value[1] for value in key[1:] if value is not None)


def _operation_keys(backend, transact_items):
    """The item each TransactItem (Put, Update, Delete, ConditionCheck or Get) names, in order;
    None when the request is malformed, so that moto answers it as it would."""
    try:
        keys = []
        for item in transact_items:
            ((op_type, op),) = item.items()
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            keys.append(_item_key(backend, op["TableName"], attrs))
        return keys
    except Exception:  # noqa: BLE001 - malformed request: not ours to judge
        return None


# --- per-backend state: remembered tokens and held items ---------------------------------


class _EngineState:
    """Kept on the moto backend, so it is per account and region as in DynamoDB, and goes
    when moto resets its backends (each `mock_aws()`, the server's reset)."""

    def __init__(self):
        self.tokens = collections.OrderedDict()  # token -> (digest, committed at), oldest first
        self.holds = collections.OrderedDict()  # item key -> (released at, epoch), oldest first


def _state(backend):
    state = backend.__dict__.get("_optclass_engine")
    if state is None:
        state = backend._optclass_engine = _EngineState()
    return state


def _forget_table(backend, table_name):
    """A created or deleted table starts without holds (tests recreate tables by name)."""
    holds = _state(backend).holds
    for key in [key for key in holds if key[0] == table_name]:
        del holds[key]


def _forgetting_holds(original):
    @functools.wraps(original)
    def forgetting(self, *args, **kwargs):
        table = original(self, *args, **kwargs)
        _forget_table(self, table.name)
        return table

    return forgetting


# --- ClientRequestToken idempotency --------------------------------------------------------


def set_idempotency_window(seconds: float) -> None:
    """How long a committed transaction's token is remembered (DynamoDB: 600 s)."""
    global IDEMPOTENCY_WINDOW_SECONDS
    with _lock:
        IDEMPOTENCY_WINDOW_SECONDS = float(seconds)


def _digest(body):
    """The request without its token, canonically: what "the same request" means."""
    request = {name: value for name, value in body.items() if name != "ClientRequestToken"}
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _drop_old_tokens(state, now):
    """Tokens are remembered in commit order, so the expired ones are at the front."""
    tokens = state.tokens
    while tokens and next(iter(tokens.values()))[1] + IDEMPOTENCY_WINDOW_SECONDS <= now:
        tokens.popitem(last=False)


def _replayed(state, token, digest):
    """True when `token` is a committed transaction's: the resend is answered, not applied."""
    _drop_old_tokens(state, _clock())
    remembered = state.tokens.get(token)
    if remembered is None:
        return False
    if remembered[0] != digest:
        raise _errors().IdempotentParameterMismatch()
    return True


def _remember(state, token, digest):
    state.tokens.pop(token, None)  # re-inserted at the end: the order stays by commit time
    state.tokens[token] = (digest, _clock())


# --- the contention model ------------------------------------------------------------------


def enable_contention(hold_seconds: float) -> None:
    """Hold every item a TransactWriteItems names until `hold_seconds` after it finishes, and
    refuse other transactions and single writes on held items, as DynamoDB does for items of
    an ongoing transaction. Forgets earlier holds."""
    hold_seconds = float(hold_seconds)
    if not math.isfinite(hold_seconds) or hold_seconds < 0:
        raise ValueError(f"hold_seconds must be a finite number >= 0, not {hold_seconds!r}")
    with _lock:
        _contention.update({"enabled": True, "hold_seconds": hold_seconds, "epoch": _contention["epoch"] + 1})


def disable_contention() -> None:
    """Back to moto's behaviour: no item is ever held (the default)."""
    with _lock:
        _contention.update({"enabled": False, "epoch": _contention["epoch"] + 1})


def contention_stats() -> dict:
    """`transactions`: TransactWriteItems the model judged (accepted or refused; a replayed
    token is not judged); `conflicts`: transactions and single writes it refused;
    `conflicts_by_item`: a Counter of the "PK|SK" of the held items they named."""
    with _lock:
        return {
            "enabled": _contention["enabled"],
            "hold_seconds": _contention["hold_seconds"],
            "transactions": _stats["transactions"],
            "conflicts": _stats["conflicts"],
            "conflicts_by_item": collections.Counter(_stats["conflicts_by_item"]),
        }


def reset_contention_stats() -> None:
    with _lock:
        _stats.update({"transactions": 0, "conflicts": 0, "conflicts_by_item": collections.Counter()})


def _contention_from_environment():
    """`make run` and the benchmarks switch the model on with OPTCLASS_CONTENTION_MS."""
    raw = os.environ.get("OPTCLASS_CONTENTION_MS", "").strip()
    if not raw:
        return
    try:
        hold_seconds = float(raw) / 1000
    except ValueError:
        raise ValueError(f"OPTCLASS_CONTENTION_MS must be milliseconds, not {raw!r}") from None
    same = _contention["enabled"] and _contention["hold_seconds"] == hold_seconds
    if hold_seconds > 0 and not same:
        enable_contention(hold_seconds)


def _drop_released_holds(state, now):
    """Holds are kept in release order under one epoch, so the stale ones are at the front."""
    holds, hold_seconds, epoch = state.holds, _contention["hold_seconds"], _contention["epoch"]
    while holds:
        released_at, hold_epoch = next(iter(holds.values()))
        if hold_epoch == epoch and now < released_at + hold_seconds:
            break
        holds.popitem(last=False)


def _conflicts(state, keys):
    """Per key, whether another transaction holds it; counted when any does."""
    if not _contention["enabled"] or keys is None:
        return None
    _drop_released_holds(state, _clock())
    conflicting = [key in state.holds for key in keys]
    if not any(conflicting):
        return None
    _stats["conflicts"] += 1
    _stats["conflicts_by_item"].update(_label(k) for k, held in zip(keys, conflicting) if held)
    return conflicting


def _cancelled(conflicting):
    """TransactionCanceledException as DynamoDB words it: one reason per TransactItem."""
    from moto.dynamodb.exceptions import TransactionCanceledException

    reasons = [("TransactionConflict", CONFLICT_MESSAGE, None) if held else (None, None, None) for held in conflicting]
    return TransactionCanceledException(reasons)


def _hold(state, keys):
    """The items of a transaction that ran (committed or cancelled by a condition) stay held."""
    if not _contention["enabled"] or keys is None:
        return
    now, epoch = _clock(), _contention["epoch"]
    for key in keys:
        state.holds.pop(key, None)  # re-inserted at the end: the order stays by release time
        state.holds[key] = (now, epoch)


@functools.cache
def _errors():
    """The errors moto has no class for, built on first use (moto is imported lazily)."""
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    class TransactionConflict(DynamodbException):
        def __init__(self):
            super().__init__(ERROR_TYPE_PREFIX + "TransactionConflictException", CONFLICT_MESSAGE)

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self):
            super().__init__(
                ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical "
                "request. Do not reuse a client token with different requests.",
            )

    return types.SimpleNamespace(
        TransactionConflict=TransactionConflict, IdempotentParameterMismatch=IdempotentParameterMismatch
    )


# --- the patches ---------------------------------------------------------------------------


def _journaled_transact_write_items(models, original):
    """The backend's TransactWriteItems, journaled instead of copying tables."""

    @functools.wraps(original)
    def transact_write_items(self, transact_items):
        with _lock:
            try:
                entries = _journal(self, transact_items)
            except Exception:  # noqa: BLE001 - malformed request: let moto answer it as it would
                return original(self, transact_items)
            marks = _stream_marks(self, entries)
            with _no_table_copies(models):
                try:
                    return original(self, transact_items)
                except Exception:
                    _restore(self, entries)
                    _cut_streams(marks)
                    raise

    return transact_write_items


def _handled_transact_write_items(original):
    """The request's TransactWriteItems: the token and the contention model need the request
    (the backend never sees the token), and both judge it before moto runs it."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import TransactionCanceledException

    @functools.wraps(original)
    def transact_write_items(self):
        with _lock:
            state = _state(self.dynamodb_backend)
            token = self.body.get("ClientRequestToken")
            digest = _digest(self.body) if token else None
            if token and _replayed(state, token, digest):
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            keys = None
            if _contention["enabled"]:
                _stats["transactions"] += 1
                keys = _operation_keys(self.dynamodb_backend, self.body.get("TransactItems", []))
            conflicting = _conflicts(state, keys)
            if conflicting:
                raise _cancelled(conflicting)  # changes nothing and takes no holds
            try:
                result = original(self)
            except TransactionCanceledException:
                _hold(state, keys)  # it was in flight all the same
                raise
            _hold(state, keys)
            if token:
                _remember(state, token, digest)
            return result

    return transact_write_items


def _handled_transact_get_items(original):
    """TransactGetItems is cancelled when it names an item a transaction holds."""

    @functools.wraps(original)
    def transact_get_items(self):
        with _lock:
            state = _state(self.dynamodb_backend)
            keys = None
            if _contention["enabled"]:
                keys = _operation_keys(self.dynamodb_backend, self.body.get("TransactItems", []))
            conflicting = _conflicts(state, keys)
            if conflicting:
                raise _cancelled(conflicting)
            return original(self)

    return transact_get_items


def _handled_single_write(original, attrs_field):
    """PutItem, UpdateItem, DeleteItem fail with TransactionConflictException on a held item.
    Checked on the request, since moto's own transactions use the backend's writes."""

    @functools.wraps(original)
    def write(self):
        with _lock:
            keys = None
            if _contention["enabled"]:
                op = {"TableName": self.body.get("TableName"), "Key": self.body.get(attrs_field)}
                keys = _operation_keys(self.dynamodb_backend, [{"Write": op}])
            if _conflicts(_state(self.dynamodb_backend), keys):
                raise _errors().TransactionConflict()
            return original(self)

    return write


def _patch_handler():
    from moto.dynamodb.responses import DynamoHandler

    DynamoHandler.transact_write_items = _handled_transact_write_items(DynamoHandler.transact_write_items)
    DynamoHandler.transact_get_items = _handled_transact_get_items(DynamoHandler.transact_get_items)
    for name, attrs_field in (("put_item", "Item"), ("update_item", "Key"), ("delete_item", "Key")):
        setattr(DynamoHandler, name, _handled_single_write(getattr(DynamoHandler, name), attrs_field))


# The read operations answer with what moto's generic serializer would write, without it:
# moto walks the output shape of the service model for every value (most of a large
# Query's time, and of a stream's GetRecords); their results are already DynamoDB's JSON.
# Checked against the serializer on demand (OPTCLASS_ENGINE_CHECK_ANSWERS=1), over the
# whole suite.
_PLAIN_ANSWERS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems", "GetRecords"})


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _unix_time(value):
    """A datetime as the JSON protocol writes it: seconds, to the millisecond (as moto's
    serializer does)."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(type(value).__name__)
    seconds = calendar.timegm(value.timetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


def _plain_answers(execute_result):
    @functools.wraps(execute_result)
    def execute(self, context):
        plain = context.operation_model.name in _PLAIN_ANSWERS and not isinstance(self.result, Exception)
        if not plain or context.service_model.service_name not in ("dynamodb", "dynamodbstreams"):
            return execute_result(self, context)
        try:
            body = json.dumps(_without_nulls(self.result), separators=(",", ":"), default=_unix_time)
        except TypeError:  # something only the serializer knows how to write (bytes)
            return execute_result(self, context)
        answer = (200, {"Content-Type": "application/x-amz-json-1.0"}, body)
        if os.environ.get("OPTCLASS_ENGINE_CHECK_ANSWERS") == "1":
            status, headers, expected = execute_result(self, context)
            if (status, json.loads(expected)) != (200, json.loads(body)):
                raise AssertionError(f"{context.operation_model.name}: {expected[:300]} != {body[:300]}")
        return answer

    return execute


def _plain(value):
    """A key attribute's value as it sorts: numbers as numbers, strings and bytes as they are."""
    return value.cast_value if value.type == "N" else value.value


# A Query sorts what it finds by its own keys (the table's or the index's, with the table's
# as tie-breakers), so the items it walks need no order; and a Query of the table itself
# need only walk its partition. moto walks and sorts the whole table for every Query.
_query_scope = threading.local()


def _scoped_query(original):
    @functools.wraps(original)
    def query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        _query_scope.table, _query_scope.partition = self, None if index_name else hash_key
        # An index's partition, by its string (or binary) key values as they are: the items
        # walked are those that can match (the Query still checks each one itself).
        _query_scope.index_keys = [
            (name, value.type, value.value)
            for name, value in (kwargs.get("hash_key_conditions") or [])
            if index_name and value.type in ("S", "B")
        ]
        try:
            found = original(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.table = _query_scope.partition = None
            _query_scope.index_keys = []
        if os.environ.get("OPTCLASS_ENGINE_CHECK_ANSWERS") == "1":  # the whole table walked
            expected = original(self, hash_key, *args, **kwargs)
            if [i.to_json() for i in expected[0]] != [i.to_json() for i in found[0]] or expected[1:] != found[1:]:
                raise AssertionError(f"Query of {self.name}: walking its partition found other items")
        return found

    return query


def _sorted_by_plain_keys(table, hash_key_attrs, range_key_attrs, items):
    """An index Query's order (moto's `sorted_items`), compared by plain values: an index's
    key attributes have one declared type, so their plain values sort as DynamoDB sorts."""
    names = table._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
    items.sort(key=lambda x: tuple(_plain(x.attrs[name]) for name in names))
    return items


def _is(attribute, kind: str, value) -> bool:
    return attribute is not None and attribute.type == kind and attribute.value == value


def _all_items_sorted_by_plain_keys(table) -> list:
    items = []
    querying = getattr(_query_scope, "table", None) is table
    partition = _query_scope.partition if querying else None
    if partition is not None:
        found = table.items.get(partition)
        if not found:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    if querying and len(_query_scope.index_keys) == 1:  # an index's partition: one pass, no list of all
        ((name, kind, value),) = _query_scope.index_keys
        ranged = bool(table.range_key_attr)
        for hash_set in table.items.values():
            for i in hash_set.values() if ranged else (hash_set,):
                attribute = i.attrs.get(name)
                if attribute is not None and attribute.value == value and attribute.type == kind:
                    items.append(i)
        return items
    for hash_set in table.items.values():
        if table.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    if querying:
        keys = _query_scope.index_keys
        return [i for i in items if all(_is(i.attrs.get(name), kind, value) for name, kind, value in keys)]
    if table.range_key_attr:
        return sorted(items, key=lambda x: (_plain(x.hash_key), _plain(x.range_key)))
    return sorted(items, key=lambda x: _plain(x.hash_key))


def make_serializable() -> None:
    """Install the patches (once; later calls only re-read OPTCLASS_CONTENTION_MS)."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    with _lock:
        _contention_from_environment()
        if getattr(DynamoDBBackend, "_optclass_serialized", False):
            return
        for name in _OPERATIONS:
            original = getattr(DynamoDBBackend, name)
            if name in ("create_table", "delete_table"):
                original = _forgetting_holds(original)
            elif name == "update_item":
                original = _one_insert_record(_plain_updates(original))
            setattr(DynamoDBBackend, name, _locked(original))
        for name in _STREAM_OPERATIONS:
            setattr(DynamoDBStreamsBackend, name, _locked(getattr(DynamoDBStreamsBackend, name)))
        setattr(
            DynamoDBBackend,
            "transact_write_items",
            _journaled_transact_write_items(models, DynamoDBBackend.transact_write_items),
        )
        _patch_handler()
        from moto.dynamodb.models.table import Table

        setattr(Table, "all_items", _all_items_sorted_by_plain_keys)
        setattr(Table, "query", _scoped_query(Table.query))
        setattr(Table, "sorted_items", _sorted_by_plain_keys)
        from moto.core.responses import ActionResult
        from moto.dynamodb.responses import DynamoResult

        setattr(DynamoResult, "execute_result", _plain_answers(DynamoResult.execute_result))
        setattr(ActionResult, "execute_result", _plain_answers(ActionResult.execute_result))
        setattr(DynamoDBBackend, "_optclass_serialized", True)
