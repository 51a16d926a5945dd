#!/usr/bin/env bash
# Prepare a fresh Debian or Ubuntu server (6 vCPU / 16 GB) for the Spine, as root:
#   - the packages the stack and the harness need (nginx, Python, psql, iptables),
#   - Docker Engine with the Compose v2 plugin, from Docker's apt repository,
#   - kernel settings for a database host (/etc/sysctl.d/60-spine.conf),
#   - the harness's virtualenv, which deploy.sh runs the static suite with.
#
#   sudo bash stack/scripts/setup-server.sh [--yes]
#
# Files it replaces are backed up to .spine/backups/ first. Running it again is harmless.
# Without a terminal it refuses to change anything unless --yes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

assume_yes=0
while [ $# -gt 0 ]; do
  case "$1" in
    --yes) assume_yes=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "run as root (sudo bash $0)"
[ -r /etc/os-release ] || die "/etc/os-release is missing: this script knows Debian and Ubuntu only"
# shellcheck disable=SC1091
. /etc/os-release
case "${ID:-}" in
  debian|ubuntu) ;;
  *) die "this is ${ID:-an unknown system}; the script knows Debian and Ubuntu only" ;;
esac
need_command apt-get "this script needs apt"

SYSCTL_FILE=/etc/sysctl.d/60-spine.conf
confirm "Install packages and Docker, and write $SYSCTL_FILE on $(hostname)?" "$assume_yes"

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q ca-certificates curl gnupg git make python3 python3-venv nginx postgresql-client iptables

echo "== Docker Engine and Compose v2"
if docker compose version >/dev/null 2>&1; then
  echo "already installed: $(docker compose version)"
else
  install -m 0755 -d /etc/apt/keyrings
  curl -fsSL "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc
  chmod a+r /etc/apt/keyrings/docker.asc
  repo_file=/etc/apt/sources.list.d/docker.list
  backup_file "$repo_file"
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$ID ${VERSION_CODENAME:?} stable" > "$repo_file"
  apt-get update -q
  apt-get install -y -q docker-ce docker-ce-cli containerd.io docker-compose-plugin
  systemctl enable --now docker
fi

echo "== kernel settings"
backup_file "$SYSCTL_FILE"
cat > "$SYSCTL_FILE" <<'SYSCTL'
# Written by stack/scripts/setup-server.sh for the Spine.
# Keep Postgres' and the services' memory in RAM; swap only under real pressure.
vm.swappiness = 10
# Room for many client connections queued at once (nginx, Supavisor).
net.core.somaxconn = 4096
net.ipv4.tcp_max_syn_backlog = 4096
SYSCTL
sysctl --quiet --load "$SYSCTL_FILE"

echo "== the harness (static suite, db-status)"
make -C "$REPO_DIR" .venv/.installed   # the virtualenv only: the test servers are not needed here

next_step "bash $SCRIPTS_DIR/generate-secrets.sh   (then: ALLOWED_DB_IPS=... bash $SCRIPTS_DIR/firewall-setup.sh)"
