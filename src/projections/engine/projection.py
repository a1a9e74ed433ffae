"""The projection framework: a read model is a ``Projection`` (its tables, and the SQL
each event type runs against them), and the SQL helpers its handlers share.

A handler reads the page's events of its type from the temp view ``events`` (position,
stream, version, topic, e, recorded_at, effective_at, actor, command_id, correlation_id,
site; ``e`` is the event parsed by ``engine.decoding``) or, for the stock feature, the
movement rows from the view ``movements``, and writes set-based: rows of a page are
grouped by key before an upsert (DuckDB keeps only one of two rows with the same key in
one ``INSERT ... ON CONFLICT``), never one statement per event. Handlers are registered
explicitly, per event class, in order.

Decimals travel as JSON strings and are cast here (``q``, ``m``), so a malformed one fails
the projection loudly instead of becoming NULL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from eventsourcing.utils import get_topic

from ledger.values import QUANTITY, VALUE

# Sized from the ledger's ranges (ledger.values): a column holds every figure a command
# can bring in, exactly, and sums of many of them.
QTY = QUANTITY.column
MONEY = VALUE.column
# A handler's SQL, or a function making it from the event types of the page.
SQL = str | Callable[[frozenset[str]], str]
# A quotient (DuckDB divides decimals in DOUBLE): kept to the ledger's 6 places, so no
# binary noise shows in the digits beyond them.
UNIT_MONEY = "DECIMAL(38,6)"
# The last event of each stream in the page (a handler that keeps only the latest state).
LATEST = "QUALIFY row_number() OVER (PARTITION BY stream ORDER BY position DESC) = 1"


# An event field read in SQL: ``e.<field>`` (nested parts, ``e.meta.site``, read the
# top-level field whole).
_FIELD = re.compile(r"(?<![\w.])e\.(\w+)")


def fields_in(*sql: str) -> frozenset[str]:
    """The top-level event fields these SQL texts read."""
    return frozenset(name for text in sql for name in _FIELD.findall(text))


def topic(event_class: type) -> str:
    return get_topic(event_class)


def q(field_: str) -> str:
    return f"CAST(e.{field_} AS {QTY})"


def m(field_: str) -> str:
    return f"CAST(e.{field_} AS {MONEY})"


@dataclass
class Projection:
    """A read model: its tables, and the SQL each event type runs against them."""

    name: str
    tables: tuple[str, ...]
    ddl: str
    depends_on: tuple[str, ...] = ("catalog",)
    handlers: list[tuple[frozenset[str], SQL]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def on(self, *event_classes: type, sql: SQL) -> None:
        """Register ``sql`` for these event types (run when the page holds any of them).

        ``sql`` may be a function of the page's event types, for a handler whose query
        has a part per event type: a one-event page then plans one part, not all."""
        self.handlers.append((frozenset(topic(e) for e in event_classes), sql))

    def finally_(self, sql: str) -> None:
        """SQL run after the handlers of every page (clean-ups, derived columns)."""
        self.after.append(sql)

    def wants(self, topics: frozenset[str]) -> bool:
        return any(wanted & topics for wanted, _ in self.handlers)

    def apply(self, con: duckdb.DuckDBPyConnection, topics: frozenset[str]) -> None:
        ran = False
        for wanted, sql in self.handlers:
            if wanted & topics:
                con.execute(sql if isinstance(sql, str) else sql(topics))
                ran = True
        if ran:
            for sql in self.after:
                con.execute(sql)

    @property
    def topics(self) -> frozenset[str]:
        """Every event type a handler of this projection runs for."""
        return frozenset().union(*(wanted for wanted, _ in self.handlers))

    def topics_read(self, topics: frozenset[str]) -> frozenset[str]:
        """Every event type whose fields the handlers run for ``topics`` may read."""
        return frozenset().union(*(wanted for wanted, _ in self.handlers if wanted & topics))

    @property
    def fields_read(self) -> frozenset[str]:
        """The event fields (``e.<field>``) some handler's SQL reads: the page parses only
        these. A field left out is a binder error naming it, never a silent NULL."""
        texts = [sql if isinstance(sql, str) else sql(wanted) for wanted, sql in self.handlers]
        return fields_in(*texts, *self.after)


# Quotients of values, to 6 decimals (half up). DuckDB multiplies decimals within 38
# digits (a quantity times a value of the ledger's ranges may need 40) and divides them in
# DOUBLE (15-16 digits). Figures of a plant's usual size take that fast path, as before;
# larger ones are worked exactly in integers of the columns' smallest units (HUGEINT: a
# value in 1e-16, a quantity in 1e-6), which costs ten times more per row.
FAST_PATH = "1e15"
DECIMAL_ARITHMETIC = f"""
CREATE OR REPLACE MACRO decimal_units(x) AS
    CAST(replace(CAST(x AS VARCHAR), '.', '') AS HUGEINT);
CREATE OR REPLACE MACRO from_micro_units(m) AS CAST(
    CAST(m // 1000000 AS {UNIT_MONEY}) + CAST(m % 1000000 AS {UNIT_MONEY}) * 0.000001
    AS {UNIT_MONEY});
-- round(v * p / w) in 1e-6 units, for 0 <= p <= w, without a product beyond v's size.
CREATE OR REPLACE MACRO share_micro(vu, pu, wu) AS sign(vu) * (
    (abs(vu) // wu) * pu + ((abs(vu) % wu) * pu) // wu + 5000000000) // 10000000000;
-- value * part / whole (part of the whole quantity), to 6 decimals.
CREATE OR REPLACE MACRO value_share(value, part, whole) AS CASE
    WHEN whole = 0 THEN NULL
    WHEN abs(CAST(value AS DOUBLE) * CAST(part AS DOUBLE)) < {FAST_PATH}
        THEN CAST(round(part * value / whole, 6) AS {UNIT_MONEY})
    ELSE from_micro_units(share_micro(decimal_units(value), decimal_units(part),
        decimal_units(whole))) END;
-- value / quantity, to 6 decimals.
CREATE OR REPLACE MACRO unit_value(value, quantity) AS CASE
    WHEN quantity = 0 THEN NULL
    WHEN abs(CAST(value AS DOUBLE)) < {FAST_PATH}
        THEN CAST(round(value / quantity, 6) AS {UNIT_MONEY})
    ELSE sign(value) * sign(quantity) * from_micro_units((abs(decimal_units(value))
        + abs(decimal_units(quantity)) * 5000) // (abs(decimal_units(quantity)) * 10000)) END;
"""
