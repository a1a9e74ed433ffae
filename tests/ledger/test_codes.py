"""One rule for codes: every spelling of a code (spaces, case, NFKC-equivalent forms) is
that code, and anything that only looks like it (a confusable letter, another dash, an
invisible or control character, an inner space) is refused, naming the character;
never is a variant accepted as a different code."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.codes import CODE_CHARACTERS, CodeRefused, normalise_code, normalise_reference
from ledger.stock.commands import ReceiveStock

D = Decimal
FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
codes = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(FIRST),
    st.text(alphabet=FIRST + "._/-", max_size=20),
)
# Letters of other scripts that look like Latin ones, and dashes that look like "-".
CONFUSABLE = {
    "A": "\u0410\u0391", "B": "\u0412\u0392", "C": "\u0421\u03f9", "E": "\u0415\u0395",
    "H": "\u041d\u0397", "I": "\u0406\u0399\u0130", "K": "\u041a\u039a", "M": "\u041c\u039c",
    "O": "\u041e\u039f", "P": "\u0420\u03a1", "T": "\u0422\u03a4", "X": "\u0425\u03a7",
    "a": "\u0430\u03b1", "c": "\u0441", "e": "\u0435", "i": "\u0456\u0131", "o": "\u043e\u03bf",
    "p": "\u0440", "x": "\u0445", "y": "\u0443", "-": "\u2010\u2011\u2012\u2013\u2212\ufe63",
    "0": "\u041e", "1": "\u0406",
}  # fmt: skip
SPACES = [" ", "\u00a0", "\u2003", "\u3000", "\u202f"]
INVISIBLE = ["\u200b", "\u200d", "\ufeff", "\t", "\n", "\x00", "\x7f"]


@st.composite
def variants(draw: st.DrawFn) -> tuple[str, str, bool]:
    """(code, a variant of it, whether the variant holds a character that is not one of
    the code's under NFKC: then it must be refused)."""
    code = draw(codes)
    chars = list(code)
    foreign = False
    for at, x in enumerate(chars):
        how = draw(st.sampled_from(["keep", "keep", "case", "wide", "confusable"]))
        if how == "case":
            chars[at] = x.swapcase()
        elif how == "wide" and "!" <= x <= "~":  # full-width forms: NFKC gives x back
            chars[at] = chr(ord(x) + 0xFEE0)
        elif how == "confusable" and x in CONFUSABLE:
            chars[at] = draw(st.sampled_from(CONFUSABLE[x]))
            # Some are compatibility forms of the very character (U+FE63 is "-").
            foreign = foreign or not set(unicodedata.normalize("NFKC", chars[at])) <= set(x)
    if draw(st.booleans()):  # something inside that is not part of any code
        at = draw(st.integers(1, max(1, len(chars) - 1)))
        chars.insert(at, draw(st.sampled_from(INVISIBLE + SPACES)))
        foreign = foreign or at < len(chars) - 1 or chars[at] in INVISIBLE
    around = st.text(alphabet=SPACES, max_size=3)
    return code, draw(around) + "".join(chars) + draw(around), foreign


@given(variants())
def test_a_variant_is_the_code_or_refused_never_another_code(found: tuple[str, str, bool]) -> None:
    code, variant, foreign = found
    try:
        normalised = normalise_code(variant)
    except CodeRefused as refused:
        assert refused.code_point in str(refused)
        assert not set(unicodedata.normalize("NFKC", refused.character)) <= CODE_CHARACTERS
        return
    assert not foreign, (variant, normalised)
    assert normalised == code.upper()


@given(variants())
def test_the_commands_take_a_variant_as_the_code_or_refuse_it(
    found: tuple[str, str, bool],
) -> None:
    code, variant, _ = found
    fields = {"sku": variant, "location": variant, "lot": variant, "supplier_lot": variant}
    try:
        receipt = ReceiveStock(quantity=D(1), unit_cost=D(1), **fields)  # type: ignore[arg-type]
    except ValidationError as refused:
        reasons = {e["loc"][0]: e["msg"] for e in refused.errors()}
        assert set(reasons) == set(fields), reasons  # the same verdict for every code
        return
    assert (receipt.sku, receipt.location, receipt.lot, receipt.supplier_lot) == (
        (code.upper(),) * 4
    )


@pytest.mark.parametrize(
    ("sent", "named"),
    [
        ("SUPY\u2011991", "U+2011 NON-BREAKING HYPHEN"),
        ("\u0421UPY-991", "U+0421 CYRILLIC CAPITAL LETTER ES"),
        ("SUPY 991", "U+0020 SPACE"),
        ("SUPY\u00a0991", "U+00A0 NO-BREAK SPACE"),
        ("SUPY\u200b-991", "U+200B"),
        ("SUPY\t991", "U+0009"),
    ],
)
def test_a_refusal_names_the_character_and_its_code_point(sent: str, named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ReceiveStock(sku="RM-1", location="A", quantity=D(1), unit_cost=D(1), supplier_lot=sent)
    (error,) = refused.value.errors()
    assert error["loc"] == ("supplier_lot",)
    assert error["type"] == "code_character"
    assert named in error["msg"]
    assert "position 5" in error["msg"] or "position 1" in error["msg"]


def test_spellings_of_one_code_are_that_code() -> None:
    for sent in ["SUPY-991", "supy-991", " SUPY-991 ", "\u00a0Supy-991\u3000",
                 "\uff33\uff35\uff30\uff39-991"]:  # fmt: skip
        assert normalise_code(sent) == "SUPY-991"


def test_codes_of_the_demo_and_the_readme_are_left_as_they_are() -> None:
    for code in ["TOUR-STEEL", "COIL-001", "S-77812", "RECV", "A-03", "RACK-A", "WO-T1",
                 "BR-001", "RECALL-1", "MRP-TOUR-0001", "PLANT1/WH-MAIN", "L-2026.01_A"]:  # fmt: skip
        assert normalise_code(code) == code


def test_references_keep_their_case_and_go_through_the_same_unicode_rule() -> None:
    assert normalise_reference("  PO 4711\u00a0 line\u20033 ") == "PO 4711 line 3"
    assert normalise_reference("maintenance") == "maintenance"
    with pytest.raises(CodeRefused, match=r"U\+0421"):
        normalise_reference("\u0421O-1")
    with pytest.raises(CodeRefused, match=r"U\+000A"):
        normalise_reference("PO-1\nPO-2")
