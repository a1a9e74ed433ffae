"""Printing benchmark figures: a rich table for people, one JSON line per figure for tools."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table


@dataclass
class Figure:
    bench: str
    figure: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return round(self.value / self.baseline, 2)  # type: ignore[operator]

    def as_json(self) -> str:
        return json.dumps(
            {
                "bench": self.bench,
                "figure": self.figure,
                "value": round(self.value, 3),
                "unit": self.unit,
                "baseline": None if self.baseline is None else round(self.baseline, 3),
                "ratio": self.ratio,
            }
        )


@dataclass
class Report:
    bench: str
    figures: list[Figure] = field(default_factory=list)

    def add(
        self,
        figure: str,
        value: float,
        unit: str,
        baseline: float | None = None,
        target: str = "",
    ) -> Figure:
        f = Figure(self.bench, figure, value, unit, baseline, target)
        self.figures.append(f)
        return f

    def print(self) -> None:
        table = Table(title=f"bench {self.bench}")
        for column in ("figure", "value", "unit", "baseline", "ratio", "target"):
            table.add_column(column, justify="right" if column != "figure" else "left")
        for f in self.figures:
            table.add_row(
                f.figure,
                f"{f.value:,.3f}",
                f.unit,
                "" if f.baseline is None else f"{f.baseline:,.3f}",
                "" if f.ratio is None else f"{f.ratio:.2f}x",
                f.target,
            )
        console = Console()
        if not console.is_terminal:  # piped into a file: keep the figure names whole
            console = Console(width=160)
        console.print(table)
        for f in self.figures:
            print(f.as_json(), flush=True)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
