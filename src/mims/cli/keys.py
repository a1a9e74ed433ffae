"""`mims keys issue|revoke|list`: API keys for devices and integrations. A key's text is
printed once, when it is issued; the ledger keeps only its digest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mims.cli.common import console
from mims.cli.users import execute, ledger_here

app = typer.Typer(help="API keys for devices and integrations: issue, revoke, list.")


@app.command("issue")
def issue(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'ERP inbound'")],
    grant: Annotated[
        list[str],
        typer.Option("--grant", help="ROLE@SITE or ROLE@SITE/LOCATION-PREFIX (repeat for more)"),
    ],
    on_behalf_of: Annotated[
        str | None, typer.Option("--on-behalf-of", help="The person the key acts for")
    ] = None,
) -> None:
    """Issue a key; its text is printed once and cannot be shown again."""
    from ledger.identity.commands import GrantInput, IssueApiKey

    grants = []
    for text in grant:
        role, at, place = text.partition("@")
        site, _, prefix = place.partition("/")
        if not at or not site:
            raise typer.BadParameter(f"{text!r}: write ROLE@SITE or ROLE@SITE/PREFIX")
        grants.append(
            GrantInput.model_validate(
                {"role": role, "site": site, "location_prefix": prefix or None}
            )
        )
    with ledger_here() as ledger:
        outcome = execute(
            ledger, IssueApiKey(name=name, grants=tuple(grants), on_behalf_of=on_behalf_of)
        )
    console.print(f"key id {outcome.data['key_id']} issued; its text, shown this once:")
    # Plain print: no wrapping or markup in the middle of the key.
    print(outcome.data["key"])


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after mims_)")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Revoke a key: refused everywhere within a second."""
    from ledger.identity.commands import RevokeApiKey

    with ledger_here() as ledger:
        execute(ledger, RevokeApiKey(key_id=key_id, reason=reason))
    console.print(f"key {key_id} revoked")


@app.command("list")
def list_keys() -> None:
    """Every key: name, grants, for whom, state (never a secret)."""
    from mims.identity import api_keys

    table = Table(title="API keys")
    table.add_column("key id", no_wrap=True)
    for column in ("name", "grants", "on behalf of", "issued by", "state"):
        table.add_column(column)
    with ledger_here() as ledger:
        for key in api_keys(ledger):
            grants = ", ".join(
                f"{g.role}@{g.site}" + (f"/{g.location_prefix}" if g.location_prefix else "")
                for g in key.grants
            )
            table.add_row(
                key.key_id,
                key.name,
                grants,
                key.on_behalf_of or "",
                key.issued_by,
                "revoked" if key.revoked else "active",
            )
    console.print(table)
