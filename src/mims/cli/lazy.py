"""Subcommands whose modules are imported only when one of them runs.

`mims --help` lists every command, but importing all of them (the ledger, FastAPI, DuckDB,
polars, scipy) took 9-15 s before the first line of output. A group made with
``lazy_group(...)`` shows a lazy command's one-line help from its `Lazy` entry, and imports
its module only when the command is invoked (or asked for its own ``--help``). The
pattern is click's "LazyGroup", built on Typer's group class.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer import _click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A command (a function) or a group (a ``typer.Typer``) named ``attribute`` of
    ``module``; ``help`` is the line the parent's listing shows for it."""

    module: str
    attribute: str
    help: str

    def load(self, name: str) -> _click.Command:
        target = getattr(importlib.import_module(self.module), self.attribute)
        if isinstance(target, typer.Typer):
            group = typer.main.get_group(target)
            group.name = name
            return group
        holder = typer.Typer()
        holder.command(name)(target)
        return typer.main.get_group(holder).commands[name]


class _NotLoaded(TyperCommand):
    """Stands in a group's listing for a lazy command until it is invoked."""

    def __init__(self, name: str, lazy: Lazy, **attrs: Any) -> None:
        super().__init__(name, help=lazy.help, **attrs)
        self.lazy = lazy


class LazyGroup(TyperGroup):
    """A Typer group with ``lazy`` commands besides its own; lists them in name order."""

    lazy: ClassVar[dict[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, lazy in self.lazy.items():
            self.commands.setdefault(
                name, _NotLoaded(name, lazy, rich_markup_mode=self.rich_markup_mode)
            )

    def list_commands(self, ctx: _click.Context) -> list[str]:  # noqa: ARG002 - click signature
        return sorted(self.commands)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _NotLoaded):
            command = self.commands[name] = command.lazy.load(name)
        return name, command, rest


def lazy_group(**commands: Lazy) -> type[LazyGroup]:
    """The group class to give ``typer.Typer(cls=...)``: its own commands plus these."""
    return type("LazyGroup", (LazyGroup,), {"lazy": commands})
