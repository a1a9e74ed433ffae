# Sourced by scripts/run, scripts/test and scripts/bench: makes ./.venv exist and match
# pyproject.toml, then puts it first on PATH.
#   source scripts/_venv.sh        the runtime only (what `pip install .` installs)
#   source scripts/_venv.sh dev    plus the [dev] extra (pytest, mypy, ruff, playwright...)
# Re-installs only when pyproject.toml changed since that set was installed: one stamp per
# set. Installing dev installs the runtime too, so it stamps both.
set -euo pipefail
extra="${1:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${MIMS_PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then PYTHON=python3; fi
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
stamp=".venv/.mims-installed${extra:+-$extra}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing MIMS${extra:+ with its $extra tools} into .venv (once per pyproject.toml change)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # --no-compile: a module is byte-compiled when first imported, not every file of every
  # dependency now (15 of the 48 s of a runtime install; the server never imports most).
  .venv/bin/python -m pip install --quiet --no-compile -e ".${extra:+[$extra]}"
  echo "$want" > "$stamp"
  if [ -n "$extra" ]; then echo "$want" > .venv/.mims-installed; fi
fi
export PATH="$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"
