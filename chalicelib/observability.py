"""One JSON log line per request and per job run.

The line carries the request id, company, route, status, duration and what the request
asked of DynamoDB. Tokens, secrets and bodies are never logged.
"""
import json
import logging
import os
import sys

_logger = logging.getLogger("optclass")
if not _logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(os.environ.get("OPTCLASS_LOG_LEVEL", "INFO"))
    _logger.propagate = False


def log_event(kind: str, **fields) -> None:
    _logger.info(json.dumps({"kind": kind, **fields}, default=str, separators=(",", ":")))
