"""Standard Webhooks v1 signing (https://www.standardwebhooks.com).

Signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the signature is
``v1,<base64 HMAC-SHA256>`` keyed with the base64-decoded bytes of the ``whsec_`` secret
(unlike Stripe, which keys with the whole string). During a secret rotation the header carries
one signature per live secret, space separated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The webhook's headers or signature do not verify."""


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 bytes after ``whsec_`` (a bare base64 string is accepted too)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret cannot be empty")
    return key


def generate_secret(rng: random.Random, size: int = 32) -> str:
    """A ``whsec_`` secret of ``size`` random bytes (24-64 per the spec), from a seeded generator."""
    if not 24 <= size <= 64:
        raise ValueError("Standard Webhooks secrets are 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(rng.randbytes(size)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    if "." in message_id:
        raise ValueError("a webhook id cannot contain '.'")
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def webhook_headers(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, message_id, timestamp, body),
    }


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> str:
    """Check headers and signature; return the webhook id. Header names are case-insensitive."""
    lowered = {key.lower(): value for key, value in headers.items()}
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not message_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    if timestamp < now - tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old")
    if timestamp > now + tolerance:
        raise WebhookVerificationError("webhook-timestamp is too new")
    offered = [part for part in signatures.split(" ") if part.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret, message_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return message_id
    raise WebhookVerificationError("no matching v1 signature")
