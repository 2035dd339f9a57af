#!/usr/bin/env bash
# Create ./.venv and install the project with the given extras whenever pyproject.toml changed,
# then make sure the packaged model bundle is present. Idempotent and quiet when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
extras="${1:-}"
python="${PYTHON:-python3}"
quiet() { grep -v -e "WARNING: Location" -e "^\s*$" || true; }

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "VideoAnalysisHAR needs Python >= 3.11 (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "creating .venv ..."
  "$python" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | quiet
fi
want="$(sha256sum pyproject.toml | cut -c1-16) [${extras}]"
stamp=".venv/.videohar-installed-${extras:-base}"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "installing videohar${extras:+ [$extras]} into .venv (first run takes a few minutes) ..."
  spec="."
  [[ -n "$extras" ]] && spec=".[${extras}]"
  .venv/bin/python -m pip install -q -e "$spec" 2>&1 | quiet
  echo "$want" > "$stamp"
fi
.venv/bin/videohar fetch-models >/dev/null
