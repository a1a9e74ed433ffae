"""Importing a sheet: read it, validate every row, then post it through the writer.

Validation reports every bad cell of the file at once (row, column, value, problem type,
message): the header first, then each row against the ledger's own command model, then
the rows against each other (duplicate keys) and against the ledger (unknown SKUs and
locations, lot rules, precision, ...). Nothing is posted while any row is bad, unless
``skip_invalid`` asks to post the good ones.

Each row's command id is derived from the file's content, the kind and the row number,
so importing the same file again is answered by the ledger's command receipts as
duplicates and posts nothing twice. Rows are submitted all at once and the writer's
group commit saves them in large batches.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import polars as pl
from pydantic import ValidationError

from ledger.commands import Command
from ledger.errors import LedgerError
from ledger.identity.principals import Principal
from ledger.ids import receipt_id
from ledger.receipt import CommandReceipt
from ledger.writer import Ledger, Outcome
from mims.imports.kinds import KINDS, Facts, Kind, Problem
from mims.imports.tables import Table, read_table

FIRST_ROW = 2  # the header is the sheet's row 1
CHUNK = 20_000  # rows submitted to the writer at once
NAMESPACE = uuid.UUID("6f0f3c52-4c1e-5b8e-9a51-9d1d2c7b1a17")

Progress = Callable[[str, int, int], None]


class UnknownKind(ValueError):
    """No importer for this kind of sheet."""


def kind_named(name: str) -> Kind:
    kind = KINDS.get(name.strip().lower().replace("-", "_"))
    if kind is None:
        msg = f"no import of {name!r}: one of {', '.join(sorted(KINDS))}"
        raise UnknownKind(msg)
    return kind


@dataclass
class Validated:
    kind: Kind
    table: Table
    digest: str
    commands: dict[int, Command] = field(default_factory=dict)  # by sheet row
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.frame.height

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def errors_by_row(self) -> dict[int, str]:
        by_row: dict[int, list[str]] = {}
        for p in self.problems:
            by_row.setdefault(p.row, []).append(f"{p.column or '-'}: {p.message}")
        return {row: "; ".join(messages) for row, messages in by_row.items()}


@dataclass
class ImportResult:
    kind: str
    file_sha256: str
    rows: int
    valid: int
    posted: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "file_sha256": self.file_sha256,
            "rows": self.rows,
            "valid": self.valid,
            "posted": self.posted,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "errors": [p.as_json() for p in self.errors],
        }


def command_id(digest: str, kind: str, row: int) -> str:
    return uuid.uuid5(NAMESPACE, f"import:{kind}:{digest}:{row}").hex


def validate(
    ledger: Ledger, kind: Kind, name: str, content: bytes, progress: Progress | None = None
) -> Validated:
    digest = hashlib.sha256(content).hexdigest()
    table = read_table(name, content)
    result = Validated(kind=kind, table=table, digest=digest)
    header = _header_problems(kind, table)
    if header:
        result.problems = header  # rows cannot be read against a wrong header
        return result
    frame = table.frame.rename({c: c.strip().lower() for c in table.frame.columns})
    result.problems.extend(_duplicate_keys(kind, frame))
    facts = Facts(ledger)
    if kind.unique:  # what the file itself registers (a location's parent may be below it)
        facts.in_file = {
            str(v).strip().upper() for v in frame[kind.unique[0]].drop_nulls().to_list()
        }
    total = frame.height
    step = max(1, total // 100)
    for i, row in enumerate(frame.iter_rows(named=True)):
        number = i + FIRST_ROW
        if all(v is None for v in row.values()):
            continue  # an empty row (a sheet's trailing blank line) is no row
        try:
            cmd = kind.command.model_validate(
                {**kind.fields(row), "command_id": command_id(digest, kind.name, number)}
            )
        except ValidationError as e:
            result.problems.extend(_model_problems(kind, number, row, e))
            continue
        if (
            kind.check is not None
            and (problems := kind.check(facts, number, cmd))
            and not _posted_before(ledger, cmd)
        ):
            result.problems.extend(problems)
            continue
        result.commands[number] = cmd
        if progress is not None and i % step == 0:
            progress("validating", i, total)
    if progress is not None:
        progress("validating", total, total)
    for number in result.bad_rows:
        result.commands.pop(number, None)
    result.problems.sort(key=lambda p: (p.row, p.column or ""))
    return result


def _posted_before(ledger: Ledger, cmd: Command) -> bool:
    """This row of this file was posted by an earlier import (its item now exists because
    of it): the writer will answer it as a duplicate, so it is no problem."""
    if cmd.command_id is None:
        return False
    receipt = ledger.find(CommandReceipt, receipt_id(cmd.command_id))
    return receipt is not None and receipt.refusal is None


def _header_problems(kind: Kind, table: Table) -> list[Problem]:
    seen = [c.strip().lower() for c in table.header]
    problems = [
        Problem(1, column, None, "missing-column", f"the {kind.name} sheet needs a {column} column")
        for column in kind.required
        if column not in seen
    ]
    problems.extend(
        Problem(
            1,
            written,
            written,
            "unknown-column",
            f"{written!r} is no column of the {kind.name} sheet (columns: "
            f"{', '.join(kind.columns)})",
        )
        for written, column in zip(table.header, seen, strict=True)
        if column not in kind.columns
    )
    return problems


def _duplicate_keys(kind: Kind, frame: pl.DataFrame) -> list[Problem]:
    """Every row whose key another row of the file repeats (each of them is reported)."""
    if not kind.unique:
        return []
    keys = [pl.col(c).str.strip_chars().str.to_uppercase() for c in kind.unique if c in frame]
    if not keys:
        return []
    dupes = frame.with_row_index("i").filter(
        pl.struct(keys).is_duplicated() & pl.all_horizontal(pl.col(kind.unique[0]).is_not_null())
    )
    column = kind.unique[0]
    label = ", ".join(kind.unique)
    return [
        Problem(
            int(i) + FIRST_ROW,
            column,
            value,
            "duplicate-key",
            f"another row of the file has the same {label}",
        )
        for i, value in zip(dupes["i"], dupes[column], strict=True)
    ]


def _model_problems(
    kind: Kind, number: int, row: dict[str, str | None], error: ValidationError
) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        column = kind.column_of(detail["loc"])
        value = row.get(column) if column else None
        problem_type, message = detail["type"], detail["msg"]
        if problem_type == "decimal_text" and value and "," in value:
            problem_type = "decimal-comma"
            message = f"write decimals with a point, like {value.replace(',', '.')}, not a comma"
        elif problem_type == "missing":
            message = f"{column} is required"
        problems.append(Problem(number, column, value, problem_type.replace("_", "-"), message))
    return problems


def post(
    ledger: Ledger,
    validated: Validated,
    *,
    skip_invalid: bool = False,
    actor: str = "import",
    principal: Principal | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Post the valid rows (all of them or none, unless ``skip_invalid``). A row the
    ledger refuses while posting (another process changed what the checks read) is
    reported as a problem of that row; the others are posted."""
    result = ImportResult(
        kind=validated.kind.name,
        file_sha256=validated.digest,
        rows=validated.rows,
        valid=len(validated.commands),
        errors=list(validated.problems),
    )
    if validated.problems and not skip_invalid:
        return result
    result.skipped = len(validated.bad_rows)
    total = len(validated.commands)
    correlation = f"import-{validated.digest[:16]}"
    decided = _decided_before(ledger, validated)
    result.duplicates = done = len(decided)
    for wave in _waves(validated):
        to_post = [(number, cmd) for number, cmd in wave if number not in decided]
        # In chunks: the writer's batches stay large, and only a chunk's futures (and
        # the submissions they hold) are alive at once.
        for start in range(0, len(to_post), CHUNK):
            futures: list[tuple[int, Future[Outcome]]] = [
                (
                    number,
                    ledger.submit(
                        cmd, actor=actor, correlation_id=correlation, principal=principal
                    ),
                )
                for number, cmd in to_post[start : start + CHUNK]
            ]
            for number, future in futures:
                try:
                    outcome = future.result(timeout=600)
                except LedgerError as e:
                    result.errors.append(Problem(number, e.field, None, e.type, e.detail))
                else:
                    if outcome.duplicate:
                        result.duplicates += 1
                    else:
                        result.posted += 1
                done += 1
                if progress is not None and (done % 500 == 0 or done == total):
                    progress("posting", done, total)
    if progress is not None:
        progress("posting", total, total)
    result.errors.sort(key=lambda p: (p.row, p.column or ""))
    return result


