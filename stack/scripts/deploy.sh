#!/usr/bin/env bash
# Deploy the Spine on this server: run the static suite on the stack (compose file, memory
# budget, gateway routes, ports, the .env's secrets) and refuse to go on if any check fails;
# then pull the pinned images and start the stack, waiting until every service is healthy.
#
#   bash stack/scripts/deploy.sh [--yes]
#
# Without a terminal it refuses to deploy unless --yes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

assume_yes=0
while [ $# -gt 0 ]; do
  case "$1" in
    --yes) assume_yes=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

python="$(harness_python)"
[ -f "$STACK_DIR/.env" ] || die "$STACK_DIR/.env is missing: run bash $SCRIPTS_DIR/generate-secrets.sh first"

echo "== static suite on $STACK_DIR"
if ! "$python" -m spine_harness check-stack --stack-dir "$STACK_DIR"; then
  die "the static suite failed (see above): not deploying"
fi

need_command docker "install Docker Engine (bash $SCRIPTS_DIR/setup-server.sh)"
docker compose version >/dev/null 2>&1 || die "docker compose (Compose v2) is missing: run bash $SCRIPTS_DIR/setup-server.sh"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is dockerd running?)"

confirm "Pull the pinned images and (re)start the Spine from $STACK_DIR?" "$assume_yes"
compose=(docker compose --project-directory "$STACK_DIR" --env-file "$STACK_DIR/.env" -f "$STACK_DIR/docker-compose.yml")
"${compose[@]}" pull --quiet
"${compose[@]}" up --detach --wait --remove-orphans
"${compose[@]}" ps
next_step "bash $SCRIPTS_DIR/db-status.sh   (the database at a glance)"
