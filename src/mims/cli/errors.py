"""Every error of the `mims` command is one line on stderr that says what to do.

An operator at a terminal gets no traceback (``MIMS_DEBUG=1`` shows it), and no database
password: every ``scheme://user:password@`` in a message is redacted before it is printed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

# Any URL with a password, wherever it appears in a message (the library's, psycopg's...).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][\w+.-]*://[^:@/\s]*):[^@\s]*@")
_LOCKED_FILE = re.compile(r'lock on file "([^"]+)"')
WHERE_THE_SERVER_IS = (
    "give the running server's address with --url http://HOST:PORT,"
    " or set MIMS_HOST and MIMS_PORT to where it listens"
)


def scrub(text: str) -> str:
    """``text`` on one line, with every URL's password replaced by ``***``."""
    return " ".join(_URL_PASSWORD.sub(r"\1:***@", text).split())


def _configuration_problem(error: BaseException) -> str | None:
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return None
    problems = []
    for detail in error.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in detail["loc"])
        name = f"MIMS_{field.upper()}" if field else "the MIMS_ settings"
        problems.append(f"{name}: {detail['msg'].removeprefix('Value error, ')}")
    return "configuration: " + "; ".join(problems)


def explain(error: BaseException) -> str:
    """What went wrong and what to do, in one line."""
    configuration = _configuration_problem(error)
    if configuration is not None:
        return configuration
    kind = type(error)
    text = str(error)
    if "duckdb" in kind.__module__ and "lock" in text.lower():
        found = _LOCKED_FILE.search(text)
        held = found.group(1) if found else "the read models' file"
        return (
            f"{held} is held by another process (a running `mims serve`?): this command asks"
            f" that server to do the work; {WHERE_THE_SERVER_IS} (or stop the server)"
        )
    if kind.__module__.startswith(("psycopg", "eventsourcing")):
        first = text.strip().splitlines()[0] if text.strip() else kind.__name__
        return (
            f"the event store does not answer ({first}): check MIMS_DATABASE_URL"
            " and that the database is up"
        )
    if kind.__module__.startswith("httpx"):
        return f"no answer from the MIMS server ({text or kind.__name__}): {WHERE_THE_SERVER_IS}"
    if isinstance(error, ValueError | OSError | RuntimeError):
        return text or kind.__name__
    return f"{kind.__name__}: {text} (MIMS_DEBUG=1 shows the traceback)"


def run_cli(app: Callable[[], object]) -> None:
    """Run the typer app; turn any error into one line and exit 1 (130 on Ctrl-C)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        if os.environ.get("MIMS_DEBUG", "").lower() in ("1", "true", "yes"):
            raise
        print(f"mims: {scrub(explain(error))}", file=sys.stderr)
        sys.exit(1)
