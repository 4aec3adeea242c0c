import random
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from contracts.signing import (
    WebhookVerificationError,
    generate_secret,
    secret_key,
    sign,
    signature_header,
    verify,
    webhook_headers,
)

# The test vector from shared/reference/billing-conventions.md §4.2.
SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
MSG_ID = "evt_01HZX3T0000000000000000001"
TIMESTAMP = 1767225600
BODY = b'{"type":"invoice.created","timestamp":"2026-01-01T00:00:00Z","data":{"invoice_id":"INV-000123"}}'
EXPECTED = "v1,GSoQNnspMTHUfszxXulraVD471mOPbEoLE5auuAUy04="


def test_reference_test_vector_reproduces_exactly() -> None:
    assert secret_key(SECRET) == bytes(range(1, 33))
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED


def test_standardwebhooks_library_verifies_our_signature() -> None:
    headers = webhook_headers([SECRET], MSG_ID, TIMESTAMP, BODY)
    library = Webhook(SECRET)
    assert (
        library.sign(MSG_ID, datetime.fromtimestamp(TIMESTAMP, UTC), BODY.decode())
        == headers["webhook-signature"]
    )
    # The library checks the timestamp against the wall clock, so sign for now to verify.
    now = int(datetime.now(UTC).timestamp())
    fresh = webhook_headers([SECRET], MSG_ID, now, BODY)
    assert library.verify(BODY, fresh)["data"]["invoice_id"] == "INV-000123"


def test_verify_accepts_any_live_secret_during_rotation() -> None:
    old, new = generate_secret(random.Random(1)), generate_secret(random.Random(2))
    header = signature_header([new, old], MSG_ID, TIMESTAMP, BODY)
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP), "webhook-signature": header}
    assert verify([old], headers, BODY, now=TIMESTAMP) == MSG_ID
    assert verify([new], headers, BODY, now=TIMESTAMP) == MSG_ID


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-signature": "v1,AAAA"}, "no matching v1 signature"),
        ({"webhook-timestamp": str(TIMESTAMP - 301)}, "too old"),
        ({"webhook-timestamp": str(TIMESTAMP + 301)}, "too new"),
        ({"webhook-timestamp": "soon"}, "not an integer"),
        ({"webhook-id": ""}, "missing"),
    ],
)
def test_verify_rejects_bad_headers(change: dict[str, str], message: str) -> None:
    headers = webhook_headers([SECRET], MSG_ID, TIMESTAMP, BODY) | change
    with pytest.raises(WebhookVerificationError, match=message):
        verify([SECRET], headers, BODY, now=TIMESTAMP)


def test_verify_rejects_a_tampered_body() -> None:
    headers = webhook_headers([SECRET], MSG_ID, TIMESTAMP, BODY)
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify([SECRET], headers, BODY.replace(b"123", b"124"), now=TIMESTAMP)


def test_generated_secrets_are_seeded_and_well_formed() -> None:
    first = generate_secret(random.Random(5))
    assert first == generate_secret(random.Random(5))
    assert first.startswith("whsec_")
    assert len(secret_key(first)) == 32
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        generate_secret(random.Random(5), size=8)
    with pytest.raises(ValueError, match="whsec_"):
        secret_key("whsec_not base64!")
