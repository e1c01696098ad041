"""Booking-system secrets at rest: envelope encryption under the stage's KMS key.

Each secret is encrypted with AES-256-GCM under a data key of its own; the data key is kept
encrypted by KMS beside it (`kms1:<encrypted data key>:<nonce>:<ciphertext>`), bound to the
integration by an encryption context. A table export reveals no secret, and no data key
without KMS. A data key is decrypted once per process and then kept in memory, so verifying
a delivery costs no KMS call after the first.

Locally (`make run`, the tests) the key is the embedded engine's KMS (moto), made on first
use under `alias/optclass-local`. A value without the `kms1:` prefix is a secret stored by
an earlier version in plain text: it is still read, and `tools/upgrade_table.py fill`
encrypts it.
"""

import base64
import os
import threading

from botocore.exceptions import ClientError

from .. import config
from .failures import NETWORK, SERVER_SIDE, THROTTLED, TransientStoreError

PREFIX = "kms1:"
LOCAL_ALIAS = "alias/optclass-local"
_lock = threading.Lock()
_state: dict = {"client": None, "region": None, "endpoint": None, "keys": {}}


def _kms():
    region, endpoint = config.region(), config.dynamodb_endpoint()
    with _lock:
        if _state["client"] is None or (_state["region"], _state["endpoint"]) != (region, endpoint):
            import boto3  # only integrations and webhook deliveries need it

            _state.update(
                client=boto3.client("kms", region_name=region, endpoint_url=endpoint),
                region=region,
                endpoint=endpoint,
                keys={},
            )
        return _state["client"]


def _key_id() -> str:
    configured = config.kms_key_id()
    if configured:
        return configured
    if not config.is_local():
        raise RuntimeError("OPTCLASS_KMS_KEY_ID is not set")
    client = _kms()  # the embedded engine may have been restarted: ask it each time (only on writes)
    with _lock:
        try:
            return client.describe_key(KeyId=LOCAL_ALIAS)["KeyMetadata"]["KeyId"]
        except ClientError:
            key = client.create_key(Description="OptClass local secrets")["KeyMetadata"]["KeyId"]
            client.create_alias(AliasName=LOCAL_ALIAS, TargetKeyId=key)
            return key


def _call(fn, **kwargs):
    """A KMS call, its transient failures sorted like DynamoDB's (the step runs again)."""
    try:
        return fn(**kwargs)
    except NETWORK as exc:
        raise TransientStoreError(type(exc).__name__) from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLED | SERVER_SIDE | {"KMSInternalException", "DependencyTimeoutException"}:
            raise TransientStoreError(code) from exc
        raise


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(plaintext: str, context: dict[str, str]) -> str:
    """The secret, encrypted for storage, bound to `context` (company and integration)."""
    client = _kms()
    made = _call(client.generate_data_key, KeyId=_key_id(), KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    from cryptography.hazmat.primitives.ciphers.aead import (
        AESGCM,  # only integrations need it
    )

    box = AESGCM(made["Plaintext"]).encrypt(nonce, plaintext.encode(), _aad(context))
    return PREFIX + ":".join(_b64(part) for part in (made["CiphertextBlob"], nonce, box))


def open_sealed(stored: str | None, context: dict[str, str]) -> str | None:
    """The secret a `seal` made (or a plain-text one of the earlier layout)."""
    if stored is None or not stored.startswith(PREFIX):
        return stored
    blob, nonce, box = (_unb64(part) for part in stored[len(PREFIX) :].split(":"))
    cache_key = (blob, tuple(sorted(context.items())))
    data_key = _state["keys"].get(cache_key)
    if data_key is None:
        data_key = _call(_kms().decrypt, CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]
        with _lock:
            _state["keys"][cache_key] = data_key
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(data_key).decrypt(nonce, box, _aad(context)).decode()


def _aad(context: dict[str, str]) -> bytes:
    return "|".join(f"{k}={v}" for k, v in sorted(context.items())).encode()
