#!/usr/bin/env bash
# Write stack/.env from .env.example with fresh secrets: JWT_SECRET, and ANON_KEY and
# SERVICE_ROLE_KEY signed HS256 with it, the key model's keys, the database password and every
# other secret. --keys asymmetric adds an EC P-256 signing key for GoTrue (the legacy secret is
# kept and still accepted), its JWKS for PostgREST/Realtime/Storage and ES256 internal keys;
# both models get opaque sb_publishable_/sb_secret_ keys.
#
#   bash stack/scripts/generate-secrets.sh [--keys legacy|asymmetric] [--force] [--yes] [--env-file FILE]
#
# An existing .env is never replaced unless --force, and then it is backed up first (to
# .spine/backups/, mode 0600). Without a terminal it refuses to write unless --yes.
# No secret is printed. The keys and the secret belong together: replacing them on a running
# deployment logs every client out and needs a redeploy.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

force=0 assume_yes=0 env_file="$STACK_DIR/.env" keys=legacy
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --yes) assume_yes=1 ;;
    --env-file) [ $# -ge 2 ] || die "--env-file needs a path"; env_file="$2"; shift ;;
    --keys) [ $# -ge 2 ] || die "--keys needs legacy or asymmetric"
            case "$2" in legacy|asymmetric) keys="$2" ;; *) die "--keys takes legacy or asymmetric, not $2" ;; esac
            shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

python="$(harness_python)"
[ -f "$STACK_DIR/.env.example" ] || die "$STACK_DIR/.env.example is missing"
if [ -e "$env_file" ] && [ "$force" != 1 ]; then
  die "$env_file exists: keeping it (pass --force to replace it; the old one is backed up)"
fi
if [ -e "$env_file" ]; then
  confirm "Replace $env_file with fresh secrets (clients must get the new keys)?" "$assume_yes"
else
  confirm "Write $env_file with fresh secrets?" "$assume_yes"
fi

args=(--stack-dir "$STACK_DIR" --env-file "$env_file" --keys "$keys" --backup-dir "${BACKUP_DIR:-$REPO_DIR/.spine/backups}")
[ "$force" = 1 ] && args+=(--force)
"$python" -m spine_harness generate-secrets "${args[@]}"
next_step "bash $SCRIPTS_DIR/deploy.sh   (checks the stack, then starts it)"
