"""Salesforce record ids: 15-character case-sensitive ids, their 18-character checksummed form,
key prefixes, and a deterministic minter.

An id is ``prefix(3) + pod(2) + reserved(1) + number(9, base 62)``; the API always returns the
18-character form (the 15 characters plus a 3-character case checksum). Inputs may be either
form: 15-character ids compare case-sensitively, 18-character ids case-insensitively (the
checksum says which letters are upper case, so the exact id is recovered from any casing).
"""

from __future__ import annotations

import re

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID15 = re.compile(r"^[0-9A-Za-z]{15}$")
_ID18 = re.compile(r"^[0-9A-Za-z]{18}$")

# Well-known key prefixes (salesforce-wire.md §3.6). Custom objects get a00, a01, ... per org.
ORGANIZATION_PREFIX = "00D"
USER_PREFIX = "005"
QUERY_LOCATOR_PREFIX = "01g"
BULK_JOB_PREFIX = "750"
EVENT_PUBLISH_PREFIX = "e00"


# A-Z -> "1", everything else -> "0": the case mask of an id, computed in C.
_UPPER_MASK = str.maketrans({chr(c): ("1" if "A" <= chr(c) <= "Z" else "0") for c in range(128)})


def checksum(id15: str) -> str:
    """The 3-character suffix: one character per 5-character chunk, bit i set when char i is A-Z."""
    mask = id15.translate(_UPPER_MASK)
    return (
        CHECKSUM_ALPHABET[int(mask[4::-1], 2)]
        + CHECKSUM_ALPHABET[int(mask[9:4:-1], 2)]
        + CHECKSUM_ALPHABET[int(mask[14:9:-1], 2)]
    )


def to18(id15: str) -> str:
    if not _ID15.match(id15):
        raise ValueError(f"not a 15-character id: {id15!r}")
    return id15 + checksum(id15)


def normalize(value: str) -> str | None:
    """The canonical 18-character id for a 15- or 18-character input, or None if malformed.

    An 18-character id may arrive in any casing: its checksum restores the case of each letter.
    A checksum that contradicts the characters (an upper-case bit on a digit) is malformed.
    """
    if len(value) == 15:
        return value + checksum(value) if _ID15.match(value) else None
    if len(value) != 18 or not _ID18.match(value):
        return None
    if value[15:] == checksum(value[:15]):
        return value  # already canonical: the common case
    suffix = value[15:].upper()
    chars = list(value[:15])
    for chunk, code in enumerate(suffix):
        bits = CHECKSUM_ALPHABET.find(code)
        if bits < 0:
            return None
        for position in range(5):
            index = chunk * 5 + position
            char = chars[index]
            upper = bool(bits & (1 << position))
            if char.isalpha():
                chars[index] = char.upper() if upper else char.lower()
            elif upper:
                return None
    id15 = "".join(chars)
    return id15 + suffix


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