def _decided_before(ledger: Ledger, validated: Validated) -> set[int]:
    """Rows an earlier import of the same file already posted: their command receipts
    exist (one query per 5,000 rows). Not sending them again spares the writer deciding
    each, colliding with its receipt and answering it from there, which is what a resent
    command costs: 2-3 times the first import."""
    by_receipt = {
        receipt_id(cmd.command_id): number
        for number, cmd in validated.commands.items()
        if cmd.command_id is not None
    }
    found: set[int] = set()
    ids = list(by_receipt)
    for start in range(0, len(ids), 5_000):
        versions = ledger.store.current_versions(ids[start : start + 5_000])
        found.update(by_receipt[rid] for rid, version in versions.items() if version)
    return found


def _waves(validated: Validated) -> list[list[tuple[int, Command]]]:
    """Rows in the order they may be posted: a location after its parent (rows of one
    depth in one wave, each wave after the one before is committed); other kinds at once."""
    rows = sorted(validated.commands.items())
    if validated.kind.name != "locations":
        return [rows]
    depth: dict[str, int] = {}
    by_code = {getattr(cmd, "code", ""): cmd for _, cmd in rows}

    def depth_of(code: str) -> int:
        if code not in depth:
            depth[code] = 0  # a cycle stops here; the ledger refuses it
            parent = getattr(by_code.get(code), "parent", None)
            depth[code] = depth_of(parent) + 1 if parent in by_code else 0
        return depth[code]

    waves: dict[int, list[tuple[int, Command]]] = {}
    for number, cmd in rows:
        waves.setdefault(depth_of(getattr(cmd, "code", "")), []).append((number, cmd))
    return [waves[d] for d in sorted(waves)]


def import_file(
    ledger: Ledger,
    kind_name: str,
    name: str,
    content: bytes,
    *,
    skip_invalid: bool = False,
    actor: str = "import",
    progress: Progress | None = None,
) -> tuple[ImportResult, Validated]:
    kind = kind_named(kind_name)
    validated = validate(ledger, kind, name, content, progress)
    result = post(ledger, validated, skip_invalid=skip_invalid, actor=actor, progress=progress)
    return result, validated
