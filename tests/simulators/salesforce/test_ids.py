"""Record ids: the documented checksums, 15/18-character forms, prefixes and the minter."""

from __future__ import annotations

import pytest

from simulators.salesforce.models import ids


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001D000000K0fXO", "001D000000K0fXOIAZ"),
        ("00190000001pPvH", "00190000001pPvHAAU"),
        ("005i0000002MUqL", "005i0000002MUqLAAW"),
    ],
)
def test_documented_checksums(id15: str, id18: str) -> None:
    assert ids.to18(id15) == id18
    assert ids.normalize(id15) == id18
    assert ids.normalize(id18) == id18


def test_an_18_character_id_in_any_case_is_the_same_record() -> None:
    assert ids.normalize("001d000000k0fxoiaz") == "001D000000K0fXOIAZ"
    assert ids.normalize("001D000000K0FXOIAZ") == "001D000000K0fXOIAZ"


def test_a_15_character_id_is_case_sensitive() -> None:
    assert ids.normalize("001d000000k0fxo") == "001d000000k0fxoAAA"
    assert ids.normalize("001d000000k0fxo") != ids.normalize("001D000000K0fXO")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "001",
        "001D000000K0fXO!",
        "001D000000K0fXOIA",
        "001D000000K0fXOIAZZ",
        "0010000000000005AA",
        "0010000000000007A!",
    ],
)
def test_malformed_ids(value: str) -> None:
    assert ids.normalize(value) is None


def test_a_checksum_that_marks_a_digit_upper_case_is_malformed() -> None:
    # "5" in the suffix says all five characters of the last chunk are upper case; they are digits.
    assert ids.normalize("001000000000000AA5") is None


def test_to18_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="not a 15-character id"):
        ids.to18("001")


def test_minter_is_deterministic_and_checksummed() -> None:
    first, again = ids.IdMinter(ids.pod_for(0)), ids.IdMinter(ids.pod_for(0))
    minted = [first.mint("001") for _ in range(3)]
    assert minted == [again.mint("001") for _ in range(3)]
    assert minted[0] == "0015G0000000001QAA"
    assert all(ids.normalize(value) == value and len(value) == 18 for value in minted)
    assert first.mint("003").startswith("0035G0000000001")  # one counter per prefix
    assert ids.IdMinter(ids.pod_for(1)).mint("001") != minted[0]  # another org, another pod


def test_base62_range() -> None:
    assert ids.base62(61, 2) == "0z"
    with pytest.raises(ValueError, match="out of range"):
        ids.base62(62**3, 2)
