"""One rule for the codes that identify things: SKUs, locations, lots and serials,
supplier lots, order numbers, hold and inspection ids.

A code is what a label, a scanner or a keyboard gives, so the same code arrives in many
spellings: with a trailing space, in lower case, in full-width letters from an Asian
keyboard, with a non-breaking hyphen pasted from a document, with a Cyrillic "С" that
looks like a Latin "C". A recall that misses one of them misses stock. So every code is
normalised the same way before the ledger sees it:

1. Unicode NFKC (full-width "ＣＯＩＬ" is "COIL", a no-break space is a space);
2. spaces trimmed at both ends;
3. what is left must be ASCII letters, digits and ``. _ / -``; anything else (a letter of
   another script that looks like a Latin one, a dash that is not ``-``, a control
   character, an inner space) is refused, naming the character and its code point;
4. case does not matter: codes are stored upper case (``coil-001`` is ``COIL-001``).

References (a document number, a reservation or shipment id, a supplier's name) keep the
sender's case and may hold spaces, but go through the same Unicode rule: NFKC, trimmed,
inner runs of spaces made one, printable ASCII only.
"""

from __future__ import annotations

import string
import unicodedata

CODE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._/-")
REFERENCE_CHARACTERS = frozenset(chr(n) for n in range(0x20, 0x7F))  # printable ASCII


class CodeRefused(ValueError):
    """A code or reference holds a character the rule refuses."""

    def __init__(self, text: str, character: str, position: int, allowed: str) -> None:
        self.character = character
        self.code_point = f"U+{ord(character):04X}"
        self.position = position
        if unicodedata.category(character).startswith("C"):  # control, format, unassigned
            shown = f"{self.code_point} (a control or invisible character)"
        else:
            shown = f"{character!r} ({self.code_point} {unicodedata.name(character, '?')})"
        super().__init__(f"{shown} at position {position} of {text!r} is not allowed: {allowed}")


def _culprit(text: str, allowed: frozenset[str]) -> tuple[str, int] | None:
    """The first character the sender typed that normalises to something not allowed
    (spaces aside: trimmed at the ends, and named as spaces inside)."""
    for at, character in enumerate(text, start=1):
        normalised = unicodedata.normalize("NFKC", character)
        if normalised.strip(" ") and any(x not in allowed for x in normalised):
            return character, at
    return None


def _check(text: str, normalised: str, allowed: frozenset[str], rule: str) -> None:
    bad = next((x for x in normalised if x not in allowed), None)
    if bad is None:
        return
    found = _culprit(text, allowed) if bad != " " else _inner_space(text)
    character, at = found if found is not None else (bad, 0)
    raise CodeRefused(text, character, at, rule)


def _inner_space(text: str) -> tuple[str, int] | None:
    """The first character inside the code that normalises to a space."""
    spaces = [not unicodedata.normalize("NFKC", x).strip(" ") for x in text]
    solid = [at for at, space in enumerate(spaces) if not space]
    for at in range(solid[0], solid[-1]) if solid else ():
        if spaces[at]:
            return text[at], at + 1
    return None


CODE_RULE = "a code is ASCII letters, digits and . _ / - (no spaces)"
REFERENCE_RULE = "a reference is printable ASCII"


def normalise_code(text: str) -> str:
    """The code ``text`` stands for (NFKC, trimmed, upper case), or ``CodeRefused``."""
    normalised = unicodedata.normalize("NFKC", text).strip(" ")
    _check(text, normalised, CODE_CHARACTERS, CODE_RULE)
    return normalised.upper()


def normalise_reference(text: str) -> str:
    """The reference ``text`` stands for (NFKC, trimmed, inner spaces made one, its case
    kept), or ``CodeRefused``."""
    normalised = " ".join(x for x in unicodedata.normalize("NFKC", text).split(" ") if x)
    _check(text, normalised, REFERENCE_CHARACTERS, REFERENCE_RULE)
    return normalised
