#!/usr/bin/env bash
# Install the Supabase CLI at the version tools/supabase-cli.version pins, into .tools/supabase-cli/
# (git-ignored), for the advisors suite (`supabase db advisors`). Idempotent: when the pinned
# version answers already, it exits without touching the network.
#
# Everything comes from the npm registry: the `supabase` package is a small launcher whose
# platform binary is an optional dependency (@supabase/cli-linux-x64 and the like), so npm
# itself fetches it; nothing is downloaded from GitHub releases. npm comes from Debian's
# `npm` package where no npm is installed (a NodeSource nodejs ships its own npm).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
version="$(tr -d '[:space:]' < "$here/supabase-cli.version")"
prefix="$root/.tools/supabase-cli"
cli="$prefix/node_modules/.bin/supabase"

# The CLI checks GitHub for a newer release and sends telemetry unless told not to.
export SUPABASE_NO_UPDATE_NOTIFIER=1 SUPABASE_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

if [ -x "$cli" ] && [ "$(HOME="$prefix" "$cli" --version 2>/dev/null || true)" = "$version" ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the Supabase CLI needs npm: install it as root (apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "installing Debian packages: nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

echo "installing the Supabase CLI $version into .tools/supabase-cli/"
mkdir -p "$prefix"
[ -f "$prefix/package.json" ] || printf '{"name": "spine-harness-tools", "private": true}\n' > "$prefix/package.json"
npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error "supabase@$version" >/dev/null
got="$(HOME="$prefix" "$cli" --version 2>/dev/null || true)"
if [ "$got" != "$version" ]; then
  echo "the Supabase CLI did not install: $cli --version answers '${got:-nothing}', not $version" >&2
  exit 1
fi
echo "installed: supabase $got"
