"""Salesforce record ids on the wire: the 15-character case-sensitive form, its 18-character
checksummed form, and normalising either to the canonical 18 characters.

Both sides of the wire need these (the simulator mints ids, the integration core checks the ids it
is given), so they live in the shared leaf. An 18-character id may arrive in any casing: its
checksum restores the case of each letter.
"""

from __future__ import annotations

import re

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID15 = re.compile(r"^[0-9A-Za-z]{15}$")
_ID18 = re.compile(r"^[0-9A-Za-z]{18}$")


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
