#!/usr/bin/env bash
# Refresh requirements.lock: resolve the project with every extra in a throwaway virtualenv and
# write the exact versions it got. `make lock` runs this; commit the result.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$here[all]"
{
  echo "# Exact versions of every package the harness installs (make setup uses this as constraints)."
  echo "# Refresh with: make lock"
  "$tmp/venv/bin/pip" freeze --disable-pip-version-check --exclude-editable | grep -v '^spine-harness'
} > "$here/requirements.lock"
echo "wrote $here/requirements.lock ($(grep -vc '^#' "$here/requirements.lock") packages)"
