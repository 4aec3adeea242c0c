import json
import logging

from sandbox.logs import JsonFormatter, redact


def test_log_lines_are_json_and_secrets_are_redacted() -> None:
    record = logging.LogRecord(
        "integration.engine",
        logging.WARNING,
        __file__,
        1,
        "webhook secret whsec_AAAA= with Bearer q2c-core-token",
        None,
        None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "warning"
    assert line["logger"] == "integration.engine"
    assert line["message"] == "webhook secret [redacted] with [redacted]"


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("linked 375 accounts") == "linked 375 accounts"
