"""`mims plan KIND`: the planning models, JSON in and JSON out."""

from __future__ import annotations

import typer

app = typer.Typer(help="Planning models: JSON problem on stdin, JSON result on stdout.")
