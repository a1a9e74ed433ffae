"""GS1 keys of master data: an item's GTIN and a location's GLN, each checked by its check
digit (GS1 General Specifications 7.9.1) so a mistyped key is refused at registration
instead of reaching a trading partner in an EPCIS export."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

GTIN_LENGTHS = (8, 12, 13, 14)
GLN_LENGTH = 13


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (every digit but the last): weights 3 and 1
    alternate from the rightmost digit of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _checked(key: str, name: str, lengths: tuple[int, ...]) -> str:
    if not key.isascii() or not key.isdigit() or len(key) not in lengths:
        sizes = ", ".join(str(n) for n in lengths)
        msg = f"a {name} is {sizes} digits"
        raise ValueError(msg)
    if check_digit(key[:-1]) != int(key[-1]):
        msg = f"{key} is not a {name}: its check digit should be {check_digit(key[:-1])}"
        raise ValueError(msg)
    return key


def gtin14(key: str) -> str:
    """A GTIN-8, -12, -13 or -14, checked, as the 14 digits GS1 Digital Link names it by
    (zeros in front do not change the check digit)."""
    return _checked(key.strip(), "GTIN", GTIN_LENGTHS).zfill(14)


def gln(key: str) -> str:
    return _checked(key.strip(), "GLN", (GLN_LENGTH,))


Gtin = Annotated[
    str,
    Field(
        min_length=8,
        max_length=14,
        description="GS1 Global Trade Item Number (8, 12, 13 or 14 digits), stored as 14",
        examples=["09506000134352"],
    ),
    AfterValidator(gtin14),
]
Gln = Annotated[
    str,
    Field(
        min_length=13,
        max_length=13,
        description="GS1 Global Location Number (13 digits)",
        examples=["9506000134376"],
    ),
    AfterValidator(gln),
]
