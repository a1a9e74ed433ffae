"""./scripts/bench [NAME ...]: run the named benchmarks (all when none is named).

Each benchmark is a module ``benchmarks/<name>.py`` with ``main(argv: list[str]) -> None``.
"""

from __future__ import annotations

import importlib
import sys

NAMES = [
    "write",
    "read",
    "production",
    "trace",
    "planning",
    "cli",
    "abuse",
    "epcis",
    "webhooks",
    "exports",
    "relay",
    "import",
]
# A benchmark whose name is a Python keyword lives in a module named otherwise.
MODULES = {"import": "imports"}


def main() -> None:
    args = sys.argv[1:]
    names = [a for a in args if not a.startswith("-")] or NAMES
    options = [a for a in args if a.startswith("-")]
    for name in names:
        if name not in NAMES:
            sys.exit(f"unknown benchmark {name!r}: choose from {', '.join(NAMES)}")
        try:
            module = importlib.import_module(f"benchmarks.{MODULES.get(name, name)}")
        except ModuleNotFoundError as e:
            if e.name == f"benchmarks.{MODULES.get(name, name)}":
                print(f"benchmark {name} is not written yet", file=sys.stderr)
                continue
            raise
        module.main(options)


if __name__ == "__main__":
    main()
