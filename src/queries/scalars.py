"""Scalars shared by every feature: ``Decimal``, exact, as a string."""

from __future__ import annotations

from decimal import Decimal

import strawberry


def _plain_decimal(value: Decimal) -> str:
    """Decimals as plain strings without trailing zeros: "12.5", never "12.5000" or "1E+1"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# The widest figure an argument may give: the ledger's values have 18 integer digits and
# 16 decimals (ledger.values.VALUE); a few more either way refuse nothing real.
MAX_DECIMAL_DIGITS = 40


def parse_decimal(value: object) -> Decimal:
    """A Decimal argument as strictly as the commands read one: a string or a JSON number,
    finite, without spaces around it, of at most 40 digits each side of the point."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        msg = 'a Decimal is a string such as "12.5" or a number'
        raise ValueError(msg)  # noqa: TRY004 - GraphQL answers a ValueError as bad input
    text = str(value)
    if text != text.strip():
        msg = f"a number is written without spaces around it: {text!r}"
        raise ValueError(msg)
    try:
        found = Decimal(text)
    except ArithmeticError:
        msg = f"{text!r} is not a number"
        raise ValueError(msg) from None
    if not found.is_finite() or abs(found.adjusted()) > MAX_DECIMAL_DIGITS:
        msg = f"{text!r} is not a finite decimal of at most {MAX_DECIMAL_DIGITS} digits"
        raise ValueError(msg)
    if found.as_tuple().exponent < -MAX_DECIMAL_DIGITS:  # type: ignore[operator]
        msg = f"{text!r} has more than {MAX_DECIMAL_DIGITS} decimals"
        raise ValueError(msg)
    return found


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="A decimal number as a string (exact, never a float)",
    serialize=_plain_decimal,
    parse_value=parse_decimal,
)
