#!/usr/bin/env bash
# The database at a glance: health, connections and who holds them, database sizes, bloat,
# long transactions and replication slots. Read-only; safe to run any time.
#
#   bash stack/scripts/db-status.sh [--long-transaction-seconds N] [--dsn DSN]
#
# Connects through Supavisor's session port on this host (127.0.0.1) with the credentials in
# stack/.env, or to --dsn / SPINE_DB_URL. Passwords are never printed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

python="$(harness_python)"
if [ -z "${SPINE_DB_URL:-}" ] && [[ " $* " != *" --dsn "* ]]; then
  [ -f "$STACK_DIR/.env" ] || die "$STACK_DIR/.env is missing: pass --dsn, or deploy first"
fi
"$python" -m spine_harness db-status --env-file "$STACK_DIR/.env" "$@"
next_step "docker compose --project-directory $STACK_DIR logs --tail 100 db supavisor   (if a section needs a look)"
