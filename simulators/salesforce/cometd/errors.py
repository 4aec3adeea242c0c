"""Every Streaming API error string, in one place (salesforce-events.md §1.3, §1.4, §1.7).

On the wire a Bayeux error is ``"<code>:<args>:<message>"``; Salesforce leaves the args empty,
so each reads ``"403::Unknown client"``. Values that Salesforce wraps in braces
(``{82}``, ``{/event/X__e}``) keep their braces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

URI_FORMAT: Final = "URI format: '/cometd/66.0'"
VERSION_MANDATORY: Final = f"400::API version in the URI is mandatory. {URI_FORMAT}"
VERSION_UNSUPPORTED: Final = (
    f"400::Unsupported API version. Only API versions '37.0' and later are supported. {URI_FORMAT}"
)
CHANNEL_NOT_SPECIFIED: Final = "400::Channel name not specified"
LEADING_SLASH: Final = "400::Channel subscriptions must start with a leading '/'"
USER_MISMATCH: Final = "400::Authenticated user id does not match the session's user id"
UNKNOWN_CLIENT: Final = "403::Unknown client"
HANDSHAKE_DENIED: Final = "403::Handshake denied"
PUBLISH_DENIED: Final = "403::Publish denied"
UNKNOWN_CHANNEL: Final = "404::Unknown channel"
AUTH_INVALID: Final = "401::Authentication invalid"
AUTH_REQUIRED: Final = "401::Request requires authentication"
CONCURRENT_CLIENTS: Final = "403::Organization concurrent user limit exceeded"
DAILY_EVENTS: Final = "403::Organization total events daily limit exceeded"
TOO_LARGE: Final = "413::Maximum Request Size Exceeded"
#: Not a Salesforce string: a body that is not a Bayeux message array gets this (HTTP 400).
MALFORMED: Final = "400::Malformed Bayeux request: the body must be a JSON array of messages"


def invalid_connection_type(connection_type: Any) -> str:
    return f"400::Invalid connection type {{{connection_type}}}"


def no_such_channel(channel: str) -> str:
    return f"400::The channel you requested to subscribe to doesn't exist {{{channel}}}"


def invalid_replay(replay: Any) -> str:
    return (
        f"400::The replayId {{{replay}}} you provided was invalid. Please provide a valid ID, "
        "-2 to replay all events, or -1 to replay only new events."
    )


def replay_not_in_map(channel: str, replay_map: Mapping[str, Any]) -> str:
    # The map as Java prints it (``{/event/A__e=5}``), as in EMP-Connector #41.
    shown = "{" + ", ".join(f"{key}={value}" for key, value in replay_map.items()) + "}"
    return (
        f"400::The replayId for channel {{{channel}}} wasn't found using the provided replay ID map "
        f"{shown}. Ensure that the channel name you provided in the replay map is valid and matches "
        "the channel name used for subscribing."
    )


def missing_cookie(client_id: str, cookie: str) -> str:
    return f"400::Client {client_id} has established a session, but no {cookie} cookie present"
