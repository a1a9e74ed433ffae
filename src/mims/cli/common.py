"""What the `mims` commands that work on the read side share: a running server to ask,
or the files to open (while `mims serve` runs it owns the read models' DuckDB file, one
writing process per file, so these commands ask it to do the work through ``/admin``)."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()

UrlOption = Annotated[
    str | None, typer.Option(help="A running server (default: MIMS_HOST:MIMS_PORT if it answers)")
]
LocalOption = Annotated[bool, typer.Option("--local", help="Never ask a server; open the file")]


def running_server(url: str | None, local: bool) -> str | None:
    if local:
        return None
    from mims.settings import Settings

    settings = Settings()
    base = url or f"http://{settings.host}:{settings.port}"
    try:
        if httpx.get(f"{base}/health", timeout=1).status_code == 200:  # noqa: PLR2004
            return base
    except httpx.HTTPError:
        if url:
            raise typer.BadParameter(f"no MIMS server answers at {url}") from None
    return None


def server_headers() -> dict[str, str]:
    """Credentials for asking a running server: a short-lived ``SYSTEM("cli")`` token signed
    with the server's secret key (MIMS_SECRET_KEY, or var/secret_key in development)."""
    from commands.authentication import system_token
    from mims.settings import Settings

    return {"Authorization": f"Bearer {system_token(Settings().session_secret(), 'cli')}"}


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
