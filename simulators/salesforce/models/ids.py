"""Salesforce record ids: 15-character case-sensitive ids, their 18-character checksummed form,
key prefixes, and a deterministic minter.

An id is ``prefix(3) + pod(2) + reserved(1) + number(9, base 62)``; the API always returns the
18-character form (the 15 characters plus a 3-character case checksum). Inputs may be either
form: 15-character ids compare case-sensitively, 18-character ids case-insensitively (the
checksum says which letters are upper case, so the exact id is recovered from any casing).
"""

from __future__ import annotations

from contracts.salesforce_ids import CHECKSUM_ALPHABET, checksum, normalize, to18

__all__ = ["CHECKSUM_ALPHABET", "IdMinter", "base62", "checksum", "normalize", "pod_for", "to18"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Well-known key prefixes (salesforce-wire.md §3.6). Custom objects get a00, a01, ... per org.
ORGANIZATION_PREFIX = "00D"
USER_PREFIX = "005"
QUERY_LOCATOR_PREFIX = "01g"
BULK_JOB_PREFIX = "750"
EVENT_PUBLISH_PREFIX = "e00"


def base62(number: int, width: int) -> str:
    if number < 0:
        raise ValueError("negative id number")
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    text = "".join(reversed(digits)) or "0"
    if len(text) > width:
        raise ValueError(f"id number out of range for {width} base-62 digits")
    return text.rjust(width, "0")


def pod_for(org_index: int) -> str:
    """A plausible two-character pod segment, distinct per org so ids never collide across orgs."""
    return "5" + BASE62[(16 + org_index) % 62]


class IdMinter:
    """Deterministic ids for one org: a counter per key prefix (same seed, same ids)."""

    __slots__ = ("_counters", "pod")

    def __init__(self, pod: str) -> None:
        self.pod = pod
        self._counters: dict[str, int] = {}

    def mint(self, prefix: str) -> str:
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return to18(f"{prefix}{self.pod}0{base62(number, 9)}")

    def reset(self) -> None:
        self._counters.clear()
