"""docs/identity.md shows the roles × permissions table and the command table as the
code has them (regenerate with ``python -m tests.ledger.identity.test_docs``)."""

from __future__ import annotations

from pathlib import Path

from ledger.dispatch import FEATURES
from ledger.identity.permissions import COMMAND_PERMISSIONS
from ledger.identity.roles import ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).parents[3] / "docs" / "identity.md"
BEGIN, END = "<!-- roles table: generated -->", "<!-- end of roles table -->"
CBEGIN, CEND = "<!-- commands table: generated -->", "<!-- end of commands table -->"


def roles_table() -> str:
    roles = list(Role)
    head = "| permission | " + " | ".join(r.value.replace("_", " ") for r in roles) + " |"
    rule = "| --- |" + " :-: |" * len(roles)
    rows = [
        f"| `{p.value}` | "
        + " | ".join("x" if p in ROLE_PERMISSIONS[r] else "" for r in roles)
        + " |"
        for p in Permission
    ]
    return "\n".join([head, rule, *rows])


def commands_table() -> str:
    rows = ["| feature | command | permission |", "| --- | --- | --- |"]
    rows += [
        f"| {feature.replace('_', ' ')} | `{command.command_name}` | "
        f"`{COMMAND_PERMISSIONS[command].value}` |"
        for feature, commands in FEATURES.items()
        for command, _ in commands
    ]
    return "\n".join(rows)


def _between(text: str, begin: str, end: str) -> str:
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def test_the_documented_tables_are_the_codes() -> None:
    text = DOC.read_text()
    assert _between(text, BEGIN, END) == roles_table()
    assert _between(text, CBEGIN, CEND) == commands_table()


def _write() -> None:
    text = DOC.read_text()
    for begin, end, table in ((BEGIN, END, roles_table()), (CBEGIN, CEND, commands_table())):
        before, rest = text.split(begin, 1)
        text = f"{before}{begin}\n{table}\n{end}{rest.split(end, 1)[1]}"
    DOC.write_text(text)


if __name__ == "__main__":
    _write()
