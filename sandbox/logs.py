"""Structured logs for the server commands: one JSON object per line on stderr.

Nothing the sandbox logs carries a secret (tokens, API keys and webhook secrets are never passed
to the logger); ``redact`` is the guard for values that might."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

_SECRETS = re.compile(r"(whsec_[A-Za-z0-9+/=]+|Bearer\s+\S+|access_token=\S+)")


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure(level: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("Q2C_LOG_LEVEL", "WARNING")).upper())
